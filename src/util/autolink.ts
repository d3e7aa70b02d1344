// Markdown renderers (GitHub) and chat clients turn a bare `http://…` or `www.…` into a link. Text
// from trace data must not: an invisible word joiner after the scheme (or `www`) keeps it plain.

const AUTOLINK_START = /\b(?:(?:https?|ftp)(?=:\/\/)|www(?=\.))/gi;

export function breakAutolinks(text: string): string {
  return text.replace(AUTOLINK_START, (scheme: string) => `${scheme}\u2060`);
}

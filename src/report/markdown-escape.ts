// Text from trace data (span names, attribute keys, service names) is attacker-controlled: escape
// everything that Markdown or embedded HTML would interpret, and keep table cells on one line.

// Not ( ) { }: with [ ] escaped no link can form, and CommonMark gives braces no meaning, while
// escaping them filled every message with "span\(s\)" for anyone reading the raw file.
const MD_SPECIAL = /[\\`*_[\]#+!|<>&~]/g;
/** Control characters (ANSI escapes, OSC hyperlinks) would act on a terminal that shows the file. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

// GitHub-flavoured Markdown turns a bare `http://…` or `www.…` into a link even with brackets
// escaped: an invisible word joiner after the scheme (or `www`) keeps it plain text.
const AUTOLINK_START = /\b(?:(?:https?|ftp)(?=:\/\/)|www(?=\.))/gi;

export function mdText(value: string): string {
  return value
    .replace(/\r?\n|\r|\t/g, " ")
    .replace(CONTROL, "\uFFFD")
    .replace(MD_SPECIAL, (ch) => {
      if (ch === "<") return "&lt;";
      if (ch === ">") return "&gt;";
      if (ch === "&") return "&amp;";
      return `\\${ch}`;
    })
    .replace(AUTOLINK_START, (scheme: string) => `${scheme}\u2060`);
}

/** Inline code that cannot be broken out of: backticks become a safe look-alike. */
export function mdCode(value: string): string {
  const clean = value.replace(/\r?\n|\r|\t/g, " ").replace(CONTROL, "\uFFFD").replace(/`/g, "ˋ").replace(/\|/g, "¦");
  return `\`${clean}\``;
}

// Text from trace data (span names, attribute keys, service names) is attacker-controlled: escape
// everything that Markdown or embedded HTML would interpret, and keep table cells on one line.

// Not ( ) { }: with [ ] escaped no link can form, and CommonMark gives braces no meaning, while
// escaping them filled every message with "span\(s\)" for anyone reading the raw file.
const MD_SPECIAL = /[\\`*_[\]#+!|<>&~]/g;

export function mdText(value: string): string {
  return value.replace(/\r?\n|\r/g, " ").replace(MD_SPECIAL, (ch) => {
    if (ch === "<") return "&lt;";
    if (ch === ">") return "&gt;";
    if (ch === "&") return "&amp;";
    return `\\${ch}`;
  });
}

/** Inline code that cannot be broken out of: backticks become a safe look-alike. */
export function mdCode(value: string): string {
  const clean = value.replace(/\r?\n|\r/g, " ").replace(/`/g, "ˋ").replace(/\|/g, "¦");
  return `\`${clean}\``;
}

// Text from trace data (span names, attribute keys, service names) is attacker-controlled: escape
// everything that Markdown or embedded HTML would interpret, and keep table cells on one line.
import { breakAutolinks } from "../util/autolink";
import { CONTROL_CHARACTERS } from "../util/control";

// Not ( ) { }: with [ ] escaped no link can form, and CommonMark gives braces no meaning, while
// escaping them filled every message with "span\(s\)" for anyone reading the raw file. Control
// characters (ANSI escapes, OSC hyperlinks) would act on a terminal that shows the file.
const MD_SPECIAL = /[\\`*_[\]#+!|<>&~]/g;

export function mdText(value: string): string {
  const escaped = value
    .replace(/\r?\n|\r|\t/g, " ")
    .replace(CONTROL_CHARACTERS, "\uFFFD")
    .replace(MD_SPECIAL, (ch) => {
      if (ch === "<") return "&lt;";
      if (ch === ">") return "&gt;";
      if (ch === "&") return "&amp;";
      return `\\${ch}`;
    });
  return breakAutolinks(escaped);
}

/** Inline code that cannot be broken out of: backticks become a safe look-alike. */
export function mdCode(value: string): string {
  const clean = value.replace(/\r?\n|\r|\t/g, " ").replace(CONTROL_CHARACTERS, "\uFFFD").replace(/`/g, "ˋ").replace(/\|/g, "¦");
  return `\`${clean}\``;
}

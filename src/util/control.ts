// Control characters in text from trace data or remote servers (ANSI escapes, a carriage return
// that overwrites a line, a newline that forges one, an OSC title change) are written as visible
// `\xNN` escapes wherever such text is quoted. So are the bidirectional-text controls
// (U+202E RIGHT-TO-LEFT OVERRIDE and kin, "Trojan Source"): they make a service or span name read
// differently from what it is, in a terminal, a chat message or a rendered report.

/** Bidi embeddings, overrides, isolates and marks (U+061C, U+200E-F, U+202A-E, U+2066-9). */
const BIDI = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";

/** Every C0 and C1 control character, and every bidi control. */
export const CONTROL_CHARACTERS = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI}]`, "g");
const CONTROL_BUT_LINE_BREAKS = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI}]`, "g");

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Bidi controls alone: for HTML, where the other controls do nothing. */
export const BIDI_CONTROLS = new RegExp(`[${BIDI}]`, "g");

/** Every control character as `\xNN` (bidi controls as `\uNNNN`): for data quoted inside one line. */
export function showControl(text: string): string {
  return text.replace(CONTROL_CHARACTERS, escape);
}

/** Control characters other than newline and tab as `\xNN`: for whole lines tracelint composed. */
export function showControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_LINE_BREAKS, escape);
}

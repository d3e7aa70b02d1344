// Control characters in text from trace data or remote servers (ANSI escapes, a carriage return
// that overwrites a line, a newline that forges one, an OSC title change) are written as visible
// `\xNN` escapes wherever such text is quoted.

/** Every C0 and C1 control character. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

function escape(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/** Every control character as `\xNN`: for data quoted inside one line. */
export function showControl(text: string): string {
  return text.replace(CONTROL_CHARACTERS, escape);
}

/** Control characters other than newline and tab as `\xNN`: for whole lines tracelint composed. */
export function showControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_LINE_BREAKS, escape);
}

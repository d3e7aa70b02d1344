// `redactText`: masks every sensitive value inside free text (span names, SQL, log-like strings)
// so that other parts of tracelint can quote trace data safely.
import { BUILTIN_DETECTORS } from "./detectors";
import { findPii } from "./scan";

/** Returns `text` with every detected value (emails, cards, tokens, keys, IPs, …) masked. */
export function redactText(text: string): string {
  const matches = findPii(text, BUILTIN_DETECTORS);
  if (matches.length === 0) return text;
  let out = "";
  let cursor = 0;
  for (const m of matches) {
    out += text.slice(cursor, m.start) + m.masked;
    cursor = m.end;
  }
  return out + text.slice(cursor);
}

// Plain-text helpers for alerts: mask anything that looks like PII, keep one line, clip, and count
// bytes the way the destinations' size limits do (UTF-8).
import { redactText } from "../pii/redact";
import { breakAutolinks } from "../util/autolink";
import { CONTROL_CHARACTERS } from "../util/control";

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Masked, single-line, never a link (the report link is added by each destination), at most `max` characters. */
export function safeLine(text: string, max: number): string {
  const line = breakAutolinks(
    redactText(text)
      .replace(/[\r\n\t]+/g, " ")
      .replace(CONTROL_CHARACTERS, ""),
  );
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

export { clip as clipText } from "../util/clip";

export function moreLine(hidden: number, reportUrl: string | undefined): string {
  return `…and ${hidden} more${reportUrl ? " (see the full report)" : ""}`;
}

/**
 * Largest number of items (≤ total) for which `build(n)` still fits, by binary search: payload size
 * grows with n. Returns 0 when even the itemless payload does not fit (the caller reports that).
 */
export function fitItems<T>(total: number, build: (n: number) => T, fits: (payload: T) => boolean): { n: number; payload: T } {
  const all = build(total);
  if (fits(all)) return { n: total, payload: all };
  let lo = 0;
  let hi = total - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(build(mid))) lo = mid;
    else hi = mid - 1;
  }
  return { n: lo, payload: build(lo) };
}

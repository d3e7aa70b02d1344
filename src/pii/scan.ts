// Finds sensitive values in one string: runs every detector, keeps validated matches, and resolves
// overlaps in favour of the more specific detector (earlier in the list).
import { fillProfile, meetsAny, profileOf, type Detector, type TextProfile } from "./detectors";

export interface PiiMatch {
  category: string;
  start: number;
  end: number;
  /** Masked form of the matched text; the raw text is never kept. */
  masked: string;
}

/** Strings shorter than this cannot hold any detected value (shortest: a 7-char IPv4). */
export const MIN_SCAN_LENGTH = 7;

/**
 * The profile of the text being scanned, refilled per text: findPii is synchronous and detectors
 * only read the profile inside `requires`, so one object serves every call.
 */
const scratchProfile: TextProfile = profileOf("");

/** Orders matches by position (one function, not a closure per call). */
function byStart(a: PiiMatch, b: PiiMatch): number {
  return a.start - b.start;
}

/** What findPii returns when nothing matches (most texts): shared, never written to. */
const NO_MATCHES: readonly PiiMatch[] = Object.freeze([]);

export function findPii(text: string, detectors: readonly Detector[]): readonly PiiMatch[] {
  if (text.length < MIN_SCAN_LENGTH) return NO_MATCHES;
  // Most texts match nothing: the array is created on the first accepted match.
  let accepted: PiiMatch[] | undefined;
  let profile: TextProfile | undefined;
  for (const detector of detectors) {
    const requires = detector.requires;
    if (requires !== undefined && !meetsAny((profile ??= fillProfile(text, scratchProfile)), requires)) continue;
    const hint = detector.hint;
    if (hint !== undefined && (typeof hint === "string" ? !text.includes(hint) : !hint.test(text))) continue;
    const pattern = detector.pattern;
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text)) !== null) {
      if (match[0] === "") {
        pattern.lastIndex++;
        continue;
      }
      const value = detector.accept ? detector.accept(match) : match[0];
      if (value === undefined) continue;
      const start = match.index;
      const end = start + value.length;
      if (accepted?.some((a) => start < a.end && a.start < end)) continue;
      (accepted ??= []).push({ category: detector.category, start, end, masked: detector.mask(value) });
    }
  }
  return accepted === undefined ? NO_MATCHES : accepted.sort(byStart);
}

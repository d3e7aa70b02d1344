// Finds sensitive values in one string: runs every detector, keeps validated matches, and resolves
// overlaps in favour of the more specific detector (earlier in the list).
import { lowerBound } from "../util/lower-bound";
import { fillProfile, meetsAny, profileOf, profileSignature, type Detector, type TextProfile } from "./detectors";

export interface PiiMatch {
  category: string;
  start: number;
  end: number;
  /** Masked form of the matched text; the raw text is never kept. */
  masked: string;
}

/** Strings shorter than this cannot hold any detected value (shortest: a 7-char IPv4). */
export const MIN_SCAN_LENGTH = 7;

/** The profile of the text being scanned, refilled per text (findPii is synchronous). */
const scratchProfile: TextProfile = profileOf("");

/** What findPii returns when nothing matches (most texts): shared, never written to. */
const NO_MATCHES: readonly PiiMatch[] = Object.freeze([]);

// Which detectors a text can match depends on its profile only through profileSignature, and a
// handful of signatures cover most texts: so the pre-checks run once per (detector list,
// signature), not once per detector per text. Detector lists are never changed once built.
const MAX_SIGNATURES = 4_096;
const candidateTables = new WeakMap<readonly Detector[], Map<number, readonly Detector[]>>();
let lastDetectors: readonly Detector[] | undefined;
let lastTable = new Map<number, readonly Detector[]>();

/** The detectors of `detectors` whose pre-check `profile` meets, in their order. */
function candidatesFor(detectors: readonly Detector[], profile: TextProfile): readonly Detector[] {
  if (detectors !== lastDetectors) {
    let table = candidateTables.get(detectors);
    if (table === undefined) candidateTables.set(detectors, (table = new Map()));
    lastDetectors = detectors;
    lastTable = table;
  }
  const signature = profileSignature(profile);
  let candidates = lastTable.get(signature);
  if (candidates === undefined) {
    candidates = detectors.filter((d) => d.requires === undefined || meetsAny(profile, d.requires));
    if (lastTable.size < MAX_SIGNATURES) lastTable.set(signature, candidates);
  }
  return candidates;
}

export function findPii(text: string, detectors: readonly Detector[]): readonly PiiMatch[] {
  if (text.length < MIN_SCAN_LENGTH) return NO_MATCHES;
  // Most texts match nothing: the array is created on the first candidate match.
  let accepted: PiiMatch[] | undefined;
  for (const detector of candidatesFor(detectors, fillProfile(text, scratchProfile))) {
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
      accepted ??= [];
      // Accepted matches never overlap and are kept in start order, so only the neighbours of the
      // insertion point can overlap the new one: a binary search, not a scan of every match
      // (a value holding thousands of addresses made that quadratic).
      const matches = accepted;
      const at = lowerBound(matches.length, (i) => matches[i]!.start < start);
      if ((at > 0 && accepted[at - 1]!.end > start) || (at < accepted.length && accepted[at]!.start < end)) continue;
      accepted.splice(at, 0, { category: detector.category, start, end, masked: detector.mask(value) });
    }
  }
  return accepted === undefined || accepted.length === 0 ? NO_MATCHES : accepted;
}

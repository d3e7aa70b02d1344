// Scans one attribute (key + value) or one free-text field for sensitive values and returns at most
// one hit per category, with masked evidence. Key semantics live here: secret-implying keys,
// keys where an IP address is expected, the allowlist.
import type { AttributeValue } from "../model/span";
import { isUrlHost, SECRET_KEY_CATEGORY, type Detector } from "./detectors";
import { isNonSecretValue, isSecretKey } from "./keys";
import { maskOpaque } from "./mask";
import { redactText } from "./redact";
import { findPii, MIN_SCAN_LENGTH } from "./scan";
import { Memo2 } from "../engine/memo";

export interface PiiHit {
  /** Attribute key with its location prefix (`resource.`, `event.`, `link.`), or `span.name`, … */
  subject: string;
  category: string;
  /** Masked evidence of the first value seen. */
  evidence: string;
}

export interface AllowEntry {
  /** Exact key or subject; `*` matches any run of characters. */
  key: string;
  /** Categories allowed under this key; all when absent. */
  categories?: string[] | undefined;
}

export interface ScanConfig {
  detectors: readonly Detector[];
  enabled: (category: string) => boolean;
  allow: readonly AllowEntry[];
  ipExpectedKeys: ReadonlySet<string>;
  extraSecretKeys: readonly string[];
}

/** Nested kvlists are read this deep, then ignored. */
const MAX_DEPTH = 4;

/**
 * A `*` glob as a matcher: the fixed parts in order, each found left-most (which is exact for `*`
 * alone). Linear in the text, where the `^.*a.*b$` regex it replaces was quadratic on long keys.
 */
export function globMatcher(glob: string): (text: string) => boolean {
  const parts = glob.split("*");
  if (parts.length === 1) return (text) => text === glob;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p !== "");
  return (text) => {
    if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
    const limit = text.length - last.length;
    let at = first.length;
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found === -1 || found + part.length > limit) return false;
      at = found + part.length;
    }
    return true;
  };
}

/** Compiles allow entries once; returns a predicate (key, subject, category) → allowed. */
export function allowPredicate(entries: readonly AllowEntry[]): (key: string, subject: string, category: string) => boolean {
  const compiled = entries.map((e) => ({ matches: globMatcher(e.key), categories: e.categories ? new Set(e.categories) : undefined }));
  return (key, subject, category) =>
    compiled.some((e) => (e.matches(key) || e.matches(subject)) && (!e.categories || e.categories.has(category)));
}

function stringsOf(value: AttributeValue, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) if (typeof item === "string") out.push(item);
}

/** One category found in a value, with masked evidence (what a scan of that value contributes). */
interface Found {
  category: string;
  evidence: string;
}

/** Per (prefix, key): what the key implies, and the memoised scans of string values under it. */
interface KeyFacts {
  subject: string;
  secretKey: boolean;
  ipExpected: boolean;
  /**
   * Memoised scans of recent values: a direct-mapped table (slot by `memoSlot`; a value whose slot
   * is taken replaces it), allocated at the first miss. Cheaper than a Map: no hash of the whole
   * string, and a repeated value is often the same string object (the protobuf decoder hands out
   * one per repeated short string), so the check is a pointer compare.
   */
  memoValues: (string | undefined)[] | undefined;
  memoFound: (readonly Found[])[] | undefined;
  /** Look-ups and hits of the memo; a key whose values do not repeat stops being memoised. */
  lookups: number;
  hits: number;
  memoise: boolean;
  /** The last value scanned under this key and its result: neighbouring spans often repeat it. */
  lastValue: string | undefined;
  lastFound: readonly Found[];
}

/**
 * After this many look-ups under one key, values are memoised only if at least MIN_HIT_RATE of
 * them were hits: per-request values (IDs, URLs with IDs, client addresses) would only churn the
 * memo; they are scanned every time, as without one.
 */
const MEMO_PROBATION = 256;
const MIN_HIT_RATE = 0.2;

const NOTHING_FOUND: readonly Found[] = [];
/** Placeholder for `#eachHits` outside scanAttributes (never written to). */
const NO_HITS: PiiHit[] = [];

/**
 * Scan results kept per scanner (see src/engine/memo.ts for the policy): keys' facts and their memo
 * slots (MEMO_SLOTS per memoised key), up to this many entries in all; past the cap every memo is
 * cleared (and keys get a new probation). Free texts (span names, …) have a memo of their own, of
 * TEXT_MEMO_ENTRIES. A scan is a pure function of (prefix, key, value) for a given config, so
 * memoised and fresh scans give identical hits.
 */
const SCAN_MEMO_ENTRIES = 50_000;
const TEXT_MEMO_ENTRIES = 20_000;

/** Memo slots per key (a power of two). */
const MEMO_SLOTS = 128;

/** A value's memo slot, from its length and three of its characters. */
function memoSlot(value: string): number {
  const n = value.length;
  // Values shorter than MIN_SCAN_LENGTH reach the memo only under secret-named keys.
  if (n === 0) return 0;
  return (n * 31 + value.charCodeAt(n - 1) * 17 + value.charCodeAt(n >> 1) * 7 + value.charCodeAt(n >> 2)) & (MEMO_SLOTS - 1);
}

export class PiiScanner {
  readonly #config: ScanConfig;
  readonly #allowed: (key: string, subject: string, category: string) => boolean;
  /** prefix → key → facts and memoised value scans. */
  readonly #keys = new Map<string, Map<string, KeyFacts>>();
  readonly #texts = new Memo2<readonly Found[]>(TEXT_MEMO_ENTRIES);
  #memoEntries = 0;
  /**
   * Detectors for keys where an IP address is expected (its matches are dropped there): without
   * the IP detector when it is the last one, since then its matches cannot block any other's.
   */
  readonly #detectorsForIpKeys: readonly Detector[];

  constructor(config: ScanConfig) {
    this.#config = config;
    this.#allowed = allowPredicate(config.allow);
    const last = config.detectors[config.detectors.length - 1];
    this.#detectorsForIpKeys = last?.category === "ip-address" ? config.detectors.slice(0, -1) : config.detectors;
  }

  /** Scans free text that has no key (span name, event name, status message). */
  scanText(subject: string, text: string, hits: PiiHit[]): void {
    // Strings this short cannot hold any detected value (findPii's own limit): skip the memo too.
    if (text.length < MIN_SCAN_LENGTH) return;
    // Span names repeat from span to span, and neighbouring spans often share theirs.
    let found: readonly Found[];
    if (text === this.#lastText && subject === this.#lastTextSubject) found = this.#lastTextFound;
    else {
      found = this.#texts.get(subject, text, this.#scanTextOnce);
      this.#lastText = text;
      this.#lastTextSubject = subject;
      this.#lastTextFound = found;
    }
    for (const f of found) addHit(hits, subject, f);
  }

  /** scanText's last text, its subject, and what was found in it. */
  #lastText = "";
  #lastTextSubject = "";
  #lastTextFound: readonly Found[] = NOTHING_FOUND;

  /** `#scanText` bound once, so a memo look-up allocates no closure. */
  readonly #scanTextOnce = (subject: string, text: string): readonly Found[] => this.#scanText(subject, text);

  #scanText(subject: string, text: string): readonly Found[] {
    const found: Found[] = [];
    for (const m of findPii(text, this.#config.detectors)) {
      if (m.category === "ip-address" && isUrlHost(text, m.start)) continue;
      if (!this.#config.enabled(m.category) || this.#allowed(subject, subject, m.category)) continue;
      if (!found.some((f) => f.category === m.category)) found.push({ category: m.category, evidence: m.masked });
    }
    return found.length === 0 ? NOTHING_FOUND : found;
  }

  /** Scans every attribute of one map (see scanAttribute). */
  scanAttributes(prefix: string, attributes: ReadonlyMap<string, AttributeValue>, hits: PiiHit[]): void {
    if (attributes.size === 0) return;
    // forEach with a callback bound once: `for (const [key, value] of map)` builds an entry array
    // per attribute, which showed as the rule's largest single cost in profiles.
    // The prefix's key table is looked up once per map, not once per attribute. (#scanIn never
    // calls back here, so the fields below cannot be overwritten during the forEach.)
    this.#eachKeys = this.#keysOf(prefix);
    this.#eachPrefix = prefix;
    this.#eachHits = hits;
    attributes.forEach(this.#scanEach);
    this.#eachHits = NO_HITS;
  }

  /** What `#scanEach` scans into: set by scanAttributes around its forEach. */
  #eachKeys = new Map<string, KeyFacts>();
  #eachPrefix = "";
  #eachHits: PiiHit[] = NO_HITS;
  readonly #scanEach = (value: AttributeValue, key: string): void => this.#scanIn(this.#eachKeys, this.#eachPrefix, key, value, this.#eachHits, 0);

  /** Scans one attribute; `prefix` is "", "resource.", "event." or "link.". */
  scanAttribute(prefix: string, key: string, value: AttributeValue, hits: PiiHit[]): void {
    this.#scanIn(this.#keysOf(prefix), prefix, key, value, hits, 0);
  }

  /** The key table of one prefix. Never replaced (a memo clear empties it), so callers may hold it. */
  #keysOf(prefix: string): Map<string, KeyFacts> {
    let byKey = this.#keys.get(prefix);
    if (!byKey) this.#keys.set(prefix, (byKey = new Map()));
    return byKey;
  }

  /** scanAttribute with the prefix's key table `byKey` already looked up. */
  #scanIn(byKey: Map<string, KeyFacts>, prefix: string, key: string, value: AttributeValue, hits: PiiHit[], depth: number): void {
    if (typeof value === "string") {
      // The common case: one string value, memoised per (prefix, key, value).
      const facts = this.#factsOf(byKey, prefix, key);
      // Too short for any detector (findPii's own limit) and no secret-named key: nothing to find.
      if (value.length < MIN_SCAN_LENGTH && !facts.secretKey) return;
      if (value === facts.lastValue) {
        for (const f of facts.lastFound) addHit(hits, facts.subject, f);
        return;
      }
      if (!facts.memoise) {
        for (const f of this.#scanValue(facts, key, value)) addHit(hits, facts.subject, f);
        return;
      }
      facts.lookups++;
      const slot = memoSlot(value);
      let found: readonly Found[];
      if (facts.memoValues !== undefined && facts.memoValues[slot] === value) {
        facts.hits++;
        found = facts.memoFound![slot]!;
      } else {
        found = this.#scanValue(facts, key, value);
        if (facts.lookups >= MEMO_PROBATION && facts.hits < facts.lookups * MIN_HIT_RATE) {
          facts.memoise = false;
          if (facts.memoValues !== undefined) this.#memoEntries -= MEMO_SLOTS;
          facts.memoValues = facts.memoFound = undefined;
        } else {
          let memo = facts;
          if (memo.memoValues === undefined) {
            // Past the cap every memo starts again; this key's facts are then new ones.
            if (this.#memoEntries + MEMO_SLOTS > SCAN_MEMO_ENTRIES) {
              this.#clearMemo();
              memo = this.#factsOf(byKey, prefix, key);
            }
            memo.memoValues = new Array<string | undefined>(MEMO_SLOTS).fill(undefined);
            memo.memoFound = new Array<readonly Found[]>(MEMO_SLOTS).fill(NOTHING_FOUND);
            this.#memoEntries += MEMO_SLOTS;
          }
          memo.memoValues![slot] = value;
          memo.memoFound![slot] = found;
        }
      }
      facts.lastValue = value;
      facts.lastFound = found;
      for (const f of found) addHit(hits, facts.subject, f);
      return;
    }
    if (value instanceof Map) {
      if (depth < MAX_DEPTH) for (const [k, v] of value) this.#scanIn(byKey, prefix, `${key}.${k}`, v, hits, depth + 1);
      return;
    }
    if (!Array.isArray(value)) return; // numbers, booleans, bytes, null: no text to scan
    const texts: string[] = [];
    stringsOf(value, texts);
    if (texts.length === 0) return;
    const facts = this.#factsOf(byKey, prefix, key);
    for (const f of this.#scanTexts(facts, key, texts)) addHit(hits, facts.subject, f);
  }

  /** `byKey` is `#keysOf(prefix)`. */
  #factsOf(byKey: Map<string, KeyFacts>, prefix: string, key: string): KeyFacts {
    let facts = byKey.get(key);
    if (!facts) {
      if (this.#memoEntries >= SCAN_MEMO_ENTRIES) this.#clearMemo();
      facts = {
        // A key may itself hold personal data (a map keyed by e-mail address): never quoted raw.
        subject: `${prefix}${redactText(key)}`,
        secretKey: isSecretKey(key, this.#config.extraSecretKeys),
        ipExpected: this.#config.ipExpectedKeys.has(key) || /version/i.test(key),
        memoValues: undefined,
        memoFound: undefined,
        lookups: 0,
        hits: 0,
        memoise: true,
        lastValue: undefined,
        lastFound: NOTHING_FOUND,
      };
      byKey.set(key, facts);
      this.#memoEntries++;
    }
    return facts;
  }

  #clearMemo(): void {
    // Emptied in place: scanAttributes may hold a prefix's table while a scan clears the memo.
    for (const byKey of this.#keys.values()) byKey.clear();
    this.#memoEntries = 0;
  }

  /**
   * `#scanTexts(facts, key, [text])` without the array and map it builds: the path of every
   * per-request value (IDs, URLs with IDs) that is scanned afresh on each span.
   */
  #scanValue(facts: KeyFacts, key: string, text: string): readonly Found[] {
    const { subject, secretKey, ipExpected } = facts;
    let found: Found[] | undefined;
    for (const m of findPii(text, ipExpected ? this.#detectorsForIpKeys : this.#config.detectors)) {
      if (m.category === "ip-address" && (ipExpected || isUrlHost(text, m.start))) continue;
      if (!this.#config.enabled(m.category) || this.#allowed(key, subject, m.category)) continue;
      found ??= [];
      if (!found.some((f) => f.category === m.category)) found.push({ category: m.category, evidence: m.masked });
    }
    if (found !== undefined) return found;
    if (secretKey && this.#config.enabled(SECRET_KEY_CATEGORY) && !this.#allowed(key, subject, SECRET_KEY_CATEGORY) && !isNonSecretValue(key, text)) {
      return [{ category: SECRET_KEY_CATEGORY, evidence: maskOpaque(text) }];
    }
    return NOTHING_FOUND;
  }

  /** Categories found in the string(s) of one attribute, first evidence per category. */
  #scanTexts(facts: KeyFacts, key: string, texts: readonly string[]): readonly Found[] {
    const { subject, secretKey, ipExpected } = facts;
    const found = new Map<string, string>();
    const detectors = ipExpected ? this.#detectorsForIpKeys : this.#config.detectors;
    for (const text of texts) {
      for (const m of findPii(text, detectors)) {
        if (m.category === "ip-address" && (ipExpected || isUrlHost(text, m.start))) continue;
        if (!this.#config.enabled(m.category) || this.#allowed(key, subject, m.category)) continue;
        if (!found.has(m.category)) found.set(m.category, m.masked);
      }
    }
    // A secret-named key is a finding even when its value is not recognised; a recognised value
    // under it is reported once, with the value's own category.
    if (secretKey && found.size === 0 && this.#config.enabled(SECRET_KEY_CATEGORY) && !this.#allowed(key, subject, SECRET_KEY_CATEGORY)) {
      const leaked = texts.find((t) => !isNonSecretValue(key, t));
      if (leaked !== undefined) found.set(SECRET_KEY_CATEGORY, maskOpaque(leaked));
    }
    if (found.size === 0) return NOTHING_FOUND;
    return [...found].map(([category, evidence]) => ({ category, evidence }));
  }
}

function addHit(hits: PiiHit[], subject: string, found: Found): void {
  if (!hits.some((h) => h.subject === subject && h.category === found.category)) {
    hits.push({ subject, category: found.category, evidence: found.evidence });
  }
}

// Scans one attribute (key + value) or one free-text field for sensitive values and returns at most
// one hit per category, with masked evidence. Key semantics live here: secret-implying keys,
// keys where an IP address is expected, the allowlist.
import type { AttributeValue } from "../model/span";
import { SECRET_KEY_CATEGORY, type Detector } from "./detectors";
import { isRedactedPlaceholder, isSecretKey } from "./keys";
import { maskOpaque } from "./mask";
import { findPii } from "./scan";

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

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
}

/** Compiles allow entries once; returns a predicate (key, subject, category) → allowed. */
export function allowPredicate(entries: readonly AllowEntry[]): (key: string, subject: string, category: string) => boolean {
  const compiled = entries.map((e) => ({ re: globToRegExp(e.key), categories: e.categories ? new Set(e.categories) : undefined }));
  return (key, subject, category) =>
    compiled.some((e) => (e.re.test(key) || e.re.test(subject)) && (!e.categories || e.categories.has(category)));
}

function stringsOf(value: AttributeValue, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) if (typeof item === "string") out.push(item);
}

export class PiiScanner {
  readonly #config: ScanConfig;
  readonly #allowed: (key: string, subject: string, category: string) => boolean;

  constructor(config: ScanConfig) {
    this.#config = config;
    this.#allowed = allowPredicate(config.allow);
  }

  /** Scans free text that has no key (span name, event name, status message). */
  scanText(subject: string, text: string, hits: PiiHit[]): void {
    for (const m of findPii(text, this.#config.detectors)) {
      if (!this.#config.enabled(m.category) || this.#allowed(subject, subject, m.category)) continue;
      if (!hits.some((h) => h.subject === subject && h.category === m.category)) {
        hits.push({ subject, category: m.category, evidence: m.masked });
      }
    }
  }

  /** Scans one attribute; `prefix` is "", "resource.", "event." or "link.". */
  scanAttribute(prefix: string, key: string, value: AttributeValue, hits: PiiHit[], depth = 0): void {
    if (value instanceof Map) {
      if (depth < MAX_DEPTH) for (const [k, v] of value) this.scanAttribute(prefix, `${key}.${k}`, v, hits, depth + 1);
      return;
    }
    const texts: string[] = [];
    stringsOf(value, texts);
    if (texts.length === 0) return;
    const subject = `${prefix}${key}`;
    const secretKey = isSecretKey(key, this.#config.extraSecretKeys);
    const ipExpected = this.#config.ipExpectedKeys.has(key) || /version/i.test(key);
    const found = new Map<string, string>();
    for (const text of texts) {
      for (const m of findPii(text, this.#config.detectors)) {
        if (m.category === "ip-address" && ipExpected) continue;
        if (!this.#config.enabled(m.category) || this.#allowed(key, subject, m.category)) continue;
        if (!found.has(m.category)) found.set(m.category, m.masked);
      }
    }
    // A secret-named key is a finding even when its value is not recognised; a recognised value
    // under it is reported once, with the value's own category.
    if (secretKey && found.size === 0 && this.#config.enabled(SECRET_KEY_CATEGORY) && !this.#allowed(key, subject, SECRET_KEY_CATEGORY)) {
      const leaked = texts.find((t) => !isRedactedPlaceholder(t));
      if (leaked !== undefined) found.set(SECRET_KEY_CATEGORY, maskOpaque(leaked));
    }
    for (const [category, evidence] of found) {
      if (!hits.some((h) => h.subject === subject && h.category === category)) hits.push({ subject, category, evidence });
    }
  }
}

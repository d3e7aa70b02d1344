// The detectors' `requires` pre-checks and the scanner's memo are speed-only: scans with and
// without them must find exactly the same values. Drift between a pattern and its pre-check shows
// up here as a missed match.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../fixtures/lib/recorder";
import { Memo, Memo2 } from "../src/engine/memo";
import { PiiScanner, type PiiHit } from "../src/pii/attributes";
import { BUILTIN_DETECTORS } from "../src/pii/detectors";
import { IP_EXPECTED_KEYS } from "../src/pii/keys";
import { findPii } from "../src/pii/scan";

const WITHOUT_PREFILTER = BUILTIN_DETECTORS.map(({ requires: _requires, ...detector }) => detector);

// One of each category, in the forms the detectors accept (test values: Stripe/IANA/RFC examples).
const POSITIVES = [
  "https://admin:hunter22@db.internal:5432/app",
  "Authorization: Bearer 9f8e7d6c5b4a39281706abcdef",
  "authorization=bearer 9f8e7d6c5b4a39281706abcdef",
  "Authorization: Basic YWRtaW46aHVudGVyMg==",
  "?X-Amz-Signature=8f3b2e1d0c9a",
  "xoxb-1234567890-abcdefghijkl",
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  "AKIAIOSFODNN7EXAMPLE",
  "ghp_0123456789abcdefghijABCDEFGHIJ012345",
  "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t",
  "password=correct-horse&user=x",
  "DE89 3704 0044 0532 0130 00",
  "GB82WEST12345698765432",
  "4242 4242 4242 4242",
  "378282246310005",
  "123-45-6789",
  "jane.doe@example.com",
  "+44 20 7946 0958",
  "+14155552671",
  "+1.415.555.2671",
  "?phone=%2B14155552671",
  "to=%2B44+20+7946+0958",
  "/subscribe?e=jane%2Bnews%40gmail.com",
  "3782 822463 10005",
  "203.0.113.9",
  "2001:db8::8a2e:370:7334",
  "fe80::1ff:fe23:4567:890a",
];
const ALPHABET = "0123456789abcdefABCDEFbBrRxkK@=:+.-_/ eyJ?&";

function randomTexts(count: number): string[] {
  const random = seededRandom(11);
  const pick = (s: string) => s[Math.floor(random() * s.length)]!;
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = "";
    const length = 5 + Math.floor(random() * 40);
    for (let j = 0; j < length; j++) text += pick(ALPHABET);
    // Half of them carry a real value somewhere inside the noise.
    // (sometimes glued to it, so that boundary look-arounds are exercised too).
    const glue = random() < 0.5 ? " " : "";
    if (random() < 0.5) text = text.slice(0, length / 2) + glue + POSITIVES[Math.floor(random() * POSITIVES.length)]! + glue + text.slice(length / 2);
    texts.push(text);
  }
  return texts;
}

describe("PII pre-filters", () => {
  it("give the same matches as the bare patterns, on every category and on random text", () => {
    const texts = [...POSITIVES, ...randomTexts(3_000)];
    let matched = 0;
    for (const text of texts) {
      const expected = findPii(text, WITHOUT_PREFILTER);
      expect(findPii(text, BUILTIN_DETECTORS), text).toEqual(expected);
      if (expected.length > 0) matched++;
    }
    for (const text of POSITIVES) expect(findPii(text, BUILTIN_DETECTORS).length, text).toBeGreaterThan(0);
    expect(matched).toBeGreaterThan(600);
  });

  it("scanner results do not depend on its memo: repeated and fresh scans agree, IP keys still skip IPs", () => {
    const config = { enabled: () => true, allow: [], ipExpectedKeys: new Set(IP_EXPECTED_KEYS), extraSecretKeys: [] };
    const memoised = new PiiScanner({ ...config, detectors: BUILTIN_DETECTORS });
    const scan = (scanner: PiiScanner, key: string, value: string) => {
      const hits: PiiHit[] = [];
      scanner.scanAttribute("", key, value, hits);
      return hits;
    };
    for (const key of ["client.address", "http.request.header.authorization", "app.note"]) {
      for (const text of [...POSITIVES, ...randomTexts(300)]) {
        const fresh = scan(new PiiScanner({ ...config, detectors: WITHOUT_PREFILTER }), key, text);
        expect(scan(memoised, key, text)).toEqual(fresh);
        expect(scan(memoised, key, text)).toEqual(fresh);
      }
    }
    // Short values are memoised only under secret-named keys (the empty one included).
    for (const text of ["", "x", "hunter2", "", "x", "***", "hunter2"]) {
      const fresh = scan(new PiiScanner({ ...config, detectors: WITHOUT_PREFILTER }), "db.password", text);
      expect(scan(memoised, "db.password", text)).toEqual(fresh);
    }
    expect(scan(memoised, "db.password", "hunter2")).toEqual([{ subject: "db.password", category: "secret-key", evidence: "***(secret, 7 chars)" }]);
    expect(scan(memoised, "client.address", "203.0.113.9")).toEqual([]);
    expect(scan(memoised, "app.note", "203.0.113.9")).toEqual([{ subject: "app.note", category: "ip-address", evidence: expect.any(String) }]);
  });
});

describe("memo tables", () => {
  it("stay under their entry cap and recompute after a clear", () => {
    const memo = new Memo<number>(3);
    let computed = 0;
    const length = (s: string) => (computed++, s.length);
    for (const key of ["a", "bb", "a", "ccc", "dddd", "a"]) memo.get(key, length);
    expect(memo.size).toBeLessThanOrEqual(3);
    expect(computed).toBe(5); // "a" hit once, then was cleared with the rest when "dddd" arrived
    const memo2 = new Memo2<string>(2);
    for (const [k, v] of [["x", "1"], ["x", "2"], ["y", "1"], ["x", "1"]] as const) expect(memo2.get(k, v, (a, b) => a + b)).toBe(k + v);
    expect(memo2.size).toBeLessThanOrEqual(2);
  });
});

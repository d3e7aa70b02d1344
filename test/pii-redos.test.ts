// Hostile values must not stall an audit: patterns whose cost grew faster than the text (found by a
// security review: a 200 KB phone-like value took seconds, a 100 KB span name 10 s). Each check
// compares two costs measured in the same run (no absolute timings): a text against one eight
// times shorter (linear work grows about 8×, quadratic work 64×), or a hostile text against a
// benign one of the same length.
import { describe, expect, it } from "vitest";
import { templateTokens } from "../src/analysis/templates/tokenize";
import { globMatcher } from "../src/pii/attributes";
import { BUILTIN_DETECTORS } from "../src/pii/detectors";
import { findPii } from "../src/pii/scan";

function cost(run: () => unknown): number {
  run(); // warm up
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return Math.max(best, 0.05);
}

/** Cost growth from n to 8n characters. */
function growth(make: (n: number) => string, scan: (text: string) => unknown, n: number): number {
  const small = make(n);
  const large = make(8 * n);
  return cost(() => scan(large)) / cost(() => scan(small));
}

const repeat = (unit: string) => (n: number) => unit.repeat(Math.ceil(n / unit.length));

describe("no super-linear scans of hostile values", () => {
  it("phone-like digit runs cost about what a phone number list of the same length costs", () => {
    // Each `+` started a search through every way of splitting the 40 digits into groups.
    const scan = (t: string) => findPii(t, BUILTIN_DETECTORS);
    const hostile = cost(() => scan(repeat(`+1${"1".repeat(40)} `)(50_000)));
    const numbers = cost(() => scan(repeat("+1 415 555 2671, ")(50_000)));
    expect(hostile / numbers).toBeLessThan(10);
  });

  it("URL-encoded phone-like digit runs cost about what encoded phone numbers of the same length cost", () => {
    // The encoded form's groups are atomic too, and its separators (`%20`, `+`) cannot split a run.
    const scan = (t: string) => findPii(t, BUILTIN_DETECTORS);
    const hostile = cost(() => scan(repeat(`%2B1${"1".repeat(40)}%20`)(50_000)));
    const numbers = cost(() => scan(repeat("%2B1%20415%20555%202671 ")(50_000)));
    expect(hostile / numbers).toBeLessThan(10);
    expect(growth(repeat("%2B1+1+1+1+1+1+1+1+1+1"), scan, 10_000)).toBeLessThan(24);
  });

  it("encoded addresses whose local part is all escapes", () => {
    const scan = (t: string) => findPii(t, BUILTIN_DETECTORS);
    expect(growth(repeat("a%2Ba%2Ba%2Ba%2B%40 "), scan, 10_000)).toBeLessThan(24);
    expect(growth(repeat("a%2B"), (t) => scan(`${t}%40x.example.com`), 10_000)).toBeLessThan(24);
  });

  it("thousands of addresses in one value", () => {
    const text = repeat("a@a.aa ")(80_000);
    expect(findPii(text, BUILTIN_DETECTORS)).toHaveLength(Math.ceil(80_000 / 7));
    expect(growth(repeat("a@a.aa "), (t) => findPii(t, BUILTIN_DETECTORS), 10_000)).toBeLessThan(24);
  });

  it("a long span name of name characters without an @", () => {
    expect(growth(repeat("1"), templateTokens, 10_000)).toBeLessThan(24);
  });

  it("allow globs on long keys", () => {
    const matches = globMatcher("*user*email*");
    expect(growth(repeat("useremai"), matches, 40_000)).toBeLessThan(24);
  });
});

describe("globMatcher", () => {
  it.each([
    ["customer.email", "customer.email", true],
    ["customer.*", "customer.email", true],
    ["*.email", "customer.email", true],
    ["*user*email*", "app.user.primary_email.x", true],
    ["*user*email*", "app.email.user", false],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["*", "", true],
    ["http.request.header.*", "http.response.header.x", false],
  ])("%s on %s → %s", (glob, text, expected) => {
    expect(globMatcher(glob)(text)).toBe(expected);
  });
});

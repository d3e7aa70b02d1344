// The span-ID checks and the PII text profile read characters through look-up tables (for speed:
// no per-character branches). These compare them with plain definitions over random strings
// that mix hex digits, look-alike letters, punctuation and code units above 127 (whose low bits
// alias ASCII classes if a table is indexed carelessly).
import { describe, expect, it } from "vitest";
import { seededRandom } from "../fixtures/lib/recorder";
import { isAllZeroId, isHex, isValidSpanId, isValidTraceId } from "../src/model/ids";
import { CharClass, profileOf, type TextProfile } from "../src/pii/detectors";

// U+0130/U+0161/U+FF10 have low bytes 0x30 ("0"), 0x61 ("a"), 0x10; U+0141 is 0x41 ("A"); U+0162,
// U+0178 and U+0172 alias "b", "x" and "r"; U+00DF and U+2013 have no ASCII look-alike.
const ALPHABET = "0000123456789abcdefABCDEFgGzZbBrRxX_@=:+.-/ \u0130\u0161\u0141\u00df\u2013\uff10\u00b0\u0640\u0162\u0178\u0172";

function randomStrings(count: number, seed: number, maxLength: number): string[] {
  const random = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * (maxLength + 1));
    let s = "";
    for (let j = 0; j < length; j++) s += ALPHABET[Math.floor(random() * ALPHABET.length)]!;
    out.push(s);
  }
  return out;
}

/** The profile by regex: counts, and the class bits of the characters present. */
function referenceProfile(text: string): TextProfile {
  const classes: [number, RegExp][] = [
    [CharClass.DIGIT, /[0-9]/],
    [CharClass.UPPER, /[A-Z]/],
    [CharClass.UNDERSCORE, /_/],
    [CharClass.AT, /@/],
    [CharClass.EQUALS, /=/],
    [CharClass.COLON, /:/],
    [CharClass.PLUS, /\+/],
    [CharClass.DOT, /\./],
    [CharClass.DASH, /-/],
    [CharClass.LETTER_B, /[bB]/],
    [CharClass.LETTER_R, /[rR]/],
    [CharClass.LOWER_X, /x/],
  ];
  return {
    digits: (text.match(/[0-9]/g) ?? []).length,
    upper: (text.match(/[A-Z]/g) ?? []).length,
    seen: classes.reduce((bits, [bit, re]) => (re.test(text) ? bits | bit : bits), 0),
  };
}

describe("character tables", () => {
  it("span and trace ID checks agree with their regex definitions", () => {
    // Mostly right-length candidates, so the hex and zero checks (not the length test) decide.
    const candidates = [
      ...randomStrings(20_000, 1, 20),
      ...randomStrings(20_000, 2, 16).map((s) => s.padEnd(16, "0").slice(0, 16)),
      ...randomStrings(20_000, 3, 32).map((s) => s.padEnd(32, "f").slice(0, 32)),
      "0000000000000000",
      "00000000000000000000000000000000",
      "00000000000000a0",
      "ABCDEF0123456789",
    ];
    let valid = 0;
    for (const s of candidates) {
      const hex = /^[0-9a-fA-F]*$/.test(s);
      const zero = /^0*$/.test(s);
      expect(isHex(s), s).toBe(hex);
      expect(isAllZeroId(s), s).toBe(zero);
      expect(isValidSpanId(s), s).toBe(s.length === 16 && hex && !zero);
      expect(isValidTraceId(s), s).toBe(s.length === 32 && hex && !zero);
      if (isValidSpanId(s)) valid++;
    }
    // The sample exercises both answers.
    expect(valid).toBeGreaterThan(10);
  });

  it("the PII text profile agrees with counting by regex", () => {
    for (const text of randomStrings(30_000, 4, 40)) expect(profileOf(text), text).toEqual(referenceProfile(text));
  });
});

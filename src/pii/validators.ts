// Checksums and structural checks that turn "looks like" into "is": every detector that can be
// validated is, because false positives (order numbers, timestamps, IDs) matter as much as misses.

/** Luhn (mod-10) check over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "jcb" | "diners";

interface IinRange {
  brand: CardBrand;
  /** Prefix length compared numerically against [from, to]. */
  prefixLength: number;
  from: number;
  to: number;
  lengths: readonly number[];
}

// Issuer identification number ranges of the accepted networks (ISO/IEC 7812 allocations as the
// networks publish them).
const IIN_RANGES: readonly IinRange[] = [
  { brand: "visa", prefixLength: 1, from: 4, to: 4, lengths: [13, 16, 19] },
  { brand: "mastercard", prefixLength: 2, from: 51, to: 55, lengths: [16] },
  { brand: "mastercard", prefixLength: 4, from: 2221, to: 2720, lengths: [16] },
  { brand: "amex", prefixLength: 2, from: 34, to: 34, lengths: [15] },
  { brand: "amex", prefixLength: 2, from: 37, to: 37, lengths: [15] },
  { brand: "discover", prefixLength: 4, from: 6011, to: 6011, lengths: [16, 17, 18, 19] },
  { brand: "discover", prefixLength: 3, from: 644, to: 649, lengths: [16, 17, 18, 19] },
  { brand: "discover", prefixLength: 2, from: 65, to: 65, lengths: [16, 17, 18, 19] },
  { brand: "discover", prefixLength: 6, from: 622126, to: 622925, lengths: [16, 17, 18, 19] },
  { brand: "jcb", prefixLength: 4, from: 3528, to: 3589, lengths: [16, 17, 18, 19] },
  { brand: "diners", prefixLength: 3, from: 300, to: 305, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: "diners", prefixLength: 2, from: 36, to: 36, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: "diners", prefixLength: 2, from: 38, to: 39, lengths: [14, 15, 16, 17, 18, 19] },
];

/** The card network for a digit string, or undefined when no known IIN range and length match. */
export function cardBrand(digits: string): CardBrand | undefined {
  for (const range of IIN_RANGES) {
    if (!range.lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, range.prefixLength));
    if (prefix >= range.from && prefix <= range.to) return range.brand;
  }
  return undefined;
}

/** A payment card number: 13–19 digits, a known IIN range with a valid length, and Luhn. */
export function cardNumberValid(digits: string): boolean {
  return /^\d{13,19}$/.test(digits) && cardBrand(digits) !== undefined && luhnValid(digits);
}

// IBAN lengths per country (SWIFT IBAN registry).
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/** An IBAN (spaces removed, upper case): known country, that country's length, mod-97 == 1. */
export function ibanValid(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  if (expected === undefined || compact.length !== expected || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** US SSN in `ddd-dd-dddd` form: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === "000" || area === "666" || area.startsWith("9")) return false;
  return group !== "00" && serial !== "0000";
}

function base64UrlDecode(part: string): string | undefined {
  try {
    const standard = part.replace(/-/g, "+").replace(/_/g, "/");
    return atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
  } catch {
    return undefined;
  }
}

/**
 * The credentials of an HTTP Basic `Authorization` header (RFC 7617): base64 of `user:password`
 * with printable characters and a non-empty password. Prose after "Basic" (`Basic authentication`,
 * `Basic realm=…`) does not decode to that.
 */
export function basicCredentialsValid(encoded: string): boolean {
  const unpadded = encoded.replace(/=+$/, "");
  if (unpadded.length % 4 === 1 || encoded.length - unpadded.length > 2) return false;
  let decoded: string;
  try {
    decoded = atob(unpadded.padEnd(Math.ceil(unpadded.length / 4) * 4, "="));
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  // Printable ASCII or Latin-1 letters only: random base64 decodes to control bytes.
  return colon >= 0 && colon < decoded.length - 1 && /^[\x20-\x7e\xa0-\xff]+$/.test(decoded);
}

/** A JWS/JWE compact token: 3 or 5 dot-separated parts whose header is JSON with an `alg`. */
export function jwtValid(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3 && parts.length !== 5) return false;
  const header = base64UrlDecode(parts[0]!);
  if (header === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(header);
    return typeof parsed === "object" && parsed !== null && "alg" in parsed;
  } catch {
    return false;
  }
}

/** A dotted-quad IPv4 address with octets 0–255 and no leading zeros. */
export function ipv4Valid(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** An IPv6 address: 8 hex groups, or fewer with exactly one `::`, optional trailing IPv4. */
export function ipv6Valid(text: string): boolean {
  let body = text;
  let groupsForV4 = 0;
  const lastColon = body.lastIndexOf(":");
  const tail = body.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!ipv4Valid(tail)) return false;
    body = `${body.slice(0, lastColon + 1)}0`;
    groupsForV4 = 1;
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = groups.length + groupsForV4;
  return halves.length === 2 ? count <= 7 : count === 8;
}

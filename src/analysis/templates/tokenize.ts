// Splits a span name into tokens that join back to the exact name: separators are tokens too, so
// a template renders with the producer's own punctuation (`GET /users/{id}`, `batch job {id}: done`).
import { classifyPart, classifyToken, isPlaceholder, maskStructures, Placeholder } from "./classify";

// Outer separators delimit path segments, words and query pairs; placeholders stay atomic.
const OUTER_RE = /(\{[A-Za-z_*][\w.*-]*\}|[\s/?&,;()[\]<>|"'#!]+)/;
// Inside a segment that is not a value as a whole, parts around these may still be values.
const INNER_RE = /([=:.@*_-]+)/;

function isSeparator(token: string): boolean {
  return token !== "" && !isPlaceholder(token) && /^[^A-Za-z0-9]+$/.test(token) && !/[{}]/.test(token);
}

/** Raw tokens of a name (no masking). Separators are kept; empty strings are dropped. */
export function splitTokens(name: string): string[] {
  return name.split(OUTER_RE).filter((t) => t !== "");
}

/**
 * The name's template tokens: variable values replaced by placeholders. Joining them gives the
 * template text (see `renderTemplate`).
 */
export function templateTokens(name: string): string[] {
  const out: string[] = [];
  /** Positions of single digits kept literal as part of a word (`utf-8`, `team-3`). */
  const singleDigits: number[] = [];
  let values = 0;
  for (const segment of splitTokens(maskStructures(name))) {
    if (isPlaceholder(segment) || isSeparator(segment)) {
      if (isPlaceholder(segment)) values++;
      out.push(segment);
      continue;
    }
    const whole = classifyToken(segment);
    if (whole) {
      values++;
      out.push(whole);
      continue;
    }
    for (const part of segment.split(INNER_RE)) {
      if (part === "") continue;
      if (INNER_RE.test(part) && isSeparator(part)) {
        out.push(part);
        continue;
      }
      const placeholder = classifyPart(part, segment);
      if (placeholder !== undefined) values++;
      else if (isSingleDigit(part)) singleDigits.push(out.length);
      out.push(placeholder ?? part);
    }
  }
  // A single digit joined to a word names something (`sha-1`) in a name that is otherwise
  // constant; in a name that carries values anyway it is one more (`team-3/pods/{id}`,
  // `app-7.log` next to `{id}` parts), or every digit would split the template in ten.
  if (values > 0) for (const i of singleDigits) out[i] = Placeholder.ID;
  return mergeAdjacentSeparators(out);
}

function isSingleDigit(part: string): boolean {
  return part.length === 1 && part.charCodeAt(0) >= 48 && part.charCodeAt(0) <= 57;
}

function mergeAdjacentSeparators(tokens: string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if (last !== undefined && isSeparator(last) && isSeparator(token)) out[out.length - 1] = last + token;
    else out.push(token);
  }
  return out;
}

export function tokenIsSeparator(token: string): boolean {
  return isSeparator(token);
}

export function renderTemplate(tokens: readonly string[]): string {
  return tokens.join("");
}

/** The template for one name on its own (no clustering). */
export function deriveTemplate(name: string): string {
  return renderTemplate(templateTokens(name));
}

/** True when the template has at least one placeholder (some part of the name is a value). */
export function hasPlaceholder(tokens: readonly string[]): boolean {
  return tokens.some(isPlaceholder);
}

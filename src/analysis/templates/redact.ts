// A template keeps the parts that every name of its cluster shares, and a shared part can itself be
// sensitive: one customer's address in every `GET /users/<address>/orders/<id>`, a password in every
// `connect password=<secret> try <n>`. Before a template is quoted (finding subject, message,
// Collector snippet), each run of tokens that holds a detected value becomes one `{redacted}`
// placeholder: the template stays a pattern of the same names, and the suggested name drops the value.
import { BUILTIN_DETECTORS } from "../../pii/detectors";
import { findPii } from "../../pii/scan";
import { Placeholder } from "./classify";

/** `tokens` with every token that overlaps a detected value replaced (one placeholder per value). */
export function redactTemplateTokens(tokens: readonly string[]): readonly string[] {
  const matches = findPii(tokens.join(""), BUILTIN_DETECTORS);
  if (matches.length === 0) return tokens;
  const out: string[] = [];
  let at = 0;
  let next = 0;
  let lastMatch = -1;
  for (const token of tokens) {
    const start = at;
    const end = (at += token.length);
    while (next < matches.length && matches[next]!.end <= start) next++;
    const match = matches[next];
    if (match === undefined || match.start >= end) {
      out.push(token);
      continue;
    }
    // Tokens of one value (`jane`, `.`, `doe%40gmail`, `.`, `com`) become a single placeholder.
    if (lastMatch !== next) out.push(Placeholder.REDACTED);
    lastMatch = next;
  }
  return out;
}

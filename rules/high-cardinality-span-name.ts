// Span names that embed values (IDs, emails, dates, query strings): per (service, span kind), count
// distinct names and fold them into templates; report each template that absorbs many names.
import { z } from "zod";
import { DistinctCounter, type DistinctCounterState } from "../src/analysis/sketch/distinct-counter";
import { hash64, hashHex, type Hash64 } from "../src/analysis/sketch/hash";
import { DEFAULT_DRAIN_OPTIONS, Drain, type DrainMatch } from "../src/analysis/templates/drain";
import { hasPlaceholder, renderTemplate, templateTokens } from "../src/analysis/templates/tokenize";
import { Memo } from "../src/engine/memo";
import { defineRule } from "../src/engine/rule";
import { SPAN_KIND_NAMES, type SpanKind } from "../src/model/span";
import { redactText } from "../src/pii/redact";
import { cardinalityFix } from "../src/remediation/span-names";

/** Distinct names per (service, kind) counted exactly before the HyperLogLog takes over. */
const KEY_EXACT_CAP = 1_000;
const KEY_HLL_PRECISION = 12;
/** Distinct names per template counted exactly; past this the template keeps a small sketch. */
const TEMPLATE_EXACT_CAP = 128;
const TEMPLATE_HLL_PRECISION = 10;
/** (service, kind) pairs tracked; spans of further pairs are not counted. */
const MAX_KEYS = 2_000;
/**
 * Name → (tokens, hash, masked example) memo, cleared when full (names repeat a lot across spans;
 * all three are pure functions of the name, see src/engine/memo.ts).
 */
const TOKEN_CACHE_SIZE = 10_000;

interface NameFacts {
  tokens: string[];
  hash: Hash64;
  hex: string;
  /** PII-masked name, computed when first quoted as an example. */
  redacted?: string;
  /**
   * (service, kind) keys this name was counted under, with its template there (a few: a CLIENT
   * span's name is often its SERVER span's too). While that template's group is unchanged, a span
   * with this name under that key changes nothing but span and trace counts: the name's hash is in
   * both distinct counters already, and adding it again would be a no-op.
   */
  seenIn: { state: KeyState; match: DrainMatch<TemplateStats> }[];
}

/** Keys remembered per name; a name seen under more is counted the long way. */
const KEYS_PER_NAME = 4;

const OptionsSchema = z.object({
  minDistinctNames: z
    .number().int().min(1).default(200)
    .describe("A (service, span kind) is high-cardinality from this many distinct span names."),
  minNamesPerTemplate: z
    .number().int().min(2).default(10)
    .describe("Within such a key, a template is reported when it absorbs at least this many distinct names."),
  maxTemplatesPerKey: z
    .number().int().min(1).max(10_000).default(DEFAULT_DRAIN_OPTIONS.maxClusters)
    .describe("Templates kept per (service, kind); names beyond are still counted, not templated."),
  maxExamples: z.number().int().min(1).max(10).default(3).describe("PII-masked raw names quoted per template."),
});
type Options = z.infer<typeof OptionsSchema>;

interface TemplateStats {
  spans: number;
  traces: number;
  /** The analysed trace that last counted here (process-local; counts each trace once). */
  lastTrace?: number;
  names: DistinctCounter;
  /** PII-masked raw names, first seen first. */
  examples: string[];
  example?: { traceId: string; spanId: string };
}

interface KeyState {
  service: string;
  kind: SpanKind;
  distinct: DistinctCounter;
  /** Spans whose name needed a template beyond `maxTemplatesPerKey`. */
  overflowSpans: number;
  drain: Drain<TemplateStats>;
}

interface TemplateSnapshot {
  tokens: string[];
  spans: number;
  traces: number;
  names: DistinctCounterState;
  examples: string[];
  example?: { traceId: string; spanId: string };
}

export interface HighCardinalitySnapshot {
  version: 1;
  keys: {
    service: string;
    kind: SpanKind;
    distinct: DistinctCounterState;
    overflowSpans: number;
    templates: TemplateSnapshot[];
  }[];
}

const keyCounterOptions = { exactCap: KEY_EXACT_CAP, precision: KEY_HLL_PRECISION };
const templateCounterOptions = { exactCap: TEMPLATE_EXACT_CAP, precision: TEMPLATE_HLL_PRECISION };

/** A distinct count for a message; an estimate never says more names than there were spans. */
function count(counter: DistinctCounter, atMost = Number.POSITIVE_INFINITY): string {
  return counter.isExact ? String(counter.count) : `about ${Math.min(counter.count, atMost)}`;
}

export default defineRule<Options, HighCardinalitySnapshot>({
  meta: {
    id: "high-cardinality-span-name",
    severity: "warning",
    description: "Span names that embed IDs or other values, folded into suggested templates.",
    docs: `
Counts, per **(service, span kind)**, the distinct span names seen across all traces (exactly up to
${KEY_EXACT_CAP} names, then with a HyperLogLog sketch, ≈1.6 % error). Each name is turned into a
template: it is tokenised (path segments, words, \`key=value\` pairs) and values are replaced by
placeholders — \`{id}\` (numbers, UUIDs, ULIDs, hex ≥ 8 chars, base64-ish tokens), \`{email}\`, \`{ip}\`,
\`{date}\`, \`{value}\` (query-string values) — then a DRAIN-style clusterer merges names that differ only
in data-like tokens (letters mixed with digits) into \`{*}\`. Names that differ in real words are never
merged.

A finding is one **template** of one (service, kind) whose key has at least \`minDistinctNames\`
(default 200) distinct names and which itself absorbs at least \`minNamesPerTemplate\` (default 10)
distinct names and contains a placeholder. Subject = the suggested template (e.g. \`GET /users/{id}\`),
category = the span kind, attributed to the spans' own service; occurrences = spans with that
template, traceCount = traces containing one. The message gives the distinct-name count and up to
\`maxExamples\` raw names, PII-masked. A service with many legitimate, already-constant names (words,
no values) is not reported however many names it has. Defaults and their calibration are in
\`docs/cardinality.md\`.

**Fix.** The finding's fix carries a ready-to-paste Collector \`transform\` processor
(\`replace_pattern\` folding the raw names into the template) and the instrumentation change: set
\`http.route\` for HTTP servers, otherwise keep the name constant and move the value to an attribute.
`.trim(),
    options: OptionsSchema,
  },
  create(context) {
    const options = context.options;
    const keys = new Map<string, KeyState>();
    /** kind → service → state: the same states as `keys`, found without building the id string. */
    const byKind = new Map<SpanKind, Map<string, KeyState>>();
    const names = new Memo<NameFacts>(TOKEN_CACHE_SIZE);
    const drainOptions = { ...DEFAULT_DRAIN_OPTIONS, maxClusters: options.maxTemplatesPerKey };

    const mergeStats = (into: TemplateStats, from: TemplateStats): void => {
      into.spans += from.spans;
      into.traces += from.traces;
      into.names.merge(from.names.snapshot());
      for (const e of from.examples) addExample(into.examples, e);
      into.example ??= from.example;
    };
    const addExample = (examples: string[], example: string): void => {
      if (examples.length < options.maxExamples && !examples.includes(example)) examples.push(example);
    };
    const keyState = (service: string, kind: SpanKind): KeyState | undefined => {
      let byService = byKind.get(kind);
      if (!byService) byKind.set(kind, (byService = new Map()));
      let state = byService.get(service);
      if (!state && keys.size < MAX_KEYS) {
        state = {
          service,
          kind,
          distinct: new DistinctCounter(keyCounterOptions),
          overflowSpans: 0,
          drain: new Drain<TemplateStats>(drainOptions, mergeStats),
        };
        keys.set(`${kind}\u0000${service}`, state);
        byService.set(service, state);
      }
      return state;
    };
    const factsOf = (name: string): NameFacts => {
      const hash = hash64(name);
      return { tokens: templateTokens(name), hash, hex: hashHex(hash), seenIn: [] };
    };
    const newStats = (): TemplateStats => ({ spans: 0, traces: 0, names: new DistinctCounter(templateCounterOptions), examples: [] });

    let traceNumber = 0;
    // Neighbouring spans mostly share service and kind: the last key's state skips two look-ups.
    let lastService: string | undefined;
    let lastKind: SpanKind | undefined;
    let lastState: KeyState | undefined;
    return {
      trace(trace) {
        traceNumber++;
        for (const span of trace.spans) {
          let state = lastState;
          if (span.service !== lastService || span.kind !== lastKind) {
            state = lastState = keyState(span.service, span.kind);
            lastService = span.service;
            lastKind = span.kind;
          }
          if (!state) continue;
          const facts = names.get(span.name, factsOf);
          let seen: NameFacts["seenIn"][number] | undefined;
          for (const s of facts.seenIn) if (s.state === state) seen = s;
          let stats: TemplateStats;
          if (seen !== undefined && state.drain.isCurrent(seen.match)) {
            stats = seen.match.cluster.payload;
          } else {
            state.distinct.addHash(facts.hash, facts.hex);
            const match = state.drain.match(facts.tokens, newStats);
            if (!match) {
              state.overflowSpans++;
              continue;
            }
            if (seen !== undefined) seen.match = match;
            else if (facts.seenIn.length < KEYS_PER_NAME) facts.seenIn.push({ state, match });
            stats = match.cluster.payload;
            stats.names.addHash(facts.hash, facts.hex);
          }
          stats.spans++;
          if (stats.examples.length < options.maxExamples) addExample(stats.examples, (facts.redacted ??= redactText(span.name)));
          stats.example ??= { traceId: trace.traceId, spanId: span.spanId };
          if (stats.lastTrace !== traceNumber) {
            stats.lastTrace = traceNumber;
            stats.traces++;
          }
        }
      },

      snapshot() {
        return {
          version: 1,
          keys: [...keys.values()].map((k) => ({
            service: k.service,
            kind: k.kind,
            distinct: k.distinct.snapshot(),
            overflowSpans: k.overflowSpans,
            templates: k.drain.clusters().map((c) => ({
              tokens: [...c.tokens],
              spans: c.payload.spans,
              traces: c.payload.traces,
              names: c.payload.names.snapshot(),
              examples: [...c.payload.examples],
              ...(c.payload.example ? { example: { ...c.payload.example } } : {}),
            })),
          })),
        };
      },

      merge(snapshot) {
        for (const k of snapshot.keys) {
          const state = keyState(k.service, k.kind);
          if (!state) continue;
          state.distinct.merge(k.distinct);
          state.overflowSpans += k.overflowSpans;
          for (const t of k.templates) {
            const stats: TemplateStats = {
              spans: t.spans,
              traces: t.traces,
              names: DistinctCounter.from(t.names, templateCounterOptions),
              examples: t.examples.slice(0, options.maxExamples),
              ...(t.example ? { example: t.example } : {}),
            };
            if (!state.drain.addCluster(t.tokens, stats)) state.overflowSpans += t.spans;
          }
        }
      },

      finish() {
        for (const state of keys.values()) {
          if (state.distinct.count < options.minDistinctNames) continue;
          const kindName = SPAN_KIND_NAMES[state.kind] ?? String(state.kind);
          for (const cluster of state.drain.clusters()) {
            const stats = cluster.payload;
            if (!hasPlaceholder(cluster.tokens) || stats.names.count < options.minNamesPerTemplate) continue;
            const template = renderTemplate(cluster.tokens);
            const examples = stats.examples.map((e) => JSON.stringify(e)).join(", ");
            context.report({
              service: state.service,
              subject: template,
              category: kindName,
              message:
                `${count(stats.names, stats.spans)} distinct ${kindName} span names of ${state.service} (${stats.spans} spans) ` +
                `fit the template "${template}"; the service has ${count(state.distinct)} distinct ${kindName} ` +
                `span names in all. Examples: ${examples}.`,
              occurrences: stats.spans,
              traceCount: stats.traces,
              ...(stats.example ? { example: { ...stats.example, evidence: stats.examples[0] ?? template } } : {}),
              fix: cardinalityFix(state.service, state.kind, cluster.tokens),
            });
          }
        }
      },
    };
  },
});

// Span names that embed values (IDs, emails, dates, query strings): per (service, span kind), count
// distinct names and fold them into templates; report each template that absorbs many names.
import { z } from "zod";
import { DistinctCounter, type DistinctCounterState } from "../src/analysis/sketch/distinct-counter";
import { hash64, hashHex, type Hash64 } from "../src/analysis/sketch/hash";
import { isDataLike } from "../src/analysis/templates/classify";
import { DEFAULT_DRAIN_OPTIONS, Drain, type Cluster, type DrainMatch } from "../src/analysis/templates/drain";
import { redactTemplateTokens } from "../src/analysis/templates/redact";
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
  /**
   * False for a constant name: no placeholder and no data-like token, so it could only ever join
   * a cluster of itself and never yield a finding. Such names are counted as distinct names but
   * take no template slot (else ~100 of them would fill `maxTemplatesPerKey` and hide the names
   * that do vary, depending on which came first).
   */
  varies: boolean;
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
  seenIn: { state: KeyState; match?: DrainMatch<TemplateStats> }[];
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
    .describe(
      "Templates kept per (service, kind). Constant names take none; when full, a new name replaces the lowest-ranked template still below minNamesPerTemplate (docs/cardinality.md), else it is only counted.",
    ),
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
  /**
   * Distinct names of the templates this one replaced when the key was full (Space-Saving, Metwally
   * et al. 2005): its rank for replacement is `inherited + names`, so a template whose names keep
   * coming is kept while one-off names take turns in the last slots. Never reported.
   */
  inherited: number;
}

interface KeyState {
  service: string;
  kind: SpanKind;
  distinct: DistinctCounter;
  /** Spans whose name found no template slot, or whose template was replaced (see `makeRoom`). */
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
  /** `TemplateStats.inherited`, when not 0. */
  inherited?: number;
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
merged; a word whose only digits are a version (\`GetUserV2\`, \`ValidateV2Request\`) is a real word.

Up to \`maxTemplatesPerKey\` (default 100) templates are kept per key. Constant names (no value, no
data-like token) take no template, so any number of them cannot crowd out the names that vary. When the
key is full, a name needing a new template replaces the template of lowest rank that is still below
\`minNamesPerTemplate\` (rank = its distinct names plus those of the templates it replaced,
Space-Saving style), so a template whose names keep coming is found whatever came before it.

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
      into.inherited += from.inherited;
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
      const tokens = templateTokens(name);
      return { tokens, varies: tokens.some(isDataLike), hash, hex: hashHex(hash), seenIn: [] };
    };
    const newStats = (): TemplateStats => ({ spans: 0, traces: 0, names: new DistinctCounter(templateCounterOptions), examples: [], inherited: 0 });
    /**
     * A template's distinct names, for ranking; past the exact cap (and so at least
     * `minNamesPerTemplate` names, with the default options) the sketch is not estimated again.
     */
    const namesIn = (cluster: Cluster<TemplateStats>): number => {
      const counter = cluster.payload.names;
      return counter.isExact || options.minNamesPerTemplate > TEMPLATE_EXACT_CAP ? counter.count : TEMPLATE_EXACT_CAP;
    };
    /**
     * The key is full and a new template is needed: drops the template of lowest rank (inherited +
     * names; the oldest among equals) that cannot be reported yet (fewer than `minNamesPerTemplate`
     * names) and whose rank is at most `atMost`, and returns that rank. Undefined when there is none.
     */
    const makeRoom = (state: KeyState, atMost: number): number | undefined => {
      let victim: Cluster<TemplateStats> | undefined;
      let victimRank = Number.POSITIVE_INFINITY;
      for (const cluster of state.drain.clusters()) {
        const own = namesIn(cluster);
        if (own >= options.minNamesPerTemplate) continue;
        const rank = cluster.payload.inherited + own;
        if (rank < victimRank) {
          victim = cluster;
          victimRank = rank;
        }
      }
      if (!victim || victimRank > atMost) return undefined;
      state.drain.remove(victim);
      state.overflowSpans += victim.payload.spans;
      return victimRank;
    };

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
          if (!facts.varies) {
            // Constant name: only its distinct count matters, and it is in the counter once seen.
            if (seen !== undefined) continue;
            state.distinct.addHash(facts.hash, facts.hex);
            if (facts.seenIn.length < KEYS_PER_NAME) facts.seenIn.push({ state });
            continue;
          }
          let stats: TemplateStats;
          if (seen?.match !== undefined && state.drain.isCurrent(seen.match)) {
            stats = seen.match.cluster.payload;
          } else {
            state.distinct.addHash(facts.hash, facts.hex);
            let match = state.drain.match(facts.tokens, newStats);
            if (!match) {
              // Full: a new name takes the lowest-ranked slot and inherits its rank (Space-Saving).
              const inherited = makeRoom(state, Number.POSITIVE_INFINITY);
              if (inherited !== undefined) {
                match = state.drain.match(facts.tokens, newStats);
                if (match) match.cluster.payload.inherited = inherited;
              }
            }
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
              ...(c.payload.inherited ? { inherited: c.payload.inherited } : {}),
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
            // A constant template (from an older snapshot) never yields a finding; its names are in `distinct`.
            if (!t.tokens.some(isDataLike)) continue;
            const stats: TemplateStats = {
              spans: t.spans,
              traces: t.traces,
              names: DistinctCounter.from(t.names, templateCounterOptions),
              examples: t.examples.slice(0, options.maxExamples),
              ...(t.example ? { example: t.example } : {}),
              inherited: t.inherited ?? 0,
            };
            if (state.drain.addCluster(t.tokens, stats)) continue;
            // Full: a shard's template replaces one of ours only if it ranks at least as high.
            if (makeRoom(state, stats.inherited + stats.names.count) === undefined || !state.drain.addCluster(t.tokens, stats)) {
              state.overflowSpans += t.spans;
            }
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
            // Quoted templates never carry a sensitive value the names share.
            const tokens = redactTemplateTokens(cluster.tokens);
            const template = renderTemplate(tokens);
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
              fix: cardinalityFix(state.service, state.kind, tokens),
            });
          }
        }
      },
    };
  },
});

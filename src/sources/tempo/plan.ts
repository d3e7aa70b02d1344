// The sampling plan: which searches to run so that the audited traces represent the window.
// Tempo returns the first N traces it finds, newest blocks first, so one big search would only
// see the last minutes and the busiest service. Instead: per service, and once window-wide (and
// for the user's TraceQL), search each of several time slices and pick round-robin across them.
import pLimit from "p-limit";
import type { SearchHit, TempoClient, TimeHint } from "./client";
import { TempoError } from "./errors";
import { sliceWindow, toUnixSeconds, type TimeWindow } from "./time";
import { ALL_TRACES_QUERY, serviceQuery } from "./traceql";
import { redactText } from "../../pii/redact";

export interface SamplingOptions {
  window: TimeWindow;
  /** Traces per discovered service (default 10; 0 skips per-service sampling). */
  perService: number;
  /** Window-wide sample, and the sample size of `query` (default 20). */
  windowSample: number;
  /** Optional user TraceQL, sampled like the window-wide `{}`. */
  query?: string;
  /** Time slices each stratum is spread over (default 4). */
  slices: number;
  /**
   * Services that get their own per-service sample, at most: the first ones in name order. The
   * others appear only through the window-wide sample (`servicesSampled` lists who got one).
   */
  maxServices: number;
  /** Concurrent searches. */
  concurrency: number;
  /** Stops the plan (the audit was interrupted): no further search starts; what was found is kept. */
  signal?: AbortSignal;
}

export const DEFAULT_SAMPLING = { perService: 10, windowSample: 20, slices: 4, maxServices: 200 } as const;

/** Tempo's tag-values answer is asked for this many service names at least. */
const SERVICE_LIST_LIMIT = 1000;

/** A group of searches whose hits are pooled and sampled together. */
export interface Stratum {
  label: string;
  kind: "service" | "window" | "query";
  service?: string;
  q: string;
  target: number;
  slices: { start: number; end: number }[];
}

export interface Candidate {
  traceId: string;
  /** Narrows trace-by-ID to the blocks around the trace. */
  hint: TimeHint;
  /** Strata that selected it (service names, `window`, `query`). */
  foundBy: string[];
}

export interface SearchStats {
  run: number;
  failed: number;
  /** Searches whose Tempo metrics reported unfinished jobs. */
  incomplete: number;
  /** The first failed searches (up to MAX_SEARCH_ERRORS): what was searched and why it failed. */
  errors: SearchFailure[];
}

export interface SearchFailure {
  /** The stratum searched: `service X`, `window` or `query`. */
  search: string;
  reason: string;
}

/** Failed searches kept with their reasons (the count covers all). */
export const MAX_SEARCH_ERRORS = 20;

export interface DiscoveryResult {
  candidates: Candidate[];
  servicesDiscovered: number;
  servicesSampled: string[];
  searches: SearchStats;
}

/** Margin around a trace's own time for the trace-by-ID hint (block ranges carry ingestion slack). */
const HINT_MARGIN_SECONDS = 30 * 60;

export function buildStrata(services: readonly string[], options: SamplingOptions): Stratum[] {
  const strata: Stratum[] = [];
  const make = (kind: Stratum["kind"], label: string, q: string, target: number, service?: string) => {
    if (target <= 0) return;
    strata.push({ kind, label, q, target, slices: sliceWindow(options.window, Math.min(options.slices, target)), ...(service !== undefined ? { service } : {}) });
  };
  make("window", "window", ALL_TRACES_QUERY, options.windowSample);
  if (options.query !== undefined && options.query.trim() !== "") make("query", "query", options.query, options.windowSample);
  // The label is what reports and stderr show: masked like every service name (src/model/span.ts).
  for (const service of services.slice(0, options.maxServices)) make("service", redactText(service), serviceQuery(service), options.perService, service);
  return strata;
}

/** Picks up to `target` distinct hits, one slice at a time in turn (newest slice first). */
export function pickSpread(perSlice: readonly SearchHit[][], target: number): SearchHit[] {
  const picked: SearchHit[] = [];
  const seen = new Set<string>();
  const cursors = perSlice.map(() => 0);
  let progressed = true;
  while (picked.length < target && progressed) {
    progressed = false;
    for (let s = 0; s < perSlice.length && picked.length < target; s++) {
      const hits = perSlice[s]!;
      while (cursors[s]! < hits.length) {
        const hit = hits[cursors[s]!++]!;
        if (seen.has(hit.traceId)) continue;
        seen.add(hit.traceId);
        picked.push(hit);
        progressed = true;
        break;
      }
    }
  }
  return picked;
}

function hintFor(hit: SearchHit, window: TimeWindow): TimeHint {
  if (hit.startTimeUnixNano === undefined) {
    return { start: toUnixSeconds(window.start) - HINT_MARGIN_SECONDS, end: toUnixSeconds(window.end) + HINT_MARGIN_SECONDS };
  }
  const startSeconds = Number(hit.startTimeUnixNano / 1_000_000_000n);
  const endSeconds = startSeconds + Math.ceil(hit.durationMs / 1000);
  return { start: Math.max(0, startSeconds - HINT_MARGIN_SECONDS), end: endSeconds + HINT_MARGIN_SECONDS };
}

/** Errors that no amount of other searches can work around: stop the audit. */
function isFatal(error: unknown): boolean {
  return error instanceof TempoError && (error.kind === "auth" || error.kind === "bad-request" || error.kind === "unreachable");
}

/**
 * Discovers services, runs every stratum's slice searches and returns the deduplicated
 * candidates in a stable order (strata order, then pick order).
 */
export async function discoverTraces(
  client: TempoClient,
  options: SamplingOptions,
  onSearch?: (done: number, total: number) => void,
): Promise<DiscoveryResult> {
  const windowSeconds = { start: toUnixSeconds(options.window.start), end: Math.max(Math.ceil(options.window.end.getTime() / 1000), toUnixSeconds(options.window.start) + 1) };
  // One name more than the cap (at least Tempo's usual 1000), so that a cut is seen as one.
  const services = options.perService > 0 ? await client.serviceNames(windowSeconds, Math.max(SERVICE_LIST_LIMIT, options.maxServices + 1)) : [];
  const strata = buildStrata(services, options);
  const limit = pLimit(Math.max(1, options.concurrency));
  const stats: SearchStats = { run: 0, failed: 0, incomplete: 0, errors: [] };
  const total = strata.reduce((n, s) => n + s.slices.length, 0);
  let done = 0;
  let fatal: unknown;
  const results = await Promise.all(
    strata.map((stratum) =>
      Promise.all(
        stratum.slices.map((slice) =>
          limit(async (): Promise<SearchHit[]> => {
            if (fatal || options.signal?.aborted) return [];
            try {
              const result = await client.search({ q: stratum.q, start: slice.start, end: slice.end, limit: stratum.target, spss: 1 });
              stats.run++;
              if (!result.complete) stats.incomplete++;
              return result.hits;
            } catch (error) {
              // Aborted by the interruption: not a failed search.
              if (options.signal?.aborted) return [];
              if (isFatal(error)) {
                fatal ??= error;
                return [];
              }
              stats.failed++;
              if (stats.errors.length < MAX_SEARCH_ERRORS) stats.errors.push({ search: stratum.kind === "service" ? `service ${stratum.label}` : stratum.label, reason: (error as Error).message });
              return [];
            } finally {
              onSearch?.(++done, total);
            }
          }),
        ),
      ),
    ),
  );
  if (fatal) throw fatal;
  if (total > 0 && stats.failed === total) {
    const first = stats.errors[0];
    throw new TempoError("http", `every search failed (${first ? `${first.search}: ${first.reason}` : "no detail"})`);
  }
  const byId = new Map<string, Candidate>();
  strata.forEach((stratum, i) => {
    for (const hit of pickSpread(results[i]!, stratum.target)) {
      const existing = byId.get(hit.traceId);
      if (existing) existing.foundBy.push(stratum.label);
      else byId.set(hit.traceId, { traceId: hit.traceId, hint: hintFor(hit, options.window), foundBy: [stratum.label] });
    }
  });
  return {
    candidates: [...byId.values()],
    servicesDiscovered: services.length,
    servicesSampled: services.slice(0, options.maxServices),
    searches: stats,
  };
}

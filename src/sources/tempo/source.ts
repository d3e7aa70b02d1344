// `TempoSource`: the audit's view of a Tempo — discover services, run the sampling plan, then
// stream the sampled traces, and describe all of it in the report's `source` section.
import type { Trace } from "../../model/trace";
import type { TempoQuerySource } from "../../report/schema";
import type { SourceItem, SourceProgress, TraceSource } from "../../pipeline/audit";
import type { TempoAuth } from "./auth";
import { TempoClient, type TempoClientOptions } from "./client";
import { fetchTraces } from "./fetch-traces";
import { discoverTraces, type DiscoveryResult, type SamplingOptions } from "./plan";

export interface TempoSourceOptions {
  client: TempoClientOptions;
  sampling: SamplingOptions;
  ingestionDelayMs: number;
  /** Concurrent trace fetches (default 4; Workers allow 6 connections waiting for headers). */
  concurrency: number;
  now?: () => number;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_INGESTION_DELAY_MS = 5 * 60_000;
const MAX_LISTED_FAILURES = 100;

function authKinds(auth: TempoAuth | undefined): string[] {
  const kinds: string[] = [];
  if (auth?.basic) kinds.push("basic");
  if (auth?.bearerToken) kinds.push("bearer");
  if (auth?.headers && Object.keys(auth.headers).length > 0) kinds.push("headers");
  return kinds;
}

export class TempoSource implements TraceSource {
  readonly client: TempoClient;
  readonly #options: TempoSourceOptions;
  readonly #now: () => number;
  #discovery: DiscoveryResult | undefined;
  #counts = { requested: 0, fetched: 0, partial: 0, notFound: 0, failed: 0 };
  #failures: { traceId: string; reason: string }[] = [];
  #startedAt = 0;
  #finishedAt = 0;

  constructor(options: TempoSourceOptions) {
    this.#options = options;
    this.client = new TempoClient(options.client);
    this.#now = options.now ?? Date.now;
  }

  async *items(onProgress?: (progress: SourceProgress) => void): AsyncGenerator<SourceItem> {
    this.#startedAt = this.#now();
    const c = this.#counts;
    const report = (phase: SourceProgress["phase"], done: number, total: number) =>
      onProgress?.({ phase, done, total, failed: c.failed, partial: c.partial, notFound: c.notFound });
    report("discover", 0, 0);
    this.#discovery = await discoverTraces(this.client, this.#options.sampling, (done, total) => report("search", done, total));
    // A failed search loses part of the sample (a service's traces, say): named like a failed trace.
    for (const failure of this.#discovery.searches.errors) yield { kind: "failure", name: `search ${failure.search}`, reason: failure.reason };
    const candidates = this.#discovery.candidates;
    c.requested = candidates.length;
    report("fetch", 0, c.requested);
    let done = 0;
    for await (const outcome of fetchTraces(this.client, candidates, this.#options.concurrency)) {
      done++;
      const traceId = outcome.candidate.traceId;
      if (outcome.kind === "found") {
        c.fetched++;
        if (outcome.partialReason !== undefined) c.partial++;
        report("fetch", done, c.requested);
        const name = `trace ${traceId}`;
        yield { kind: "input", name, errors: outcome.decodeErrors };
        for (const trace of outcome.traces) yield { kind: "trace", trace: trace as Trace };
      } else if (outcome.kind === "not-found") {
        c.notFound++;
        report("fetch", done, c.requested);
      } else {
        c.failed++;
        if (this.#failures.length < MAX_LISTED_FAILURES) this.#failures.push({ traceId, reason: outcome.reason });
        report("fetch", done, c.requested);
        yield { kind: "failure", name: `trace ${traceId}`, reason: outcome.reason };
      }
    }
    this.#finishedAt = this.#now();
    report("done", done, c.requested);
  }

  section(): TempoQuerySource {
    const o = this.#options;
    const d = this.#discovery;
    return {
      kind: "tempo",
      url: this.client.displayUrl,
      tenant: o.client.tenant ?? null,
      auth: authKinds(o.client.auth),
      window: {
        start: o.sampling.window.start.toISOString(),
        end: o.sampling.window.end.toISOString(),
        ingestionDelaySeconds: Math.round(o.ingestionDelayMs / 1000),
      },
      sampling: {
        perService: o.sampling.perService,
        windowSample: o.sampling.windowSample,
        query: o.sampling.query ?? null,
        slices: o.sampling.slices,
        servicesDiscovered: d?.servicesDiscovered ?? 0,
        servicesSampled: d?.servicesSampled ?? [],
      },
      searches: { run: d?.searches.run ?? 0, failed: d?.searches.failed ?? 0, incomplete: d?.searches.incomplete ?? 0 },
      traces: { ...this.#counts },
      failures: [...this.#failures],
      durationMs: Math.max(0, (this.#finishedAt || this.#now()) - this.#startedAt),
    };
  }
}

// `TempoSource`: the audit's view of a Tempo — discover services, run the sampling plan, then
// stream the sampled traces, and describe all of it in the report's `source` section.
import type { Trace } from "../../model/trace";
import type { TempoQuerySource } from "../../report/schema";
import type { SourceItem, SourceProgress, TraceSource } from "../../pipeline/audit";
import type { TempoAuth } from "./auth";
import { TempoClient, type TempoClientOptions } from "./client";
import { InterruptedError } from "./errors";
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

/** The input error an interrupted audit's report carries (`summary.inputErrors[].file`). */
export const INTERRUPTED_INPUT = "audit interrupted";

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
  /** Aborted by `stop()`: no request starts after it, those in flight are cut short. */
  readonly #stop = new AbortController();
  #stopReason: string | undefined;
  /** Every sampled trace has been dealt with: stopping now cuts nothing short. */
  #complete = false;

  constructor(options: TempoSourceOptions) {
    this.#options = options;
    this.client = new TempoClient({ ...options.client, signal: this.#stop.signal });
    this.#now = options.now ?? Date.now;
  }

  /**
   * Stops the audit early (Ctrl-C, SIGTERM): no search or fetch starts any more, requests in flight
   * are aborted, and `items` ends after yielding the traces already fetched, then an input error
   * named INTERRUPTED_INPUT that says how much of the sample was not fetched. Returns false when
   * it comes too late to cut anything short (every sampled trace is in); `interrupted` says in the
   * end whether something was.
   */
  stop(reason: string): boolean {
    if (this.#complete || this.#stopReason !== undefined) return this.#stopReason !== undefined;
    this.#stopReason = reason;
    this.#stop.abort(new InterruptedError(reason));
    return true;
  }

  /** Why the audit was stopped early (the reason given to `stop`), or undefined when nothing was cut short. */
  get interrupted(): string | undefined {
    return this.#stopReason;
  }

  async *items(onProgress?: (progress: SourceProgress) => void): AsyncGenerator<SourceItem> {
    this.#startedAt = this.#now();
    const c = this.#counts;
    const report = (phase: SourceProgress["phase"], done: number, total: number) =>
      onProgress?.({ phase, done, total, failed: c.failed, partial: c.partial, notFound: c.notFound });
    report("discover", 0, 0);
    const signal = this.#stop.signal;
    try {
      this.#discovery = await discoverTraces(this.client, { ...this.#options.sampling, signal }, (done, total) => report("search", done, total));
    } catch (error) {
      // Stopped while listing the services: nothing was found, nothing is fetched.
      if (!(error instanceof InterruptedError && signal.aborted)) throw error;
      this.#discovery = { candidates: [], servicesDiscovered: 0, servicesSampled: [], searches: { run: 0, failed: 0, incomplete: 0, errors: [] } };
    }
    const searchesCut = signal.aborted;
    // A failed search loses part of the sample (a service's traces, say): named like a failed trace.
    for (const failure of this.#discovery.searches.errors) yield { kind: "failure", name: `search ${failure.search}`, reason: failure.reason };
    const candidates = this.#discovery.candidates;
    c.requested = candidates.length;
    if (!signal.aborted) report("fetch", 0, c.requested);
    let done = 0;
    // Stopped during the searches: no fetch starts (fetchTraces checks the signal).
    for await (const outcome of fetchTraces(this.client, candidates, this.#options.concurrency, signal)) {
      // Cut short by stop(): neither fetched nor failed, only "not fetched" in the closing note.
      if (outcome.kind === "interrupted") continue;
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
    this.#complete = true;
    this.#finishedAt = this.#now();
    // Stopped once every sampled trace was in: nothing is missing, the report is whole.
    if (this.#stopReason !== undefined && !searchesCut && done === c.requested) this.#stopReason = undefined;
    if (this.#stopReason !== undefined) {
      const reason =
        done === 0
          ? `${this.#stopReason}: stopped before any sampled trace was fetched`
          : `${this.#stopReason}: stopped after ${done} of ${c.requested} sampled traces (${c.fetched} fetched); the other ${c.requested - done} were not fetched, so findings in them are missing`;
      yield { kind: "failure", name: INTERRUPTED_INPUT, reason };
    }
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

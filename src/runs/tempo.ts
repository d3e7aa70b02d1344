// The Tempo query-API source, split the way a fanned-out run needs it: plan (discover services,
// sample trace IDs) once, then fetch and analyse any subset of the sampled IDs in any invocation,
// and describe the whole run in the report's `source` section from the plan and the batches' counts.
import type { Analyzer } from "../engine/analyzer";
import type { TempoSourceConfig } from "../config/deployment";
import type { TempoQuerySource } from "../report/schema";
import { authFromEnv, AUTH_ENV_VARS, type TempoAuth } from "../sources/tempo/auth";
import { TempoClient, type TempoClientOptions } from "../sources/tempo/client";
import { fetchTraces } from "../sources/tempo/fetch-traces";
import { discoverTraces, type Candidate } from "../sources/tempo/plan";
import { parseDuration, resolveWindow, type TimeWindow } from "../sources/tempo/time";
import type { CandidateRef, FetchCounts, RunPlan } from "./types";

/** Queue messages are limited to 128 KB including ~100 B of metadata; stay well clear of it. */
export const MAX_MESSAGE_BYTES = 100_000;
const MAX_LISTED_FAILURES = 100;

/** Credentials from the secrets the audit names (default: the CLI's TEMPO_* variables). */
export function tempoAuth(source: TempoSourceConfig, secrets: Record<string, string | undefined>): TempoAuth {
  const c = source.credentials;
  return authFromEnv({
    [AUTH_ENV_VARS.token]: secrets[c.tokenEnv ?? AUTH_ENV_VARS.token],
    [AUTH_ENV_VARS.user]: secrets[c.userEnv ?? AUTH_ENV_VARS.user],
    [AUTH_ENV_VARS.password]: secrets[c.passwordEnv ?? AUTH_ENV_VARS.password],
    [AUTH_ENV_VARS.headers]: secrets[c.headersEnv ?? AUTH_ENV_VARS.headers],
  });
}

export function tempoClient(source: TempoSourceConfig, secrets: Record<string, string | undefined>, fetchImpl?: typeof fetch): TempoClient {
  const options: TempoClientOptions = {
    baseUrl: source.url,
    auth: tempoAuth(source, secrets),
    timeoutMs: parseDuration(source.timeout),
    preferProtobuf: source.preferProtobuf,
    ...(source.tenant !== undefined ? { tenant: source.tenant } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
  return new TempoClient(options);
}

export function auditWindow(source: TempoSourceConfig, scheduledTime: Date): TimeWindow {
  return resolveWindow({ now: scheduledTime, ingestionDelayMs: parseDuration(source.ingestionDelay), sinceMs: parseDuration(source.since) });
}

export interface TempoDiscovery {
  candidates: CandidateRef[];
  discovery: NonNullable<RunPlan["discovery"]>;
}

/** Runs the sampling plan (searches only; no trace is fetched yet). */
export async function discoverTempo(client: TempoClient, source: TempoSourceConfig, window: TimeWindow): Promise<TempoDiscovery> {
  const result = await discoverTraces(client, {
    window,
    perService: source.perService,
    windowSample: source.traces,
    ...(source.query !== undefined ? { query: source.query } : {}),
    slices: source.slices,
    maxServices: source.maxServices,
    concurrency: source.concurrency,
  });
  return {
    candidates: result.candidates.map((c) => ({ traceId: c.traceId, start: c.hint.start, end: c.hint.end })),
    discovery: {
      servicesDiscovered: result.servicesDiscovered,
      servicesSampled: result.servicesSampled,
      searches: { run: result.searches.run, failed: result.searches.failed, incomplete: result.searches.incomplete, errors: result.searches.errors },
    },
  };
}

/** Splits the sample into batches of at most `size` trace IDs and `maxBytes` of message JSON. */
export function splitBatches(candidates: readonly CandidateRef[], size: number, maxBytes = MAX_MESSAGE_BYTES): CandidateRef[][] {
  const batches: CandidateRef[][] = [];
  let current: CandidateRef[] = [];
  let bytes = 0;
  const overhead = 200; // the message envelope: kind, run and batch IDs
  for (const candidate of candidates) {
    const itemBytes = JSON.stringify(candidate).length + 1;
    if (current.length > 0 && (current.length >= size || overhead + bytes + itemBytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(candidate);
    bytes += itemBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function emptyCounts(): FetchCounts {
  return { requested: 0, fetched: 0, partial: 0, notFound: 0, failed: 0 };
}

/**
 * Fetches these traces and feeds them to the analyzer, exactly as `auditSource` does for a whole
 * TempoSource (one input per fetched trace, decode problems and failures as input errors).
 */
export async function analyseCandidates(
  client: TempoClient,
  candidates: readonly CandidateRef[],
  concurrency: number,
  analyzer: Analyzer,
): Promise<{ counts: FetchCounts; failures: { traceId: string; reason: string }[] }> {
  const counts = emptyCounts();
  const failures: { traceId: string; reason: string }[] = [];
  counts.requested = candidates.length;
  const asCandidates: Candidate[] = candidates.map((c) => ({ traceId: c.traceId, hint: { start: c.start, end: c.end }, foundBy: [] }));
  for await (const outcome of fetchTraces(client, asCandidates, concurrency)) {
    const name = `trace ${outcome.candidate.traceId}`;
    if (outcome.kind === "found") {
      counts.fetched++;
      if (outcome.partialReason !== undefined) counts.partial++;
      analyzer.noteInput();
      for (const message of outcome.decodeErrors) analyzer.recordInputError(name, message);
      for (const trace of outcome.traces) analyzer.addTrace(trace);
    } else if (outcome.kind === "not-found") {
      counts.notFound++;
    } else {
      counts.failed++;
      if (failures.length < MAX_LISTED_FAILURES) failures.push({ traceId: outcome.candidate.traceId, reason: outcome.reason });
      analyzer.recordInputError(name, outcome.reason);
    }
  }
  return { counts, failures };
}

export function addCounts(into: FetchCounts, add: FetchCounts): void {
  into.requested += add.requested;
  into.fetched += add.fetched;
  into.partial += add.partial;
  into.notFound += add.notFound;
  into.failed += add.failed;
}

function authKinds(auth: TempoAuth): string[] {
  const kinds: string[] = [];
  if (auth.basic) kinds.push("basic");
  if (auth.bearerToken) kinds.push("bearer");
  if (auth.headers && Object.keys(auth.headers).length > 0) kinds.push("headers");
  return kinds;
}

/** Each failed search of the plan as an input error, as the CLI's audit records them. */
export function recordSearchFailures(plan: RunPlan, analyzer: Analyzer): void {
  for (const failure of plan.discovery?.searches.errors ?? []) analyzer.recordInputError(`search ${failure.search}`, failure.reason);
}

/** The report's `source` section for a run, inline or merged from batches. */
export function tempoSection(
  plan: RunPlan,
  client: TempoClient,
  auth: TempoAuth,
  counts: FetchCounts,
  failures: { traceId: string; reason: string }[],
  finishedAtMs: number,
): TempoQuerySource {
  const s = plan.audit.source as TempoSourceConfig;
  const discovery = plan.discovery ?? { servicesDiscovered: 0, servicesSampled: [], searches: { run: 0, failed: 0, incomplete: 0 } };
  return {
    kind: "tempo",
    url: client.displayUrl,
    tenant: s.tenant ?? null,
    auth: authKinds(auth),
    window: { start: plan.window.start, end: plan.window.end, ingestionDelaySeconds: Math.round(plan.ingestionDelayMs / 1000) },
    sampling: {
      perService: s.perService,
      windowSample: s.traces,
      query: s.query ?? null,
      slices: s.slices,
      servicesDiscovered: discovery.servicesDiscovered,
      servicesSampled: discovery.servicesSampled,
    },
    searches: { run: discovery.searches.run, failed: discovery.searches.failed, incomplete: discovery.searches.incomplete },
    traces: { ...counts },
    failures: failures.slice(0, MAX_LISTED_FAILURES),
    durationMs: Math.max(0, finishedAtMs - plan.startedAtMs),
  };
}

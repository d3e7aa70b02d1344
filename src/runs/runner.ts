// An audit run from trigger to report, the same on the Worker and on `tracelint serve`:
//
//   createRun   → run record `queued`
//   executeRun  → plan (Tempo searches, or the block/object list of an object-storage source);
//                 small audits are analysed right here ("inline"); larger ones are split into
//                 batches (trace IDs; trace-ID partitions for object storage, see partition.ts),
//                 pinned in `runs/<id>/plan.json` and sent to the queue
//   processBatch→ one queue message: fetch/read + analyse its traces, store the mergeable partial state
//                 under the run (keyed by batch ID), then count the batch in the RunCounter
//   finalizeRun → the consumer the counter elects merges every part, compares with the previous
//                 run (delta), stores the report, the `latest` pointer and history, then sends alerts
//
// A re-delivered batch is skipped when already counted, and if it races its first delivery its
// part is overwritten (same key) and the counter counts it once, so nothing is counted twice.
import { Analyzer } from "../engine/analyzer";
import { resolveAuditRules, type AuditConfig, type DeploymentConfig, type ObjectSourceConfig, type TempoSourceConfig } from "../config/deployment";
import type { ResolvedConfig } from "../engine/config";
import type { ObjectStore } from "../storage/object-store";
import type { Report } from "../report/schema";
import { TempoError } from "../sources/tempo/errors";
import { AuthConfigError } from "../sources/tempo/auth";
import { newRunId } from "./keys";
import type { RunCounter } from "./ledger";
import { attachDelta, recordFinished, sendAlerts, storeReport, type RunLog } from "./publish";
import { nothingRead } from "./nothing-read";
import { RunStore } from "./run-store";
import { analysePartition, objectSection, objectWindow, planArchive, planBlocks } from "./objects";
import { releaseStore, s3TraceStore, TraceStoreConfigError, type TraceStoreFor } from "./object-stores";
import { WHOLE_ID_SPACE } from "./partition";
import { analyseShuffled, planShuffle, removeShuffleFiles, shuffleCounterId, shuffleObjects, shuffleReads } from "./shuffle";
import { addCounts, analyseCandidates, auditWindow, discoverTempo, emptyCounts, splitBatches, recordSearchFailures, tempoAuth, tempoClient, tempoSection } from "./tempo";
import type { ObjectPartResult, ObjectPlan, QueueMessage, RunPlan, RunRecord, RunTrigger } from "./types";

/** Batches per run at most (the batch size grows beyond this; ~200 000 traces at the default size). */
export const MAX_BATCHES = 4_000;

export interface RunDeps {
  store: RunStore;
  counter: RunCounter;
  /** Sends queue messages; without it every run is analysed inline. */
  enqueue?: (messages: QueueMessage[]) => Promise<void>;
  /** Secrets and variables: Tempo credentials and webhook URLs are looked up here by name. */
  secrets: Record<string, string | undefined>;
  config: DeploymentConfig;
  now: () => Date;
  log: RunLog;
  fetch?: typeof fetch;
  /** The bucket of an object-storage source (default: the S3 API with credentials from `secrets`). */
  traceStore?: TraceStoreFor;
}

function traceStoreOf(deps: RunDeps, source: ObjectSourceConfig) {
  return deps.traceStore ? deps.traceStore(source) : s3TraceStore(source, deps.secrets);
}

function batchIdOf(index: number): string {
  return `b${String(index + 1).padStart(5, "0")}`;
}

export function runDeps(objects: ObjectStore, rest: Omit<RunDeps, "store">): RunDeps {
  return { store: new RunStore(objects), ...rest };
}

/** `runId` may be chosen beforehand (`tracelint serve` leases the audit under it first). */
export async function createRun(
  deps: RunDeps,
  audit: Pick<AuditConfig, "name">,
  trigger: RunTrigger,
  scheduledTime: Date,
  cron: string | null = null,
  runId: string = newRunId(scheduledTime),
): Promise<RunRecord> {
  const now = deps.now().toISOString();
  const record: RunRecord = {
    version: 1,
    runId,
    audit: audit.name,
    trigger,
    cron,
    state: "queued",
    mode: null,
    scheduledTime: scheduledTime.toISOString(),
    createdAt: now,
    updatedAt: now,
    batches: null,
    requested: null,
    error: null,
    report: null,
    alerts: null,
  };
  await deps.store.putRun(record);
  return record;
}

/** One line about why a run could not go on; never a credential (Tempo messages are redacted). */
function describeFailure(error: unknown): string {
  if (error instanceof TempoError) return `Tempo: ${error.message}`;
  if (error instanceof AuthConfigError) return `credentials: ${error.message}`;
  if (error instanceof TraceStoreConfigError) return `bucket: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Marks the run failed, records it in the history and alerts (audit health). Never throws. */
export async function failRun(deps: RunDeps, runId: string, audit: AuditConfig | undefined, reason: string): Promise<void> {
  deps.log("error", `run ${runId}${audit ? ` (audit ${audit.name})` : ""} failed: ${reason}`);
  try {
    const record = await deps.store.updateRun(runId, (r) => {
      r.state = "failed";
      r.error = reason;
    }, deps.now());
    await recordFinished(deps.store, record, deps.config.historyLimit, deps.counter.withLock?.bind(deps.counter));
    if (audit) {
      const alerts = await sendAlerts(deps.store, audit, { failure: reason }, deps.secrets, deps.log, deps.now);
      if (alerts) await deps.store.updateRun(runId, (r) => void (r.alerts = alerts), deps.now());
    }
  } catch (error) {
    deps.log("error", `run ${runId}: could not record the failure: ${describeFailure(error)}`);
  }
}

/**
 * Whether a (possibly re-delivered) start message runs its run. The queue delivers a start again
 * only when its consumer did not acknowledge it: one that died planning, or during an inline run,
 * left the run `planning` or `running` (inline) for ever. Those are run again from the start (a
 * plan is rewritten whole); a fanned-out run is under way in its batches, a finished one is over.
 */
export function startShouldRun(record: Pick<RunRecord, "state" | "mode">): boolean {
  return record.state === "queued" || record.state === "planning" || (record.state === "running" && record.mode === "inline");
}

/** Plans the run and either analyses it inline or fans it out. Failures end in a failed run record. */
export async function executeRun(deps: RunDeps, audit: AuditConfig, runId: string): Promise<RunRecord | undefined> {
  try {
    const record = await deps.store.updateRun(runId, (r) => void (r.state = "planning"), deps.now());
    const startedAtMs = deps.now().getTime();
    const config = resolveAuditRules(audit);
    const source = audit.source;
    if (source.kind === "tempo") return await executeTempoRun(deps, audit, source, config, record, startedAtMs);
    return await executeObjectRun(deps, audit, source, config, record, startedAtMs);
  } catch (error) {
    await failRun(deps, runId, audit, describeFailure(error));
    return deps.store.getRun(runId);
  }
}

/** What every run plan starts with: the run, its audit and the window it covers. */
function planHeader(record: RunRecord, audit: AuditConfig, window: { start: Date; end: Date }) {
  return {
    version: 1 as const,
    runId: record.runId,
    audit,
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    ingestionDelayMs: new Date(record.scheduledTime).getTime() - window.end.getTime(),
  };
}

async function executeTempoRun(deps: RunDeps, audit: AuditConfig, source: TempoSourceConfig, config: ResolvedConfig, record: RunRecord, startedAtMs: number): Promise<RunRecord | undefined> {
  const runId = record.runId;
  const window = auditWindow(source, new Date(record.scheduledTime));
  const client = tempoClient(source, deps.secrets, deps.fetch);
  const { candidates, discovery } = await discoverTempo(client, source, window);
  // The run's ledger lives in one Durable Object value: keep it to MAX_BATCHES batch IDs.
  const batches = splitBatches(candidates, Math.max(audit.fanOut.batchSize, Math.ceil(candidates.length / MAX_BATCHES)));
  const plan: RunPlan = {
    ...planHeader(record, audit, window),
    discovery,
    batches: batches.map((b, i) => ({ id: batchIdOf(i), size: b.length })),
    startedAtMs,
  };
  await deps.store.putPlan(plan);
  const fanOut = deps.enqueue !== undefined && batches.length > 0 && candidates.length > audit.fanOut.inlineMaxTraces;
  if (!fanOut) {
    await deps.store.updateRun(runId, (r) => {
      r.state = "running";
      r.mode = "inline";
      r.requested = candidates.length;
      r.batches = { total: 1, done: 0 };
    }, deps.now());
    const analyzer = new Analyzer(config);
    recordSearchFailures(plan, analyzer);
    const { counts, failures } = await analyseCandidates(client, candidates, source.concurrency, analyzer);
    const report = analyzer.finish(deps.now());
    report.source = tempoSection(plan, client, tempoAuth(source, deps.secrets), counts, failures, deps.now().getTime());
    return await publishRun(deps, plan, report, (r) => void (r.batches = { total: 1, done: 1 }));
  }
  await startFanOut(deps, plan, candidates.length, batches.map((b, i) => ({ v: 1, kind: "batch", runId, batchId: plan.batches[i]!.id, candidates: b })));
  deps.log("info", `run ${runId} (audit ${audit.name}): ${candidates.length} traces fanned out in ${batches.length} batches`);
  return await deps.store.getRun(runId);
}

/**
 * Object storage: the plan is the block (or object) list and one trace-ID partition per batch.
 * Inline is the same analysis with one partition covering every trace ID.
 */
async function executeObjectRun(deps: RunDeps, audit: AuditConfig, source: ObjectSourceConfig, config: ResolvedConfig, record: RunRecord, startedAtMs: number): Promise<RunRecord | undefined> {
  const runId = record.runId;
  const window = objectWindow(source, new Date(record.scheduledTime));
  const store = traceStoreOf(deps, source);
  try {
    const canFanOut = deps.enqueue !== undefined;
    const options = { batchSize: audit.fanOut.batchSize, maxPartitions: MAX_BATCHES, split: (traces: number) => canFanOut && traces > audit.fanOut.inlineMaxTraces };
    const planned = source.kind === "blocks" ? await planBlocks(store, source, window, options) : await planArchive(store, source, window, options);
    const ids = planned.partitions.map((_, i) => batchIdOf(i));
    const objects: ObjectPlan = { ...planned, partitions: Object.fromEntries(ids.map((id, i) => [id, planned.partitions[i]!])) };
    const perBatch = Math.ceil(planned.estimatedTraces / ids.length);
    const plan: RunPlan = {
      ...planHeader(record, audit, window),
      objects,
      batches: ids.map((id) => ({ id, size: perBatch })),
      startedAtMs,
    };
    if (ids.length > 1 && source.kind === "otlp-archive") {
      // Each object read once: shuffle batches first, then the partition batches (shuffle.ts).
      objects.shuffle = planShuffle(objects.archiveObjects.length, audit.fanOut.batchSize);
      await deps.store.putPlan(plan);
      const shuffleIds = Object.keys(objects.shuffle);
      await deps.counter.start(shuffleCounterId(runId), shuffleIds);
      await startFanOut(deps, plan, planned.estimatedTraces, shuffleIds.map((batchId) => ({ v: 1, kind: "shuffle", runId, batchId })));
      deps.log("info", `run ${runId} (audit ${audit.name}): ${objects.archiveObjects.length} archive objects, shuffled by ${shuffleIds.length} batches into ${ids.length} trace-ID partitions`);
      return await deps.store.getRun(runId);
    }
    await deps.store.putPlan(plan);
    if (ids.length > 1) {
      await startFanOut(deps, plan, planned.estimatedTraces, ids.map((batchId) => ({ v: 1, kind: "partition", runId, batchId })));
      deps.log("info", `run ${runId} (audit ${audit.name}): ${objects.blocks.length + objects.archiveObjects.length} objects, about ${planned.estimatedTraces} traces, fanned out in ${ids.length} trace-ID partitions`);
      return await deps.store.getRun(runId);
    }
    await deps.store.updateRun(runId, (r) => {
      r.state = "running";
      r.mode = "inline";
      r.requested = planned.estimatedTraces;
      r.batches = { total: 1, done: 0 };
    }, deps.now());
    const analyzer = new Analyzer(config);
    const part = await analysePartition(store, source, objects, window, WHOLE_ID_SPACE, analyzer);
    const section = objectSection(source, objects, plan.window, [part], analyzer);
    const report = analyzer.finish(deps.now());
    report.source = section;
    return await publishRun(deps, plan, report, (r) => void (r.batches = { total: 1, done: 1 }));
  } finally {
    releaseStore(store);
  }
}

async function startFanOut(deps: RunDeps, plan: RunPlan, requested: number, messages: QueueMessage[]): Promise<void> {
  await deps.counter.start(plan.runId, plan.batches.map((b) => b.id));
  await deps.store.updateRun(plan.runId, (r) => {
    r.state = "running";
    r.mode = "fan-out";
    r.requested = requested;
    r.batches = { total: plan.batches.length, done: 0 };
  }, deps.now());
  await deps.enqueue!(messages);
}

async function publishRun(deps: RunDeps, plan: RunPlan, report: Report, extra: (r: RunRecord) => void = () => {}): Promise<RunRecord> {
  const runId = plan.runId;
  // A report without a single trace would become the baseline (nothing-read.ts): the run fails.
  const nothing = nothingRead(report);
  if (nothing !== undefined) {
    await deps.store.updateRun(runId, extra, deps.now());
    await failRun(deps, runId, plan.audit, nothing);
    return (await deps.store.getRun(runId))!;
  }
  const before = await deps.store.updateRun(runId, (r) => void (r.state = "merging"), deps.now());
  await attachDelta(deps.store, before, report, deps.log);
  const ref = await storeReport(deps.store, before, report);
  const record = await deps.store.updateRun(runId, (r) => {
    r.state = "done";
    r.report = ref;
    extra(r);
  }, deps.now());
  await recordFinished(deps.store, record, deps.config.historyLimit, deps.counter.withLock?.bind(deps.counter));
  deps.log("info", `run ${runId} (audit ${plan.audit.name}) done: ${ref.traces} traces, ${ref.findings} findings, report ${ref.base}.json`);
  const reportUrl = deps.config.publicUrl ? `${deps.config.publicUrl.replace(/\/+$/, "")}/api/reports/${runId}.html` : undefined;
  const alerts = await sendAlerts(deps.store, plan.audit, { report, ...(reportUrl ? { reportUrl } : {}) }, deps.secrets, deps.log, deps.now);
  return alerts ? deps.store.updateRun(runId, (r) => void (r.alerts = alerts), deps.now()) : record;
}

export type BatchOutcome = "processed" | "duplicate" | "finalized" | "orphaned";

/**
 * A message for a batch already counted. Its work is not redone; but if its consumer was elected
 * to finish the run and failed (the message was retried), or another finisher's lease expired, the
 * ledger elects this delivery and `finish` runs again: a failed merge is retried, not lost.
 */
async function redelivered(deps: RunDeps, counterId: string, batchId: string, what: string, finish: () => Promise<void>): Promise<BatchOutcome> {
  const result = await deps.counter.complete(counterId, batchId);
  if (!result.finalize) {
    deps.log("info", `run ${counterId}: ${what} ${batchId} was already counted; re-delivery ignored`);
    return "duplicate";
  }
  deps.log("info", `run ${counterId}: ${what} ${batchId} re-delivered after its finishing step failed; finishing again`);
  await finish();
  return "finalized";
}

/**
 * Handles one batch message. Throws only for transient problems (storage, counter), so that the
 * queue retries the message; Tempo failures of single traces are part of the batch's result.
 */
export async function processBatch(deps: RunDeps, message: Extract<QueueMessage, { kind: "batch" | "partition" }>): Promise<BatchOutcome> {
  const { runId, batchId } = message;
  if (await deps.counter.isCompleted(runId, batchId)) return redelivered(deps, runId, batchId, "batch", async () => {
    const plan = await deps.store.getPlan(runId);
    if (!plan) throw new Error(`run ${runId}: the plan is gone, the merge cannot be retried`);
    await finalizeRun(deps, plan);
  });
  const plan = await deps.store.getPlan(runId);
  if (!plan) {
    deps.log("warn", `run ${runId}: batch ${batchId} has no plan (run deleted?); dropped`);
    return "orphaned";
  }
  const analyzer = new Analyzer(resolveAuditRules(plan.audit));
  const source = plan.audit.source;
  if (message.kind === "partition") {
    const partition = plan.objects?.partitions[batchId];
    if (source.kind === "tempo" || !plan.objects || !partition) {
      deps.log("warn", `run ${runId}: batch ${batchId} is not a planned object partition; dropped`);
      return "orphaned";
    }
    let objects: ObjectPartResult;
    if (plan.objects.shuffle) {
      objects = await analyseShuffled(deps.store, runId, batchId, windowOf(plan), analyzer);
    } else {
      const store = traceStoreOf(deps, source);
      try {
        objects = await analysePartition(store, source, plan.objects, windowOf(plan), partition, analyzer);
      } finally {
        releaseStore(store);
      }
    }
    // Stored before counting: a crash in between re-delivers the batch, which rewrites the same key.
    await deps.store.putPart({ version: 1, runId, batchId, snapshot: analyzer.snapshot(), counts: emptyCounts(), failures: [], objects });
  } else {
    if (source.kind !== "tempo") {
      deps.log("warn", `run ${runId}: batch ${batchId} carries trace IDs but the audit reads object storage; dropped`);
      return "orphaned";
    }
    const client = tempoClient(source, deps.secrets, deps.fetch);
    const { counts, failures } = await analyseCandidates(client, message.candidates, source.concurrency, analyzer);
    await deps.store.putPart({ version: 1, runId, batchId, snapshot: analyzer.snapshot(), counts, failures });
  }
  const result = await deps.counter.complete(runId, batchId);
  if (!result.counted && !result.finalize) {
    deps.log("info", `run ${runId}: batch ${batchId} was already counted; re-delivery ignored`);
    return "duplicate";
  }
  if (!result.finalize) return "processed";
  await finalizeRun(deps, plan);
  return "finalized";
}

/** Merges every batch's part into the report. Throws (so the queue retries) when a part is missing. */
export async function finalizeRun(deps: RunDeps, plan: RunPlan): Promise<RunRecord> {
  const analyzer = new Analyzer(resolveAuditRules(plan.audit));
  const counts = emptyCounts();
  const failures: { traceId: string; reason: string }[] = [];
  const objectParts: ObjectPartResult[] = [];
  for (const batch of plan.batches) {
    const part = await deps.store.getPart(plan.runId, batch.id);
    if (!part) throw new Error(`run ${plan.runId}: part ${batch.id} is counted but not stored`);
    analyzer.merge(part.snapshot);
    addCounts(counts, part.counts);
    failures.push(...part.failures);
    if (part.objects) objectParts.push(part.objects);
  }
  const source = plan.audit.source;
  let report;
  if (source.kind === "tempo") {
    recordSearchFailures(plan, analyzer);
    report = analyzer.finish(deps.now());
    const client = tempoClient(source, deps.secrets, deps.fetch);
    report.source = tempoSection(plan, client, tempoAuth(source, deps.secrets), counts, failures, deps.now().getTime());
  } else {
    if (plan.objects!.shuffle) objectParts.push(...(await shuffleReads(deps.store, plan.runId, plan.objects!)));
    const section = objectSection(source, plan.objects!, plan.window, objectParts, analyzer);
    report = analyzer.finish(deps.now());
    report.source = section;
  }
  const record = await publishRun(deps, plan, report, (r) => void (r.batches = { total: plan.batches.length, done: plan.batches.length }));
  await deps.counter.finalized(plan.runId);
  if (plan.objects?.shuffle) {
    // Best effort: the report is out; leftover files only cost storage (and are logged).
    try {
      await removeShuffleFiles(deps.store, plan.runId);
    } catch (error) {
      deps.log("warn", `run ${plan.runId}: could not remove its shuffle files: ${(error as Error).message}`);
    }
  }
  return record;
}

/**
 * Handles one shuffle message of an archive run: reads the batch's objects and writes each
 * partition's spans. The last shuffle batch counted enqueues the partition batches. Throws only for
 * transient problems (storage, counter), so that the queue retries the message.
 */
export async function processShuffle(deps: RunDeps, message: Extract<QueueMessage, { kind: "shuffle" }>): Promise<BatchOutcome> {
  const { runId, batchId } = message;
  const counterId = shuffleCounterId(runId);
  const plan = await deps.store.getPlan(runId);
  const source = plan?.audit.source;
  if (!plan || !plan.objects?.shuffle?.[batchId] || source?.kind !== "otlp-archive") {
    deps.log("warn", `run ${runId}: shuffle batch ${batchId} is not in a plan; dropped`);
    return "orphaned";
  }
  if (await deps.counter.isCompleted(counterId, batchId)) return redelivered(deps, counterId, batchId, "shuffle batch", () => enqueuePartitions(deps, plan));
  const store = traceStoreOf(deps, source);
  try {
    await shuffleObjects(store, deps.store, plan, batchId);
  } finally {
    releaseStore(store);
  }
  const result = await deps.counter.complete(counterId, batchId);
  if (!result.counted && !result.finalize) return "duplicate";
  if (!result.finalize) return "processed";
  await enqueuePartitions(deps, plan);
  return "processed";
}

/** The shuffle is complete: the partition batches may run. Marks the shuffle ledger finished. */
async function enqueuePartitions(deps: RunDeps, plan: RunPlan): Promise<void> {
  await deps.enqueue!(plan.batches.map((b) => ({ v: 1, kind: "partition", runId: plan.runId, batchId: b.id })));
  await deps.counter.finalized(shuffleCounterId(plan.runId));
  deps.log("info", `run ${plan.runId}: shuffled; ${plan.batches.length} partition batches enqueued`);
}

function windowOf(plan: RunPlan): { start: Date; end: Date } {
  return { start: new Date(plan.window.start), end: new Date(plan.window.end) };
}

/** Live progress for the status API: the record, with the counter's batch count while running. */
export async function runStatus(deps: Pick<RunDeps, "store" | "counter">, runId: string): Promise<RunRecord | undefined> {
  const record = await deps.store.getRun(runId);
  if (record && record.state === "running" && record.mode === "fan-out" && deps.counter.progress) {
    const progress = await deps.counter.progress(runId);
    if (progress) record.batches = progress;
  }
  return record;
}

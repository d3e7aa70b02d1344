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
// Publishing is idempotent: a merge retried after its report was published (a later step failed)
// does not publish again, it only finishes what is missing (history, alerts, the ledger).
// Runs whose invocation died are marked failed by the next run of the audit (stale.ts).
import { Analyzer } from "../engine/analyzer";
import { resolveAuditRules, type AuditConfig, type DeploymentConfig, type ObjectSourceConfig, type TempoSourceConfig } from "../config/deployment";
import type { ResolvedConfig } from "../engine/config";
import type { ObjectStore } from "../storage/object-store";
import type { Report } from "../report/schema";
import { listAll } from "../storage/object-store";
import { TempoError } from "../sources/tempo/errors";
import { AuthConfigError } from "../sources/tempo/auth";
import { activeRunKey, activeRunsPrefix, newRunId, runFanOutKey } from "./keys";
import type { RunCounter } from "./ledger";
import { attachDelta, recordFinished, sendAlerts, storeReport, type RunLog } from "./publish";
import { nothingRead } from "./nothing-read";
import { RunStore } from "./run-store";
import { analysePartition, objectSection, objectWindow, planArchive, planBlocks } from "./objects";
import { credentialHint, isCredentialError, releaseStore, s3TraceStore, TraceStoreConfigError, type TraceStoreFor } from "./object-stores";
import { WHOLE_ID_SPACE } from "./partition";
import { analyseShuffled, planShuffle, removeShuffleFiles, shuffleCounterId, shuffleObjects, shuffleReads } from "./shuffle";
import { addCounts, analyseCandidates, auditWindow, discoverTempo, emptyCounts, splitBatches, recordSearchFailures, tempoAuth, tempoClient, tempoSection } from "./tempo";
import { isFinished, staleReason } from "./stale";
import type { FanOutMessages, ObjectPartResult, ObjectPlan, QueueMessage, RunPlan, RunRecord, RunTrigger } from "./types";

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
  // Found by the next run of the audit if this one is abandoned; removed when it finishes.
  await deps.store.putJson(activeRunKey(record.audit, runId), { runId, createdAt: now }).catch((error: unknown) => {
    deps.log("warn", `run ${runId}: could not write its marker ${activeRunKey(record.audit, runId)} (${(error as Error).message}); if it is abandoned, no later run will notice`);
  });
  return record;
}

/** One line about why a run could not go on; never a credential (Tempo messages are redacted). */
function describeFailure(error: unknown, audit?: AuditConfig): string {
  if (error instanceof TempoError) return `Tempo: ${error.message}`;
  if (error instanceof AuthConfigError) return `credentials: ${error.message}`;
  if (error instanceof TraceStoreConfigError) return `bucket: ${error.message}`;
  // The S3 client's own words ("Credential is missing") do not say which settings are missing.
  if (audit && audit.source.kind !== "tempo" && isCredentialError(error)) return `bucket: ${credentialHint(audit.source)}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function historyLock(deps: RunDeps) {
  return deps.counter.withLock?.bind(deps.counter);
}

/** Frees the audit's one-run slot (Worker) for its next run; best effort, logged (the next run checks this run's record anyway). */
async function releaseRun(deps: RunDeps, record: RunRecord): Promise<void> {
  if (!deps.counter.releaseAuditSlot) return;
  try {
    await deps.counter.releaseAuditSlot(record.audit, record.runId);
  } catch (error) {
    deps.log("warn", `run ${record.runId}: could not free audit ${record.audit} for its next run (${(error as Error).message}); the next run checks this run's record instead`);
  }
}

/**
 * A fanned-out run that failed: its ledgers are closed (batches still queued are skipped, none of
 * them merges and publishes a failed run), and an archive run's shuffle files — raw spans, PII
 * unmasked — are removed. Best effort: what fails is logged.
 */
async function stopFanOut(deps: RunDeps, runId: string): Promise<void> {
  for (const id of [runId, shuffleCounterId(runId)]) {
    await deps.counter.finalized(id).catch((error: unknown) => deps.log("warn", `run ${runId}: could not close the ledger ${id}: ${(error as Error).message}`));
  }
  await removeShuffleFilesLogged(deps, runId);
}

async function removeShuffleFilesLogged(deps: RunDeps, runId: string): Promise<void> {
  try {
    const removed = await removeShuffleFiles(deps.store, runId);
    if (removed > 0) deps.log("info", `run ${runId}: removed its ${removed} shuffle file(s)`);
  } catch (error) {
    deps.log("warn", `run ${runId}: could not remove its shuffle files under runs/${runId}/shuffle/ (raw spans; remove them by hand): ${(error as Error).message}`);
  }
}

/**
 * Marks the run failed, records it in the history and alerts (audit health). Never throws. A run
 * that already finished keeps its outcome: a done run stays done (a dead-lettered message of a run
 * whose report is out, e.g. the merger's after a later step failed), a failed one keeps its reason.
 */
export async function failRun(deps: RunDeps, runId: string, audit: AuditConfig | undefined, reason: string): Promise<void> {
  try {
    const current = await deps.store.getRun(runId);
    if (current && isFinished(current)) {
      deps.log("warn", `run ${runId} is already ${current.state}${current.state === "failed" ? ` (${current.error ?? ""})` : ""}; not marking it failed: ${reason}`);
      if (current.mode === "fan-out") await stopFanOut(deps, runId);
      return;
    }
    deps.log("error", `run ${runId}${audit ? ` (audit ${audit.name})` : ""} failed: ${reason}`);
    const record = await deps.store.updateRun(runId, (r) => {
      r.state = "failed";
      r.error = reason;
    }, deps.now());
    if (record.mode === "fan-out") await stopFanOut(deps, runId);
    await recordFinished(deps.store, record, deps.config.historyLimit, historyLock(deps));
    await releaseRun(deps, record);
    if (audit) {
      const alerts = await sendAlerts(deps.store, audit, { failure: reason }, deps.secrets, deps.log, deps.now, historyLock(deps));
      if (alerts) await deps.store.updateRun(runId, (r) => void (r.alerts = alerts), deps.now());
    }
  } catch (error) {
    deps.log("error", `run ${runId}: could not record the failure: ${describeFailure(error)}`);
  }
}

/**
 * Whether a (possibly re-delivered) start message runs its run. The queue delivers a start again
 * only when its consumer did not acknowledge it: one that died planning, or during an inline run,
 * left the run `planning`, `running` or `merging` (inline) for ever. Those are run again from the
 * start (a plan is rewritten whole); a fanned-out run is resumed instead (`startShouldResume`), a
 * finished one is over.
 */
export function startShouldRun(record: Pick<RunRecord, "state" | "mode">): boolean {
  return record.state === "queued" || record.state === "planning" || ((record.state === "running" || record.state === "merging") && record.mode === "inline");
}

/**
 * Whether a re-delivered start resumes a fanned-out run: its planner recorded the fan-out and died
 * before every batch message was sent (or before its start was acknowledged). `resumeFanOut` sends
 * the batches not counted yet again; the ledger counts each batch once whatever is delivered twice.
 */
export function startShouldResume(record: Pick<RunRecord, "state" | "mode">): boolean {
  return record.state === "running" && record.mode === "fan-out";
}

/** Sends again the planned messages of a fanned-out run whose batches are not counted yet. */
export async function resumeFanOut(deps: RunDeps, runId: string): Promise<number> {
  const saved = await deps.store.getJson<FanOutMessages>(runFanOutKey(runId));
  if (!saved || !deps.enqueue) {
    deps.log("warn", `run ${runId}: start re-delivered for a fanned-out run without ${saved ? "a queue" : `its message list ${runFanOutKey(runId)}`}; left to its batches`);
    return 0;
  }
  const ledger = await deps.counter.pending?.(saved.counter);
  if (ledger?.finalized) return 0;
  const pending = ledger ? new Set(ledger.pending) : undefined;
  const messages = saved.messages.filter((m) => m.kind !== "start" && (pending === undefined || pending.has(m.batchId)));
  if (messages.length === 0) return 0; // all counted: finishing is the last batch's business (and its retries')
  await deps.enqueue(messages);
  deps.log("warn", `run ${runId}: start re-delivered after its planner stopped while fanning out; sent the ${messages.length} of ${saved.messages.length} batch message(s) not counted yet again`);
  return messages.length;
}

/**
 * Marks the audit's abandoned runs failed (stale.ts), except `exceptRunId`: the next run of an
 * audit does this first, so a run whose invocation died shows as failed in the history (and
 * alerts) instead of `running` for ever. One listing of the audit's run markers; never throws.
 */
export async function reapAbandoned(deps: RunDeps, audit: AuditConfig, exceptRunId?: string): Promise<string[]> {
  const reaped: string[] = [];
  try {
    const prefix = activeRunsPrefix(audit.name);
    const markers: string[] = [];
    for await (const info of listAll(deps.store.objects, prefix)) markers.push(info.key);
    for (const key of markers) {
      const runId = key.slice(prefix.length).replace(/\.json$/, "");
      if (runId === exceptRunId) continue;
      const record = await deps.store.getRun(runId);
      if (!record || isFinished(record)) {
        await deps.store.objects.delete?.(key); // its removal was lost (the run finished, or is gone)
        continue;
      }
      const reason = await staleReason(deps.counter, record, deps.now().getTime());
      if (reason === undefined) continue;
      await failRun(deps, runId, audit, reason);
      reaped.push(runId);
    }
  } catch (error) {
    deps.log("warn", `audit ${audit.name}: could not check for abandoned runs: ${(error as Error).message}`);
  }
  return reaped;
}

export type AuditSlot = { acquired: true } | { acquired: false; runId: string };

/**
 * One run per audit at a time where the counter keeps audit slots (the Worker's Durable Object):
 * takes the audit for `runId`, or names the run that has it. A holder that finished, or was
 * abandoned (stale.ts; the new run's `reapAbandoned` then marks it failed), is replaced. When the
 * slot cannot be asked, the run goes ahead: better two runs than none.
 */
export async function acquireAuditSlot(deps: RunDeps, audit: string, runId: string): Promise<AuditSlot> {
  if (!deps.counter.claimAuditSlot) return { acquired: true };
  try {
    let replace: string | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const claim = await deps.counter.claimAuditSlot(audit, runId, replace);
      if (claim.granted) return { acquired: true };
      const holder = await deps.store.getRun(claim.holder);
      if (holder && !isFinished(holder) && (await staleReason(deps.counter, holder, deps.now().getTime())) === undefined) {
        return { acquired: false, runId: claim.holder };
      }
      replace = claim.holder; // finished, gone or abandoned: take over
    }
    deps.log("warn", `audit ${audit}: the running-run slot kept changing hands; run ${runId} goes ahead`);
  } catch (error) {
    deps.log("warn", `audit ${audit}: could not check for a running run (${(error as Error).message}); run ${runId} goes ahead`);
  }
  return { acquired: true };
}

/** Plans the run and either analyses it inline or fans it out. Failures end in a failed run record. */
export async function executeRun(deps: RunDeps, audit: AuditConfig, runId: string): Promise<RunRecord | undefined> {
  await reapAbandoned(deps, audit, runId);
  try {
    const record = await deps.store.updateRun(runId, (r) => {
      r.state = "planning";
      r.startedAt = deps.now().toISOString();
    }, deps.now());
    const startedAtMs = deps.now().getTime();
    const config = resolveAuditRules(audit);
    const source = audit.source;
    if (source.kind === "tempo") return await executeTempoRun(deps, audit, source, config, record, startedAtMs);
    return await executeObjectRun(deps, audit, source, config, record, startedAtMs);
  } catch (error) {
    await failRun(deps, runId, audit, describeFailure(error, audit));
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
  await startFanOut(deps, plan, candidates.length, runId, batches.map((b, i) => ({ v: 1, kind: "batch", runId, batchId: plan.batches[i]!.id, candidates: b })));
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
      await startFanOut(deps, plan, planned.estimatedTraces, shuffleCounterId(runId), shuffleIds.map((batchId) => ({ v: 1, kind: "shuffle", runId, batchId })));
      deps.log("info", `run ${runId} (audit ${audit.name}): ${objects.archiveObjects.length} archive objects, shuffled by ${shuffleIds.length} batches into ${ids.length} trace-ID partitions`);
      return await deps.store.getRun(runId);
    }
    await deps.store.putPlan(plan);
    if (ids.length > 1) {
      await startFanOut(deps, plan, planned.estimatedTraces, runId, ids.map((batchId) => ({ v: 1, kind: "partition", runId, batchId })));
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

/**
 * Records the fan-out and sends its messages. The messages are stored first (`fan-out.json`): a
 * planner that dies while sending leaves the run `running`, and its re-delivered start sends again
 * what is not counted yet (`resumeFanOut`). `counter` is the ledger that counts them.
 */
async function startFanOut(deps: RunDeps, plan: RunPlan, requested: number, counter: string, messages: QueueMessage[]): Promise<void> {
  await deps.store.putJson(runFanOutKey(plan.runId), { counter, messages } satisfies FanOutMessages);
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
  await recordFinished(deps.store, record, deps.config.historyLimit, historyLock(deps));
  await releaseRun(deps, record);
  deps.log("info", `run ${runId} (audit ${plan.audit.name}) done: ${ref.traces} traces, ${ref.findings} findings, report ${ref.base}.json`);
  return publishAlerts(deps, plan.audit, record, report);
}

function reportUrlOf(deps: RunDeps, runId: string): string | undefined {
  return deps.config.publicUrl ? `${deps.config.publicUrl.replace(/\/+$/, "")}/api/reports/${runId}.html` : undefined;
}

async function publishAlerts(deps: RunDeps, audit: AuditConfig, record: RunRecord, report: Report): Promise<RunRecord> {
  const reportUrl = reportUrlOf(deps, record.runId);
  const alerts = await sendAlerts(deps.store, audit, { report, ...(reportUrl ? { reportUrl } : {}) }, deps.secrets, deps.log, deps.now, historyLock(deps));
  return alerts ? deps.store.updateRun(record.runId, (r) => void (r.alerts = alerts), deps.now()) : record;
}

/**
 * A run whose report is already published (`done`), reached again: the merger's message retried
 * after a later step failed, or a start re-delivered after the run finished. Nothing is published
 * again — the report keeps its delta and its alerts their IDs —; only what may be missing is done:
 * the history entry and `latest` (idempotent), and the alerts when none were recorded (their IDs
 * come from the stored report, so an alert already queued or delivered is not sent again).
 */
export async function completePublished(deps: RunDeps, audit: AuditConfig, record: RunRecord): Promise<RunRecord> {
  await recordFinished(deps.store, record, deps.config.historyLimit, historyLock(deps));
  await releaseRun(deps, record);
  if (record.alerts !== null || !record.report || !audit.alerts || audit.alerts.destinations.length === 0) return record;
  const report = await deps.store.getJson<Report>(`${record.report.base}.json`);
  if (!report) {
    deps.log("warn", `run ${record.runId}: its report ${record.report.base}.json is missing; no alerts sent`);
    return record;
  }
  return publishAlerts(deps, audit, record, report);
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

/**
 * Merges every batch's part into the report. Throws (so the queue retries) when a part is missing.
 * A run already published is not published again (see `completePublished`), a failed one not at all.
 */
export async function finalizeRun(deps: RunDeps, plan: RunPlan): Promise<RunRecord> {
  const current = await deps.store.getRun(plan.runId);
  if (current && isFinished(current)) {
    deps.log("info", `run ${plan.runId}: merge asked again, but the run is already ${current.state}; ${current.state === "done" ? "its report is not published again" : "nothing is published"}`);
    const record = current.state === "done" ? await completePublished(deps, plan.audit, current) : current;
    await deps.counter.finalized(plan.runId);
    if (plan.objects?.shuffle) await removeShuffleFilesLogged(deps, plan.runId);
    return record;
  }
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
  // Best effort: the report is out (or the run failed); leftover files are logged.
  if (plan.objects?.shuffle) await removeShuffleFilesLogged(deps, plan.runId);
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
  if (!result.counted && !result.finalize) {
    // The run may have failed while this batch was writing (its ledger is closed then): the files
    // it just wrote hold raw spans and must not outlive the cleanup.
    if ((await deps.store.getRun(runId))?.state === "failed") await removeShuffleFilesLogged(deps, runId);
    return "duplicate";
  }
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

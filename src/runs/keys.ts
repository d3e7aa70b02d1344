// Where a run's records live in the report bucket. Report keys are date-partitioned by the run's
// scheduled time so that a bucket listing reads like a calendar; run IDs sort by time.

export function runRecordKey(runId: string): string {
  return `runs/${runId}/run.json`;
}

export function runPlanKey(runId: string): string {
  return `runs/${runId}/plan.json`;
}

export function runPartKey(runId: string, batchId: string): string {
  return `runs/${runId}/parts/${batchId}.json`;
}

/**
 * The messages a fanned-out run's planner enqueues (and the ledger that counts them), stored before
 * they are sent: a planner that dies while sending is resumed from it by its re-delivered start.
 */
export function runFanOutKey(runId: string): string {
  return `runs/${runId}/fan-out.json`;
}

/** Spans a shuffle batch wrote for one partition batch (OTLP protobuf); `chunk` is `<shuffle batch>-<n>`. */
export function shuffleSpansKey(runId: string, partitionBatchId: string, chunk: string): string {
  return `${shuffleSpansPrefix(runId, partitionBatchId)}${chunk}.pb`;
}

export function shuffleSpansPrefix(runId: string, partitionBatchId: string): string {
  return `${shufflePrefixes(runId)[0]}${partitionBatchId}/`;
}

/** What a shuffle batch read (objects, failures, decode problems), for the report's source section. */
export function shufflePartKey(runId: string, shuffleBatchId: string): string {
  return `${shufflePrefixes(runId)[1]}${shuffleBatchId}.json`;
}

/** Everything a run's shuffle writes: the partitions' span files, and the shuffle batches' reads. */
export function shufflePrefixes(runId: string): [spans: string, parts: string] {
  return [`runs/${runId}/shuffle/`, `runs/${runId}/shuffle-parts/`];
}

/** The claim of one scheduled fire of an audit: the `tracelint serve` replica that creates it runs it. */
export function cronClaimKey(audit: string, scheduledTime: Date): string {
  return `${cronClaimsPrefix(audit)}${scheduledTime.toISOString()}.json`;
}

/** A lease object that serialises one named read → change → write across `tracelint serve` replicas. */
export function lockKey(name: string): string {
  return `state/locks/${name.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
}

/**
 * The lease of the run of an audit going on now (`tracelint serve`): one run per audit at a time,
 * across replicas, whether started by a cron fire or by `POST /api/audits`.
 */
export function runningKey(audit: string): string {
  return `state/${audit}/running.json`;
}

/**
 * A marker per run of an audit that has not finished yet, removed when it finishes: the next run of
 * the audit lists these (one small listing) to find runs whose invocation died (see stale.ts).
 */
export function activeRunKey(audit: string, runId: string): string {
  return `${activeRunsPrefix(audit)}${runId}.json`;
}

export function activeRunsPrefix(audit: string): string {
  return `state/${audit}/active/`;
}

export function cronClaimsPrefix(audit: string): string {
  return `state/${audit}/cron-claims/`;
}

/** `reports/<audit>/<yyyy>/<mm>/<dd>/<runId>` (add `.json`, `.md`, `.html`). */
export function reportBase(audit: string, runId: string, scheduledTime: Date): string {
  const y = scheduledTime.getUTCFullYear();
  const m = String(scheduledTime.getUTCMonth() + 1).padStart(2, "0");
  const d = String(scheduledTime.getUTCDate()).padStart(2, "0");
  return `reports/${audit}/${y}/${m}/${d}/${runId}`;
}

export function latestKey(audit: string): string {
  return `reports/${audit}/latest.json`;
}

export function historyKey(audit: string): string {
  return `reports/${audit}/index.json`;
}

export function alertStateKey(audit: string): string {
  return `state/${audit}/alerts.json`;
}

const RUN_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** `20260101T090000Z-1a2b3c4d`: sortable by time, unique by the random suffix. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const suffix = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${stamp}-${suffix}`;
}

export function isRunId(text: string): boolean {
  return RUN_ID_RE.test(text);
}

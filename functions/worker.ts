// Cloudflare Worker entrypoint: a thin adapter that binds R2 (reports, and the trace bucket of
// object-storage audits), Queues and the Durable Object to the runtime-neutral core. `fetch` is the Hono API, `scheduled` starts the audits whose cron fired,
// `queue` runs planned audits and batches (and turns dead-lettered batches into failed runs).
import { createApp } from "../src/app/app";
import { AuditRunningError, QueueUnavailableError } from "../src/app/errors";
import type { AppServices } from "../src/app/services";
import { auditsForCron, findAudit, parseDeploymentConfig, type DeploymentConfig } from "../src/config/deployment";
import { newRunId } from "../src/runs/keys";
import {
  acquireAuditSlot,
  completePublished,
  createRun,
  executeRun,
  failRun,
  processBatch,
  processShuffle,
  resumeFanOut,
  startShouldResume,
  startShouldRun,
  type RunDeps,
} from "../src/runs/runner";
import { RunStore } from "../src/runs/run-store";
import type { QueueMessage, RunRecord } from "../src/runs/types";
import { R2BindingObjectStore, type R2BucketLike } from "../src/storage/r2-binding";
import { rejectDirectory, s3TraceStore, TraceStoreConfigError, type TraceStoreFor } from "../src/runs/object-stores";
import type { Env, ExecutionContextLike, MessageBatchLike, ScheduledControllerLike } from "./platform";
import { DurableObjectRunCounter, RunCoordinator } from "./run-coordinator";

export { RunCoordinator };

/** Queues accept at most 100 messages and 256 KB per sendBatch. */
const SEND_BATCH_MESSAGES = 100;
const SEND_BATCH_BYTES = 200_000;

function log(level: "info" | "warn" | "error", message: string): void {
  const line = `tracelint: ${message}`;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

function secretsOf(env: Env): Record<string, string | undefined> {
  const secrets: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") secrets[name] = value;
  return secrets;
}

function enqueueVia(env: Env): RunDeps["enqueue"] {
  const queue = env.AUDIT_QUEUE;
  if (!queue) return undefined;
  return async (messages: QueueMessage[]) => {
    let chunk: { body: QueueMessage; contentType: "json" }[] = [];
    let bytes = 0;
    for (const body of messages) {
      const size = JSON.stringify(body).length;
      if (chunk.length > 0 && (chunk.length >= SEND_BATCH_MESSAGES || bytes + size > SEND_BATCH_BYTES)) {
        await queue.sendBatch(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push({ body, contentType: "json" });
      bytes += size;
    }
    if (chunk.length > 0) await queue.sendBatch(chunk);
  };
}

/** An audit's trace bucket: the R2 binding it names, else the S3 API with credentials from secrets. */
function traceStoreVia(env: Env): TraceStoreFor {
  return (source) => {
    rejectDirectory(source);
    // The Worker has no default credential chain: missing secrets are named at once.
    if (source.binding === undefined) return s3TraceStore(source, secretsOf(env), { requireCredentials: true });
    const bucket = env[source.binding] as R2BucketLike | undefined;
    if (!bucket || typeof (bucket as { get?: unknown }).get !== "function") {
      throw new TraceStoreConfigError(`the audit reads R2 binding ${source.binding}, but the Worker has no such bucket binding (add [[r2_buckets]] binding = "${source.binding}" to wrangler.toml)`);
    }
    return new R2BindingObjectStore(bucket, source.binding);
  };
}

function depsFor(env: Env, config: DeploymentConfig): RunDeps {
  const enqueue = enqueueVia(env);
  return {
    traceStore: traceStoreVia(env),
    store: new RunStore(new R2BindingObjectStore(env.REPORTS, "REPORTS")),
    counter: new DurableObjectRunCounter(env.RUN_COORDINATOR),
    ...(enqueue ? { enqueue } : {}),
    secrets: secretsOf(env),
    config,
    now: () => new Date(),
    log,
  };
}

/** A bad config is logged once and leaves a failed run under the `_config` audit, for the API and `GET /`. */
async function recordConfigFailure(env: Env, message: string, trigger: "cron" | "api", cron: string | null): Promise<void> {
  log("error", `configuration error, no audit ran: ${message}`);
  try {
    const fallback = { audits: [], historyLimit: 100 } as unknown as DeploymentConfig;
    const deps = depsFor(env, fallback);
    const record = await createRun(deps, { name: "_config" }, trigger, new Date(), cron);
    await failRun(deps, record.runId, undefined, `configuration error: ${message}`);
  } catch (error) {
    log("error", `could not record the configuration error: ${(error as Error).message}`);
  }
}

function loadConfig(env: Env): DeploymentConfig {
  return parseDeploymentConfig(env.TRACELINT_CONFIG);
}

const app = createApp((c) => {
  const env = c.env as Env;
  const ctx = c.executionCtx as unknown as ExecutionContextLike;
  const store = new RunStore(new R2BindingObjectStore(env.REPORTS, "REPORTS"));
  const services: AppServices = {
    store,
    counter: new DurableObjectRunCounter(env.RUN_COORDINATOR),
    apiToken: env.API_TOKEN || undefined,
    config: () => loadConfig(env),
    startAudit: async (audit, at) => {
      const deps = depsFor(env, loadConfig(env));
      const scheduledTime = at ?? new Date();
      const runId = newRunId(scheduledTime);
      // One run per audit at a time, as in `tracelint serve` (409 audit_running).
      const slot = await acquireAuditSlot(deps, audit.name, runId);
      if (!slot.acquired) throw new AuditRunningError(audit.name, slot.runId);
      const record = await createRun(deps, audit, "api", scheduledTime, null, runId);
      // Planning can outlast an HTTP request (waitUntil ends 30 s after the response): hand it to
      // the queue, which gives a consumer 15 minutes. Without a queue, run it after the response.
      if (!env.AUDIT_QUEUE) {
        ctx.waitUntil(executeRun(deps, audit, record.runId));
        return record;
      }
      try {
        await env.AUDIT_QUEUE.send({ v: 1, kind: "start", runId: record.runId } satisfies QueueMessage, { contentType: "json" });
      } catch (error) {
        // Nothing will ever start this run: it is recorded as failed (history, GET /) rather than
        // left `queued`, and the caller is told to try again (503). No alert: the caller knows.
        const reason = `the audit queue refused the start message (${(error as Error).message}); the run was not started`;
        await failRun(deps, record.runId, undefined, reason);
        throw new QueueUnavailableError(`${reason} and is recorded as failed (run ${record.runId}); try again`);
      }
      return record;
    },
  };
  return services;
});

async function scheduled(controller: ScheduledControllerLike, env: Env, _ctx: ExecutionContextLike): Promise<void> {
  let config: DeploymentConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    await recordConfigFailure(env, (error as Error).message, "cron", controller.cron);
    return; // not rethrown: a config error is not fixed by retrying
  }
  const audits = auditsForCron(config, controller.cron);
  if (audits.length === 0) {
    log("warn", `cron ${JSON.stringify(controller.cron)} fired but no audit is scheduled on it (configured: ${config.audits.map((a) => a.cron ?? "-").join(", ")})`);
    return;
  }
  const deps = depsFor(env, config);
  // One audit after another: they share this invocation's memory, CPU and subrequest budget.
  for (const audit of audits) {
    const scheduledTime = new Date(controller.scheduledTime);
    const runId = newRunId(scheduledTime);
    // One run per audit at a time: a fire while the audit's last run is still going on is skipped
    // (a run that was abandoned does not count: stale.ts; this run then marks it failed).
    const slot = await acquireAuditSlot(deps, audit.name, runId);
    if (!slot.acquired) {
      log("warn", `audit ${audit.name}: skipped the ${scheduledTime.toISOString()} run, run ${slot.runId} is still running`);
      continue;
    }
    const record = await createRun(deps, audit, "cron", scheduledTime, controller.cron, runId);
    log("info", `run ${record.runId}: audit ${audit.name} started by cron ${controller.cron}`);
    await executeRun(deps, audit, record.runId);
  }
}

function findAuditOf(config: DeploymentConfig, record: RunRecord | undefined) {
  return record ? findAudit(config, record.audit) : undefined;
}

function isQueueMessage(body: unknown): body is QueueMessage {
  const m = body as QueueMessage | null;
  if (typeof m !== "object" || m === null || m.v !== 1 || typeof m.runId !== "string") return false;
  if (m.kind === "start") return true;
  if (m.kind === "batch") return typeof m.batchId === "string" && Array.isArray(m.candidates);
  return (m.kind === "partition" || m.kind === "shuffle") && typeof m.batchId === "string";
}

async function handleMessage(body: QueueMessage, env: Env, deadLettered: boolean): Promise<void> {
  let config: DeploymentConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    // Batches carry their audit in the pinned plan; only history/alert settings come from here.
    if (body.kind === "start") {
      await failRun(depsFor(env, { audits: [], historyLimit: 100 } as unknown as DeploymentConfig), body.runId, undefined, `configuration error: ${(error as Error).message}`);
      return;
    }
    config = { audits: [], historyLimit: 500 } as unknown as DeploymentConfig;
  }
  const deps = depsFor(env, config);
  if (deadLettered) {
    // The audit's settings: pinned in the plan, or — a start that died before planning wrote one —
    // from the config, by the audit the run record names (so that the audit-failed alert is sent).
    const plan = await deps.store.getPlan(body.runId);
    const audit = plan?.audit ?? findAuditOf(config, await deps.store.getRun(body.runId));
    const what = body.kind === "start" ? "planning" : `batch ${body.batchId}`;
    await failRun(deps, body.runId, audit, `${what} failed after every retry (dead-lettered)`);
    return;
  }
  if (body.kind === "start") {
    const record = await deps.store.getRun(body.runId);
    if (!record) return;
    const audit = findAudit(config, record.audit);
    if (startShouldResume(record)) {
      // Its planner died while sending the batches: what is not counted yet is sent again.
      await resumeFanOut(deps, body.runId);
      return;
    }
    if (record.state === "done") {
      // Over, but the consumer died before acknowledging: finish what it may not have (idempotent).
      if (audit) await completePublished(deps, audit, record);
      return;
    }
    if (!startShouldRun(record)) return; // re-delivered start: the run is under way in its batches, or failed
    if (record.state !== "queued") log("warn", `run ${body.runId}: start re-delivered while ${record.state}${record.mode ? ` (${record.mode})` : ""}: the consumer running it ended early; running it again`);
    if (!audit) {
      await failRun(deps, body.runId, undefined, `audit ${record.audit} is no longer configured`);
      return;
    }
    await executeRun(deps, audit, body.runId);
    return;
  }
  if (body.kind === "shuffle") await processShuffle(deps, body);
  else await processBatch(deps, body);
}

async function queue(batch: MessageBatchLike<unknown>, env: Env, _ctx: ExecutionContextLike): Promise<void> {
  const deadLettered = env.DLQ_NAME !== undefined && batch.queue === env.DLQ_NAME;
  for (const message of batch.messages) {
    if (!isQueueMessage(message.body)) {
      log("error", `queue ${batch.queue}: message ${message.id} is not a tracelint message; dropped`);
      message.ack();
      continue;
    }
    try {
      await handleMessage(message.body, env, deadLettered);
      message.ack();
    } catch (error) {
      log("warn", `queue ${batch.queue}: message ${message.id} (attempt ${message.attempts}) failed, will retry: ${(error as Error).message}`);
      message.retry({ delaySeconds: Math.min(60, 5 * message.attempts) });
    }
  }
}

const worker = {
  fetch: (request: Request, env: Env, ctx: ExecutionContextLike) => app.fetch(request, env, ctx as never),
  scheduled,
  queue,
};

export default worker;

// `tracelint serve`: the Worker's API and scheduled audits in one Node process, for Kubernetes or
// any host: the same Hono app on @hono/node-server, reports in a directory or an S3 bucket, and an
// in-process scheduler for each audit's cron. Runs are always inline here (one process, no 128 MB
// limit); the batch ledger is in memory.
import { serve } from "@hono/node-server";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createApp } from "../app/app";
import { AuditRunningError, StoreUnavailableError } from "../app/errors";
import type { AppServices } from "../app/services";
import { DeploymentConfigError, parseDeploymentConfig, type AuditConfig, type DeploymentConfig } from "../config/deployment";
import { nextFireTime, parseCron } from "../runs/cron";
import { AuditRunSlots, LeasedRunCounter } from "./store-lease";
import { newRunId } from "../runs/keys";
import { RunStore } from "../runs/run-store";
import { s3TraceStore } from "../runs/object-stores";
import { createRun, executeRun, type RunDeps } from "../runs/runner";
import type { RunRecord } from "../runs/types";
import type { ListOptions, ListPage, ObjectStore, PutOptions, StoredObject } from "../storage/object-store";
import { endpointFromEnv, S3ObjectStore } from "../storage/s3";
import { BucketUrlError, isDirectoryUrl, parseBucketUrl } from "../storage/url";
import { claimCronFire } from "./cron-claims";
import { FsObjectStore } from "./fs-object-store";
import { UsageError } from "./inputs";
import { localDirectory, locationPath } from "./local-directory";
import type { CliIO } from "./io";

export const SERVE_USAGE = `Usage: tracelint serve [--config FILE] [--reports DIR|s3://BUCKET[/PREFIX]] [options]

Serves the tracelint API (GET /, /api/reports, /api/reports/:id, POST /api/audits,
GET /api/audits/:id, /healthz) and runs each configured audit on its cron (UTC).

Options:
  --config FILE       deployment config (JSON; default: $TRACELINT_CONFIG, the JSON itself)
  --reports LOCATION  where reports and run records go: a directory (default ./tracelint-data),
                      file:///dir or s3://bucket/prefix (credentials: AWS_* environment; endpoint:
                      AWS_ENDPOINT_URL_S3 for MinIO/R2, with --s3-path-style)
  --s3-path-style     path-style S3 URLs (MinIO)
  --host HOST         listen address (default 0.0.0.0)
  --port N            listen port (default $PORT or 8080)
  --no-scheduler      serve the API only (e.g. when a CronJob runs the audits)

One run per audit at a time: a cron fire while it runs is skipped, POST /api/audits answers 409
with the running run's ID (across replicas sharing the report store too). The report store is
checked at start-up (exit 2 if it cannot be written).

An object-storage audit's "bucket" may be file:///DIRECTORY (Tempo's local backend, or a bucket
copied to disk) as well as s3://BUCKET[/PREFIX].

Secrets come from the environment: API_TOKEN (required for every route except /healthz),
TEMPO_TOKEN or TEMPO_USER/TEMPO_PASSWORD, TEMPO_HEADERS, and the webhook variables the
config names.`;

type Log = RunDeps["log"];

/** Keys under a prefix of another store (s3://bucket/prefix). */
class PrefixedStore implements ObjectStore {
  readonly description: string;
  constructor(
    readonly inner: ObjectStore,
    readonly prefix: string,
  ) {
    this.description = `${inner.description}/${prefix}`;
  }
  #key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
  async *list(prefix: string, options?: ListOptions): AsyncIterable<ListPage> {
    const cut = this.prefix ? this.prefix.length + 1 : 0;
    for await (const page of this.inner.list(this.#key(prefix), options)) {
      yield { objects: page.objects.map((o) => ({ ...o, key: o.key.slice(cut) })), prefixes: page.prefixes.map((p) => p.slice(cut)) };
    }
  }
  get(key: string): Promise<StoredObject> {
    return this.inner.get(this.#key(key));
  }
  getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return this.inner.getRange(this.#key(key), start, end);
  }
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    return this.inner.put(this.#key(key), body, options);
  }
  async delete(key: string): Promise<void> {
    await this.inner.delete?.(this.#key(key));
  }
  get createIfAbsent(): ((key: string, body: Uint8Array, options?: PutOptions) => Promise<boolean>) | undefined {
    const inner = this.inner.createIfAbsent?.bind(this.inner);
    return inner ? (key, body, options) => inner(this.#key(key), body, options) : undefined;
  }
}

/**
 * `--reports` checked at start-up: a directory (created at the first write), `file:///DIR` or
 * `s3://BUCKET[/PREFIX]`. Another scheme would become a relative directory named after it (in a
 * pod, on ephemeral disk), and a malformed bucket URL would crash the first run.
 */
function reportsLocation(given: string): string {
  const path = locationPath("--reports", given);
  if (path !== undefined) return path;
  try {
    parseBucketUrl(given);
  } catch (error) {
    if (error instanceof BucketUrlError) throw new UsageError(`--reports: ${error.message}`);
    throw error;
  }
  return given;
}

export function reportStore(location: string, env: Record<string, string | undefined>, pathStyle = false): ObjectStore {
  if (!/^(s3|r2):\/\//.test(location)) return new FsObjectStore(location);
  const { bucket, prefix } = parseBucketUrl(location);
  const endpoint = endpointFromEnv(env);
  const s3 = new S3ObjectStore({
    bucket,
    ...(endpoint ? { endpoint } : {}),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    forcePathStyle: pathStyle,
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {}),
  });
  return prefix ? new PrefixedStore(s3, prefix) : s3;
}

export interface Timers {
  now(): Date;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => new Date(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Fires `run(audit, scheduledTime)` at each audit's cron times. A fire that comes while the same
 * audit is still running is skipped (logged), so a slow audit never piles up behind itself.
 */
export class CronScheduler {
  readonly #timers: Timers;
  readonly #handles = new Map<string, unknown>();
  readonly #running = new Set<string>();
  #stopped = false;

  constructor(
    readonly audits: readonly AuditConfig[],
    readonly run: (audit: AuditConfig, scheduledTime: Date) => Promise<unknown>,
    readonly log: Log,
    timers: Timers = realTimers,
  ) {
    this.#timers = timers;
  }

  start(): void {
    for (const audit of this.audits) if (audit.cron) this.#arm(audit, this.#timers.now());
  }

  /** Next fire time per scheduled audit (for logs and tests). */
  next(after: Date = this.#timers.now()): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const audit of this.audits) if (audit.cron) out[audit.name] = nextFireTime(parseCron(audit.cron), after)?.toISOString() ?? null;
    return out;
  }

  #arm(audit: AuditConfig, after: Date): void {
    if (this.#stopped) return;
    const at = nextFireTime(parseCron(audit.cron!), after);
    if (!at) {
      this.log("warn", `audit ${audit.name}: cron ${audit.cron} never fires`);
      return;
    }
    const wait = at.getTime() - this.#timers.now().getTime();
    const handle = this.#timers.setTimer(() => {
      if (this.#timers.now().getTime() < at.getTime()) return this.#arm(audit, new Date(at.getTime() - 60_000)); // re-armed long wait
      this.#arm(audit, at);
      this.#fire(audit, at);
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    this.#handles.set(audit.name, handle);
  }

  #fire(audit: AuditConfig, at: Date): void {
    if (this.#running.has(audit.name)) {
      this.log("warn", `audit ${audit.name}: skipped the ${at.toISOString()} run, the previous one is still running`);
      return;
    }
    this.#running.add(audit.name);
    this.run(audit, at)
      .catch((error: unknown) => this.log("error", `audit ${audit.name}: ${(error as Error).message}`))
      .finally(() => this.#running.delete(audit.name));
  }

  stop(): void {
    this.#stopped = true;
    for (const handle of this.#handles.values()) this.#timers.clearTimer(handle);
    this.#handles.clear();
  }
}

export interface ServeOptions {
  config: DeploymentConfig;
  store: ObjectStore;
  env: Record<string, string | undefined>;
  host?: string;
  port?: number;
  scheduler?: boolean;
  log?: Log;
  timers?: Timers;
}

export interface RunningServer {
  url: string;
  port: number;
  scheduler: CronScheduler | undefined;
  /** Runs started by the API or the scheduler that have not finished yet. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startServe(options: ServeOptions): Promise<RunningServer> {
  const log: Log = options.log ?? ((level, message) => console[level === "info" ? "log" : level](`tracelint: ${message}`));
  const timers = options.timers ?? realTimers;
  // Runs of this replica queue in memory; replicas sharing the store also take a lease object.
  const counter = new LeasedRunCounter(options.store, log);
  const deps: RunDeps = {
    store: new RunStore(options.store),
    counter,
    secrets: options.env,
    config: options.config,
    now: () => timers.now(),
    log,
    traceStore: (source) => (isDirectoryUrl(source.bucket) ? new FsObjectStore(fileURLToPath(source.bucket)) : s3TraceStore(source, options.env)),
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };
  // One run per audit at a time, on this replica and across replicas sharing the store (store-lease.ts).
  const slots = new AuditRunSlots(options.store, log, {
    isFinished: async (runId) => {
      const state = (await deps.store.getRun(runId))?.state;
      return state === "done" || state === "failed";
    },
  });
  /** Starts a run of the audit; throws AuditRunningError while it has one going on, StoreUnavailableError when the store refuses the run record. */
  const runAudit = async (audit: AuditConfig, scheduledTime: Date, trigger: "cron" | "api"): Promise<RunRecord> => {
    const runId = newRunId(scheduledTime);
    const slot = await slots.acquire(audit.name, runId);
    if (!slot.acquired) throw new AuditRunningError(audit.name, slot.runId);
    let record: RunRecord;
    try {
      record = await createRun(deps, audit, trigger, scheduledTime, trigger === "cron" ? (audit.cron ?? null) : null, runId);
    } catch (error) {
      await slot.release();
      log("error", `audit ${audit.name}: cannot record a new run in the report store ${options.store.description}: ${errorLine(error)}`);
      throw new StoreUnavailableError(`cannot record the run in the report store: ${errorLine(error)}`);
    }
    log("info", `run ${record.runId}: audit ${audit.name} started (${trigger})`);
    track(executeRun(deps, audit, record.runId).finally(() => slot.release()));
    return record;
  };
  // Several replicas may share the report store: each cron fire runs where it is claimed (cron-claims.ts).
  const runScheduled = async (audit: AuditConfig, scheduledTime: Date): Promise<RunRecord | undefined> => {
    if (!(await claimCronFire(options.store, audit.name, scheduledTime, timers.now(), log))) return undefined;
    try {
      return await runAudit(audit, scheduledTime, "cron");
    } catch (error) {
      if (!(error instanceof AuditRunningError)) throw error;
      log("warn", `audit ${audit.name}: skipped the ${scheduledTime.toISOString()} run, run ${error.runId} is still running`);
      return undefined;
    }
  };
  const services: AppServices = {
    store: deps.store,
    counter: deps.counter,
    apiToken: options.env.API_TOKEN || undefined,
    config: () => options.config,
    startAudit: (audit, at) => runAudit(audit, at ?? timers.now(), "api"),
  };
  const app = createApp(() => services);
  const scheduler = options.scheduler === false ? undefined : new CronScheduler(options.config.audits, runScheduled, log, timers);
  return new Promise((resolve, reject) => {
    const http = serve({ fetch: app.fetch, port: options.port ?? 8080, hostname: options.host ?? "0.0.0.0" }, (info: AddressInfo) => {
      scheduler?.start();
      const host = info.address.includes(":") ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        scheduler,
        idle: async () => {
          while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        },
        close: async () => {
          scheduler?.stop();
          (http as { closeAllConnections?: () => void }).closeAllConnections?.();
          await new Promise<void>((done) => http.close(() => done()));
          while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        },
      });
    });
    http.once("error", reject);
  });
}

/** Parses `tracelint serve` arguments, serves until SIGINT/SIGTERM (registered in main.ts). */
export async function serveCommand(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      reports: { type: "string" },
      "s3-path-style": { type: "boolean" },
      host: { type: "string" },
      port: { type: "string" },
      "no-scheduler": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments (got ${JSON.stringify(positionals[0])})`);
  const portText = values.port ?? io.env.PORT ?? "8080";
  if (!/^\d+$/.test(portText) || Number(portText) > 65_535) throw new UsageError(`--port must be a port number (got ${JSON.stringify(portText)})`);
  let config: DeploymentConfig;
  try {
    config = values.config !== undefined ? parseDeploymentConfig(await readConfigFile(values.config), values.config) : parseDeploymentConfig(io.env.TRACELINT_CONFIG);
  } catch (error) {
    if (error instanceof DeploymentConfigError) throw new UsageError(error.message);
    throw error;
  }
  // A directory that is not there is a configuration error now, not an empty report at the first run.
  for (const audit of config.audits) {
    const source = audit.source;
    if ((source.kind === "blocks" || source.kind === "otlp-archive") && isDirectoryUrl(source.bucket)) await localDirectory(`audit ${audit.name}: bucket`, source.bucket);
  }
  if (!io.env.API_TOKEN) io.stderr("tracelint: API_TOKEN is not set: every route except /healthz answers 503");
  const location = reportsLocation(values.reports ?? "./tracelint-data");
  const log: Log = (level, message) => io.stderr(`tracelint: ${level === "info" ? "" : `${level}: `}${message}`);
  const store = reportStore(location, io.env, values["s3-path-style"] ?? false);
  // A store that cannot be written would fail every run while /healthz says ok: stop here instead.
  try {
    await probeReportStore(store);
  } catch (error) {
    throw new UsageError(`--reports ${location}: ${(error as Error).message}`);
  }
  const host = values.host ?? "0.0.0.0";
  let server: RunningServer;
  try {
    server = await startServe({ config, store, env: io.env, host, port: Number(portText), scheduler: !(values["no-scheduler"] ?? false), log });
  } catch (error) {
    const reason = listenProblem(error);
    if (reason === undefined) throw error;
    throw new UsageError(`cannot listen on ${host.includes(":") ? `[${host}]` : host}:${portText}: ${reason}`);
  }
  io.stderr(`tracelint: serving on ${server.url}, reports in ${location}`);
  for (const [audit, at] of Object.entries(server.scheduler?.next() ?? {})) io.stderr(`tracelint: audit ${audit} next runs at ${at ?? "never"}`);
  await new Promise<void>((resolve) => {
    if (signal) signal.addEventListener("abort", () => resolve(), { once: true });
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  io.stderr("tracelint: shutting down (waiting for running audits)");
  await server.close();
  return 0;
}

/** The first line of an error's message (S3 and file system errors alike), without a stack. */
function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split("\n")[0]!;
}

/**
 * Writes, reads back and deletes a small object under `state/`: what every run does to the store
 * (run records, reports; leases and cron claims are removed again). Throws with the step that failed.
 */
export async function probeReportStore(store: ObjectStore): Promise<void> {
  const key = `state/write-probe-${randomUUID()}.json`;
  const body = new TextEncoder().encode(JSON.stringify({ probe: "tracelint serve start-up", at: new Date().toISOString() }));
  let step = "write";
  try {
    await store.put(key, body, { contentType: "application/json" });
    step = "read back";
    const back = await store.get(key);
    if (new TextDecoder().decode(back.body) !== new TextDecoder().decode(body)) throw new Error("it came back different");
    step = "delete";
    await store.delete?.(key);
  } catch (error) {
    throw new Error(`the report store cannot ${step} a test object (${key}): ${errorLine(error)}`);
  }
}

/** One line for a listen failure (the port in use, a privileged port, an address not on this host), else undefined. */
function listenProblem(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EADDRINUSE":
      return "the port is already in use (another process listens on it; choose one with --port or $PORT)";
    case "EACCES":
      return "permission denied (ports below 1024 need privileges; use a higher --port)";
    case "EADDRNOTAVAIL":
      return "this host has no such address (--host)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host name (--host)";
    default:
      return typeof code === "string" && /^E[A-Z]+$/.test(code) ? `${code}: ${errorLine(error)}` : undefined;
  }
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

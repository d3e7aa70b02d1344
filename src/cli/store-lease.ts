// Several `tracelint serve` replicas on one report store update an audit's history index and latest
// pointer by read → change → write. The in-process queue of MemoryRunCounter only orders the runs
// of one replica; across replicas a lease object, created exclusively (a directory's O_EXCL, S3's
// `If-None-Match: *`), serialises them. A holder that died leaves its lease behind: past its
// `until` it is removed by the next replica that wants it.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { lockKey, runningKey } from "../runs/keys";
import { LOCK_LEASE_MS, MemoryRunCounter } from "../runs/ledger";
import type { ObjectStore } from "../storage/object-store";

type Log = (level: "info" | "warn" | "error", message: string) => void;

export interface LeaseOptions {
  /** How long a lease is valid; a holder that died frees it after this. */
  leaseMs?: number;
  /** Waiting for another replica's lease gives up after this, and the work runs without it. */
  waitMs?: number;
  /** Pause between attempts (jittered by up to half). */
  retryMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: Log;
}

interface Lease {
  token: string;
  until: number;
}

function parseLease(bytes: Uint8Array): Lease | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Lease>;
    return typeof value.token === "string" && typeof value.until === "number" ? { token: value.token, until: value.until } : undefined;
  } catch {
    return undefined;
  }
}

/** The lease at `key`: undefined when there is none, `"unreadable"` when it cannot be parsed (yet). */
async function readLease(store: ObjectStore, key: string): Promise<Lease | "unreadable" | undefined> {
  try {
    return parseLease((await store.get(key)).body) ?? "unreadable";
  } catch (error) {
    if ((error as Error).name === "ObjectNotFoundError") return undefined;
    return "unreadable";
  }
}

/**
 * Runs `work` while holding the lease object `key` in `store`. Stores without exclusive create run
 * it unguarded (as before this existed); so does a store error, or a wait longer than `waitMs`
 * (better a rare lost index entry than a run that never publishes). Removing a dead holder's lease
 * is check-then-delete, so two replicas that both saw it expire at the same instant can both
 * proceed: leases only expire when a replica died while holding one.
 */
export async function withStoreLease<T>(store: ObjectStore, key: string, work: () => Promise<T>, options: LeaseOptions = {}): Promise<T> {
  const createIfAbsent = store.createIfAbsent?.bind(store);
  const remove = store.delete?.bind(store);
  if (!createIfAbsent || !remove) return work();
  const leaseMs = options.leaseMs ?? LOCK_LEASE_MS;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = options.log ?? (() => {});
  const retryMs = options.retryMs ?? 50;
  const deadline = now() + (options.waitMs ?? leaseMs + 5_000);
  const token = randomUUID();
  for (;;) {
    const lease = { token, until: now() + leaseMs, host: hostname(), pid: process.pid };
    let won: boolean;
    try {
      won = await createIfAbsent(key, new TextEncoder().encode(JSON.stringify(lease)), { contentType: "application/json" });
    } catch (error) {
      log("warn", `could not take the lock ${key} (${(error as Error).message}); going ahead without it`);
      return work();
    }
    if (won) break;
    const held = await readLease(store, key);
    if (held === undefined) continue; // released meanwhile
    if (held !== "unreadable" && held.until < now()) {
      log("warn", `removing the expired lock ${key} (its holder stopped while holding it)`);
      await remove(key).catch(() => {});
      continue;
    }
    if (now() >= deadline) {
      log("warn", `waited too long for the lock ${key}; going ahead without it`);
      return work();
    }
    await sleep(retryMs * (1 + Math.random() / 2));
  }
  try {
    return await work();
  } finally {
    await remove(key).catch((error: unknown) => log("warn", `could not release the lock ${key}: ${(error as Error).message}`));
  }
}

/** `serve`'s run counter: the in-process queue of MemoryRunCounter, then the store's lease object. */
export class LeasedRunCounter extends MemoryRunCounter {
  readonly #store: ObjectStore;
  readonly #log: Log;

  constructor(store: ObjectStore, log: Log) {
    super();
    this.#store = store;
    this.#log = log;
  }

  override withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    return super.withLock(name, () => withStoreLease(this.#store, lockKey(name), work, { log: this.#log }));
  }
}

/** A running-audit lease is valid this long without renewal; its holder renews it every third of that. */
export const RUNNING_LEASE_MS = 2 * 60_000;

interface RunningLease extends Lease {
  runId: string;
}

function parseRunningLease(bytes: Uint8Array): RunningLease | undefined {
  const lease = parseLease(bytes);
  if (!lease) return undefined;
  try {
    const runId = (JSON.parse(new TextDecoder().decode(bytes)) as { runId?: unknown }).runId;
    return typeof runId === "string" ? { ...lease, runId } : undefined;
  } catch {
    return undefined;
  }
}

export type AuditSlot = { acquired: true; release(): Promise<void> } | { acquired: false; runId: string };

export interface AuditRunSlotOptions {
  leaseMs?: number;
  now?: () => number;
  /** Whether a run has finished (done or failed): its lease is stale even before it expires. */
  isFinished?: (runId: string) => Promise<boolean>;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * One run per audit at a time in `tracelint serve`, whatever started it (a cron fire, `POST
 * /api/audits`) and on whichever replica: in this process a map, across replicas sharing the report
 * store a lease object, `state/<audit>/running.json`, created exclusively (like the history lock)
 * with the run's ID. The holder renews it while the run goes on and removes it at the end; the
 * lease of a replica that died expires after RUNNING_LEASE_MS, and one whose run is recorded as
 * finished is stale at once. A store without exclusive create gets the in-process guard only.
 */
export class AuditRunSlots {
  readonly #store: ObjectStore;
  readonly #log: Log;
  readonly #local = new Map<string, string>();
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #isFinished: (runId: string) => Promise<boolean>;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(store: ObjectStore, log: Log, options: AuditRunSlotOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#leaseMs = options.leaseMs ?? RUNNING_LEASE_MS;
    this.#now = options.now ?? Date.now;
    this.#isFinished = options.isFinished ?? (async () => false);
    this.#sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  /** Takes `audit` for the run `runId`, or says which run has it. */
  async acquire(audit: string, runId: string): Promise<AuditSlot> {
    const local = this.#local.get(audit);
    if (local !== undefined) return { acquired: false, runId: local };
    this.#local.set(audit, runId); // before any await: a second request in this process sees it
    try {
      const taken = await this.#lease(audit, runId);
      if (typeof taken === "string") {
        this.#local.delete(audit);
        return { acquired: false, runId: taken };
      }
      let released = false;
      return {
        acquired: true,
        release: async () => {
          if (released) return;
          released = true;
          try {
            await taken();
          } finally {
            this.#local.delete(audit);
          }
        },
      };
    } catch (error) {
      this.#local.delete(audit);
      throw error;
    }
  }

  /** The lease: a release function, or the run ID of the holder. */
  async #lease(audit: string, runId: string): Promise<(() => Promise<void>) | string> {
    const store = this.#store;
    const create = store.createIfAbsent?.bind(store);
    const remove = store.delete?.bind(store);
    if (!create || !remove) return async () => {};
    const key = runningKey(audit);
    const token = randomUUID();
    const body = () => new TextEncoder().encode(JSON.stringify({ token, runId, until: this.#now() + this.#leaseMs, host: hostname(), pid: process.pid }));
    let unreadable = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 20) {
        // Removed and back every time, or never removable: better a run unguarded than none.
        this.#log("warn", `audit ${audit}: could not take ${key} after ${attempt} attempts; running without it`);
        return async () => {};
      }
      let won: boolean;
      try {
        won = await create(key, body(), { contentType: "application/json" });
      } catch (error) {
        this.#log("warn", `audit ${audit}: could not take ${key} (${(error as Error).message}); other replicas are not kept from running it at the same time`);
        return async () => {};
      }
      if (won) break;
      let held: RunningLease | "unreadable" | undefined;
      try {
        held = parseRunningLease((await store.get(key)).body) ?? "unreadable";
      } catch (error) {
        held = (error as Error).name === "ObjectNotFoundError" ? undefined : "unreadable";
      }
      if (held === undefined) continue; // released meanwhile
      if (held === "unreadable") {
        // Being written (a file is created empty, then filled), or damaged: wait a little, then replace it.
        if (++unreadable < 5) {
          await this.#sleep(50);
          continue;
        }
        this.#log("warn", `audit ${audit}: removing the unreadable ${key}`);
      } else if (held.until >= this.#now() && !(await this.#isFinished(held.runId).catch(() => false))) {
        return held.runId;
      } else {
        this.#log("warn", `audit ${audit}: removing the stale ${key} of run ${held.runId} (${held.until < this.#now() ? "its replica stopped renewing it" : "that run has finished"})`);
      }
      await remove(key).catch(() => {});
    }
    // Renewed while the run goes on, so that only a replica that died lets it expire.
    const renew = setInterval(() => {
      void (async () => {
        const current = await store.get(key).then((o) => parseRunningLease(o.body), () => undefined);
        if (current?.token === token) await store.put(key, body(), { contentType: "application/json" });
      })().catch((error: unknown) => this.#log("warn", `audit ${audit}: could not renew ${key}: ${(error as Error).message}`));
    }, Math.max(1, Math.floor(this.#leaseMs / 3)));
    (renew as { unref?: () => void }).unref?.();
    return async () => {
      clearInterval(renew);
      try {
        const current = await store.get(key).then((o) => parseRunningLease(o.body), () => undefined);
        if (current?.token === token) await remove(key);
      } catch (error) {
        this.#log("warn", `audit ${audit}: could not remove ${key}: ${(error as Error).message} (it expires by itself)`);
      }
    };
  }
}

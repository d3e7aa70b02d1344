// Several `tracelint serve` replicas on one report store update an audit's history index and latest
// pointer by read → change → write. The in-process queue of MemoryRunCounter only orders the runs
// of one replica; across replicas a lease object, created exclusively (a directory's O_EXCL, S3's
// `If-None-Match: *`), serialises them. A holder that died leaves its lease behind: past its
// `until` it is removed by the next replica that wants it.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { lockKey } from "../runs/keys";
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

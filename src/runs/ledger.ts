// Counting a fanned-out run's batches exactly once, and electing the one consumer that merges.
// `BatchLedger` is the pure state machine; the Worker keeps it in a Durable Object (whose storage
// and input gates make each transition atomic), `tracelint serve` in memory.

export interface LedgerState {
  batchIds: string[];
  completed: string[];
  /** The batch whose consumer is merging, and since when (a crashed merger's claim expires). */
  claim: { by: string; atMs: number } | null;
  finalized: boolean;
}

export interface CompleteResult {
  /** False when the batch was already counted (a re-delivery) or is not part of the run. */
  counted: boolean;
  done: number;
  total: number;
  /** True for exactly one live consumer once every batch is in: it must merge, then call finalized(). */
  finalize: boolean;
}

/** A merge that has not finished in this long is presumed dead; another delivery may take over. */
export const CLAIM_LEASE_MS = 10 * 60_000;

export function newLedger(batchIds: readonly string[]): LedgerState {
  return { batchIds: [...batchIds], completed: [], claim: null, finalized: false };
}

/** Marks `batchId` done. Returns the new state (never mutates) and what the caller must do. */
export function completeBatch(state: LedgerState, batchId: string, nowMs: number): { state: LedgerState; result: CompleteResult } {
  const known = state.batchIds.includes(batchId);
  const already = state.completed.includes(batchId);
  const counted = known && !already && !state.finalized;
  const completed = counted ? [...state.completed, batchId] : state.completed;
  const total = state.batchIds.length;
  let claim = state.claim;
  let finalize = false;
  if (known && !state.finalized && completed.length === total) {
    // The first consumer to see the run complete merges. The same batch delivered again (its merge
    // threw and the message was retried) may take over, and so may anyone once the lease expired.
    if (claim === null || claim.by === batchId || nowMs - claim.atMs > CLAIM_LEASE_MS) {
      claim = { by: batchId, atMs: nowMs };
      finalize = true;
    }
  }
  return { state: { ...state, completed, claim }, result: { counted, done: completed.length, total, finalize } };
}

export function isCompleted(state: LedgerState, batchId: string): boolean {
  return state.finalized || state.completed.includes(batchId);
}

/** The coordination a run needs; implemented by a Durable Object and by `MemoryRunCounter`. */
export interface RunCounter {
  start(runId: string, batchIds: readonly string[]): Promise<void>;
  isCompleted(runId: string, batchId: string): Promise<boolean>;
  complete(runId: string, batchId: string): Promise<CompleteResult>;
  finalized(runId: string): Promise<void>;
  /** Batches counted so far (for the status API). */
  progress?(runId: string): Promise<{ total: number; done: number } | undefined>;
  /**
   * Runs `work` while holding the named lock, so that read → change → write sequences on shared
   * objects (an audit's history index and latest pointer) from runs finishing at once do not
   * overwrite each other. Without it those writes race (runs then go missing from the index).
   */
  withLock?<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/** How long a lock is held at most: a holder that died frees it after this. */
export const LOCK_LEASE_MS = 30_000;

/** Lock state kept per name (Durable Object storage): who holds it and until when. */
export interface LockState {
  token: string;
  until: number;
}

/** Grants the lock when it is free or its lease has run out; returns the new state, or undefined. */
export function acquireLock(current: LockState | undefined, token: string, nowMs: number): LockState | undefined {
  if (current && current.until > nowMs && current.token !== token) return undefined;
  return { token, until: nowMs + LOCK_LEASE_MS };
}

/** In one process (Node, tests): a Map is atomic enough because transitions never await. */
export class MemoryRunCounter implements RunCounter {
  readonly #runs = new Map<string, LedgerState>();
  /** Per lock name, the end of the queue of work waiting for it. */
  readonly #locks = new Map<string, Promise<unknown>>();
  constructor(readonly now: () => number = Date.now) {}

  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(name) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => {});
    this.#locks.set(name, tail);
    try {
      return await mine;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }

  async start(runId: string, batchIds: readonly string[]): Promise<void> {
    if (!this.#runs.has(runId)) this.#runs.set(runId, newLedger(batchIds));
  }
  async isCompleted(runId: string, batchId: string): Promise<boolean> {
    const state = this.#runs.get(runId);
    return state ? isCompleted(state, batchId) : false;
  }
  async complete(runId: string, batchId: string): Promise<CompleteResult> {
    const state = this.#runs.get(runId);
    if (!state) return { counted: false, done: 0, total: 0, finalize: false };
    const next = completeBatch(state, batchId, this.now());
    this.#runs.set(runId, next.state);
    return next.result;
  }
  async finalized(runId: string): Promise<void> {
    const state = this.#runs.get(runId);
    if (state) this.#runs.set(runId, { ...state, finalized: true, claim: null });
  }
  async progress(runId: string): Promise<{ total: number; done: number } | undefined> {
    const state = this.#runs.get(runId);
    return state ? { total: state.batchIds.length, done: state.completed.length } : undefined;
  }
}

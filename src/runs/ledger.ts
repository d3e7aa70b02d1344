// Counting a fanned-out run's batches exactly once, and electing the one consumer that merges.
// `BatchLedger` is the pure state machine; the Worker keeps it in a Durable Object (whose storage
// and input gates make each transition atomic), `tracelint serve` in memory.

export interface LedgerState {
  batchIds: string[];
  completed: string[];
  /** The batch whose consumer is merging, and since when (a crashed merger's claim expires). */
  claim: { by: string; atMs: number } | null;
  finalized: boolean;
  /** When the ledger last moved (started, a batch counted, a merge claimed): staleness (stale.ts). */
  touchedMs?: number;
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

export function newLedger(batchIds: readonly string[], nowMs?: number): LedgerState {
  return { batchIds: [...batchIds], completed: [], claim: null, finalized: false, ...(nowMs !== undefined ? { touchedMs: nowMs } : {}) };
}

/**
 * Whether `start` may (re)write the ledger: when there is none, or nothing was counted in it yet. A
 * planner that died after starting the ledger but before its run said "fanned out" had sent no
 * message, so its re-delivered start re-plans, possibly with other batches, and starts afresh.
 */
export function mayStartLedger(state: LedgerState | undefined): boolean {
  return state === undefined || (state.completed.length === 0 && !state.finalized && state.claim === null);
}

/** The batches not counted yet (for resuming a fan-out whose planner died while enqueueing). */
export function pendingBatches(state: LedgerState): { pending: string[]; finalized: boolean } {
  const done = new Set(state.completed);
  return { pending: state.finalized ? [] : state.batchIds.filter((id) => !done.has(id)), finalized: state.finalized };
}

/** Counted batches, for the status API. */
export function ledgerProgress(state: LedgerState): LedgerProgress {
  return { total: state.batchIds.length, done: state.completed.length };
}

export interface LedgerProgress {
  total: number;
  done: number;
}

/** Epoch ms the ledger last moved (started, a batch counted, a merge claimed); undefined in ledgers older than the field. */
export function ledgerLastActivity(state: LedgerState): number | undefined {
  return state.touchedMs === undefined ? undefined : Math.max(state.touchedMs, state.claim?.atMs ?? 0);
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
  const moved = counted || finalize;
  return { state: { ...state, completed, claim, ...(moved ? { touchedMs: nowMs } : {}) }, result: { counted, done: completed.length, total, finalize } };
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
  progress?(runId: string): Promise<LedgerProgress | undefined>;
  /** When the run's ledger last moved (epoch ms), for staleness (stale.ts); undefined when unknown. */
  lastActivity?(runId: string): Promise<number | undefined>;
  /** The batches not counted yet; undefined when the run has no ledger. */
  pending?(runId: string): Promise<{ pending: string[]; finalized: boolean } | undefined>;
  /**
   * One run per audit (the Worker): makes `runId` the audit's running run when none is, when it is
   * already, or when the current one is `replace` (compare-and-set, so that of two callers that
   * both found the same finished holder only one takes over). Otherwise names the holder.
   */
  claimAuditSlot?(audit: string, runId: string, replace?: string): Promise<{ granted: true } | { granted: false; holder: string }>;
  /** Frees the audit's slot if `runId` holds it. */
  releaseAuditSlot?(audit: string, runId: string): Promise<void>;
  /**
   * Runs `work` while holding the named lock, so that read → change → write sequences on shared
   * objects (an audit's history index and latest pointer) from runs finishing at once do not
   * overwrite each other. Without it those writes race (runs then go missing from the index).
   */
  withLock?<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * How long a lock is held at most: a holder that died frees it after this. Work under a lock must
 * be short (a few storage round trips): waiters give up after LOCK_WAIT_MS (Durable Object) or the
 * lease plus 5 s (`tracelint serve`) and go ahead without it. Webhook deliveries, which may take
 * minutes, are therefore never made under a lock: alerts are claimed under it instead (alerts/run.ts).
 */
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

/** Slot state kept per audit (Durable Object storage): the audit's running run. */
export interface AuditSlotState {
  runId: string;
  sinceMs: number;
}

/** The compare-and-set of `claimAuditSlot`: the new slot, or undefined (the holder stays). */
export function claimSlot(current: AuditSlotState | undefined, runId: string, replace: string | undefined, nowMs: number): AuditSlotState | undefined {
  if (current === undefined || current.runId === runId || (replace !== undefined && current.runId === replace)) {
    return current?.runId === runId ? current : { runId, sinceMs: nowMs };
  }
  return undefined;
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
    if (mayStartLedger(this.#runs.get(runId))) this.#runs.set(runId, newLedger(batchIds, this.now()));
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
  async progress(runId: string): Promise<LedgerProgress | undefined> {
    const state = this.#runs.get(runId);
    return state ? ledgerProgress(state) : undefined;
  }
  async pending(runId: string): Promise<{ pending: string[]; finalized: boolean } | undefined> {
    const state = this.#runs.get(runId);
    return state ? pendingBatches(state) : undefined;
  }
  async lastActivity(runId: string): Promise<number | undefined> {
    const state = this.#runs.get(runId);
    return state ? ledgerLastActivity(state) : undefined;
  }
}

// Durable Object holding one run's batch ledger. A Durable Object processes one event at a time
// and its storage calls keep other events out until they finish, so each get → change → put below
// is atomic: two consumers finishing at once cannot both be "last", and a re-delivered batch is
// counted once. Addressed by `idFromName(runId)`; `lock:<name>` objects hold a named lock, and
// `audit:<name>` objects the audit's running run (one run per audit at a time).
import {
  acquireLock,
  claimSlot,
  completeBatch,
  isCompleted,
  ledgerLastActivity,
  ledgerProgress,
  mayStartLedger,
  newLedger,
  pendingBatches,
  type AuditSlotState,
  type CompleteResult,
  type LedgerProgress,
  type LedgerState,
  type LockState,
  type RunCounter,
} from "../src/runs/ledger";
import type { DurableObjectNamespaceLike, DurableObjectStateLike } from "./platform";

type Command =
  | { op: "start"; batchIds: string[] }
  | { op: "is-completed"; batchId: string }
  | { op: "complete"; batchId: string }
  | { op: "finalized" }
  | { op: "progress" }
  | { op: "pending" }
  | { op: "last-activity" }
  | { op: "lock"; token: string }
  | { op: "unlock"; token: string }
  | { op: "slot-claim"; runId: string; replace?: string }
  | { op: "slot-release"; runId: string };

const KEY = "ledger";
const LOCK_KEY = "lock";
const SLOT_KEY = "slot";
/** How long withLock waits for a lock before doing its work anyway (a stuck lock must not stop runs). */
const LOCK_WAIT_MS = 20_000;

export class RunCoordinator {
  readonly #state: DurableObjectStateLike;

  constructor(state: DurableObjectStateLike, _env: unknown) {
    this.#state = state;
  }

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as Command;
    const storage = this.#state.storage;
    const ledger = await storage.get<LedgerState>(KEY);
    switch (command.op) {
      case "start":
        if (mayStartLedger(ledger)) await storage.put(KEY, newLedger(command.batchIds, Date.now()));
        return Response.json({ ok: true });
      case "is-completed":
        return Response.json({ completed: ledger ? isCompleted(ledger, command.batchId) : false });
      case "complete": {
        if (!ledger) return Response.json({ counted: false, done: 0, total: 0, finalize: false } satisfies CompleteResult);
        const next = completeBatch(ledger, command.batchId, Date.now());
        await storage.put(KEY, next.state);
        return Response.json(next.result);
      }
      case "finalized":
        if (ledger) await storage.put(KEY, { ...ledger, finalized: true, claim: null });
        return Response.json({ ok: true });
      case "progress":
        return Response.json(ledger ? ledgerProgress(ledger) : null);
      case "pending":
        return Response.json(ledger ? pendingBatches(ledger) : null);
      case "last-activity":
        return Response.json({ lastMs: ledger ? (ledgerLastActivity(ledger) ?? null) : null });
      case "slot-claim": {
        const current = await storage.get<AuditSlotState>(SLOT_KEY);
        const next = claimSlot(current, command.runId, command.replace, Date.now());
        if (next && next !== current) await storage.put(SLOT_KEY, next);
        return Response.json(next ? { granted: true } : { granted: false, holder: current!.runId });
      }
      case "slot-release": {
        const current = await storage.get<AuditSlotState>(SLOT_KEY);
        if (current?.runId === command.runId) await storage.delete(SLOT_KEY);
        return Response.json({ ok: true });
      }
      case "lock": {
        const next = acquireLock(await storage.get<LockState>(LOCK_KEY), command.token, Date.now());
        if (next) await storage.put(LOCK_KEY, next);
        return Response.json({ granted: next !== undefined });
      }
      case "unlock": {
        const held = await storage.get<LockState>(LOCK_KEY);
        if (held?.token === command.token) await storage.delete(LOCK_KEY);
        return Response.json({ ok: true });
      }
    }
  }
}

/** RunCounter backed by the RunCoordinator namespace. */
export class DurableObjectRunCounter implements RunCounter {
  constructor(readonly namespace: DurableObjectNamespaceLike) {}

  async #call<T>(runId: string, command: Command): Promise<T> {
    const stub = this.namespace.get(this.namespace.idFromName(runId) as never);
    const response = await stub.fetch("https://run-coordinator/", { method: "POST", body: JSON.stringify(command) });
    if (!response.ok) throw new Error(`run coordinator for ${runId} answered ${response.status}`);
    return (await response.json()) as T;
  }

  async start(runId: string, batchIds: readonly string[]): Promise<void> {
    await this.#call(runId, { op: "start", batchIds: [...batchIds] });
  }
  async isCompleted(runId: string, batchId: string): Promise<boolean> {
    return (await this.#call<{ completed: boolean }>(runId, { op: "is-completed", batchId })).completed;
  }
  complete(runId: string, batchId: string): Promise<CompleteResult> {
    return this.#call<CompleteResult>(runId, { op: "complete", batchId });
  }
  async finalized(runId: string): Promise<void> {
    await this.#call(runId, { op: "finalized" });
  }
  async progress(runId: string): Promise<LedgerProgress | undefined> {
    return (await this.#call<LedgerProgress | null>(runId, { op: "progress" })) ?? undefined;
  }
  async pending(runId: string): Promise<{ pending: string[]; finalized: boolean } | undefined> {
    return (await this.#call<{ pending: string[]; finalized: boolean } | null>(runId, { op: "pending" })) ?? undefined;
  }
  async lastActivity(runId: string): Promise<number | undefined> {
    return (await this.#call<{ lastMs: number | null }>(runId, { op: "last-activity" })).lastMs ?? undefined;
  }
  claimAuditSlot(audit: string, runId: string, replace?: string): Promise<{ granted: true } | { granted: false; holder: string }> {
    return this.#call(`audit:${audit}`, { op: "slot-claim", runId, ...(replace !== undefined ? { replace } : {}) });
  }
  async releaseAuditSlot(audit: string, runId: string): Promise<void> {
    await this.#call(`audit:${audit}`, { op: "slot-release", runId });
  }

  /** A lock in the Durable Object named `lock:<name>`: polled until granted (or LOCK_WAIT_MS), released after. */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const object = `lock:${name}`;
    const token = crypto.randomUUID();
    const deadline = Date.now() + LOCK_WAIT_MS;
    let granted = false;
    for (let wait = 25; !granted && Date.now() < deadline; wait = Math.min(wait * 2, 500)) {
      try {
        granted = (await this.#call<{ granted: boolean }>(object, { op: "lock", token })).granted;
      } catch {
        break; // the lock itself is unavailable: the work is done without it rather than not at all
      }
      if (!granted) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    try {
      return await work();
    } finally {
      if (granted) await this.#call(object, { op: "unlock", token }).catch(() => {});
    }
  }
}

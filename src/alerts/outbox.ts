// Alert state that survives between runs: the outbox of alerts not yet delivered (each possibly
// claimed by the run sending it now), the IDs already
// delivered (so a retried run never sends one twice), when each finding was last sent per
// destination (quiet period), and the previous run's snapshot (new/worsened detection). Stored as
// one JSON document: a file on Node (src/cli/alert-state-file.ts), an object in R2/S3 in the Worker.
import { z } from "zod";
import { SnapshotSchema } from "../report/diff";
import { ObjectNotFoundError, type ObjectStore } from "../storage/object-store";

/** Delivered IDs remembered (oldest dropped first); far more than one run produces. */
export const MAX_DELIVERED_IDS = 2_000;
/** Pending alerts kept per destination; beyond it the oldest is moved to `dropped` with a reason. */
export const MAX_PENDING_PER_DESTINATION = 50;
export const MAX_DROPPED = 100;

const AlertItemSchema = z
  .object({
    fingerprint: z.string(),
    change: z.enum(["new", "worsened", "coverage-drop", "repeat", "audit", "resolved"]),
    severity: z.enum(["error", "warning", "info"]),
    ruleId: z.string().nullable(),
    service: z.string().nullable(),
    subject: z.string().nullable(),
    text: z.string(),
  })
  .strict();

export const AlertSchema = z
  .object({
    id: z.string(),
    destination: z.string(),
    kind: z.enum(["findings", "audit-failed", "audit-degraded"]),
    severity: z.enum(["error", "warning", "info"]),
    title: z.string(),
    summary: z.string(),
    items: z.array(AlertItemSchema),
    reportUrl: z.string().optional(),
    runAt: z.string(),
    createdAt: z.string(),
  })
  .strict();

const PendingSchema = z
  .object({
    alert: AlertSchema,
    attempts: z.number().int().nonnegative(),
    lastError: z.string().nullable(),
    /**
     * Claimed by a run that is sending it now (its token) until `until` (ISO): other runs leave it —
     * and the later alerts of its destination, to keep their order — to that run. A claim whose run
     * died expires, and the alert is sent by a later run.
     */
    inflight: z.object({ token: z.string(), until: z.string() }).strict().optional(),
  })
  .strict();
export type PendingAlert = z.infer<typeof PendingSchema>;

export const AlertStateSchema = z
  .object({
    version: z.literal(1),
    previous: SnapshotSchema.optional(),
    /**
     * End of the window `previous` audited (ISO): a back-dated run (a backfill of a missed cron)
     * audits an older window and must not become the baseline of the next scheduled run.
     */
    previousUntil: z.string().optional(),
    pending: z.array(PendingSchema),
    /** alert ID → ISO time delivered. */
    delivered: z.record(z.string(), z.string()),
    /** destination → fingerprint → ISO time last queued for sending. */
    lastSent: z.record(z.string(), z.record(z.string(), z.string())),
    /** Alerts given up on (refused payload, outbox overflow), with the reason, for inspection. */
    dropped: z.array(z.object({ alert: AlertSchema, reason: z.string(), at: z.string() }).strict()),
  })
  .strict();
export type AlertState = z.infer<typeof AlertStateSchema>;

export function emptyAlertState(): AlertState {
  return { version: 1, pending: [], delivered: {}, lastSent: {}, dropped: [] };
}

/** Persists the alert state. `save` must be durable before it resolves. */
export interface AlertStateStore {
  readonly description: string;
  load(): Promise<AlertState>;
  save(state: AlertState): Promise<void>;
}

export class AlertStateError extends Error {
  override name = "AlertStateError";
}

export function parseAlertState(text: string, where: string): AlertState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, newlines and all: not worth a broken log line.
    throw new AlertStateError(`alert state ${where} is not JSON`);
  }
  const parsed = AlertStateSchema.safeParse(json);
  if (!parsed.success) throw new AlertStateError(`alert state ${where} is not valid: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

export function serializeAlertState(state: AlertState): string {
  return `${JSON.stringify(state)}\n`;
}

/** In memory (tests, one-off runs). */
export class MemoryAlertStateStore implements AlertStateStore {
  readonly description = "memory";
  #text: string | undefined;
  async load(): Promise<AlertState> {
    return this.#text === undefined ? emptyAlertState() : parseAlertState(this.#text, "in memory");
  }
  async save(state: AlertState): Promise<void> {
    this.#text = serializeAlertState(state);
  }
}

/** One object in a bucket (R2 binding or S3), for the Worker. */
export class ObjectStoreAlertStateStore implements AlertStateStore {
  readonly description: string;
  constructor(
    readonly store: ObjectStore,
    readonly key = "tracelint/alert-state.json",
  ) {
    this.description = `${store.description}/${key}`;
  }
  async load(): Promise<AlertState> {
    try {
      const object = await this.store.get(this.key);
      return parseAlertState(new TextDecoder().decode(object.body), this.description);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return emptyAlertState();
      throw error;
    }
  }
  async save(state: AlertState): Promise<void> {
    await this.store.put(this.key, new TextEncoder().encode(serializeAlertState(state)), { contentType: "application/json" });
  }
}

/** Bounded bookkeeping: forget the oldest delivered IDs, cap each destination's outbox. */
export function compactState(state: AlertState, now: Date): AlertState {
  const delivered = Object.entries(state.delivered).sort((a, b) => a[1].localeCompare(b[1]));
  const keep = delivered.slice(Math.max(0, delivered.length - MAX_DELIVERED_IDS));
  const pending: PendingAlert[] = [];
  const dropped = [...state.dropped];
  const perDestination = new Map<string, number>();
  for (const p of [...state.pending].reverse()) {
    const n = perDestination.get(p.alert.destination) ?? 0;
    if (n >= MAX_PENDING_PER_DESTINATION) {
      dropped.push({ alert: p.alert, reason: `outbox full (${MAX_PENDING_PER_DESTINATION} pending for ${p.alert.destination})`, at: now.toISOString() });
      continue;
    }
    perDestination.set(p.alert.destination, n + 1);
    pending.unshift(p);
  }
  return { ...state, delivered: Object.fromEntries(keep), pending, dropped: dropped.slice(-MAX_DROPPED) };
}

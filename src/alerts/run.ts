// One alerting pass after a run: decide what each destination should hear about, queue it in the
// outbox (persisted before anything is sent), then deliver everything pending — this run's alerts
// and those earlier runs could not deliver — oldest first, saving after each delivery so that no
// alert is lost and none is sent twice. Each alert is claimed in the state (`inflight`, with a
// lease) before it is sent, and with a `lock` every change to the state is a load → change → save
// under it: two runs of one audit alerting at once (a cron run and an API run) then never send the
// same alert twice, and neither loses what the other queued. Deliveries (up to minutes with retries
// and Retry-After) are never made under the lock: locks are short leases (runs/ledger.ts).
import { diffSnapshots, findingFingerprint, snapshotOf, type DeltaSection } from "../report/diff";
import type { Report } from "../report/schema";
import type { AlertsConfig, DestinationConfig } from "./config";
import { deliver, DELIVERY_DEFAULTS, type DeliveryOptions, type DeliveryResult } from "./deliver";
import { DestinationConfigError, prepareRequest } from "./destinations/index";
import { compactState, type AlertState, type AlertStateStore, type PendingAlert } from "./outbox";
import { degradation, selectItems } from "./policy";
import { safeLine } from "./text";
import type { Alert, AlertItem, AlertKind } from "./types";

export type AlertLog = (level: "info" | "warn" | "error", message: string) => void;

export interface AlertRunInput {
  config: AlertsConfig;
  store: AlertStateStore;
  /** The run's report; absent when the audit failed before producing one. */
  report?: Report;
  /** Why the audit failed (source unreachable, credentials refused…). */
  failure?: string;
  /** Link to the full report (overrides config.reportUrl). */
  reportUrl?: string;
  env?: Record<string, string | undefined>;
  now?: () => Date;
  delivery?: DeliveryOptions;
  /** Pause between two messages to the same destination (chat webhooks allow about 1 per second). */
  minIntervalMs?: number;
  log?: AlertLog;
  /**
   * Serialises changes to the alert state with other runs of the same audit: each is a load →
   * change → save inside `lock` (held for that only, never across a delivery). Without it the state
   * is loaded once and this run is taken to be the only one changing it (`tracelint alert`).
   */
  lock?: <T>(work: () => Promise<T>) => Promise<T>;
  /** How long a claimed alert is reserved for this run's attempt (default: longer than `deliver` can take). */
  claimLeaseMs?: number;
}

export interface AlertRunResult {
  queued: Alert[];
  delivered: string[];
  failed: { id: string; destination: string; error: string }[];
  pending: number;
  /** The delta used for new/worsened decisions (undefined on the first run). */
  delta: DeltaSection | undefined;
}

const SEVERITY_RANK = { info: 0, warning: 1, error: 2 } as const;

/** Until when a report's data reaches: its source window's end, else when it was made (`check`). */
function auditedUntil(report: Report): string {
  const source = report.source as { window?: { end?: string } } | undefined;
  return source?.window?.end ?? report.generatedAt;
}

function alertId(destination: string, kind: AlertKind, runAt: string): string {
  return findingFingerprint({ ruleId: `alert:${kind}`, service: destination, subject: runAt, category: null });
}

function findingsAlert(destination: DestinationConfig, report: Report, items: AlertItem[], base: Pick<Alert, "runAt" | "createdAt" | "reportUrl">): Alert {
  const severity = items.reduce<Alert["severity"]>((worst, i) => (SEVERITY_RANK[i.severity] > SEVERITY_RANK[worst] ? i.severity : worst), "info");
  const open = items.filter((i) => i.change !== "resolved");
  const resolved = items.length - open.length;
  const services = [...new Set(items.map((i) => i.service).filter((s): s is string => s !== null))];
  const counts = (["error", "warning", "info"] as const).map((s) => [s, open.filter((i) => i.severity === s).length] as const).filter(([, n]) => n > 0);
  const what = destination.policy.onlyNewOrWorsened ? "new or worsened trace-quality issue(s)" : "trace-quality issue(s)";
  const shown = services.slice(0, 5).join(", ") + (services.length > 5 ? ` and ${services.length - 5} more` : "");
  const title = open.length === 0 ? `tracelint: ${resolved} trace-quality issue(s) resolved` : `tracelint: ${open.length} ${what}${resolved > 0 ? `, ${resolved} resolved` : ""}`;
  const tally = [...counts.map(([s, n]) => `${n} ${s}`), ...(resolved > 0 ? [`${resolved} resolved`] : [])].join(", ");
  return {
    id: alertId(destination.name, "findings", base.runAt),
    destination: destination.name,
    kind: "findings",
    severity,
    title: safeLine(title, 140),
    summary: safeLine(`${tally} in ${shown || "the estate"}; ${report.summary.traces} traces audited, run ${base.runAt}.`, 600),
    items,
    ...base,
  };
}

function healthAlert(destination: DestinationConfig, kind: "audit-failed" | "audit-degraded", reason: string, base: Pick<Alert, "runAt" | "createdAt" | "reportUrl">): Alert {
  const failed = kind === "audit-failed";
  return {
    id: alertId(destination.name, kind, base.runAt),
    destination: destination.name,
    kind,
    severity: failed ? "error" : "warning",
    title: failed ? "tracelint: audit failed" : "tracelint: audit degraded",
    summary: safeLine(failed ? `The audit could not run: ${reason}. No findings were evaluated.` : `The audit ran on incomplete data: ${reason}. Findings may be missing.`, 600),
    items: [],
    ...base,
  };
}

/** New alerts for this run, per destination; updates `lastSent` for what is queued. */
function planAlerts(input: AlertRunInput, state: AlertState, delta: DeltaSection | undefined, now: Date): Alert[] {
  const alerts: Alert[] = [];
  const reportUrl = input.reportUrl ?? input.config.reportUrl;
  const base = { runAt: input.report?.generatedAt ?? now.toISOString(), createdAt: now.toISOString(), ...(reportUrl ? { reportUrl } : {}) };
  const reasons = input.report ? degradation(input.report) : [];
  for (const destination of input.config.destinations) {
    const policy = destination.policy;
    const lastSent = (state.lastSent[destination.name] ??= {});
    const quiet = (fp: string) => lastSent[fp] !== undefined && now.getTime() - Date.parse(lastSent[fp]!) < policy.quietPeriodMinutes * 60_000;
    // A run that worked ends the quiet period of the audit-health alerts: the next failure is news.
    if (input.failure === undefined && input.report) {
      delete lastSent["audit-failed"];
      if (reasons.length === 0) delete lastSent["audit-degraded"];
    }
    const candidates: { alert: Alert; fingerprints: string[] }[] = [];
    if (policy.auditHealth && input.failure !== undefined && !quiet("audit-failed")) {
      candidates.push({ alert: healthAlert(destination, "audit-failed", input.failure, base), fingerprints: ["audit-failed"] });
    }
    if (policy.auditHealth && reasons.length > 0 && !quiet("audit-degraded")) {
      candidates.push({ alert: healthAlert(destination, "audit-degraded", reasons.join("; "), base), fingerprints: ["audit-degraded"] });
    }
    if (input.report) {
      const items = selectItems({ report: input.report, delta, policy, lastSent, now });
      if (items.length > 0) candidates.push({ alert: findingsAlert(destination, input.report, items, base), fingerprints: items.map((i) => i.fingerprint) });
    }
    for (const { alert, fingerprints } of candidates) {
      // The same run processed twice (a retried cron) must not queue its alerts again.
      if (state.delivered[alert.id] !== undefined || state.pending.some((p) => p.alert.id === alert.id)) continue;
      const resolved = new Set(alert.items.filter((i) => i.change === "resolved").map((i) => i.fingerprint));
      // A resolved finding that comes back is news again, not a repeat inside its quiet period.
      for (const fp of fingerprints) {
        if (resolved.has(fp)) delete lastSent[fp];
        else lastSent[fp] = now.toISOString();
      }
      alerts.push(alert);
    }
  }
  return alerts;
}

function resolveUrl(destination: DestinationConfig, env: Record<string, string | undefined>): string | undefined {
  return destination.urlEnv ? env[destination.urlEnv] || undefined : destination.url;
}

/** Whether a webhook URL can be sent to; checked before use, and never quoted (URLs are secrets). */
function isHttpUrl(url: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Longer than one `deliver` call can take: every attempt timing out or waiting the longest Retry-After. */
export function claimLeaseMs(delivery: DeliveryOptions = {}): number {
  const attempts = delivery.maxAttempts ?? DELIVERY_DEFAULTS.maxAttempts;
  const timeout = delivery.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs;
  const wait = Math.max(delivery.maxRetryAfterMs ?? DELIVERY_DEFAULTS.maxRetryAfterMs, delivery.maxDelayMs ?? DELIVERY_DEFAULTS.maxDelayMs);
  return attempts * (timeout + wait) + 60_000;
}

function newToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function runAlerts(input: AlertRunInput): Promise<AlertRunResult> {
  const clock = input.now ?? (() => new Date());
  const log: AlertLog = input.log ?? (() => {});
  const env = input.env ?? {};
  const minInterval = input.minIntervalMs ?? 1_000;
  const sleep = input.delivery?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const leaseMs = input.claimLeaseMs ?? claimLeaseMs(input.delivery);
  const token = newToken();
  const lock = input.lock;
  /** The state as this run last saw it (without a lock: the one copy, loaded once). */
  let state: AlertState | undefined;
  /** Changes the state and saves it (when changed): under the lock, on a fresh copy. */
  const transact = async <T>(change: (s: AlertState) => { value: T; changed: boolean }): Promise<T> => {
    const work = async () => {
      const current = lock !== undefined || state === undefined ? await input.store.load() : state;
      const { value, changed } = change(current);
      if (changed) await input.store.save(current);
      state = current;
      return value;
    };
    return lock ? lock(work) : work();
  };

  const { queued, delta } = await transact((s) => {
    const delta = input.report && s.previous ? diffSnapshots(s.previous, snapshotOf(input.report)) : undefined;
    const queued = planAlerts(input, s, delta, clock());
    for (const alert of queued) s.pending.push({ alert, attempts: 0, lastError: null });
    if (input.report) {
      // The baseline only moves forward in audited time: a back-dated run is alerted on, but the next
      // scheduled run still compares with the newest window audited.
      const until = auditedUntil(input.report);
      if (s.previousUntil === undefined || Date.parse(until) >= Date.parse(s.previousUntil)) {
        s.previous = snapshotOf(input.report);
        s.previousUntil = until;
      }
    }
    Object.assign(s, compactState(s, clock()));
    return { value: { queued, delta }, changed: true }; // durable before the first send
  });

  const delivered: string[] = [];
  const failed: AlertRunResult["failed"] = [];
  /** Destinations this run sends nothing more to: unusable, failed, or being sent to by another run. */
  const blocked = new Set<string>();
  /** Alerts this run has had its attempt at (never claimed twice by one run). */
  const handled = new Set<string>();
  const lastSendAt = new Map<string, number>();
  const targets = new Map<string, { destination: DestinationConfig; url: string } | undefined>();
  /** The destination and its URL when alerts can be sent to it; logs once why not. */
  const target = (name: string, alertId: string) => {
    if (targets.has(name)) return targets.get(name);
    let found: { destination: DestinationConfig; url: string } | undefined;
    const destination = input.config.destinations.find((d) => d.name === name);
    const url = destination && resolveUrl(destination, env);
    if (!destination) log("warn", `alerts: destination ${name} is no longer configured; alert ${alertId} kept in the outbox`);
    else if (!url) log("error", `alerts: ${name}: ${destination.urlEnv} is not set; alerts kept in the outbox`);
    else if (!isHttpUrl(url)) log("error", `alerts: ${name}: ${destination.urlEnv ?? "url"} is not an http(s) URL; alerts kept in the outbox`);
    else found = { destination, url };
    targets.set(name, found);
    return found;
  };

  /** What to record once an attempt is over (applied on the state then current). */
  let settle: ((s: AlertState) => void) | undefined;
  for (;;) {
    const next = await transact((s) => {
      const changed = settle !== undefined;
      settle?.(s);
      settle = undefined;
      const nowMs = clock().getTime();
      for (const pending of s.pending) {
        const name = pending.alert.destination;
        if (blocked.has(name) || handled.has(pending.alert.id)) continue;
        const claim = pending.inflight;
        if (claim && claim.token !== token && Date.parse(claim.until) > nowMs) {
          // Another run is sending it: the destination's later alerts wait for it (their order),
          // and that run sends them once it is done.
          log("info", `alerts: ${name}: alert ${pending.alert.id} is being sent by another run; this run leaves ${name}'s alerts to it`);
          blocked.add(name);
          continue;
        }
        const to = target(name, pending.alert.id);
        if (!to) {
          blocked.add(name);
          continue;
        }
        pending.inflight = { token, until: new Date(nowMs + leaseMs).toISOString() };
        return { value: { pending: structuredClone(pending) as PendingAlert, ...to }, changed: true };
      }
      return { value: undefined, changed };
    });
    if (!next) break;
    const { pending, destination, url } = next;
    const name = destination.name;
    const id = pending.alert.id;
    handled.add(id);
    let request;
    try {
      request = prepareRequest(pending.alert, destination, url, env);
    } catch (error) {
      // One destination's problem must not keep the others from their alerts; the URL is never quoted.
      const message = error instanceof DestinationConfigError ? error.message : `${name}: could not prepare the request (${safeLine((error as Error).message.split(url).join("<webhook URL>"), 200)})`;
      log("error", `alerts: ${message}; alerts kept in the outbox`);
      blocked.add(name);
      settle = (s) => release(s, id);
      continue;
    }
    const since = lastSendAt.get(name);
    if (since !== undefined && minInterval > 0) await sleep(Math.max(0, minInterval - (Date.now() - since)));
    const result = await deliver(request, input.delivery);
    lastSendAt.set(name, Date.now());
    if (result.outcome === "delivered") {
      delivered.push(id);
      const items = pending.alert.items.length;
      const shown = request.itemsShown !== undefined && request.itemsShown < items ? `${request.itemsShown} of ${items} item(s) shown` : `${items} item(s)`;
      log("info", `alerts: ${name}: delivered ${pending.alert.kind} alert ${id} (${shown}, ${result.attempts} attempt(s))`);
    } else {
      failed.push({ id, destination: name, error: result.error });
      if (result.outcome === "rejected") log("error", `alerts: ${name} refused alert ${id}: ${result.error}; moved to the dropped list in the alert state`);
      else blocked.add(name); // keep this destination's order: later alerts wait for this one
    }
    settle = (s) => {
      settleAttempt(s, pending, result, clock());
      if (result.outcome === "gone") {
        log("error", `alerts: ${name}: webhook unusable (${result.error}); stopped sending to it. Fix its URL; ${s.pending.filter((p) => p.alert.destination === name).length} alert(s) stay in the outbox until then`);
      } else if (result.outcome === "failed") {
        log("warn", `alerts: ${name}: delivery failed after ${result.attempts} attempt(s): ${result.error}; alert ${id} kept for the next run`);
      }
    };
  }
  return { queued, delivered, failed, pending: state!.pending.length, delta };
}

/** Gives up this run's claim of an alert it did not send. */
function release(state: AlertState, id: string): void {
  const entry = state.pending.find((p) => p.alert.id === id);
  if (entry) delete entry.inflight;
}

/** Records an attempt's outcome on the current state (which other runs may have changed meanwhile). */
function settleAttempt(state: AlertState, pending: PendingAlert, result: DeliveryResult, now: Date): void {
  const index = state.pending.findIndex((p) => p.alert.id === pending.alert.id);
  const entry = index >= 0 ? state.pending[index]! : undefined;
  if (entry) delete entry.inflight;
  if (result.outcome === "delivered") {
    if (entry) state.pending.splice(index, 1);
    state.delivered[pending.alert.id] = now.toISOString();
  } else if (result.outcome === "rejected") {
    if (entry) state.pending.splice(index, 1);
    state.dropped.push({ alert: pending.alert, reason: result.error, at: now.toISOString() });
  } else if (entry) {
    entry.attempts += result.attempts;
    entry.lastError = result.error;
  }
}

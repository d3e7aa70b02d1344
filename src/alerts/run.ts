// One alerting pass after a run: decide what each destination should hear about, queue it in the
// outbox (persisted before anything is sent), then deliver everything pending — this run's alerts
// and those earlier runs could not deliver — oldest first, saving after each delivery so that no
// alert is lost and none is sent twice.
import { diffSnapshots, findingFingerprint, snapshotOf, type DeltaSection } from "../report/diff";
import type { Report } from "../report/schema";
import type { AlertsConfig, DestinationConfig } from "./config";
import { deliver, type DeliveryOptions } from "./deliver";
import { DestinationConfigError, prepareRequest } from "./destinations/index";
import { compactState, type AlertState, type AlertStateStore } from "./outbox";
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

export async function runAlerts(input: AlertRunInput): Promise<AlertRunResult> {
  const clock = input.now ?? (() => new Date());
  const log: AlertLog = input.log ?? (() => {});
  const env = input.env ?? {};
  const minInterval = input.minIntervalMs ?? 1_000;
  const sleep = input.delivery?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let state = await input.store.load();
  const delta = input.report && state.previous ? diffSnapshots(state.previous, snapshotOf(input.report)) : undefined;

  const queued = planAlerts(input, state, delta, clock());
  for (const alert of queued) state.pending.push({ alert, attempts: 0, lastError: null });
  if (input.report) {
    // The baseline only moves forward in audited time: a back-dated run is alerted on, but the next
    // scheduled run still compares with the newest window audited.
    const until = auditedUntil(input.report);
    if (state.previousUntil === undefined || Date.parse(until) >= Date.parse(state.previousUntil)) {
      state.previous = snapshotOf(input.report);
      state.previousUntil = until;
    }
  }
  state = compactState(state, clock());
  await input.store.save(state); // durable before the first send

  const delivered: string[] = [];
  const failed: AlertRunResult["failed"] = [];
  const blocked = new Set<string>();
  const lastSendAt = new Map<string, number>();
  for (const pending of [...state.pending]) {
    const name = pending.alert.destination;
    if (blocked.has(name)) continue;
    const destination = input.config.destinations.find((d) => d.name === name);
    if (!destination) {
      log("warn", `alerts: destination ${name} is no longer configured; alert ${pending.alert.id} kept in the outbox`);
      blocked.add(name);
      continue;
    }
    const url = resolveUrl(destination, env);
    if (!url) {
      log("error", `alerts: ${name}: ${destination.urlEnv} is not set; alerts kept in the outbox`);
      blocked.add(name);
      continue;
    }
    if (!isHttpUrl(url)) {
      log("error", `alerts: ${name}: ${destination.urlEnv ?? "url"} is not an http(s) URL; alerts kept in the outbox`);
      blocked.add(name);
      continue;
    }
    let request;
    try {
      request = prepareRequest(pending.alert, destination, url, env);
    } catch (error) {
      // One destination's problem must not keep the others from their alerts; the URL is never quoted.
      const message = error instanceof DestinationConfigError ? error.message : `${name}: could not prepare the request (${safeLine((error as Error).message.split(url).join("<webhook URL>"), 200)})`;
      log("error", `alerts: ${message}; alerts kept in the outbox`);
      blocked.add(name);
      continue;
    }
    const since = lastSendAt.get(name);
    if (since !== undefined && minInterval > 0) await sleep(Math.max(0, minInterval - (Date.now() - since)));
    const result = await deliver(request, input.delivery);
    lastSendAt.set(name, Date.now());
    const index = state.pending.findIndex((p) => p.alert.id === pending.alert.id);
    if (result.outcome === "delivered") {
      state.pending.splice(index, 1);
      state.delivered[pending.alert.id] = clock().toISOString();
      delivered.push(pending.alert.id);
      const items = pending.alert.items.length;
      const shown = request.itemsShown !== undefined && request.itemsShown < items ? `${request.itemsShown} of ${items} item(s) shown` : `${items} item(s)`;
      log("info", `alerts: ${name}: delivered ${pending.alert.kind} alert ${pending.alert.id} (${shown}, ${result.attempts} attempt(s))`);
    } else if (result.outcome === "rejected") {
      state.pending.splice(index, 1);
      state.dropped.push({ alert: pending.alert, reason: result.error, at: clock().toISOString() });
      failed.push({ id: pending.alert.id, destination: name, error: result.error });
      log("error", `alerts: ${name} refused alert ${pending.alert.id}: ${result.error}; moved to the dropped list in the alert state`);
    } else {
      state.pending[index] = { ...pending, attempts: pending.attempts + result.attempts, lastError: result.error };
      failed.push({ id: pending.alert.id, destination: name, error: result.error });
      blocked.add(name); // keep this destination's order: later alerts wait for this one
      if (result.outcome === "gone") {
        log("error", `alerts: ${name}: webhook unusable (${result.error}); stopped sending to it. Fix its URL; ${state.pending.filter((p) => p.alert.destination === name).length} alert(s) stay in the outbox until then`);
      } else {
        log("warn", `alerts: ${name}: delivery failed after ${result.attempts} attempt(s): ${result.error}; alert ${pending.alert.id} kept for the next run`);
      }
    }
    await input.store.save(state);
  }
  return { queued, delivered, failed, pending: state.pending.length, delta };
}

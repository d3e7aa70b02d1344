// Stores a finished run's report (JSON, Markdown, HTML) under its date-partitioned key, then the
// `latest` pointer and the history index, and only then sends alerts, so that every alert links
// to a report that exists. Before storing, the report gets its run-over-run `delta` against the
// previous run of the same audit (the report `latest` points at), so all three formats carry it.
import { runAlerts } from "../alerts/run";
import { ObjectStoreAlertStateStore } from "../alerts/outbox";
import type { AuditConfig } from "../config/deployment";
import { diffReports } from "../report/diff";
import { renderHtml } from "../report/html/index";
import { renderJson } from "../report/json";
import { renderMarkdown } from "../report/markdown";
import type { Report } from "../report/schema";
import { activeRunKey, alertStateKey, latestKey, reportBase } from "./keys";
import type { RunCounter } from "./ledger";
import type { RunStore } from "./run-store";
import type { IndexEntry, ReportRef, RunRecord } from "./types";

export type RunLog = (level: "info" | "warn" | "error", message: string) => void;

/**
 * The report of the previous done run of this audit: the one `latest` points at, when it is older
 * than this run (a slow run finishing after a newer one is not compared with its successor). When
 * `latest` is this run already (its report is being published again), the newest older done run
 * of the history: the baseline the first publication had, so a retry gives the same report.
 * Missing or unreadable: no baseline, never a failed run.
 */
export async function previousReport(store: RunStore, record: RunRecord, log?: RunLog): Promise<Report | undefined> {
  try {
    let latest = await store.latest(record.audit);
    if (latest?.runId === record.runId) {
      latest = (await store.history(record.audit)).find((e) => e.state === "done" && e.report !== null && e.runId < record.runId);
    }
    if (!latest?.report || latest.runId >= record.runId) return undefined;
    const previous = await store.getJson<Report>(`${latest.report.base}.json`);
    if (!previous) log?.("warn", `audit ${record.audit}: previous report ${latest.report.base}.json is missing; no run-over-run delta`);
    return previous;
  } catch (error) {
    log?.("warn", `audit ${record.audit}: cannot read the previous report (${latestKey(record.audit)}): ${(error as Error).message}; no run-over-run delta`);
    return undefined;
  }
}

/** Attaches `delta` (changes since the previous run of the same audit) when there is one. */
export async function attachDelta(store: RunStore, record: RunRecord, report: Report, log?: RunLog): Promise<Report> {
  const previous = await previousReport(store, record, log);
  if (previous) report.delta = diffReports(previous, report);
  return report;
}

export async function storeReport(store: RunStore, record: RunRecord, report: Report): Promise<ReportRef> {
  const base = reportBase(record.audit, record.runId, new Date(record.scheduledTime));
  const title = `tracelint: ${record.audit} (${record.scheduledTime})`;
  await store.putText(`${base}.json`, renderJson(report), "application/json");
  await store.putText(`${base}.md`, renderMarkdown(report), "text/markdown; charset=utf-8");
  await store.putText(`${base}.html`, renderHtml(report, { title }), "text/html; charset=utf-8");
  const count = (s: string) => report.findings.filter((f) => f.severity === s).length;
  return {
    base,
    generatedAt: report.generatedAt,
    traces: report.summary.traces,
    spans: report.summary.spans,
    findings: report.findings.length,
    errors: count("error"),
    warnings: count("warning"),
  };
}

export function indexEntry(record: RunRecord): IndexEntry {
  return { runId: record.runId, audit: record.audit, state: record.state, scheduledTime: record.scheduledTime, report: record.report, error: record.error };
}

/**
 * Records a finished (done or failed) run in its audit's history index and, when done, moves
 * `latest`. Both are read → change → write of one object, so runs finishing at once take `lock`
 * (the run ledger's) around it: without, one run's write overwrote another's and runs went missing
 * from the index. Idempotent (the run's entry is replaced, `latest` never moves backwards). Then
 * the run's marker of an unfinished run goes (best effort: a marker left over is removed by the
 * next run of the audit).
 */
export async function recordFinished(store: RunStore, record: RunRecord, historyLimit: number, lock?: RunCounter["withLock"]): Promise<void> {
  const update = async () => {
    const entry = indexEntry(record);
    await store.recordHistory(entry, historyLimit);
    if (record.state === "done") {
      const latest = await store.latest(record.audit);
      // A slow run finishing after a newer one must not move `latest` backwards.
      if (!latest || latest.runId <= record.runId) await store.putLatest(entry);
    }
  };
  await (lock ? lock(`history:${record.audit}`, update) : update());
  await store.objects.delete?.(activeRunKey(record.audit, record.runId))?.catch(() => {});
}

export interface AlertOutcome {
  queued: number;
  delivered: number;
  failed: number;
  pending: number;
  error?: string;
}

/**
 * Alerts for a stored report or a failed run; never throws (alerting must not fail the run). With
 * `lock` (the run ledger's), the audit's alert state is only changed under the lock
 * `alerts:<audit>`, and each alert is claimed before it is sent: two runs of one audit alerting at
 * once neither lose each other's changes nor send the same alert twice (alerts/run.ts).
 */
export async function sendAlerts(
  store: RunStore,
  audit: AuditConfig,
  input: { report?: Report; failure?: string; reportUrl?: string },
  secrets: Record<string, string | undefined>,
  log: RunLog,
  now: () => Date,
  lock?: RunCounter["withLock"],
): Promise<AlertOutcome | null> {
  if (!audit.alerts || audit.alerts.destinations.length === 0) return null;
  try {
    const result = await runAlerts({
      config: audit.alerts,
      store: new ObjectStoreAlertStateStore(store.objects, alertStateKey(audit.name)),
      ...input,
      env: secrets,
      now,
      log: (level, message) => log(level, `audit ${audit.name}: ${message}`),
      ...(lock ? { lock: <T>(work: () => Promise<T>) => lock(`alerts:${audit.name}`, work) } : {}),
    });
    return { queued: result.queued.length, delivered: result.delivered.length, failed: result.failed.length, pending: result.pending };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log("error", `audit ${audit.name}: alerting failed: ${message}`);
    return { queued: 0, delivered: 0, failed: 0, pending: 0, error: message };
  }
}

// An alert is built once per destination and run, then formatted for that destination's chat
// format. Every string in it has already been masked (no raw PII) and clipped.
import type { Severity } from "../engine/rule";

export type AlertChange = "new" | "worsened" | "coverage-drop" | "repeat" | "audit" | "resolved";

export interface AlertItem {
  /** Finding fingerprint (or a synthetic one for coverage drops and audit health). */
  fingerprint: string;
  change: AlertChange;
  severity: Severity;
  ruleId: string | null;
  service: string | null;
  subject: string | null;
  /** One line, masked, plain text (each formatter escapes it for its own markup). */
  text: string;
}

export type AlertKind = "findings" | "audit-failed" | "audit-degraded";

export interface Alert {
  /** Deterministic: the same destination, run and kind give the same ID (outbox de-duplication). */
  id: string;
  destination: string;
  kind: AlertKind;
  severity: Severity;
  title: string;
  /** One or two plain-text sentences. */
  summary: string;
  items: AlertItem[];
  /** Link to the full report, when the caller has one. */
  reportUrl?: string;
  /** ISO time of the run the alert is about. */
  runAt: string;
  createdAt: string;
}

/** An HTTP request ready to send; `sign` adds headers at send time (fresh timestamp per attempt). */
export interface PreparedRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  sign?: (body: string, nowMs: number) => Promise<Record<string, string>>;
  /** Items the destination's size limits let into the message (the rest are summed up with a link). */
  itemsShown?: number;
}

// The records an audit run leaves in the report bucket, and the queue messages that carry its
// batches. Everything here is plain JSON (stored in R2/S3/a directory, sent through Queues).
import type { AnalyzerSnapshot } from "../engine/analyzer";
import type { AuditConfig } from "../config/deployment";

export type RunState = "queued" | "planning" | "running" | "merging" | "done" | "failed";
export type RunTrigger = "cron" | "api";

export interface ReportRef {
  /** Key prefix without extension: `reports/<audit>/<yyyy>/<mm>/<dd>/<runId>`. */
  base: string;
  generatedAt: string;
  traces: number;
  spans: number;
  findings: number;
  errors: number;
  warnings: number;
}

export interface RunRecord {
  version: 1;
  runId: string;
  audit: string;
  trigger: RunTrigger;
  cron: string | null;
  state: RunState;
  mode: "inline" | "fan-out" | null;
  /** The instant the audit window ends at (the cron's scheduled time, or the API call). */
  scheduledTime: string;
  createdAt: string;
  updatedAt: string;
  /** Batches planned and completed (fan-out), or 1/1 inline. */
  batches: { total: number; done: number } | null;
  /** Trace IDs the sampling plan selected. */
  requested: number | null;
  error: string | null;
  report: ReportRef | null;
  alerts: { queued: number; delivered: number; failed: number; pending: number; error?: string } | null;
}

export interface CandidateRef {
  traceId: string;
  /** Unix seconds around the trace, narrowing Tempo's trace-by-ID to the blocks that hold it. */
  start: number;
  end: number;
}

export interface BatchRef {
  id: string;
  size: number;
}

/** Pinned at planning time: every batch of the run uses this, whatever the config says later. */
export interface RunPlan {
  version: 1;
  runId: string;
  audit: AuditConfig;
  window: { start: string; end: string };
  ingestionDelayMs: number;
  discovery: {
    servicesDiscovered: number;
    servicesSampled: string[];
    searches: { run: number; failed: number; incomplete: number };
  };
  batches: BatchRef[];
  startedAtMs: number;
}

export interface FetchCounts {
  requested: number;
  fetched: number;
  partial: number;
  notFound: number;
  failed: number;
}

/** One batch's mergeable result, stored under the run before the batch is counted as done. */
export interface RunPart {
  version: 1;
  runId: string;
  batchId: string;
  snapshot: AnalyzerSnapshot;
  counts: FetchCounts;
  failures: { traceId: string; reason: string }[];
}

export type QueueMessage =
  /** Plan and run an audit (POST /api/audits on the Worker: planning may outlast an HTTP request). */
  | { v: 1; kind: "start"; runId: string }
  /** Analyse these traces and store the partial state. */
  | { v: 1; kind: "batch"; runId: string; batchId: string; candidates: CandidateRef[] };

export interface IndexEntry {
  runId: string;
  audit: string;
  state: RunState;
  scheduledTime: string;
  report: ReportRef | null;
  error: string | null;
}

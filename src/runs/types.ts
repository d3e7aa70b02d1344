// The records an audit run leaves in the report bucket, and the queue messages that carry its
// batches. Everything here is plain JSON (stored in R2/S3/a directory, sent through Queues).
import type { AnalyzerSnapshot } from "../engine/analyzer";
import type { AuditConfig } from "../config/deployment";
import type { TracePartition } from "./partition";

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
  /**
   * When the current attempt began planning (a re-delivered start message begins a new one). An
   * inline run not finished long after this was abandoned: its invocation is gone (stale.ts).
   */
  startedAt?: string;
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
  /** Tempo sources: what the sampling plan searched and found. */
  discovery?: {
    servicesDiscovered: number;
    servicesSampled: string[];
    searches: { run: number; failed: number; incomplete: number; errors?: { search: string; reason: string }[] };
  };
  /** Object-storage sources: the blocks or objects every batch reads, and each batch's partition. */
  objects?: ObjectPlan;
  batches: BatchRef[];
  startedAtMs: number;
}

/** A Tempo block as planned: enough to read it again in any batch without listing the bucket. */
export interface PlannedBlock {
  folder: string;
  /** BlockMeta with times as ISO strings (plain JSON). */
  meta: { format: string; blockId: string; tenantId: string; startTime: string; endTime: string; totalObjects: number; size?: number; footerSize?: number; compactionLevel: number; dedicatedColumns: unknown[] };
  /** Max trace ID of each row group, from the block's `index` file; absent when it has none. */
  rowGroupMaxIds?: string[];
}

export interface PlannedArchiveObject {
  key: string;
  size: number;
  marshaler: "otlp_json" | "otlp_proto";
  gzipName: boolean;
}

export interface ObjectPlan {
  kind: "tempo-blocks" | "otlp-archive";
  blocks: PlannedBlock[];
  archiveObjects: PlannedArchiveObject[];
  /** Batch ID → its trace-ID partition (inline: the whole ID space). */
  partitions: Record<string, TracePartition>;
  /** Estimated traces (block metas' totalObjects; archives: objects), for the inline/fan-out choice. */
  estimatedTraces: number;
  discovery?: "tenant-index" | "listing";
  compactedBlocks?: number;
  outsideWindow?: number;
  nonTraceObjects?: number;
  /** Bytes and list requests spent on planning (tenant index, metas, block indexes, listings). */
  bytesRead: number;
  listRequests: number;
  /** Problems found while planning (unreadable meta, index), recorded once in the report. */
  problems: { key: string; message: string }[];
  /**
   * Archives fanned out: shuffle batch ID → the range of `archiveObjects` it reads. Each object is
   * read once, by its shuffle batch, which writes every partition's spans to the run's shuffle
   * files; the partition batches then read only those (see shuffle.ts).
   */
  shuffle?: Record<string, { first: number; count: number }>;
}

/** What one batch read from object storage; merged per key across batches. */
export interface ObjectPartResult {
  objects: { key: string; status: "read" | "failed" | "skipped"; bytes: number; requests: number; format?: string; message?: string; rowGroups?: { total: number; read: number }; traces?: number; spans?: number }[];
  failures: { key: string; message: string }[];
  /** Non-fatal decode problems of objects read (recorded once per object, not once per batch). */
  inputErrors: { key: string; message: string }[];
  tracesOutsideWindow: number;
  duplicateSpans: number;
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
  /** Object-storage sources. */
  objects?: ObjectPartResult;
}

export type QueueMessage =
  /** Plan and run an audit (POST /api/audits on the Worker: planning may outlast an HTTP request). */
  | { v: 1; kind: "start"; runId: string }
  /** Analyse these traces and store the partial state. */
  | { v: 1; kind: "batch"; runId: string; batchId: string; candidates: CandidateRef[] }
  /** Read the planned objects and analyse the traces of this batch's trace-ID partition (in plan.json). */
  | { v: 1; kind: "partition"; runId: string; batchId: string }
  /** Read this batch's range of archive objects and write each partition's spans to the shuffle files. */
  | { v: 1; kind: "shuffle"; runId: string; batchId: string };

/** `runs/<runId>/fan-out.json`: what the planner enqueues, so that a re-delivered start can resume. */
export interface FanOutMessages {
  /** The RunCounter ID whose ledger counts these messages' batches (the run, or its shuffle). */
  counter: string;
  messages: QueueMessage[];
}

export interface IndexEntry {
  runId: string;
  audit: string;
  state: RunState;
  scheduledTime: string;
  report: ReportRef | null;
  error: string | null;
}

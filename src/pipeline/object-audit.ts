// Audits traces stored in object storage: Tempo's own Parquet blocks, or the Collector's
// awss3exporter archives. Same Analyzer, findings and report as every other source; the report's
// `source` section says what was read, how many bytes, and what failed and why. An unreadable
// object is recorded and skipped; the audit goes on.
import { Analyzer } from "../engine/analyzer";
import { TraceAssembler } from "../engine/assemble";
import { TraceBatcher } from "../engine/batch";
import type { ResolvedConfig } from "../engine/config";
import { decodeInput, DecodeError } from "../decode/index";
import { Trace } from "../model/trace";
import type { ObjectStorageSource, Report } from "../report/schema";
import { MeteredObjectStore } from "../storage/metered";
import { describeStoreError, type ObjectStore, type StoredObject } from "../storage/object-store";
import { discoverBlocks, type TimeWindow } from "../sources/blocks/discovery";
import type { SampleSpec } from "../sources/blocks/sample";
import { listArchiveObjects } from "../sources/otlp-archive/discover";
import { overlapsWindow } from "../sources/tempo/time";
import { analyseBlockSet } from "./block-set";

/** Objects listed one by one in the report; past this only the totals grow. */
const MAX_LISTED_OBJECTS = 1_000;

export type ObjectSourceSection = ObjectStorageSource;
export type ObjectRead = ObjectSourceSection["objects"][number];

function attach(report: Report, section: ObjectSourceSection): Report {
  report.source = section;
  return report;
}

const message = describeStoreError;

export interface BlocksAuditOptions {
  /** `s3://bucket/prefix` as given, for the report. */
  location: string;
  prefix: string;
  tenant: string;
  window: TimeWindow;
  sample?: SampleSpec;
  useTenantIndex?: boolean;
  now?: Date;
  onProblem?: (key: string, message: string) => void;
  /** Traces read out of the blocks' estimate (see BlockSetOptions.onProgress). */
  onProgress?: (progress: ObjectProgress) => void;
}

export async function auditTempoBlocks(store: ObjectStore, config: ResolvedConfig, options: BlocksAuditOptions): Promise<Report> {
  const metered = new MeteredObjectStore(store);
  const analyzer = new Analyzer(config);
  const discovery = await discoverBlocks(metered, options);
  for (const p of discovery.problems) options.onProblem?.(p.key, p.message);
  const part = await analyseBlockSet(
    metered,
    discovery.blocks.map((block) => ({ block })),
    { window: options.window, sample: options.sample, ...(options.onProblem ? { onFailure: options.onProblem } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    analyzer,
  );
  for (const o of part.objects) if (o.status !== "skipped") analyzer.noteInput();
  const failures = [...discovery.problems, ...part.failures];
  for (const f of [...failures, ...part.inputErrors]) analyzer.recordInputError(f.key, f.message);
  for (const e of part.inputErrors) options.onProblem?.(e.key, e.message);
  const objects: ObjectRead[] = part.objects;
  const report = analyzer.finish(options.now);
  return attach(report, {
    kind: "tempo-blocks",
    location: options.location,
    tenant: options.tenant,
    window: { start: options.window.start.toISOString(), end: options.window.end.toISOString() },
    discovery: discovery.via,
    ...(options.sample ? { sample: options.sample } : {}),
    objectsRead: objects.filter((o) => o.status === "read").length,
    objectsFailed: objects.filter((o) => o.status === "failed").length,
    bytesRead: metered.totalBytes,
    listRequests: metered.listRequests,
    skipped: {
      compactedBlocks: discovery.compacted,
      outsideWindow: discovery.outsideWindow,
      tracesOutsideWindow: part.tracesOutsideWindow,
      duplicateSpans: part.duplicateSpans,
    },
    objects: objects.slice(0, MAX_LISTED_OBJECTS),
    failures: failures.slice(0, MAX_LISTED_OBJECTS),
  });
}

export interface ArchiveAuditOptions {
  location: string;
  prefix: string;
  window: TimeWindow;
  /** awss3exporter `s3_partition_format` (default year=%Y/month=%m/day=%d/hour=%H/minute=%M). */
  partitionFormat?: string;
  /** awss3exporter `s3_partition_timezone`: IANA name or "Local" (default Local). */
  timeZone?: string;
  /** Upload time lags span time: partitions this far either side of the window are read (default 15 min). */
  marginMs?: number;
  /**
   * Memory bound: a trace is analysed once no later upload can be within this of its last one
   * (default 10 min; Infinity holds the whole window). Uploads of one trace further apart split it.
   */
  latenessMs?: number;
  /** Traces and spans held after each object (tests check the bound). */
  onPending?: (pending: { traces: number; spans: number }) => void;
  /** After each object: how many are done (read or failed) of those listed. */
  onProgress?: (progress: ObjectProgress) => void;
  now?: Date;
  onProblem?: (key: string, message: string) => void;
}

export const DEFAULT_ARCHIVE_LATENESS_MS = 10 * 60_000;

/** Archive objects fetched ahead of the one being decoded. */
const READ_AHEAD = 8;

export interface ObjectProgress {
  done: number;
  total: number;
  failed: number;
}

export async function auditOtlpArchive(store: ObjectStore, config: ResolvedConfig, options: ArchiveAuditOptions): Promise<Report> {
  const metered = new MeteredObjectStore(store);
  const analyzer = new Analyzer(config);
  const lateness = options.latenessMs ?? DEFAULT_ARCHIVE_LATENESS_MS;
  const assembler = new TraceAssembler();
  const failures: { key: string; message: string }[] = [];
  let outside = 0;
  const batcher = new TraceBatcher(analyzer);
  const analyse = (trace: Trace) => {
    if (overlapsWindow(trace.spans, options.window)) batcher.add(trace);
    else outside++;
  };
  const listing = await listArchiveObjects(metered, options.prefix, options.window, {
    ...(options.partitionFormat ? { format: options.partitionFormat } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.marginMs !== undefined ? { marginMs: options.marginMs } : {}),
  });
  const objects: ObjectRead[] = [];
  // Objects are decoded in upload order (the lateness bound depends on it), but fetched up to
  // READ_AHEAD ahead, so store latency overlaps instead of adding up over thousands of objects.
  const fetches = new Map<number, Promise<{ ok: StoredObject } | { error: unknown }>>();
  const fetchAhead = (from: number) => {
    for (let j = from; j < Math.min(from + READ_AHEAD, listing.objects.length); j++) {
      if (!fetches.has(j)) fetches.set(j, metered.get(listing.objects[j]!.key).then((ok) => ({ ok }), (error: unknown) => ({ error })));
    }
  };
  for (const [index, object] of listing.objects.entries()) {
    fetchAhead(index);
    for (const trace of assembler.completeBefore(object.partitionTime, lateness)) analyse(trace);
    analyzer.noteInput();
    const read: ObjectRead = { key: object.key, status: "read", bytes: 0, requests: 0 };
    try {
      const fetched = await fetches.get(index)!;
      fetches.delete(index);
      if ("error" in fetched) throw fetched.error;
      const { body, contentEncoding } = fetched.ok;
      const decoded = await decodeInput(body, { name: object.key, ...(object.marshaler === "otlp_proto" ? { contentType: "application/x-protobuf" } : {}) });
      for (const m of decoded.errors) analyzer.recordInputError(object.key, m);
      // A trace is complete once no later object can be within lateness of its last upload: the
      // next object may have been uploaded as early as its partition's start, this one as late as
      // its partition's end (an hour later, with an hourly format).
      assembler.add(decoded.spans, decoded.partial?.reason, object.partitionEnd);
      read.spans = decoded.spans.length;
      // Worth knowing when a `.gz` name or Content-Encoding did not match the bytes.
      if (object.gzipName && decoded.bytes.raw === decoded.bytes.decoded) read.message = `named .gz${contentEncoding ? ` (Content-Encoding: ${contentEncoding})` : ""} but the body arrived inflated`;
    } catch (error) {
      const msg = error instanceof DecodeError ? error.message.replace(`${object.key}: `, "") : `cannot read: ${message(error)}`;
      read.status = "failed";
      read.message = msg;
      failures.push({ key: object.key, message: msg });
      analyzer.recordInputError(object.key, msg);
      options.onProblem?.(object.key, msg);
    }
    const tally = metered.tally(object.key);
    read.bytes = tally.bytes;
    read.requests = tally.requests;
    objects.push(read);
    options.onPending?.({ traces: assembler.traceCount, spans: assembler.spanCount });
    options.onProgress?.({ done: index + 1, total: listing.objects.length, failed: failures.length });
  }
  for (const trace of assembler.drain()) analyse(trace);
  batcher.flush();
  const report = analyzer.finish(options.now);
  return attach(report, {
    kind: "otlp-archive",
    location: options.location,
    window: { start: options.window.start.toISOString(), end: options.window.end.toISOString() },
    objectsRead: objects.filter((o) => o.status === "read").length,
    objectsFailed: objects.filter((o) => o.status === "failed").length,
    bytesRead: metered.totalBytes,
    listRequests: metered.listRequests,
    skipped: { nonTraceObjects: listing.ignored, tracesOutsideWindow: outside },
    objects: objects.slice(0, MAX_LISTED_OBJECTS),
    failures: failures.slice(0, MAX_LISTED_OBJECTS),
  });
}

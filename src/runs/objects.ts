// Object-storage sources in scheduled runs (Tempo's Parquet blocks, awss3exporter archives), split
// the way a fanned-out run needs them: plan once (which blocks or objects, which trace-ID partition
// each batch gets: see partition.ts), then analyse any partition in any invocation, and describe
// the whole run in the report's `source` section from the plan and the batches' results.
// An inline run is the same code with one partition covering every trace ID.
import type { Analyzer } from "../engine/analyzer";
import { TraceAssembler } from "../engine/assemble";
import { TraceBatcher } from "../engine/batch";
import type { BlocksSourceConfig, ObjectSourceConfig, OtlpArchiveSourceConfig } from "../config/deployment";
import { decodeInput, DecodeError } from "../decode/index";
import type { Span } from "../model/span";
import { analyseBlockSet } from "../pipeline/block-set";
import { traceIdFromBytes } from "../model/ids";
import type { ObjectStorageSource } from "../report/schema";
import { discoverBlocks, type DiscoveredBlock } from "../sources/blocks/discovery";
import { readerForFormat } from "../sources/blocks/formats";
import type { BlockMeta, DedicatedColumn } from "../sources/blocks/meta";
import type { SampleSpec } from "../sources/blocks/sample";
import { listArchiveObjects } from "../sources/otlp-archive/discover";
import { overlapsWindow, parseDuration, resolveWindow, type TimeWindow } from "../sources/tempo/time";
import { MeteredObjectStore } from "../storage/metered";
import { describeStoreError, ObjectNotFoundError, type ObjectStore } from "../storage/object-store";
import { locationPrefix } from "../storage/url";
import { hashPartitions, inPartition, planPartitions, WHOLE_ID_SPACE, type BoundaryPoint, type TracePartition } from "./partition";
import type { ObjectPartResult, ObjectPlan, PlannedArchiveObject, PlannedBlock } from "./types";

const MAX_LISTED = 1_000;
const utf8 = new TextDecoder();

export function objectWindow(source: ObjectSourceConfig, scheduledTime: Date): TimeWindow {
  return resolveWindow({ now: scheduledTime, ingestionDelayMs: parseDuration(source.ingestionDelay), sinceMs: parseDuration(source.since) });
}

function sampleOf(source: BlocksSourceConfig): SampleSpec | undefined {
  return source.sample ? { fraction: source.sample.fraction, unit: source.sample.unit } : undefined;
}

const message = describeStoreError;

function plannedBlock(block: DiscoveredBlock): PlannedBlock {
  const m = block.meta;
  return {
    folder: block.folder,
    meta: {
      format: m.format,
      blockId: m.blockId,
      tenantId: m.tenantId,
      startTime: m.startTime.toISOString(),
      endTime: m.endTime.toISOString(),
      totalObjects: m.totalObjects,
      ...(m.size ? { size: m.size } : {}),
      ...(m.footerSize ? { footerSize: m.footerSize } : {}),
      compactionLevel: m.compactionLevel,
      dedicatedColumns: m.dedicatedColumns,
    },
  };
}

function discoveredBlock(block: PlannedBlock): DiscoveredBlock {
  const m = block.meta;
  const meta: BlockMeta = {
    format: m.format,
    blockId: m.blockId,
    tenantId: m.tenantId,
    startTime: new Date(m.startTime),
    endTime: new Date(m.endTime),
    totalObjects: m.totalObjects,
    ...(m.size ? { size: m.size } : {}),
    ...(m.footerSize ? { footerSize: m.footerSize } : {}),
    compactionLevel: m.compactionLevel,
    dedicatedColumns: m.dedicatedColumns as DedicatedColumn[],
  };
  return { folder: block.folder, meta };
}

/** The block's `index`: base64 max trace ID per row group (tempo.md §4.4). Absent or odd: undefined. */
async function readRowGroupIndex(store: ObjectStore, folder: string): Promise<string[] | undefined> {
  try {
    const { body } = await store.get(`${folder}/index`);
    const json = JSON.parse(utf8.decode(body)) as { rowGroups?: unknown };
    if (!Array.isArray(json.rowGroups) || !json.rowGroups.every((r) => typeof r === "string")) return undefined;
    const ids = (json.rowGroups as string[]).map((b64) => traceIdFromBytes(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
    // Must be ascending to describe row-group ranges; anything else is not trusted.
    return ids.every((id, i) => i === 0 || ids[i - 1]! <= id) ? ids : undefined;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    return undefined; // the index only saves reads; a broken one costs bytes, not correctness
  }
}

export interface PlanOptions {
  batchSize: number;
  maxPartitions: number;
  /** Partitions wanted at all (false: one partition, the inline run). */
  split: (estimatedTraces: number) => boolean;
}

/** Finds the blocks in the window, reads their row-group indexes and cuts the trace-ID space. */
export async function planBlocks(store: ObjectStore, source: BlocksSourceConfig, window: TimeWindow, options: PlanOptions): Promise<Omit<ObjectPlan, "partitions"> & { partitions: TracePartition[] }> {
  const metered = new MeteredObjectStore(store);
  const prefix = locationPrefix(source.bucket);
  const discovery = await discoverBlocks(metered, { prefix, tenant: source.tenant, window, useTenantIndex: source.useTenantIndex });
  const blocks = discovery.blocks.map(plannedBlock);
  const fraction = source.sample?.fraction ?? 1;
  const estimatedTraces = Math.ceil(blocks.reduce((sum, b) => sum + b.meta.totalObjects, 0) * fraction);
  let partitions = [WHOLE_ID_SPACE];
  if (options.split(estimatedTraces)) {
    const points: BoundaryPoint[] = [];
    let unplaced = 0;
    for (const block of blocks) {
      if (readerForFormat(block.meta.format)) {
        const maxIds = await readRowGroupIndex(metered, block.folder);
        if (maxIds && maxIds.length > 0) block.rowGroupMaxIds = maxIds;
      }
      const traces = block.meta.totalObjects * fraction;
      if (!block.rowGroupMaxIds) unplaced += traces;
      else for (const maxId of block.rowGroupMaxIds) points.push({ maxId, traces: traces / block.rowGroupMaxIds.length });
    }
    partitions = planPartitions(points, unplaced, options.batchSize, options.maxPartitions);
  }
  return {
    kind: "tempo-blocks",
    blocks,
    archiveObjects: [],
    partitions,
    estimatedTraces,
    discovery: discovery.via,
    compactedBlocks: discovery.compacted,
    outsideWindow: discovery.outsideWindow,
    bytesRead: metered.totalBytes,
    listRequests: metered.listRequests,
    problems: discovery.problems,
  };
}

/**
 * Lists the archive objects in the window. Objects are not sorted by trace ID, so partitions are
 * hash slots: each batch reads every object but keeps only its slot's spans (see the docs).
 */
export async function planArchive(store: ObjectStore, source: OtlpArchiveSourceConfig, window: TimeWindow, options: PlanOptions): Promise<Omit<ObjectPlan, "partitions"> & { partitions: TracePartition[] }> {
  const metered = new MeteredObjectStore(store);
  const prefix = locationPrefix(source.bucket);
  const listing = await listArchiveObjects(metered, prefix, window, {
    ...(source.partitionFormat ? { format: source.partitionFormat } : {}),
    ...(source.timeZone ? { timeZone: source.timeZone } : {}),
    marginMs: parseDuration(source.margin),
  });
  const archiveObjects = listing.objects.map((o) => ({ key: o.key, size: o.size, marshaler: o.marshaler, gzipName: o.gzipName }));
  const estimatedTraces = archiveObjects.length;
  const partitions = options.split(estimatedTraces) ? hashPartitions(Math.min(options.maxPartitions, Math.ceil(estimatedTraces / Math.max(1, options.batchSize)))) : [WHOLE_ID_SPACE];
  return {
    kind: "otlp-archive",
    blocks: [],
    archiveObjects,
    partitions,
    estimatedTraces,
    nonTraceObjects: listing.ignored,
    bytesRead: metered.totalBytes,
    listRequests: metered.listRequests,
    problems: [],
  };
}

function emptyPart(): ObjectPartResult {
  return { objects: [], failures: [], inputErrors: [], tracesOutsideWindow: 0, duplicateSpans: 0 };
}

/** Reads the planned blocks' row groups that overlap the partition; feeds its whole traces to the analyzer. */
function analyseBlocks(store: ObjectStore, plan: ObjectPlan, source: BlocksSourceConfig, window: TimeWindow, partition: TracePartition, analyzer: Analyzer): Promise<ObjectPartResult> {
  const blocks = plan.blocks.map((planned) => ({ block: discoveredBlock(planned), rowGroupMaxIds: planned.rowGroupMaxIds }));
  return analyseBlockSet(new MeteredObjectStore(store), blocks, { window, sample: sampleOf(source), partition }, analyzer);
}

/**
 * Reads and decodes one planned archive object through `metered`, and records the read in `part`
 * (status, bytes, requests; a failure, or decode problems). Returns the read record (for the caller
 * to set `spans`) and the decoded spans, none when the object could not be read.
 */
export async function readArchiveObject(
  metered: MeteredObjectStore,
  object: PlannedArchiveObject,
  part: ObjectPartResult,
): Promise<{ read: ObjectPartResult["objects"][number]; spans: Span[]; partialReason?: string }> {
  const read: ObjectPartResult["objects"][number] = { key: object.key, status: "read", bytes: 0, requests: 0 };
  let spans: Span[] = [];
  let partialReason: string | undefined;
  try {
    const { body } = await metered.get(object.key);
    const decoded = await decodeInput(body, { name: object.key, ...(object.marshaler === "otlp_proto" ? { contentType: "application/x-protobuf" } : {}) });
    for (const m of decoded.errors) part.inputErrors.push({ key: object.key, message: m });
    spans = decoded.spans;
    partialReason = decoded.partial?.reason;
  } catch (error) {
    const msg = error instanceof DecodeError ? error.message.replace(`${object.key}: `, "") : `cannot read: ${message(error)}`;
    read.status = "failed";
    read.message = msg;
    part.failures.push({ key: object.key, message: msg });
  }
  const tally = metered.tally(object.key);
  read.bytes = tally.bytes;
  read.requests = tally.requests;
  part.objects.push(read);
  return { read, spans, ...(partialReason !== undefined ? { partialReason } : {}) };
}

/** Reads every planned archive object, keeping the spans of the partition's traces. */
async function analyseArchive(store: ObjectStore, plan: ObjectPlan, window: TimeWindow, partition: TracePartition, analyzer: Analyzer): Promise<ObjectPartResult> {
  const metered = new MeteredObjectStore(store);
  const part = emptyPart();
  const assembler = new TraceAssembler();
  const everyId = partition.slots === 1 && partition.after === null && partition.upTo === null;
  for (const object of plan.archiveObjects) {
    const { read, spans: all, partialReason } = await readArchiveObject(metered, object, part);
    if (read.status !== "read") continue;
    const spans = everyId ? all : all.filter((s) => inPartition(s.traceId, partition));
    assembler.add(spans, partialReason);
    read.spans = spans.length;
  }
  analyseAssembled(assembler, window, analyzer, part);
  return part;
}

/** Analyses every trace the assembler holds that overlaps the window; counts the others in `part`. */
export function analyseAssembled(assembler: TraceAssembler, window: TimeWindow, analyzer: Analyzer, part: ObjectPartResult): void {
  const batcher = new TraceBatcher(analyzer);
  for (const trace of assembler.drain()) {
    if (!overlapsWindow(trace.spans, window)) {
      part.tracesOutsideWindow++;
      continue;
    }
    batcher.add(trace);
  }
  batcher.flush();
}

/** Analyses one partition of a planned object-storage run. Input errors are left to `objectSection`. */
export function analysePartition(store: ObjectStore, source: ObjectSourceConfig, plan: ObjectPlan, window: TimeWindow, partition: TracePartition, analyzer: Analyzer): Promise<ObjectPartResult> {
  return source.kind === "blocks" ? analyseBlocks(store, plan, source, window, partition, analyzer) : analyseArchive(store, plan, window, partition, analyzer);
}

function dedupe(list: readonly { key: string; message: string }[], byKeyOnly: boolean): { key: string; message: string }[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const id = byKeyOnly ? e.key : `${e.key}\u0000${e.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Merges the batches' reads into the report's `source` section and records, once each, the inputs
 * and input errors (a block read by five batches is one input; its failure one error).
 */
export function objectSection(source: ObjectSourceConfig, plan: ObjectPlan, window: { start: string; end: string }, parts: readonly ObjectPartResult[], analyzer: Analyzer): ObjectStorageSource {
  const byKey = new Map<string, ObjectPartResult["objects"][number]>();
  for (const part of parts) {
    for (const o of part.objects) {
      const seen = byKey.get(o.key);
      if (!seen) {
        byKey.set(o.key, { ...o, ...(o.rowGroups ? { rowGroups: { ...o.rowGroups } } : {}) });
        continue;
      }
      seen.bytes += o.bytes;
      seen.requests += o.requests;
      if (o.status === "failed" && seen.status !== "failed") {
        seen.status = "failed";
        if (o.message !== undefined) seen.message = o.message;
      }
      if (seen.rowGroups && o.rowGroups) seen.rowGroups = { total: Math.max(seen.rowGroups.total, o.rowGroups.total), read: seen.rowGroups.read + o.rowGroups.read };
      if (o.traces !== undefined) seen.traces = (seen.traces ?? 0) + o.traces;
      if (o.spans !== undefined) seen.spans = (seen.spans ?? 0) + o.spans;
    }
  }
  const objects = [...byKey.values()];
  const failures = dedupe([...plan.problems, ...parts.flatMap((p) => p.failures)], true);
  for (const o of objects) if (o.status !== "skipped") analyzer.noteInput();
  for (const f of failures) analyzer.recordInputError(f.key, f.message);
  for (const e of dedupe(parts.flatMap((p) => p.inputErrors), false)) analyzer.recordInputError(e.key, e.message);
  const sum = (f: (p: ObjectPartResult) => number) => parts.reduce((total, p) => total + f(p), 0);
  const blocks = source.kind === "blocks";
  return {
    kind: plan.kind,
    location: source.bucket,
    ...(blocks ? { tenant: source.tenant } : {}),
    window,
    ...(plan.discovery ? { discovery: plan.discovery } : {}),
    ...(blocks && source.sample ? { sample: { fraction: source.sample.fraction, unit: source.sample.unit } } : {}),
    objectsRead: objects.filter((o) => o.status === "read").length,
    objectsFailed: objects.filter((o) => o.status === "failed").length,
    bytesRead: plan.bytesRead + objects.reduce((total, o) => total + o.bytes, 0),
    listRequests: plan.listRequests,
    skipped: blocks
      ? { compactedBlocks: plan.compactedBlocks ?? 0, outsideWindow: plan.outsideWindow ?? 0, tracesOutsideWindow: sum((p) => p.tracesOutsideWindow), duplicateSpans: sum((p) => p.duplicateSpans) }
      : { nonTraceObjects: plan.nonTraceObjects ?? 0, tracesOutsideWindow: sum((p) => p.tracesOutsideWindow) },
    objects: objects.slice(0, MAX_LISTED),
    failures: failures.slice(0, MAX_LISTED),
  };
}

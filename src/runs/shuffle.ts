// Archive fan-out with each object read once. Archive objects are not sorted by trace ID, so a
// partition batch on its own would have to read every object to find its traces. Instead, shuffle
// batches each read a range of the planned objects and write, per partition batch, that batch's
// spans as OTLP protobuf objects under the run (`runs/<runId>/shuffle/<partition>/<shuffle>-<n>.pb`);
// when the last shuffle batch is counted, the partition batches are enqueued and read only their
// own files. Queues and R2 do the distribution; the files are removed once the report is published.
import type { Analyzer } from "../engine/analyzer";
import { TraceAssembler } from "../engine/assemble";
import { decodeInput } from "../decode/index";
import { encodeTracesDataProto } from "../encode/index";
import type { Span } from "../model/span";
import type { TimeWindow } from "../sources/tempo/time";
import { MeteredObjectStore } from "../storage/metered";
import { listAll, type ObjectStore } from "../storage/object-store";
import { shufflePartKey, shufflePrefixes, shuffleSpansKey, shuffleSpansPrefix } from "./keys";
import { analyseAssembled, readArchiveObject } from "./objects";
import { hashSlot } from "./partition";
import type { RunStore } from "./run-store";
import type { ObjectPartResult, ObjectPlan, RunPlan } from "./types";

/** Decoded spans a shuffle batch holds before it writes them out (and the chunk files they make). */
export const SHUFFLE_CHUNK_SPANS = 20_000;

/** The run counter that counts shuffle batches (a second ledger next to the partition batches'). */
export function shuffleCounterId(runId: string): string {
  return `${runId}/shuffle`;
}

/** Shuffle batches of at most `perBatch` objects each: `s00001` → its range of `archiveObjects`. */
export function planShuffle(objects: number, perBatch: number): Record<string, { first: number; count: number }> {
  const size = Math.max(1, perBatch);
  const batches: Record<string, { first: number; count: number }> = {};
  for (let first = 0, i = 1; first < objects; first += size, i++) {
    batches[`s${String(i).padStart(5, "0")}`] = { first, count: Math.min(size, objects - first) };
  }
  return batches;
}

/**
 * Reads one shuffle batch's objects and writes each partition batch's spans. Writing is idempotent
 * (same keys, same content), so a re-delivered batch changes nothing. Returns what was read, which
 * is also stored for the report's `source` section.
 */
export async function shuffleObjects(
  traceStore: ObjectStore,
  runs: RunStore,
  plan: RunPlan,
  shuffleBatchId: string,
  chunkSpans = SHUFFLE_CHUNK_SPANS,
): Promise<ObjectPartResult> {
  const objects = plan.objects!;
  const range = objects.shuffle![shuffleBatchId]!;
  const metered = new MeteredObjectStore(traceStore);
  const part: ObjectPartResult = { objects: [], failures: [], inputErrors: [], tracesOutsideWindow: 0, duplicateSpans: 0 };
  // Hash slot → the partition batch that owns it (archive partitions are hash slots only).
  const batchOfSlot = new Map<number, string>();
  let slots = 1;
  for (const [batchId, p] of Object.entries(objects.partitions)) {
    batchOfSlot.set(p.slot, batchId);
    slots = p.slots;
  }
  const spansOf = new Map<string, Span[]>();
  let held = 0;
  let chunk = 0;
  // Written in chunks so that memory holds at most about SHUFFLE_CHUNK_SPANS decoded spans (plus
  // one object's), whatever the batch size. Chunks follow the objects' order: a re-delivered batch
  // writes the same files.
  const flush = async () => {
    chunk++;
    for (const [batchId, spans] of spansOf) {
      await runs.objects.put(shuffleSpansKey(plan.runId, batchId, `${shuffleBatchId}-${chunk}`), encodeTracesDataProto(spans), { contentType: "application/x-protobuf" });
    }
    spansOf.clear();
    held = 0;
  };
  for (const object of objects.archiveObjects.slice(range.first, range.first + range.count)) {
    const { read, spans } = await readArchiveObject(metered, object, part);
    if (read.status === "read") read.spans = spans.length;
    for (const span of spans) {
      const batchId = batchOfSlot.get(hashSlot(span.traceId, slots))!;
      const list = spansOf.get(batchId);
      if (list) list.push(span);
      else spansOf.set(batchId, [span]);
    }
    held += spans.length;
    if (held >= chunkSpans) await flush();
  }
  if (held > 0) await flush();
  await runs.putJson(shufflePartKey(plan.runId, shuffleBatchId), part);
  return part;
}

/** A partition batch of a shuffled archive run: its spans from every shuffle batch, analysed whole. */
export async function analyseShuffled(runs: RunStore, runId: string, batchId: string, window: TimeWindow, analyzer: Analyzer): Promise<ObjectPartResult> {
  const part: ObjectPartResult = { objects: [], failures: [], inputErrors: [], tracesOutsideWindow: 0, duplicateSpans: 0 };
  const assembler = new TraceAssembler();
  for await (const info of listAll(runs.objects, shuffleSpansPrefix(runId, batchId))) {
    // Written by this run's shuffle batches: a file that does not decode is a fault worth a retry.
    const decoded = await decodeInput((await runs.objects.get(info.key)).body, { name: info.key, contentType: "application/x-protobuf" });
    for (const m of decoded.errors) part.inputErrors.push({ key: info.key, message: m });
    assembler.add(decoded.spans);
  }
  analyseAssembled(assembler, window, analyzer, part);
  return part;
}

/** What every shuffle batch read, for `objectSection` (each object is in exactly one). */
export async function shuffleReads(runs: RunStore, runId: string, objects: ObjectPlan): Promise<ObjectPartResult[]> {
  const parts: ObjectPartResult[] = [];
  for (const shuffleBatchId of Object.keys(objects.shuffle ?? {})) {
    const part = await runs.getJson<ObjectPartResult>(shufflePartKey(runId, shuffleBatchId));
    if (!part) throw new Error(`run ${runId}: shuffle batch ${shuffleBatchId} is counted but its reads are not stored`);
    parts.push(part);
  }
  return parts;
}

/** Removes the run's shuffle files once the report is out; a store without `delete` keeps them. */
export async function removeShuffleFiles(runs: RunStore, runId: string): Promise<number> {
  const remove = runs.objects.delete?.bind(runs.objects);
  if (!remove) return 0;
  const keys: string[] = [];
  for (const prefix of shufflePrefixes(runId)) {
    for await (const info of listAll(runs.objects, prefix)) keys.push(info.key);
  }
  for (const key of keys) await remove(key);
  return keys.length;
}

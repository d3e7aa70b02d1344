// Trace-ID partitions: how an object-storage audit is split into batches without cutting a trace.
//
// Structure rules need whole traces, and a trace can be spread over several blocks (or archive
// objects). So batches are not "these blocks" but "these trace IDs": every batch reads the planned
// blocks and keeps only the traces whose ID falls in its partition; each trace belongs to exactly
// one partition, so every trace is combined across blocks in exactly one batch.
//
// A partition is a trace-ID range (after, upTo] — cheap to read, because Tempo block rows are sorted
// by TraceID and the block's `index` file gives the max trace ID of each row group, so a batch
// skips every row group outside its range — optionally cut further into hash slots when one range
// holds more traces than a batch should (e.g. a block written as one big row group). Hash slots of
// the same range read the same row groups; ranges never read each other's.
import { unitHash } from "../sources/blocks/sample";

export interface TracePartition {
  /** Exclusive lower bound (32 lower-case hex digits); null = from the lowest ID. */
  after: string | null;
  /** Inclusive upper bound; null = to the highest ID. */
  upTo: string | null;
  /** This partition keeps traces whose hash slot is `slot` of `slots` (slots = 1: all of the range). */
  slot: number;
  slots: number;
}

export const WHOLE_ID_SPACE: TracePartition = { after: null, upTo: null, slot: 0, slots: 1 };

/** Which of `slots` hash slots a trace ID is in (FNV-1a, stable across runtimes). */
export function hashSlot(traceId: string, slots: number): number {
  return slots <= 1 ? 0 : Math.min(slots - 1, Math.floor(unitHash(traceId) * slots));
}

export function inRange(traceId: string, p: Pick<TracePartition, "after" | "upTo">): boolean {
  return (p.after === null || traceId > p.after) && (p.upTo === null || traceId <= p.upTo);
}

export function inPartition(traceId: string, p: TracePartition): boolean {
  return inRange(traceId, p) && hashSlot(traceId, p.slots) === p.slot;
}

/**
 * Whether row group `index` of a block can hold IDs of the range. Row group i holds IDs in
 * (max[i-1], max[i]]. Without a usable index (missing, or not matching the footer's row-group count)
 * every row group is read: skipping is an optimisation, never a filter.
 */
export function rowGroupOverlaps(maxIds: readonly string[] | undefined, index: number, total: number, p: Pick<TracePartition, "after" | "upTo">): boolean {
  if (!maxIds || maxIds.length !== total || index >= maxIds.length) return true;
  const groupMax = maxIds[index]!;
  const groupAfter = index === 0 ? null : maxIds[index - 1]!;
  const startsBelowEnd = p.upTo === null || groupAfter === null || groupAfter < p.upTo;
  const endsAboveStart = p.after === null || groupMax > p.after;
  return startsBelowEnd && endsAboveStart;
}

/** A row-group boundary from a block index, weighted by the traces the row group is estimated to hold. */
export interface BoundaryPoint {
  maxId: string;
  traces: number;
}

/**
 * Cuts the ID space into ranges of about `batchSize` traces at row-group boundaries, then gives
 * each range as many hash slots as its estimated traces need. `unplacedTraces` (blocks without an
 * index) are assumed spread evenly over the ranges. At most `maxPartitions` partitions.
 */
export function planPartitions(points: readonly BoundaryPoint[], unplacedTraces: number, batchSize: number, maxPartitions: number): TracePartition[] {
  const total = points.reduce((sum, p) => sum + p.traces, 0) + unplacedTraces;
  const wanted = Math.min(maxPartitions, Math.max(1, Math.ceil(total / Math.max(1, batchSize))));
  if (wanted === 1) return [WHOLE_ID_SPACE];
  const sorted = [...points].sort((a, b) => (a.maxId < b.maxId ? -1 : a.maxId > b.maxId ? 1 : 0));
  const perRange = total / wanted;
  const ranges: { after: string | null; upTo: string | null; traces: number }[] = [];
  let after: string | null = null;
  let acc = 0;
  for (const [i, point] of sorted.entries()) {
    acc += point.traces;
    const last = i === sorted.length - 1;
    const next = sorted[i + 1];
    // Cut after this boundary when the range is full, unless the next point has the same ID.
    if (!last && acc >= perRange && next!.maxId !== point.maxId) {
      ranges.push({ after, upTo: point.maxId, traces: acc });
      after = point.maxId;
      acc = 0;
    }
  }
  ranges.push({ after, upTo: null, traces: acc });
  const spread = unplacedTraces / ranges.length;
  const partitions: TracePartition[] = [];
  for (const range of ranges) {
    const estimate = range.traces + spread;
    const slots = Math.max(1, Math.ceil(estimate / Math.max(1, batchSize)));
    for (let slot = 0; slot < slots; slot++) partitions.push({ after: range.after, upTo: range.upTo, slot, slots });
  }
  if (partitions.length <= maxPartitions) return partitions;
  // Too many: fall back to hash slots over the whole space (every batch reads everything once).
  return Array.from({ length: maxPartitions }, (_, slot) => ({ after: null, upTo: null, slot, slots: maxPartitions }));
}

/** Hash slots over the whole ID space (archives: objects are not sorted by trace ID). */
export function hashPartitions(count: number): TracePartition[] {
  const slots = Math.max(1, count);
  return Array.from({ length: slots }, (_, slot) => ({ after: null, upTo: null, slot, slots }));
}

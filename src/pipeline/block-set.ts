// Reads a set of Tempo blocks and feeds their traces to an Analyzer: the one block-reading pass
// behind `tracelint audit --blocks` (every trace ID) and a scheduled run's partition (a slice of
// the trace-ID space, with row groups outside it never fetched). Traces split across blocks are
// merged first; an unreadable block is recorded and the others go on.
import type { Analyzer } from "../engine/analyzer";
import { TraceBatcher } from "../engine/batch";
import { Trace } from "../model/trace";
import { inPartition, rowGroupOverlaps, WHOLE_ID_SPACE, type TracePartition } from "../runs/partition";
import type { ObjectPartResult } from "../runs/types";
import { mergeBlocks, type BlockStream } from "../sources/blocks/combine";
import type { DiscoveredBlock } from "../sources/blocks/discovery";
import { readerForFormat, SUPPORTED_FORMATS } from "../sources/blocks/formats";
import { readBlockTraces, type BlockReadState } from "../sources/blocks/read-block";
import type { SampleSpec } from "../sources/blocks/sample";
import { overlapsWindow, type TimeWindow } from "../sources/tempo/time";
import type { MeteredObjectStore } from "../storage/metered";
import { describeStoreError } from "../storage/object-store";
import { yieldToEventLoop } from "../util/yield";

export interface BlockToRead {
  block: DiscoveredBlock;
  /** Max trace ID per row group (the block's `index`), when known: row groups outside the partition are skipped. */
  rowGroupMaxIds?: readonly string[] | undefined;
}

export interface BlockSetOptions {
  window: TimeWindow;
  sample?: SampleSpec | undefined;
  /** The trace IDs to analyse; every ID when absent. */
  partition?: TracePartition;
  /** Called for each failed or skipped block as it happens (the result lists them too). */
  onFailure?: (key: string, message: string) => void;
  /**
   * Traces read so far out of the blocks' `totalObjects` (an estimate: sampling reads fewer, and a
   * trace in two blocks counts once); every PROGRESS_EVERY traces, and once more at the end with
   * done = total.
   */
  onProgress?: (progress: { done: number; total: number; failed: number }) => void;
}

const PROGRESS_EVERY = 1_000;
/** Traces analysed between two turns of the event loop. */
const YIELD_EVERY = 200;

const message = describeStoreError;

/**
 * Reads `blocks` through `store` (its tallies give each object's bytes and requests) and analyses
 * the traces of the partition that overlap the window. Input errors are the caller's to record
 * (a fanned-out run records each block's once, however many partitions read it).
 */
export async function analyseBlockSet(
  store: MeteredObjectStore,
  blocks: readonly BlockToRead[],
  options: BlockSetOptions,
  analyzer: Analyzer,
): Promise<ObjectPartResult> {
  const partition = options.partition ?? WHOLE_ID_SPACE;
  const part: ObjectPartResult = { objects: [], failures: [], inputErrors: [], tracesOutsideWindow: 0, duplicateSpans: 0 };
  const fail = (key: string, msg: string) => {
    part.failures.push({ key, message: msg });
    options.onFailure?.(key, msg);
  };
  const reads: (ObjectPartResult["objects"][number] & { state?: BlockReadState })[] = [];
  const streams: BlockStream[] = [];
  for (const { block, rowGroupMaxIds: maxIds } of blocks) {
    const key = `${block.folder}/data.parquet`;
    const reader = readerForFormat(block.meta.format);
    if (!reader) {
      const msg = `unsupported block format ${JSON.stringify(block.meta.format)} (supported: ${SUPPORTED_FORMATS.join(", ")})`;
      reads.push({ key, status: "skipped", bytes: 0, requests: 0, format: block.meta.format, message: msg });
      fail(key, msg);
      continue;
    }
    const state: BlockReadState = { rowGroups: maxIds?.length ?? 0, rowGroupsRead: 0, traces: 0, spans: 0 };
    reads.push({ key, status: "read", bytes: 0, requests: 0, format: block.meta.format, state });
    // Not one row group of this block can hold the partition's IDs: not even its footer is read.
    if (maxIds && !maxIds.some((_, i) => rowGroupOverlaps(maxIds, i, maxIds.length, partition))) continue;
    const keepRowGroup = (index: number, total: number) => rowGroupOverlaps(maxIds, index, total, partition);
    const readOptions = { ...(options.sample ? { sample: options.sample } : {}), keepRowGroup };
    streams.push({ name: key, traces: readBlockTraces(store, block, reader, readOptions, state)[Symbol.asyncIterator]() });
  }
  const merged = mergeBlocks(streams, {
    onBlockError: (name, error) => {
      const read = reads.find((r) => r.key === name);
      if (read) {
        read.status = "failed";
        read.message = message(error);
      }
      const done = read?.state?.rowGroupsRead ?? 0;
      fail(name, done > 0 ? `${message(error)} (stopped after ${done} row group(s))` : message(error));
    },
    onUnsorted: (name) => part.inputErrors.push({ key: name, message: "rows are not sorted by TraceID; traces split across blocks may not be combined" }),
  });
  const batcher = new TraceBatcher(analyzer);
  const expected = blocks.reduce((n, { block }) => n + (readerForFormat(block.meta.format) ? block.meta.totalObjects : 0), 0);
  let seen = 0;
  // Said before the first row groups are fetched: with many blocks that alone takes a while.
  options.onProgress?.({ done: 0, total: expected, failed: part.failures.length });
  for await (const trace of merged) {
    if (++seen % PROGRESS_EVERY === 0) options.onProgress?.({ done: Math.min(seen, expected), total: Math.max(expected, seen), failed: part.failures.length });
    // Traces of one decoded row group arrive as microtasks only: let a server answer in between.
    if (seen % YIELD_EVERY === 0) await yieldToEventLoop();
    if (!inPartition(trace.traceId, partition)) continue;
    part.duplicateSpans += trace.duplicates;
    if (!overlapsWindow(trace.spans, options.window)) {
      part.tracesOutsideWindow++;
      continue;
    }
    batcher.add(new Trace(trace.traceId, trace.spans));
  }
  batcher.flush();
  options.onProgress?.({ done: seen, total: seen, failed: part.failures.length });
  part.objects = reads.map(({ state, ...r }) => {
    const tally = store.tally(r.key);
    return {
      ...r,
      bytes: tally.bytes,
      requests: tally.requests,
      ...(state ? { rowGroups: { total: state.rowGroups, read: state.rowGroupsRead }, traces: state.traces, spans: state.spans } : {}),
    };
  });
  return part;
}

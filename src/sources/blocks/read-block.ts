// Reads one block's traces, one row group at a time (memory stays bounded by the largest row
// group, whatever the block size). Rows are traces sorted by TraceID, so traces come out in ID
// order, which is what the cross-block merge relies on.
import { parquetMetadataAsync, parquetReadObjects, type Compressors } from "hyparquet";
import { decompress as zstdDecompress } from "fzstd";
import type { Span } from "../../model/span";
import type { ObjectStore } from "../../storage/object-store";
import type { Row } from "./convert";
import type { DiscoveredBlock } from "./discovery";
import type { BlockFormatReader } from "./format";
import { objectAsyncBuffer, type RangeRead } from "./parquet-buffer";
import { keepRowGroup, keepTrace, type SampleSpec } from "./sample";

// hyparquet decodes Snappy itself (pure JS); zstd comes from fzstd (pure JS). Not the wasm snappy of
// hyparquet-compressors: Workers refuse WebAssembly compiled from bytes at run time.
const COMPRESSORS: Compressors = { ZSTD: (input: Uint8Array) => zstdDecompress(input) };

export interface BlockTrace {
  traceId: string;
  spans: Span[];
}

export interface RowGroupEvent {
  index: number;
  rows: number;
  /** Compressed bytes of the columns read in this row group. */
  bytes: number;
  skipped: boolean;
}

export interface BlockReadOptions {
  sample?: SampleSpec;
  /** Row groups to read (e.g. those overlapping a trace-ID partition); `total` is the footer's count. */
  keepRowGroup?: (index: number, total: number) => boolean;
  onRowGroup?: (event: RowGroupEvent) => void;
  /** Every ranged read (for tests that check what was fetched). */
  onRead?: (read: RangeRead) => void;
}

export interface BlockReadState {
  rowGroups: number;
  rowGroupsRead: number;
  traces: number;
  spans: number;
}

export async function* readBlockTraces(
  store: ObjectStore,
  block: DiscoveredBlock,
  reader: BlockFormatReader,
  options: BlockReadOptions = {},
  state: BlockReadState = { rowGroups: 0, rowGroupsRead: 0, traces: 0, spans: 0 },
): AsyncGenerator<BlockTrace> {
  const key = `${block.folder}/data.parquet`;
  let size = block.meta.size;
  if (!size) {
    const head = await store.head?.(key);
    if (!head) throw new Error("data.parquet not found");
    size = head.size;
  }
  const file = objectAsyncBuffer(store, key, size, options.onRead);
  // meta.json records the footer length: fetch exactly footer + 8-byte trailer in one request.
  const initialFetchSize = block.meta.footerSize ? block.meta.footerSize + 8 : 512 * 1024;
  const metadata = await parquetMetadataAsync(file, { initialFetchSize });
  const convert = reader.forBlock(block.meta.dedicatedColumns);
  const columns = [...reader.columns];
  state.rowGroups = metadata.row_groups.length;
  let rowStart = 0;
  for (let index = 0; index < metadata.row_groups.length; index++) {
    const group = metadata.row_groups[index]!;
    const rowCount = Number(group.num_rows);
    const rowEnd = rowStart + rowCount;
    const bytes = group.columns
      .filter((c) => columns.includes(c.meta_data?.path_in_schema[0] ?? ""))
      .reduce((sum, c) => sum + Number(c.meta_data?.total_compressed_size ?? 0), 0);
    const skipped = !keepRowGroup(options.sample, block.meta.blockId, index) || options.keepRowGroup?.(index, metadata.row_groups.length) === false;
    options.onRowGroup?.({ index, rows: rowCount, bytes, skipped });
    if (!skipped) {
      // Say where in the block a read or decode failed: the Parquet library's own messages
      // ("thrift unhandled type: 15") do not.
      const where = `row group ${index + 1} of ${metadata.row_groups.length}`;
      let rows: Row[];
      try {
        rows = (await parquetReadObjects({
          file,
          metadata,
          columns,
          rowStart,
          rowEnd,
          utf8: false, // IDs are plain BYTE_ARRAY; String-annotated columns still come back as strings
          compressors: COMPRESSORS,
        })) as Row[];
      } catch (error) {
        throw new Error(`${where} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      state.rowGroupsRead++;
      for (const [rowIndex, row] of rows.entries()) {
        let trace: BlockTrace;
        try {
          trace = convert(row);
        } catch (error) {
          throw new Error(`${where}, row ${rowIndex + 1}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        if (!keepTrace(options.sample, trace.traceId)) continue;
        state.traces++;
        state.spans += trace.spans.length;
        yield trace;
      }
    }
    rowStart = rowEnd;
  }
}

// The one interface the per-format readers (vparquet3.ts, vparquet4.ts, vparquet5.ts) implement.
import type { Span } from "../../model/span";
import type { DedicatedColumn } from "./meta";
import type { Row } from "./convert";

export interface BlockFormatReader {
  /** The `meta.json` format this reader handles, e.g. "vParquet4". */
  readonly format: string;
  /** Top-level Parquet columns to read; everything else (ServiceStats, TraceIDText, …) is skipped. */
  readonly columns: readonly string[];
  /** Prepares the per-block conversion (dedicated-column mapping from meta.json). */
  forBlock(dedicated: readonly DedicatedColumn[]): (row: Row) => { traceId: string; spans: Span[] };
}

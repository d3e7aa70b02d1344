// Picks the reader for a block's `meta.json` format. Anything else (legacy `v2`, unknown
// previews) is a per-block error for the report, never a crash.
import type { BlockFormatReader } from "./format";
import { vParquet3 } from "./vparquet3";
import { vParquet4 } from "./vparquet4";
import { vParquet5 } from "./vparquet5";

export const SUPPORTED_FORMATS = ["vParquet3", "vParquet4", "vParquet5"] as const;

export function readerForFormat(format: string): BlockFormatReader | undefined {
  if (format === "vParquet3") return vParquet3;
  if (format === "vParquet4") return vParquet4;
  // Tempo's own test block is "vParquet5-preview5"; later previews kept the same reader shape.
  if (format === "vParquet5" || /^vParquet5-preview\d+$/.test(format)) return vParquet5;
  return undefined;
}

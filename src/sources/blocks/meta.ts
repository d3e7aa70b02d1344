// Tempo's block `meta.json` (BlockMeta, serialised by Go's encoding/json) and the dedicated-column
// list in it. Unknown fields are ignored; only what the reader needs is validated.
import { z } from "zod";

export type DedicatedScope = "resource" | "span" | "event";

export interface DedicatedColumn {
  scope: DedicatedScope;
  name: string;
  /** "string" or "int" (vParquet5); vParquet4 only has strings. */
  type: "string" | "int";
  /** vParquet5 options such as "array", "blob". */
  options: string[];
}

const DedicatedColumnJson = z.object({
  s: z.string().optional(),
  n: z.string(),
  t: z.string().optional(),
  o: z.array(z.string()).nullish(),
});

const BlockMetaJson = z.looseObject({
  format: z.string(),
  blockID: z.string(),
  tenantID: z.string().optional(),
  startTime: z.string(),
  endTime: z.string(),
  totalObjects: z.number().optional(),
  size: z.number().optional(),
  compactionLevel: z.number().optional(),
  totalRecords: z.number().optional(),
  footerSize: z.number().optional(),
  replicationFactor: z.number().optional(),
  dedicatedColumns: z.array(DedicatedColumnJson).nullish(),
});

export interface BlockMeta {
  format: string;
  blockId: string;
  tenantId: string;
  /** Second resolution; may be clamped to ingestion time ± slack (tempo.md §8.23). */
  startTime: Date;
  endTime: Date;
  totalObjects: number;
  /** Bytes of data.parquet when the meta records it. */
  size?: number;
  footerSize?: number;
  compactionLevel: number;
  replicationFactor?: number;
  dedicatedColumns: DedicatedColumn[];
}

export class BlockMetaError extends Error {
  override name = "BlockMetaError";
}

function parseTime(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new BlockMetaError(`meta.json ${field} is not a time: ${JSON.stringify(value)}`);
  return date;
}

/** Validates one BlockMeta object (from meta.json or a tenant index); `tenant` fills a missing tenantID. */
export function blockMetaFromJson(value: unknown, tenant: string): BlockMeta {
  const parsed = BlockMetaJson.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BlockMetaError(`meta.json is not a Tempo block meta (${issue?.path.join(".") || "root"}: ${issue?.message})`);
  }
  const m = parsed.data;
  return {
    format: m.format,
    blockId: m.blockID,
    tenantId: m.tenantID ?? tenant,
    startTime: parseTime(m.startTime, "startTime"),
    endTime: parseTime(m.endTime, "endTime"),
    totalObjects: m.totalObjects ?? 0,
    ...(m.size ? { size: m.size } : {}),
    ...(m.footerSize ? { footerSize: m.footerSize } : {}),
    compactionLevel: m.compactionLevel ?? 0,
    ...(m.replicationFactor ? { replicationFactor: m.replicationFactor } : {}),
    dedicatedColumns: (m.dedicatedColumns ?? []).map((c) => ({
      // Go's MarshalJSON omits the defaults: scope "span", type "string".
      scope: (c.s ?? "span") as DedicatedScope,
      name: c.n,
      type: c.t === "int" ? "int" : "string",
      options: c.o ?? [],
    })),
  };
}

export function parseBlockMeta(text: string, tenant: string): BlockMeta {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BlockMetaError("meta.json is not valid JSON");
  }
  return blockMetaFromJson(json, tenant);
}

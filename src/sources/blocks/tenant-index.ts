// Tempo's tenant index, both encodings (tempo.md §4.3). `index.pb.zst` — zstd'd protobuf
// `backend.v1.TenantIndex` — is what Tempo itself reads first since 2.7; `index.json.gz` is the
// legacy gzip'd JSON that is still written next to it. Field numbers from Tempo's
// `tempodb/backend/v1/v1.proto`:
//
//   TenantIndex        { Timestamp created_at = 1; repeated BlockMeta meta = 2; repeated CompactedBlockMeta compacted_meta = 3; }
//   CompactedBlockMeta { BlockMeta block_meta = 1; Timestamp compacted_time = 2; }
//   BlockMeta          { string version = 1 ("format"); bytes block_id = 2 (16-byte UUID); string tenant_id = 5;
//                        Timestamp start_time = 6; Timestamp end_time = 7; int64 total_objects = 8; uint64 size = 9;
//                        uint32 compaction_level = 10; uint32 index_page_size = 12; uint32 total_records = 13;
//                        uint32 bloom_shard_count = 15; uint32 footer_size = 16;
//                        bytes dedicated_columns = 17 (the JSON array of meta.json, Go's DedicatedColumns.Marshal);
//                        uint32 replication_factor = 18; }
//   google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2; }
//
// Decoded with protobufjs/minimal's Reader (no reflection, no codegen: Workers forbid eval); zstd
// with fzstd (pure JS). Each meta goes through the same validation as a meta.json.
import { decompress as zstdDecompress } from "fzstd";
import protobuf from "protobufjs/minimal.js";
import { gunzip } from "../../decode/index";
import { blockMetaFromJson, type BlockMeta } from "./meta";

export interface TenantIndex {
  createdAt?: Date;
  /** Live blocks the `keep` filter accepted (all live blocks without one). */
  live: BlockMeta[];
  /** Live blocks the filter rejected: counted, never validated or kept (a large index has tens of thousands). */
  rejected: number;
  /** Compacted blocks listed in the index (their data lives in newer blocks). */
  compacted: number;
}

/** Which live blocks to keep, from their time range alone (checked before the meta is validated). */
export type KeepBlock = (start: Date, end: Date) => boolean;

/** Applies `keep` to a meta's raw times; a meta whose times do not parse is kept, so validation reports it. */
function accepted(m: { startTime?: unknown; endTime?: unknown }, keep: KeepBlock | undefined): boolean {
  if (!keep) return true;
  const start = new Date(typeof m.startTime === "string" ? m.startTime : Number.NaN);
  const end = new Date(typeof m.endTime === "string" ? m.endTime : Number.NaN);
  return Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || keep(start, end);
}

export class TenantIndexError extends Error {
  override name = "TenantIndexError";
}

const utf8 = new TextDecoder();
const ZSTD_MAGIC = 0xfd2fb528;

function timestamp(r: protobuf.Reader, end: number): Date {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === (1 << 3)) seconds = Number(r.int64());
    else if (tag === ((2 << 3) | 0)) nanos = r.int32();
    else r.skipType(tag & 7);
  }
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tempo writes the 16 UUID bytes; indexes from the proto migration's development hold the 36-char text. */
function uuid(bytes: Uint8Array): string {
  if (bytes.length === 36 && UUID_TEXT.test(utf8.decode(bytes))) return utf8.decode(bytes).toLowerCase();
  if (bytes.length !== 16) throw new TenantIndexError(`block_id is ${bytes.length} bytes, not a UUID`);
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const SCOPES = ["span", "resource", "event"] as const;

/**
 * `tempopb.DedicatedColumn { Type type = 1; string name = 2; Scope scope = 3; Option options = 4 (bitmask) }`,
 * as meta.json's `{s, n, t, o}`. Only indexes written during the proto migration's development
 * (Tempo's own `tempodb/backend/testdata/test/index`) repeat field 17 this way.
 */
function dedicatedColumnMessage(bytes: Uint8Array): Record<string, unknown> {
  const r = protobuf.Reader.create(bytes);
  const c: Record<string, unknown> = { n: "" };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 0)) c.t = r.int32() === 1 ? "int" : "string";
    else if (tag === ((2 << 3) | 2)) c.n = r.string();
    else if (tag === ((3 << 3) | 0)) c.s = SCOPES[r.int32()] ?? "unknown";
    else if (tag === ((4 << 3) | 0)) {
      const mask = r.int32();
      c.o = [...(mask & 1 ? ["array"] : []), ...(mask & 2 ? ["blob"] : [])];
    } else r.skipType(tag & 7);
  }
  return c;
}

/** One BlockMeta message as the JSON object a meta.json would hold (so both share validation). */
function blockMetaJson(r: protobuf.Reader, end: number): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: m.format = r.string(); break;
      case 2: m.blockID = uuid(r.bytes()); break;
      case 5: m.tenantID = r.string(); break;
      case 6: { const len = r.uint32(); m.startTime = timestamp(r, r.pos + len).toISOString(); break; }
      case 7: { const len = r.uint32(); m.endTime = timestamp(r, r.pos + len).toISOString(); break; }
      case 8: m.totalObjects = Number(r.int64()); break;
      case 9: m.size = Number(r.uint64()); break;
      case 10: m.compactionLevel = r.uint32(); break;
      case 13: m.totalRecords = r.uint32(); break;
      case 16: m.footerSize = r.uint32(); break;
      case 17: {
        // Released Tempo: one field holding the JSON array (DedicatedColumns.Marshal; "null" when
        // empty). Development-era indexes: one DedicatedColumn message per repeated field.
        const bytes = r.bytes();
        if (bytes[0] === 0x5b /* [ */ || bytes[0] === 0x6e /* n */) m.dedicatedColumns = JSON.parse(utf8.decode(bytes));
        else if (bytes.length > 0) m.dedicatedColumns = [...((m.dedicatedColumns as unknown[] | null) ?? []), dedicatedColumnMessage(bytes)];
        break;
      }
      case 18: m.replicationFactor = r.uint32(); break;
      default: r.skipType(tag & 7); // index_page_size, bloom_shard_count, fields added later
    }
  }
  return m;
}

/** Decodes a raw `backend.v1.TenantIndex` message. */
export function decodeTenantIndexProto(bytes: Uint8Array, tenant: string, keep?: KeepBlock): TenantIndex {
  const r = protobuf.Reader.create(bytes);
  const index: TenantIndex = { live: [], rejected: 0, compacted: 0 };
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1 && (tag & 7) === 2) {
        const len = r.uint32();
        index.createdAt = timestamp(r, r.pos + len);
      } else if (field === 2 && (tag & 7) === 2) {
        const len = r.uint32();
        const json = blockMetaJson(r, r.pos + len);
        if (accepted(json, keep)) index.live.push(blockMetaFromJson(json, tenant));
        else index.rejected++;
      } else if (field === 3 && (tag & 7) === 2) {
        // Only counted: compacted blocks are never read. Skipping also skips their decoding cost.
        r.skipType(2);
        index.compacted++;
      } else r.skipType(tag & 7);
    }
  } catch (error) {
    if (error instanceof TenantIndexError) throw error;
    throw new TenantIndexError(`not a backend.v1.TenantIndex (${(error as Error).message} at byte ${r.pos})`);
  }
  if (r.pos !== r.len) throw new TenantIndexError(`not a backend.v1.TenantIndex (truncated at byte ${r.len})`);
  return index;
}

/** `index.pb.zst`: zstd frame(s) around a TenantIndex. An already inflated body is accepted. */
export function parseTenantIndexPbZst(body: Uint8Array, tenant: string, keep?: KeepBlock): TenantIndex {
  const isZstd = body.length >= 4 && new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true) === ZSTD_MAGIC;
  let raw: Uint8Array;
  try {
    raw = isZstd ? zstdDecompress(body) : body;
  } catch (error) {
    throw new TenantIndexError(`cannot decompress zstd: ${(error as Error).message}`);
  }
  return decodeTenantIndexProto(raw, tenant, keep);
}

/** `index.json.gz`: `{"created_at", "meta": [...], "compacted": [...]}`, gzip'd (or already inflated). */
export async function parseTenantIndexJsonGz(body: Uint8Array, tenant: string, keep?: KeepBlock): Promise<TenantIndex> {
  const text = utf8.decode(body[0] === 0x1f && body[1] === 0x8b ? await gunzip(body) : body);
  let json: { created_at?: string; meta?: unknown[] | null; compacted?: unknown[] | null };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new TenantIndexError("index.json.gz is not valid JSON");
  }
  const created = json.created_at ? new Date(json.created_at) : undefined;
  const live: BlockMeta[] = [];
  let rejected = 0;
  for (const m of json.meta ?? []) {
    if (m !== null && typeof m === "object" && !accepted(m, keep)) rejected++;
    else live.push(blockMetaFromJson(m, tenant));
  }
  return {
    ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created } : {}),
    live,
    rejected,
    compacted: (json.compacted ?? []).length,
  };
}

// Finds the blocks of a tenant in Tempo's bucket layout (tempo.md §4.1–4.3): the tenant index when
// present (one GET: `index.pb.zst` first, as Tempo reads it since 2.7, then `index.json.gz`), else a
// listing where a block exists only once its `meta.json` does; `meta.compacted.json` blocks are
// superseded and skipped.
import { joinKey, ObjectNotFoundError, type ObjectStore } from "../../storage/object-store";
import { parseBlockMeta, type BlockMeta } from "./meta";
import { parseTenantIndexJsonGz, parseTenantIndexPbZst, type KeepBlock, type TenantIndex } from "./tenant-index";
import type { TimeWindow } from "../tempo/time";

/** Top-level objects and folders that are not tenants. */
const NOT_TENANTS = new Set(["tempo_cluster_seed.json", "work.json", "overrides"]);

export type { TimeWindow };

export interface DiscoveredBlock {
  meta: BlockMeta;
  /** Key of the block folder (no trailing slash). */
  folder: string;
}

export interface BlockProblem {
  /** Object key (or folder) the problem is about. */
  key: string;
  message: string;
}

export interface Discovery {
  tenant: string;
  /** How the block list was obtained. */
  via: "tenant-index" | "listing";
  /** Key of the tenant index used (`…/index.pb.zst` or `…/index.json.gz`), when one was. */
  index?: string;
  /** Live blocks overlapping the window, oldest first. */
  blocks: DiscoveredBlock[];
  /** Live blocks outside the window. */
  outsideWindow: number;
  /** Compacted blocks skipped (their data lives in newer blocks). */
  compacted: number;
  problems: BlockProblem[];
}

const utf8 = new TextDecoder();

/** Tenant-index objects in the order Tempo reads them (`tempodb/backend/tenantindex.go`). */
const TENANT_INDEXES = [
  { name: "index.pb.zst", parse: (body: Uint8Array, tenant: string, keep: KeepBlock) => Promise.resolve(parseTenantIndexPbZst(body, tenant, keep)) },
  { name: "index.json.gz", parse: parseTenantIndexJsonGz },
] as const;

/** Tenant IDs under the prefix (top-level "folders" minus cluster files). */
export async function listTenants(store: ObjectStore, prefix: string): Promise<string[]> {
  const base = prefix === "" ? "" : `${joinKey(prefix)}/`;
  const tenants: string[] = [];
  for await (const page of store.list(base, { delimiter: "/" })) {
    for (const p of page.prefixes) {
      const name = p.slice(base.length).replace(/\/$/, "");
      if (name !== "" && !NOT_TENANTS.has(name)) tenants.push(name);
    }
  }
  if (tenants.length === 0) {
    // Some S3-compatible servers (s3rver) return no common prefixes at the bucket root: derive the
    // top-level folders from the keys instead (only reached when the delimiter listing is empty).
    const seen = new Set<string>();
    for await (const page of store.list(base)) {
      for (const o of page.objects) {
        const name = o.key.slice(base.length).split("/")[0]!;
        if (o.key.slice(base.length).includes("/") && !NOT_TENANTS.has(name)) seen.add(name);
      }
    }
    tenants.push(...seen);
  }
  return tenants.sort();
}

export function overlaps(meta: BlockMeta, window: TimeWindow): boolean {
  return rangeOverlaps(meta.startTime, meta.endTime, window);
}

function rangeOverlaps(start: Date, end: Date, window: TimeWindow): boolean {
  // meta times are whole seconds; widen by one second so a trace at the edge is not lost.
  return start.getTime() <= window.end.getTime() + 1000 && end.getTime() + 1000 >= window.start.getTime();
}

/**
 * The first tenant index that exists and decodes. Only metas overlapping the window are validated
 * and kept (a production index lists tens of thousands of blocks). A broken index is a problem
 * for the report and the next one (or the listing) is used.
 */
async function fromTenantIndex(
  store: ObjectStore,
  tenantFolder: string,
  tenant: string,
  window: TimeWindow,
  problems: BlockProblem[],
): Promise<{ index: TenantIndex; key: string } | undefined> {
  const keep: KeepBlock = (start, end) => rangeOverlaps(start, end, window);
  for (const [i, { name, parse }] of TENANT_INDEXES.entries()) {
    const key = `${tenantFolder}/${name}`;
    const next = i + 1 < TENANT_INDEXES.length ? `reading ${TENANT_INDEXES[i + 1]!.name} instead` : "listing blocks instead";
    try {
      // Stored compressed, but a client may hand back the inflated body (Content-Encoding): the parsers sniff.
      const { body } = await store.get(key);
      return { index: await parse(body, tenant, keep), key };
    } catch (error) {
      if (error instanceof ObjectNotFoundError) continue;
      problems.push({ key, message: `unreadable tenant index, ${next}: ${(error as Error).message}` });
    }
  }
  return undefined;
}

async function fromListing(
  store: ObjectStore,
  tenantFolder: string,
  tenant: string,
  problems: BlockProblem[],
): Promise<{ live: BlockMeta[]; compacted: number }> {
  const metaKeys: string[] = [];
  let compacted = 0;
  let objects = 0;
  /** Objects not at <tenant>/<block ID>/<file>: what a location or tenant one level off lists. */
  let nested = 0;
  for await (const page of store.list(`${tenantFolder}/`)) {
    objects += page.objects.length;
    for (const object of page.objects) {
      const parts = object.key.slice(tenantFolder.length + 1).split("/");
      // Deeper than a block's files, or a block's own files where blocks should be: one level off.
      if (parts.length > 2 || (parts.length === 1 && /^(?:meta\.json|data\.parquet|bloom-\d+)$/.test(parts[0]!))) nested++;
      if (parts.length !== 2) continue;
      if (parts[1] === "meta.json") metaKeys.push(object.key);
      else if (parts[1] === "meta.compacted.json") compacted++;
    }
  }
  // An empty tenant folder is most often a misspelt tenant: say so rather than audit nothing quietly.
  if (objects === 0) problems.push({ key: `${tenantFolder}/`, message: `no objects for tenant "${tenant}" (check the tenant name)` });
  // Objects, but none in <tenant>/<block ID>/: the location points one level too deep (at a tenant
  // or a block), or at something that is not Tempo's bucket.
  else if (metaKeys.length === 0 && compacted === 0 && nested > 0) {
    problems.push({
      key: `${tenantFolder}/`,
      message: `no Tempo blocks for tenant "${tenant}": ${nested} of its objects are not at ${tenantFolder}/<block ID>/<file> (do the location and --tenant name the bucket or prefix that holds the tenants, and a tenant, rather than a tenant and a block?)`,
    });
  }
  const live: BlockMeta[] = [];
  for (const key of metaKeys) {
    try {
      const { body } = await store.get(key);
      live.push(parseBlockMeta(utf8.decode(body), tenant));
    } catch (error) {
      problems.push({ key, message: `cannot read block meta: ${(error as Error).message}` });
    }
  }
  return { live, compacted };
}

export interface DiscoverOptions {
  prefix: string;
  tenant: string;
  window: TimeWindow;
  /** Read the tenant index when present (default true). It can lag new blocks by one poll (5 min). */
  useTenantIndex?: boolean;
}

export async function discoverBlocks(store: ObjectStore, options: DiscoverOptions): Promise<Discovery> {
  const tenantFolder = joinKey(options.prefix, options.tenant);
  const problems: BlockProblem[] = [];
  const fromIndex = options.useTenantIndex !== false ? await fromTenantIndex(store, tenantFolder, options.tenant, options.window, problems) : undefined;
  const found = fromIndex ? { live: fromIndex.index.live, compacted: fromIndex.index.compacted } : await fromListing(store, tenantFolder, options.tenant, problems);
  const inWindow = found.live.filter((m) => overlaps(m, options.window));
  inWindow.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || (a.blockId < b.blockId ? -1 : 1));
  return {
    tenant: options.tenant,
    via: fromIndex ? "tenant-index" : "listing",
    ...(fromIndex ? { index: fromIndex.key } : {}),
    blocks: inWindow.map((meta) => ({ meta, folder: joinKey(tenantFolder, meta.blockId) })),
    outsideWindow: found.live.length - inWindow.length + (fromIndex?.index.rejected ?? 0),
    compacted: found.compacted,
    problems,
  };
}

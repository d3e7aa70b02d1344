// Finds the blocks of a tenant in Tempo's bucket layout (tempo.md §4.1–4.3): the tenant index
// `index.json.gz` when present (one GET), else a listing where a block exists only once its
// `meta.json` does; `meta.compacted.json` blocks are superseded and skipped.
import { gunzip } from "../../decode/index";
import { joinKey, ObjectNotFoundError, type ObjectStore } from "../../storage/object-store";
import { blockMetaFromJson, parseBlockMeta, type BlockMeta } from "./meta";

/** Top-level objects and folders that are not tenants. */
const NOT_TENANTS = new Set(["tempo_cluster_seed.json", "work.json", "overrides"]);

export interface TimeWindow {
  start: Date;
  end: Date;
}

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
  /** Live blocks overlapping the window, oldest first. */
  blocks: DiscoveredBlock[];
  /** Live blocks outside the window. */
  outsideWindow: number;
  /** Compacted blocks skipped (their data lives in newer blocks). */
  compacted: number;
  problems: BlockProblem[];
}

const utf8 = new TextDecoder();

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
  // meta times are whole seconds; widen by one second so a trace at the edge is not lost.
  return meta.startTime.getTime() <= window.end.getTime() + 1000 && meta.endTime.getTime() + 1000 >= window.start.getTime();
}

async function fromTenantIndex(store: ObjectStore, tenantFolder: string, tenant: string): Promise<{ live: BlockMeta[]; compacted: number } | undefined> {
  let body: Uint8Array;
  try {
    body = (await store.get(`${tenantFolder}/index.json.gz`)).body;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  // Stored gzip'd, but a client may hand back the inflated body (Content-Encoding); sniff.
  const text = utf8.decode(body[0] === 0x1f && body[1] === 0x8b ? await gunzip(body) : body);
  const json = JSON.parse(text) as { meta?: unknown[]; compacted?: unknown[] };
  return {
    live: (json.meta ?? []).map((m) => blockMetaFromJson(m, tenant)),
    compacted: (json.compacted ?? []).length,
  };
}

async function fromListing(
  store: ObjectStore,
  tenantFolder: string,
  tenant: string,
  problems: BlockProblem[],
): Promise<{ live: BlockMeta[]; compacted: number }> {
  const metaKeys: string[] = [];
  let compacted = 0;
  for await (const page of store.list(`${tenantFolder}/`)) {
    for (const object of page.objects) {
      const parts = object.key.slice(tenantFolder.length + 1).split("/");
      if (parts.length !== 2) continue;
      if (parts[1] === "meta.json") metaKeys.push(object.key);
      else if (parts[1] === "meta.compacted.json") compacted++;
    }
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
  /** Read `index.json.gz` when present (default true). It can lag new blocks by one poll (5 min). */
  useTenantIndex?: boolean;
}

export async function discoverBlocks(store: ObjectStore, options: DiscoverOptions): Promise<Discovery> {
  const tenantFolder = joinKey(options.prefix, options.tenant);
  const problems: BlockProblem[] = [];
  let via: Discovery["via"] = "listing";
  let found: { live: BlockMeta[]; compacted: number } | undefined;
  if (options.useTenantIndex !== false) {
    try {
      found = await fromTenantIndex(store, tenantFolder, options.tenant);
      if (found) via = "tenant-index";
    } catch (error) {
      problems.push({ key: `${tenantFolder}/index.json.gz`, message: `unreadable tenant index, listing blocks instead: ${(error as Error).message}` });
    }
  }
  found ??= await fromListing(store, tenantFolder, options.tenant, problems);
  const inWindow = found.live.filter((m) => overlaps(m, options.window));
  inWindow.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || (a.blockId < b.blockId ? -1 : 1));
  return {
    tenant: options.tenant,
    via,
    blocks: inWindow.map((meta) => ({ meta, folder: joinKey(tenantFolder, meta.blockId) })),
    outsideWindow: found.live.length - inWindow.length,
    compacted: found.compacted,
    problems,
  };
}

// Lists the trace objects of an awss3exporter archive whose upload-time partition falls in the
// window (plus margin). Object names are opaque after `<file_prefix>traces_`; the extension says
// the marshaler (`.json` otlp_json, `.binpb` otlp_proto) and `.gz` the compression, but the bytes
// decide when reading (an object stored with Content-Encoding: gzip may arrive inflated).
import { joinKey, type ObjectInfo, type ObjectStore } from "../../storage/object-store";
import { planPartitions, type PartitionOptions } from "./partitions";

const TRACE_OBJECT = /traces_[^/]*\.(json|jsonl|binpb|pb)(\.gz)?$/;

export interface ArchiveObject extends ObjectInfo {
  /** Marshaler the name suggests. */
  marshaler: "otlp_json" | "otlp_proto";
  gzipName: boolean;
  /** Start of the object's upload-time partition (Unix ms). */
  partitionTime: number;
  /** End of that partition (Unix ms): the object was uploaded before it. */
  partitionEnd: number;
}

export interface ArchiveListing {
  objects: ArchiveObject[];
  /** Objects in the partitions that are not trace files (logs, metrics, other extensions). */
  ignored: number;
  listRequests: number;
}

export async function listArchiveObjects(
  store: ObjectStore,
  prefix: string,
  window: { start: Date; end: Date },
  options: PartitionOptions & { marginMs?: number } = {},
): Promise<ArchiveListing> {
  const margin = options.marginMs ?? 15 * 60_000;
  const plan = planPartitions(new Date(window.start.getTime() - margin), new Date(window.end.getTime() + margin), options);
  const base = prefix === "" ? "" : `${joinKey(prefix)}/`;
  const objects: ArchiveObject[] = [];
  let ignored = 0;
  let listRequests = 0;
  for (const listPrefix of plan.listPrefixes) {
    for await (const page of store.list(base + listPrefix)) {
      listRequests++;
      for (const object of page.objects) {
        const rel = object.key.slice(base.length);
        const slash = rel.lastIndexOf("/");
        const partitionTime = slash === -1 ? undefined : plan.times.get(rel.slice(0, slash));
        if (partitionTime === undefined) continue;
        const match = TRACE_OBJECT.exec(rel.slice(slash + 1));
        if (!match) {
          ignored++;
          continue;
        }
        const ext = match[1]!;
        const partitionEnd = plan.ends.get(rel.slice(0, slash)) ?? partitionTime + 60_000;
        objects.push({ ...object, marshaler: ext === "binpb" || ext === "pb" ? "otlp_proto" : "otlp_json", gzipName: match[2] !== undefined, partitionTime, partitionEnd });
      }
    }
  }
  // Upload-time order (what bounded combining relies on), then key order within a partition.
  objects.sort((a, b) => a.partitionTime - b.partitionTime || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { objects, ignored, listRequests };
}

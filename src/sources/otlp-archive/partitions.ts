// The awss3exporter's time partitions (tempo.md §7): keys are
// `<prefix>/<strftime(s3_partition_format, UPLOAD time in s3_partition_timezone)>/<file>`, default
// `year=%Y/month=%m/day=%d/hour=%H/minute=%M` in the collector's Local timezone. Upload time lags
// span time, so callers widen the window by a margin.

export const DEFAULT_PARTITION_FORMAT = "year=%Y/month=%m/day=%d/hour=%H/minute=%M";

export interface PartitionOptions {
  format?: string;
  /** IANA name ("UTC", "Europe/Berlin") or "Local" (the runtime's zone; UTC in Workers). */
  timeZone?: string;
}

interface Parts {
  Y: string;
  m: string;
  d: string;
  H: string;
  M: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, timeZone: string | undefined): Parts {
  const id = timeZone ?? "";
  let f = formatters.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      ...(timeZone ? { timeZone } : {}),
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(id, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(date)) out[p.type] = p.value;
  return { Y: out.year!.padStart(4, "0"), m: out.month!, d: out.day!, H: out.hour!, M: out.minute! };
}

export function resolveTimeZone(timeZone: string | undefined): string | undefined {
  if (timeZone === undefined || timeZone === "" || timeZone.toLowerCase() === "local") return undefined;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
  return timeZone;
}

/** Why `format` cannot be used (a token other than %Y %m %d %H %M %%), or undefined when it can. */
export function partitionFormatProblem(format: string): string | undefined {
  // Token by token, so that `%%` (a literal percent sign) is consumed as one.
  for (const token of format.matchAll(/%(.|$)/gs)) {
    const letter = token[1]!;
    if (letter === "" || !"YmdHM%".includes(letter)) {
      return `partition format ${JSON.stringify(format)}: ${token[0] === "%" ? "a lone %" : token[0]} is not supported (only %Y %m %d %H %M and %%)`;
    }
  }
  return undefined;
}

/** strftime for the tokens the exporter's default and common formats use: %Y %m %d %H %M %%. */
export function formatPartition(format: string, date: Date, timeZone: string | undefined): string {
  const p = partsIn(date, timeZone);
  return format.replace(/%([YmdHM%])/g, (_, t: string) => (t === "%" ? "%" : p[t as keyof Parts]));
}

/** The part of the format that is fixed for a whole hour (or day), used as a listing prefix. */
function listingFormat(format: string): string {
  const minute = format.indexOf("%M");
  const head = minute === -1 ? format : format.slice(0, minute);
  const slash = head.lastIndexOf("/");
  return slash === -1 ? "" : head.slice(0, slash + 1);
}

export interface PartitionPlan {
  /** Prefixes (relative to the archive prefix) to list. */
  listPrefixes: string[];
  /** Minute partitions inside the window; a key must start with one of them. */
  partitions: Set<string>;
  /** Start of each partition (Unix ms; the first minute it names, the first one when a local-time fall-back repeats it). */
  times: Map<string, number>;
  /**
   * End of each partition (Unix ms): one minute after the last minute it names. With an hourly or
   * daily format, an object in a partition may have been uploaded up to its end.
   */
  ends: Map<string, number>;
}

/** Every minute partition from start to end (inclusive) and the coarser prefixes to list them. */
export function planPartitions(start: Date, end: Date, options: PartitionOptions = {}): PartitionPlan {
  const format = options.format ?? DEFAULT_PARTITION_FORMAT;
  const timeZone = resolveTimeZone(options.timeZone);
  const partitions = new Set<string>();
  const times = new Map<string, number>();
  const ends = new Map<string, number>();
  const listPrefixes = new Set<string>();
  const listing = listingFormat(format);
  const first = Math.floor(start.getTime() / 60_000) * 60_000;
  for (let t = first; t <= end.getTime(); t += 60_000) {
    const at = new Date(t);
    const partition = formatPartition(format, at, timeZone);
    partitions.add(partition);
    if (!times.has(partition)) times.set(partition, t);
    ends.set(partition, t + 60_000);
    listPrefixes.add(formatPartition(listing, at, timeZone));
  }
  return { listPrefixes: [...listPrefixes], partitions, times, ends };
}

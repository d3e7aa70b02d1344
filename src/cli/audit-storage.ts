// `tracelint audit --blocks s3://bucket/prefix --tenant T` and `tracelint audit --otlp-archive
// s3://bucket/prefix`: audits traces straight from object storage. The `audit` command dispatches
// here when either flag is present (main.ts). S3 access is configured the way AWS tools are: the
// SDK's default credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, …),
// AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, plus --s3-endpoint / --s3-path-style or the
// config file's `"s3": {"endpoint", "pathStyle", "region"}`. A local directory (Tempo's `local`
// storage backend, or a bucket copied to disk) is read the same way, through FsObjectStore.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { builtinRules } from "../../rules/index";
import { auditOtlpArchive, auditTempoBlocks, DEFAULT_ARCHIVE_LATENESS_MS } from "../pipeline/object-audit";
import type { Report } from "../report/schema";
import { listTenants } from "../sources/blocks/discovery";
import { parseSample, type SampleSpec } from "../sources/blocks/sample";
import { partitionFormatProblem, resolveTimeZone } from "../sources/otlp-archive/partitions";
import { parseDuration, parseInstant, TimeArgumentError } from "../sources/tempo/time";
import { BucketUrlError, parseBucketUrl } from "../storage/url";
import { describeStoreError, joinKey, type ObjectStore } from "../storage/object-store";
import { endpointFromEnv, S3ObjectStore } from "../storage/s3";
import { loadConfig, S3ConfigSchema } from "./config-file";
import { FsObjectStore } from "./fs-object-store";
import { localDirectory } from "./local-directory";
import { UsageError } from "./inputs";
import { objectsProgress } from "./progress";
import type { CliIO } from "./io";
import { exitCodeFor, parseFailOn, parseFormat, REPORT_OPTIONS, reportOptionsHelp, summaryLine, writeReport } from "./output";
import { applyBaseline, BASELINE_HELP, BASELINE_OPTIONS, loadBaseline, withDelta } from "./check";

export const AUDIT_STORAGE_USAGE = `Usage: tracelint audit --blocks s3://BUCKET[/PREFIX] [--tenant T] [options]
       tracelint audit --otlp-archive s3://BUCKET[/PREFIX] [options]

Audits traces read straight from object storage (AWS S3, Cloudflare R2's S3 API, MinIO):
  --blocks         Grafana Tempo's own Parquet blocks (vParquet3/4/5); whole blocks, offline
  --otlp-archive   the OpenTelemetry Collector's awss3exporter archive (otlp_json / otlp_proto)
Instead of s3://…, either takes a local directory (a path or file:///path) laid out like the
bucket: Tempo's \`local\` storage backend (storage.trace.local.path), or a bucket copied to disk.

Options:
  --tenant T              Tempo tenant (default: the only tenant in the bucket; "single-tenant" without multitenancy)
  --since DURATION        window ending now (default: 1h), e.g. 6h, 2d
  --start ISO --end ISO   explicit window instead of --since
  --sample F              audit a fraction F (0 < F <= 1) of traces, chosen by trace ID hash
  --sample-unit U         traces (default; whole traces in every block) or row-groups (fewer bytes read,
                          but a trace split across blocks may lose a part)
  --no-tenant-index       list meta.json files instead of reading the tenant index (index.json.gz)
  --partition-format F    awss3exporter s3_partition_format (default year=%Y/month=%m/day=%d/hour=%H/minute=%M)
  --partition-timezone Z  awss3exporter s3_partition_timezone, IANA name or Local (default: Local)
  --margin DURATION       partitions read either side of the window; they are upload times (default: 15m)
  --lateness DURATION     --otlp-archive: a trace is analysed once no later upload can be within this of
                          its last one (default: 10m); bounds memory, but a trace whose uploads are further
                          apart is analysed in parts (false missing-root/orphan-span): raise it above your
                          longest traces
  --s3-endpoint URL       S3-compatible endpoint (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS)
  --s3-path-style         path-style addressing (MinIO, most local servers)
  --s3-region R           region (default: $AWS_REGION; use "auto" for R2)
                          (the config file's "s3": {"endpoint", "pathStyle", "region"} are defaults for these three)
${reportOptionsHelp(23, "no summary or unreadable-object lines on stderr")}
${BASELINE_HELP}

Credentials come from the AWS SDK's default chain only (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE and shared config files, SSO, instance roles), never from arguments.

Exit codes: 0 clean, 1 findings at or above --fail-on (or new ones at --fail-on-new), 2 usage error, bucket unreachable,
or nothing could be read.`;

/** True when an `audit` argument list asks for an object-storage source. */
export function isStorageAudit(argv: readonly string[]): boolean {
  return argv.some((a) => /^--(blocks|otlp-archive)(=|$)/.test(a));
}

/** An ISO instant, the option named in the error (`--start yesterday`). */
function instant(name: "start" | "end", value: string): Date {
  try {
    return parseInstant(value);
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new UsageError(`--${name}: ${error.message}`);
    throw error;
  }
}

/** A `--margin`/`--lateness` duration, the option named in the error. */
function optionalDuration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "0") return 0; // no unit needed for nothing
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

/** Options of the other kind of audit would be ignored silently: usage errors instead. */
function refuseOptionsOfTheOtherKind(values: Record<string, unknown> & { blocks?: string; "partition-format"?: string }): void {
  const blocksOnly = ["sample", "sample-unit", "no-tenant-index", "tenant"].find((name) => values[name] !== undefined);
  if (values.blocks === undefined && blocksOnly) throw new UsageError(`--${blocksOnly} applies to --blocks only`);
  const archiveOnly = ["partition-format", "partition-timezone", "margin", "lateness"].find((name) => values[name] !== undefined);
  if (values.blocks !== undefined && archiveOnly) throw new UsageError(`--${archiveOnly} applies to --otlp-archive only`);
  const formatProblem = values["partition-format"] !== undefined ? partitionFormatProblem(values["partition-format"]) : undefined;
  if (formatProblem) throw new UsageError(`--partition-format: ${formatProblem}`);
}

/** Whether anything is stored under `prefix` (one listing request). */
async function hasObjects(store: ObjectStore, prefix: string): Promise<boolean> {
  for await (const page of store.list(prefix)) return page.objects.length > 0;
  return false;
}

function window(values: { since?: string; start?: string; end?: string }, now: Date): { start: Date; end: Date } {
  try {
    if (values.start !== undefined || values.end !== undefined) {
      if (values.since !== undefined) throw new UsageError("give either --since or --start/--end, not both");
      const end = values.end !== undefined ? instant("end", values.end) : now;
      if (values.start === undefined) throw new UsageError("--end needs --start");
      const start = instant("start", values.start);
      if (start >= end) throw new UsageError("--start must be before --end");
      return { start, end };
    }
    return { start: new Date(now.getTime() - parseDuration(values.since ?? "1h")), end: now };
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new UsageError(error.message);
    throw error;
  }
}

export interface StorageAuditDeps {
  now?: Date;
}

/** Parses and runs an object-storage audit; the `audit` command dispatches here. */
export async function auditStorageCommand(argv: string[], io: CliIO, deps: StorageAuditDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      blocks: { type: "string" },
      "otlp-archive": { type: "string" },
      tenant: { type: "string" },
      since: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      sample: { type: "string" },
      "sample-unit": { type: "string" },
      "no-tenant-index": { type: "boolean" },
      "partition-format": { type: "string" },
      "partition-timezone": { type: "string" },
      margin: { type: "string" },
      lateness: { type: "string" },
      "s3-endpoint": { type: "string" },
      "s3-path-style": { type: "boolean" },
      "s3-region": { type: "string" },
      ...REPORT_OPTIONS,
      ...BASELINE_OPTIONS,
    },
  });
  if (values.help) {
    io.stdout(`${AUDIT_STORAGE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`audit takes no positional arguments (got ${JSON.stringify(positionals[0])})`);
  if ((values.blocks === undefined) === (values["otlp-archive"] === undefined)) {
    throw new UsageError("give exactly one of --blocks s3://… or --otlp-archive s3://…");
  }
  const flag = values.blocks !== undefined ? "--blocks" : "--otlp-archive";
  const given = (values.blocks ?? values["otlp-archive"])!;
  const directory = await localDirectory(flag, given);
  let location;
  try {
    location = directory === undefined ? parseBucketUrl(given) : { bucket: "", prefix: "" };
  } catch (error) {
    if (error instanceof BucketUrlError) throw new UsageError(`${flag}: ${error.message} or a local directory`);
    throw error;
  }
  if (directory !== undefined) {
    const s3Flag = (["s3-endpoint", "s3-path-style", "s3-region"] as const).find((name) => values[name] !== undefined);
    if (s3Flag) throw new UsageError(`--${s3Flag} applies to s3:// locations, not to a local directory`);
  }
  // Reports name a directory by its file:// URL, so they say where the data came from.
  const url = directory === undefined ? given : pathToFileURL(directory).href;
  const failOn = parseFailOn(values["fail-on"]);
  const format = parseFormat(values.format, io, values.out);
  const baseline = await loadBaseline(values.baseline, values["fail-on-new"]);
  const now = deps.now ?? new Date();
  const win = window(values, now);
  refuseOptionsOfTheOtherKind(values);
  let sample: SampleSpec | undefined;
  try {
    if (values.sample !== undefined) sample = parseSample(values.sample, values["sample-unit"]);
    else if (values["sample-unit"] !== undefined) throw new UsageError("--sample-unit needs --sample");
    resolveTimeZone(values["partition-timezone"]);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  const marginMs = optionalDuration("margin", values.margin);
  const latenessMs = optionalDuration("lateness", values.lateness);
  const config = await loadConfig(values.config, builtinRules);
  // loadConfig has checked the section's shape.
  const fromFile = { data: S3ConfigSchema.parse(config.raw.s3 ?? {}) };
  const endpoint = values["s3-endpoint"] ?? fromFile.data.endpoint ?? endpointFromEnv(io.env);
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    const from = values["s3-endpoint"] !== undefined ? "--s3-endpoint" : fromFile.data.endpoint !== undefined ? 'config "s3.endpoint"' : "AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL";
    throw new UsageError(`${from} must be an http(s) URL such as http://127.0.0.1:9000 (got ${JSON.stringify(endpoint)})`);
  }
  const region = values["s3-region"] ?? fromFile.data.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? (endpoint ? "us-east-1" : undefined);
  const store: ObjectStore & { destroy?(): void } = directory !== undefined ? new FsObjectStore(directory) : new S3ObjectStore({
    bucket: location.bucket,
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: values["s3-path-style"] ?? fromFile.data.pathStyle ?? false,
    // The CLI's environment (injectable in tests) wins; otherwise the SDK's default chain.
    ...(io.env.AWS_ACCESS_KEY_ID && io.env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: io.env.AWS_ACCESS_KEY_ID,
            secretAccessKey: io.env.AWS_SECRET_ACCESS_KEY,
            ...(io.env.AWS_SESSION_TOKEN ? { sessionToken: io.env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  });
  const onProblem = (key: string, message: string) => {
    if (!values.quiet) io.stderr(`tracelint: ${key}: ${message}`);
  };
  let report: Report;
  /** Why an archive audit read no object: nothing under the prefix, or nothing in the window's partitions. */
  let archiveEmpty: "prefix" | "window" | undefined;
  try {
    if (values.blocks !== undefined) {
      let tenant = values.tenant;
      if (tenant === undefined) {
        const tenants = await listTenants(store, location.prefix);
        if (tenants.length !== 1) {
          throw new UsageError(tenants.length === 0 ? `no Tempo tenants under ${url}` : `--tenant is required; tenants under ${url}: ${tenants.join(", ")}`);
        }
        tenant = tenants[0]!;
      } else if (!(await hasObjects(store, `${joinKey(location.prefix, tenant)}/`))) {
        // A misspelt tenant would otherwise audit nothing and pass a CI gate.
        const tenants = await listTenants(store, location.prefix);
        throw new UsageError(tenants.length === 0 ? `no Tempo tenants under ${url}` : `no tenant "${tenant}" under ${url}; tenants there: ${tenants.join(", ")}`);
      }
      // Blocks' meta.json trace counts make the total: an estimate (sampling, traces in two blocks).
      const progress = objectsProgress(io, values.quiet ?? false, "traces", true);
      report = await auditTempoBlocks(store, config, {
        onProgress: progress.onProgress,
        location: url,
        prefix: location.prefix,
        tenant,
        window: win,
        ...(sample ? { sample } : {}),
        useTenantIndex: !values["no-tenant-index"],
        now,
        onProblem,
      }).finally(() => progress.finish());
    } else {
      const progress = objectsProgress(io, values.quiet ?? false);
      try {
        report = await auditOtlpArchive(store, config, {
          onProgress: progress.onProgress,
          location: url,
          prefix: location.prefix,
          window: win,
          ...(values["partition-format"] ? { partitionFormat: values["partition-format"] } : {}),
          ...(values["partition-timezone"] ? { timeZone: values["partition-timezone"] } : {}),
          ...(marginMs !== undefined ? { marginMs } : {}),
          latenessMs: latenessMs ?? DEFAULT_ARCHIVE_LATENESS_MS,
          now,
          onProblem,
        });
      } finally {
        progress.finish();
      }
      // Nothing listed in the window: a quiet hour, or a prefix that holds nothing at all (a typo).
      const src = report.source as { objectsRead: number; objectsFailed: number };
      if (src.objectsRead + src.objectsFailed === 0) archiveEmpty = !(await hasObjects(store, location.prefix === "" ? "" : `${location.prefix}/`)) ? "prefix" : "window";
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // Listing failed: wrong endpoint, credentials or bucket. Nothing was audited.
    io.stderr(`tracelint: cannot read ${url}: ${describeStoreError(error)}`);
    return 2;
  } finally {
    store.destroy?.();
  }
  await writeReport(withDelta(report, baseline), format, values.out, io);
  if (!values.quiet) io.stderr(summaryLine(report));
  const source = report.source as { objectsRead?: number; skipped?: { outsideWindow?: number } } | undefined;
  const outsideWindow = source?.skipped?.outsideWindow ?? 0;
  if (archiveEmpty === "prefix") {
    io.stderr(`tracelint: no objects at all under ${url}: check the bucket and prefix`);
    return 2;
  }
  if (archiveEmpty === "window" && !values.quiet) {
    io.stderr(
      `tracelint: no uploads in the partitions of ${win.start.toISOString()} – ${win.end.toISOString()}; check the window, --partition-format and --partition-timezone (the exporter's Local time by default)`,
    );
  }
  if (!values.quiet && report.summary.traces === 0 && outsideWindow > 0) {
    io.stderr(`tracelint: ${outsideWindow} block(s) lie outside ${win.start.toISOString()} – ${win.end.toISOString()}; widen the window (--since, or --start/--end)`);
  }
  if (report.summary.traces === 0 && (source?.objectsRead ?? 0) === 0 && report.summary.inputErrors.length > 0) {
    io.stderr("tracelint: no object could be read");
    return 2;
  }
  return applyBaseline(report, baseline, exitCodeFor(report, failOn), io, values.quiet ?? false);
}

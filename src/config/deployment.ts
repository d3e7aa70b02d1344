// The deployment config for scheduled audits (Worker and `tracelint serve`): several named audits,
// each with its cron, its source (the Tempo query API, Tempo's blocks in object storage, or an
// awss3exporter archive), its rules and its alert destinations. It arrives as JSON in
// one variable (`TRACELINT_CONFIG` in wrangler.toml `[vars]`, or a file for `serve`); credentials
// never appear in it — it names the secrets (environment variables) that hold them.
import { z } from "zod";
import { builtinRules } from "../../rules/index";
import { AlertsConfigSchema, unknownPolicyRule } from "../alerts/config";
import { ConfigError, resolveConfig, type ResolvedConfig } from "../engine/config";
import { CronError, parseCron } from "../runs/cron";
import { DEFAULT_SAMPLING } from "../sources/tempo/plan";
import { parseDuration } from "../sources/tempo/time";
import { partitionFormatProblem } from "../sources/otlp-archive/partitions";

/** An audit's name: part of report-bucket keys, so nothing that could leave its folder. */
export const AUDIT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const durationString = z.string().refine(
  (text) => {
    try {
      parseDuration(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected a duration like 90s, 15m, 1h, 1d" },
);

const cronString = z.string().superRefine((text, ctx) => {
  try {
    parseCron(text);
  } catch (error) {
    if (!(error instanceof CronError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
  }
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");

export const TempoSourceConfigSchema = z
  .object({
    kind: z.literal("tempo"),
    url: z.string().url().describe("Tempo base URL with any path prefix, e.g. https://tempo.example/tempo"),
    tenant: z.string().min(1).optional().describe("X-Scope-OrgID for multi-tenant Tempo."),
    since: durationString.default("1h").describe("Window length, ending at the scheduled time minus ingestionDelay."),
    ingestionDelay: durationString.default("5m"),
    perService: z.number().int().min(0).max(10_000).default(10),
    maxServices: z
      .number().int().min(1).max(10_000).default(DEFAULT_SAMPLING.maxServices)
      .describe("Services that get a per-service sample: the first N by name; the rest appear only in the window-wide sample (the report says how many)."),
    traces: z.number().int().min(0).max(100_000).default(20).describe("Window-wide sample (and the sample of `query`)."),
    query: z.string().optional().describe("Extra TraceQL to sample, e.g. { status = error }."),
    slices: z.number().int().min(1).max(1_000).default(4),
    concurrency: z.number().int().min(1).max(6).default(4).describe("Parallel requests (Workers allow 6 connections waiting for headers)."),
    timeout: durationString.default("30s").describe("Per request attempt."),
    preferProtobuf: z.boolean().default(true),
    /** Which secrets hold the credentials; the names default to the CLI's TEMPO_* variables. */
    credentials: z
      .object({ tokenEnv: envName.optional(), userEnv: envName.optional(), passwordEnv: envName.optional(), headersEnv: envName.optional() })
      .strict()
      .default({}),
  })
  .strict();
export type TempoSourceConfig = z.infer<typeof TempoSourceConfigSchema>;

/** Where an object-storage source's bucket is and how to reach it (Worker: R2 binding or S3 API; serve: S3 API or a directory). */
const bucketFields = {
  bucket: z
    .string()
    .regex(/^(?:(s3|r2):\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+)$/, "expected s3://BUCKET[/PREFIX] or file:///DIRECTORY")
    .describe(
      "s3://bucket/prefix. On the Worker with `binding`, only the prefix is used (the binding is the bucket). " +
        "`tracelint serve` also reads file:///directory (Tempo's local backend, or a bucket copied to disk).",
    ),
  binding: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe("Worker only: the R2 bucket binding to read through (e.g. TRACES in wrangler.toml). Without it, the S3 API."),
  s3: z
    .object({ endpoint: z.string().url().optional(), region: z.string().optional(), pathStyle: z.boolean().default(false) })
    .strict()
    .default({ pathStyle: false })
    .describe("S3 API settings (R2: endpoint https://<account>.r2.cloudflarestorage.com, region auto)."),
  /** Which secrets hold the S3 credentials; default the AWS_* names. */
  credentials: z
    .object({ accessKeyIdEnv: envName.optional(), secretAccessKeyEnv: envName.optional(), sessionTokenEnv: envName.optional() })
    .strict()
    .default({}),
  since: durationString.default("1h").describe("Window length, ending at the scheduled time minus ingestionDelay."),
  ingestionDelay: durationString.default("5m"),
};

export const BlocksSourceConfigSchema = z
  .object({
    kind: z.literal("blocks"),
    ...bucketFields,
    tenant: z.string().min(1).describe('Tempo tenant folder ("single-tenant" without multitenancy).'),
    sample: z
      .object({ fraction: z.number().gt(0).max(1), unit: z.enum(["traces", "row-groups"]).default("traces") })
      .strict()
      .optional()
      .describe("Audit a deterministic fraction of traces (or row groups) instead of every trace."),
    useTenantIndex: z.boolean().default(true).describe("Read index.json.gz (one GET) instead of listing meta.json files."),
  })
  .strict();
export type BlocksSourceConfig = z.infer<typeof BlocksSourceConfigSchema>;

export const OtlpArchiveSourceConfigSchema = z
  .object({
    kind: z.literal("otlp-archive"),
    ...bucketFields,
    partitionFormat: z
      .string()
      .refine((f) => partitionFormatProblem(f) === undefined, { error: (issue) => partitionFormatProblem(String(issue.input)) ?? "unsupported partition format" })
      .optional()
      .describe("awss3exporter s3_partition_format (default year=%Y/month=%m/day=%d/hour=%H/minute=%M)."),
    timeZone: z.string().optional().describe("awss3exporter s3_partition_timezone (IANA name; the Worker's Local is UTC)."),
    margin: durationString.default("15m").describe("Upload-time partitions read either side of the window."),
  })
  .strict();
export type OtlpArchiveSourceConfig = z.infer<typeof OtlpArchiveSourceConfigSchema>;

export type ObjectSourceConfig = BlocksSourceConfig | OtlpArchiveSourceConfig;
export type SourceConfig = TempoSourceConfig | ObjectSourceConfig;

export const AuditConfigSchema = z
  .object({
    name: z.string().regex(AUDIT_NAME, "lower-case letters, digits and dashes (it becomes part of R2 keys)"),
    cron: cronString.optional().describe("When to run (UTC); without it the audit only runs on POST /api/audits."),
    source: z.discriminatedUnion("kind", [TempoSourceConfigSchema, BlocksSourceConfigSchema, OtlpArchiveSourceConfigSchema]),
    rules: z.record(z.string(), z.unknown()).default({}).describe("Same as `rules` in tracelint.config.json."),
    fanOut: z
      .object({
        inlineMaxTraces: z
          .number()
          .int()
          .min(0)
          .default(200)
          .describe("Audits of at most this many traces (Tempo: sampled; blocks: meta.json totalObjects; archives: objects) run inside the cron invocation."),
        batchSize: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(50)
          .describe("Per queue message when fanned out: Tempo trace IDs (at most 500), or about this many block traces / archive objects per trace-ID partition."),
      })
      .strict()
      .default({ inlineMaxTraces: 200, batchSize: 50 }),
    alerts: AlertsConfigSchema.optional(),
  })
  .strict();
export type AuditConfig = z.infer<typeof AuditConfigSchema>;

export const DeploymentConfigSchema = z
  .object({
    $schema: z.string().optional(),
    audits: z.array(AuditConfigSchema).min(1, "configure at least one audit"),
    /** Public base URL of the API, used for report links in alerts. */
    publicUrl: z.string().url().optional(),
    /** Run records and reports kept per audit in the history index. */
    historyLimit: z.number().int().min(1).max(10_000).default(500),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.audits.forEach((audit, i) => {
      if (audit.source.kind === "tempo" && audit.fanOut.batchSize > 500) {
        ctx.addIssue({ code: "custom", path: ["audits", i, "fanOut", "batchSize"], message: "at most 500 trace IDs per batch for a Tempo source (queue messages are limited to 128 KB)" });
      }
      if (seen.has(audit.name)) ctx.addIssue({ code: "custom", path: ["audits", i, "name"], message: `duplicate audit name ${JSON.stringify(audit.name)}` });
      seen.add(audit.name);
    });
  });
export type DeploymentConfig = z.infer<typeof DeploymentConfigSchema>;

export class DeploymentConfigError extends ConfigError {
  override name = "DeploymentConfigError";
}

function formatIssue(issue: z.core.$ZodIssue, source: string): string {
  const path = issue.path.map(String).join(".");
  return `${source}: ${path || "(root)"}: ${issue.message}`;
}

/**
 * Parses the config from a JSON string (a `[vars]` entry or a file) or an already-parsed object
 * (wrangler turns a TOML table in `[vars]` into an object). One error message naming the path.
 */
export function parseDeploymentConfig(input: unknown, source = "TRACELINT_CONFIG"): DeploymentConfig {
  if (input === undefined || input === null || input === "") throw new DeploymentConfigError(`${source} is not set`);
  let json = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new DeploymentConfigError(`${source}: not valid JSON (${(error as Error).message})`);
    }
  }
  const parsed = DeploymentConfigSchema.safeParse(json);
  if (!parsed.success) throw new DeploymentConfigError(formatIssue(parsed.error.issues[0]!, source));
  for (const [i, audit] of parsed.data.audits.entries()) {
    resolveAuditRules(audit, `${source}: audits.${i}`);
    const unknown = audit.alerts && unknownPolicyRule(audit.alerts, builtinRules.map((r) => r.meta.id));
    if (unknown) throw new DeploymentConfigError(`${source}: audits.${i}.alerts.${unknown}`);
  }
  return parsed.data;
}

/** The rule configuration of one audit, validated against the built-in rules. */
export function resolveAuditRules(audit: AuditConfig, source = `audit ${audit.name}`): ResolvedConfig {
  try {
    return resolveConfig({ rules: audit.rules }, builtinRules, source);
  } catch (error) {
    if (error instanceof ConfigError) throw new DeploymentConfigError(error.message);
    throw error;
  }
}

export function findAudit(config: DeploymentConfig, name: string): AuditConfig | undefined {
  return config.audits.find((a) => a.name === name);
}

/** Audits whose cron is exactly `cron` (Cloudflare hands back the configured string). */
export function auditsForCron(config: DeploymentConfig, cron: string): AuditConfig[] {
  const wanted = cron.trim().replace(/\s+/g, " ");
  return config.audits.filter((a) => a.cron !== undefined && a.cron.trim().replace(/\s+/g, " ") === wanted);
}

// The report's JSON shape. This zod schema is the source of truth; `docs/report.schema.json` is
// generated from it (`npm run schema`) and a test keeps the two in step.
import { z } from "zod";
import { ScoresSchema } from "../score/impact";
import { CoverageSectionSchema } from "../analysis/propagation/schema";
import { DeltaSectionSchema } from "./diff";

export const REPORT_SCHEMA_VERSION = 1;

export const SeveritySchema = z.enum(["error", "warning", "info"]);

export const FindingExampleSchema = z
  .object({
    traceId: z.string(),
    spanId: z.string().nullable(),
    relatedTraceId: z.string().optional().describe("The other trace of a pair (split traces)."),
    relatedSpanId: z.string().optional(),
    evidence: z.string().optional().describe("Masked evidence; never a raw attribute value."),
  })
  .strict();

export const FindingSchema = z
  .object({
    ruleId: z.string(),
    severity: SeveritySchema,
    service: z.string(),
    subject: z.string().nullable().describe("What the finding is about: attribute key, name template, edge a→b."),
    category: z.string().nullable(),
    message: z.string(),
    occurrences: z.number().int().nonnegative(),
    traceCount: z.number().int().nonnegative().describe("Distinct traces among the occurrences."),
    examples: z.array(FindingExampleSchema).max(5),
    fix: z.string().optional().describe("Remediation (Markdown)."),
  })
  .strict();

export const InputErrorSchema = z.object({ file: z.string(), message: z.string() }).strict();

export const SummarySchema = z
  .object({
    files: z.number().int().nonnegative(),
    traces: z.number().int().nonnegative(),
    spans: z.number().int().nonnegative().describe("Spans analysed; an exact copy of another span counts once (duplicate-span-id lists the copies)."),
    services: z.number().int().nonnegative(),
    partialTraces: z.number().int().nonnegative().describe("Traces the source returned only in part."),
    inputErrors: z.array(InputErrorSchema),
  })
  .strict();

export const RuleRunSchema = z
  .object({ id: z.string(), severity: SeveritySchema, description: z.string() })
  .strict();

export const TempoQuerySourceSchema = z
  .object({
    kind: z.literal("tempo").describe("Traces sampled through Tempo's query API (`tracelint audit --tempo`)."),
    url: z.string().describe("Base URL queried, without credentials or query string."),
    tenant: z.string().nullable().describe("X-Scope-OrgID sent, or null (single-tenant)."),
    auth: z.array(z.string()).describe("Kinds of credentials sent (basic, bearer, headers); never their values."),
    window: z
      .object({
        start: z.string().describe("ISO-8601 start of the audited window."),
        end: z.string().describe("ISO-8601 end; by default now minus the ingestion delay, so sampled traces are complete."),
        ingestionDelaySeconds: z.number().nonnegative(),
      })
      .strict(),
    sampling: z
      .object({
        perService: z.number().int().nonnegative().describe("Traces sampled per discovered service."),
        windowSample: z.number().int().nonnegative().describe("Traces sampled window-wide (and for `query`)."),
        query: z.string().nullable().describe("The user's TraceQL, when given."),
        slices: z.number().int().positive().describe("Time slices each sample is spread over (Tempo returns newest first)."),
        servicesDiscovered: z.number().int().nonnegative(),
        servicesSampled: z.array(z.string()),
      })
      .strict(),
    searches: z
      .object({
        run: z.number().int().nonnegative().describe("Searches Tempo answered."),
        failed: z.number().int().nonnegative().describe("Searches that failed after retries; the first ones are listed in `summary.inputErrors` as `search …`."),
        incomplete: z.number().int().nonnegative().describe("Searches whose Tempo metrics reported unfinished jobs."),
      })
      .strict(),
    traces: z
      .object({
        requested: z.number().int().nonnegative().describe("Distinct trace IDs selected by the sampling plan."),
        fetched: z.number().int().nonnegative(),
        partial: z.number().int().nonnegative().describe("Fetched, but Tempo returned only part (status PARTIAL)."),
        notFound: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative().describe("Not fetched after retries (see `failures`)."),
      })
      .strict(),
    failures: z
      .array(z.object({ traceId: z.string(), reason: z.string() }).strict())
      .describe("Traces that could not be fetched, with the reason (at most 100 listed)."),
    durationMs: z.number().nonnegative().describe("Wall time of the discovery and fetching."),
  })
  .strict()
  .describe("How the audited traces were selected and fetched (`tracelint audit --tempo`).");

/** Sources other than the query API describe themselves with their own `kind` and fields. */
export const OtherSourceSchema = z.object({ kind: z.string() }).catchall(z.unknown());

const ObjectReadSchema = z
  .object({
    key: z.string(),
    status: z.enum(["read", "failed", "skipped"]),
    bytes: z.number().int().nonnegative().describe("Bytes fetched for this object (ranged reads summed)."),
    requests: z.number().int().nonnegative(),
    format: z.string().optional().describe("Block format from meta.json (Tempo blocks)."),
    rowGroups: z.object({ total: z.number().int().nonnegative(), read: z.number().int().nonnegative() }).strict().optional(),
    traces: z.number().int().nonnegative().optional(),
    spans: z.number().int().nonnegative().optional(),
    message: z.string().optional().describe("Why it failed or was skipped, or a note about how it was read."),
  })
  .strict();

/** `tracelint audit --blocks` / `--otlp-archive`: what was read from the bucket. */
export const ObjectStorageSourceSchema = z
  .object({
    kind: z.enum(["tempo-blocks", "otlp-archive"]),
    location: z.string().describe("s3://bucket/prefix as given."),
    tenant: z.string().optional(),
    window: z.object({ start: z.string(), end: z.string() }).strict(),
    discovery: z.enum(["tenant-index", "listing"]).optional().describe("How Tempo blocks were found."),
    sample: z.object({ fraction: z.number(), unit: z.enum(["traces", "row-groups"]) }).strict().optional(),
    objectsRead: z.number().int().nonnegative(),
    objectsFailed: z.number().int().nonnegative(),
    bytesRead: z.number().int().nonnegative().describe("All bytes fetched, including meta.json and tenant index."),
    listRequests: z.number().int().nonnegative(),
    skipped: z
      .object({
        compactedBlocks: z.number().int().nonnegative().optional(),
        outsideWindow: z.number().int().nonnegative().optional().describe("Live blocks whose time range misses the window."),
        nonTraceObjects: z.number().int().nonnegative().optional(),
        tracesOutsideWindow: z.number().int().nonnegative(),
        duplicateSpans: z.number().int().nonnegative().optional().describe("(spanID, kind) repeats across blocks, dropped."),
      })
      .strict(),
    objects: z.array(ObjectReadSchema).describe("Data objects considered (at most 1000 listed)."),
    failures: z.array(z.object({ key: z.string(), message: z.string() }).strict()),
  })
  .strict()
  .describe("Which objects were read from object storage, how many bytes, and which failed and why.");

export const SourceSectionSchema = z
  .union([TempoQuerySourceSchema, ObjectStorageSourceSchema, OtherSourceSchema])
  .describe("Where the audited traces came from and how they were selected (audits only; absent for `check`).");

export const ReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.object({ name: z.literal("tracelint"), version: z.string() }).strict(),
    generatedAt: z.string().describe("ISO-8601 time the report was produced."),
    summary: SummarySchema,
    rules: z.array(RuleRunSchema).describe("The rules that ran, with their effective severity."),
    findings: z.array(FindingSchema),
    scores: ScoresSchema.optional().describe("Per-service 0–100 score (Instrumentation Score weights) over the rules that ran."),
    source: SourceSectionSchema.optional(),
    coverage: CoverageSectionSchema.optional().describe("Context-propagation coverage per service and per caller→callee edge (rule propagation-gap)."),
    delta: DeltaSectionSchema.optional(),
  })
  .strict();

export type Report = z.infer<typeof ReportSchema>;
export type SourceSection = z.infer<typeof SourceSectionSchema>;
export type TempoQuerySource = z.infer<typeof TempoQuerySourceSchema>;
export type ObjectStorageSource = z.infer<typeof ObjectStorageSourceSchema>;
export type ReportFinding = z.infer<typeof FindingSchema>;

/** The published JSON Schema (draft 2020-12) for report files. */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://tracelint.dev/schemas/report.v1.json",
    title: "tracelint report",
    ...z.toJSONSchema(ReportSchema, { target: "draft-2020-12" }),
  };
}

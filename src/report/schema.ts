// The report's JSON shape. This zod schema is the source of truth; `docs/report.schema.json` is
// generated from it (`npm run schema`) and a test keeps the two in step.
import { z } from "zod";
import { ScoresSchema } from "../score/impact";

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
    spans: z.number().int().nonnegative(),
    services: z.number().int().nonnegative(),
    partialTraces: z.number().int().nonnegative().describe("Traces the source returned only in part."),
    inputErrors: z.array(InputErrorSchema),
  })
  .strict();

export const RuleRunSchema = z
  .object({ id: z.string(), severity: SeveritySchema, description: z.string() })
  .strict();

export const ReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.object({ name: z.literal("tracelint"), version: z.string() }).strict(),
    generatedAt: z.string().describe("ISO-8601 time the report was produced."),
    summary: SummarySchema,
    rules: z.array(RuleRunSchema).describe("The rules that ran, with their effective severity."),
    findings: z.array(FindingSchema),
    scores: ScoresSchema.optional().describe("Per-service 0–100 score (Instrumentation Score weights) over the rules that ran."),
  })
  .strict();

export type Report = z.infer<typeof ReportSchema>;
export type ReportFinding = z.infer<typeof FindingSchema>;

/** The published JSON Schema (draft 2020-12) for report files. */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://tracelint.dev/schemas/report.v1.json",
    title: "tracelint report",
    ...z.toJSONSchema(ReportSchema, { target: "draft-2020-12" }),
  };
}

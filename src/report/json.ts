import { ReportSchema, type Report } from "./schema";

/** Serialises a report after validating it against the published schema. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(ReportSchema.parse(report), null, 2)}\n`;
}

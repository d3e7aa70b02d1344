// When a finished audit read nothing it may publish: no trace at all. Such a report would become
// the audit's `latest` and so the next run's baseline (every finding "resolved", then "new" again),
// so the run fails instead, with the reason this returns. One rule for the Worker and
// `tracelint serve` (runner.ts) and, by the same test on the report, for the CLI's `audit`.
import type { Report } from "../report/schema";
import { CONFIG_WORDING, emptyTempoAudit } from "../sources/tempo/empty";

interface SourceShape {
  kind?: string;
  location?: string;
  tenant?: string | null;
  window?: { start?: string; end?: string };
  traces?: { fetched: number };
  objectsRead?: number;
  objectsFailed?: number;
}

function windowText(source: SourceShape): string {
  return source.window?.start && source.window.end ? ` in the window ${source.window.start} – ${source.window.end}` : "";
}

/**
 * Why a report that holds no trace must not be published, or undefined when it holds some. The
 * reason names what was looked at (window, tenant, location) and what most likely went wrong.
 */
export function nothingRead(report: Report): string | undefined {
  if (report.summary.traces > 0) return undefined;
  const source = (report.source ?? {}) as SourceShape;
  const first = report.summary.inputErrors[0];
  const firstError = first ? ` (${first.file}: ${first.message})` : "";
  if (source.kind === "tempo" && source.traces) {
    // The CLI's `audit` applies the same test, worded with its flags.
    return emptyTempoAudit(report, CONFIG_WORDING) ?? `none of the ${source.traces.fetched} fetched traces held a span${firstError}`;
  }
  if (source.kind === "tempo-blocks" || source.kind === "otlp-archive") {
    const read = source.objectsRead ?? 0;
    const failed = source.objectsFailed ?? 0;
    if (read === 0 && failed > 0) return `none of the ${failed} object(s) could be read${firstError}`;
    const where = `${source.location ?? "the bucket"}${source.tenant ? ` (tenant ${JSON.stringify(source.tenant)})` : ""}`;
    const what = source.kind === "tempo-blocks" ? "Tempo blocks" : "archive objects";
    if (read === 0) return `no ${what}${windowText(source)} at ${where}${firstError}`;
    return `the ${read} object(s) read at ${where} held no traces${windowText(source)}${firstError}`;
  }
  return `the audit read no traces${firstError}`;
}

// A Tempo audit that read no trace at all — Tempo found none in the window (a tenant typo, a URL
// without its path prefix, an idle window) or none of the sampled traces could be fetched — has
// nothing to report. Its report would look clean, and as the next run's baseline it would make
// every finding "new" again: the CLI exits 2 without writing one, and scheduled runs fail instead
// of publishing one. One test and one wording for every runtime (runtime-neutral).
import type { Report, TempoQuerySource } from "../../report/schema";

/** How the reason names the settings to check: CLI flags, or deployment-config keys. */
export interface EmptyAuditWording {
  tenant: string;
  window: string;
  url: string;
}

export const CLI_WORDING: EmptyAuditWording = {
  tenant: "--tenant",
  window: "the window (--since or --start/--end)",
  url: "the --tempo URL's path prefix",
};

export const CONFIG_WORDING: EmptyAuditWording = {
  tenant: "the audit's tenant",
  window: "its window (since, ingestionDelay)",
  url: "the path prefix of its url",
};

/**
 * Why this Tempo audit read nothing and must not produce a normal report, in one line; undefined
 * when at least one trace was fetched, or when the report is not from Tempo's query API.
 */
export function emptyTempoAudit(report: Report, wording: EmptyAuditWording = CLI_WORDING): string | undefined {
  const source = report.source as TempoQuerySource | undefined;
  if (source?.kind !== "tempo" || source.traces.fetched > 0) return undefined;
  const t = source.traces;
  const window = `${source.window.start} – ${source.window.end}`;
  if (t.requested === 0) {
    const s = source.searches;
    if (s.failed > 0) {
      const first = report.summary.inputErrors.find((e) => e.file.startsWith("search "));
      return `Tempo's searches found no traces in the window ${window}: ${s.failed} of ${s.run + s.failed} searches failed${first ? ` (${first.file}: ${first.message})` : ""}`;
    }
    const tenant = source.tenant !== null ? ` for tenant ${JSON.stringify(source.tenant)}` : "";
    return `Tempo found no traces in the window ${window}${tenant}: check ${wording.tenant} (another tenant's traces are invisible), ${wording.window} and ${wording.url}`;
  }
  const first = source.failures[0]?.reason;
  const why = first !== undefined ? ` (${first})` : t.notFound > 0 ? ` (${t.notFound} not found)` : "";
  return `none of the ${t.requested} sampled traces could be fetched${why}`;
}

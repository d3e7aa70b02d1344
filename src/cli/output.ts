import { renderJson } from "../report/json";
import { renderMarkdown } from "../report/markdown";
import { renderHtml } from "../report/html/index";
import type { TraceLinkOptions } from "../report/html/links";
import type { Report } from "../report/schema";
import { severityAtLeast, type Severity } from "../engine/rule";
import { UsageError } from "./inputs";
import type { CliIO } from "./io";
import type { ParseArgsConfig } from "node:util";

export type ReportFormat = "json" | "md" | "html";
export type FailOn = Severity | "never";

/**
 * The report-output options every reporting command (check, audit, audit --blocks/--otlp-archive)
 * takes, declared once so their names, short forms and meaning cannot drift apart. Spread into
 * `parseArgs({ options: { ...REPORT_OPTIONS, … } })`; describe them with `reportOptionsHelp()`.
 */
export const REPORT_OPTIONS = {
  config: { type: "string" },
  format: { type: "string" },
  out: { type: "string", short: "o" },
  "fail-on": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** The parsed report options (and the baseline comparison) as commands receive them. */
export interface ReportArgs {
  config?: string;
  format?: string;
  out?: string;
  failOn?: string;
  quiet?: boolean;
  baseline?: string;
  failOnNew?: string;
}

/** Help lines for REPORT_OPTIONS, option names padded to `width` columns to line up with the rest. */
export function reportOptionsHelp(width: number, quietMeans = "no summary on stderr"): string {
  const rows: [string, string][] = [
    ["--config FILE", "tracelint.config.json (default: ./tracelint.config.json when present)"],
    ["--format json|md|html", "report format (default: from --out's extension, else md on a terminal, json otherwise)"],
    ["-o, --out FILE", "write the report to FILE instead of stdout"],
    ["--fail-on LEVEL", "exit 1 when a finding at or above LEVEL exists: error|warning|info|never (default: error)"],
    ["-q, --quiet", quietMeans],
    ["-h, --help", "this help"],
  ];
  return rows.map(([name, text]) => `  ${name.padEnd(width)} ${text}`).join("\n");
}

export function parseFailOn(value: string | undefined): FailOn {
  const v = value ?? "error";
  if (v === "error" || v === "warning" || v === "info" || v === "never") return v;
  throw new UsageError(`--fail-on must be error, warning, info or never (got ${JSON.stringify(v)})`);
}

export function parseFormat(value: string | undefined, io: CliIO, out?: string): ReportFormat {
  if (value === undefined) {
    const file = out?.toLowerCase();
    if (file?.endsWith(".md")) return "md";
    if (file?.endsWith(".json")) return "json";
    if (file?.endsWith(".html") || file?.endsWith(".htm")) return "html";
    return io.stdoutIsTTY && !out ? "md" : "json";
  }
  // Case-insensitive like the --out extension: `--format HTML` is not a typo worth failing on.
  const v = value.toLowerCase();
  if (v === "json" || v === "md" || v === "markdown" || v === "html") return v === "markdown" ? "md" : v;
  throw new UsageError(`--format must be json, md or html (got ${JSON.stringify(value)})`);
}

export function renderReport(report: Report, format: ReportFormat, links?: TraceLinkOptions): string {
  if (format === "html") return renderHtml(report, links ? { links } : {});
  return format === "json" ? renderJson(report) : renderMarkdown(report);
}

export async function writeReport(report: Report, format: ReportFormat, out: string | undefined, io: CliIO, links?: TraceLinkOptions): Promise<void> {
  const text = renderReport(report, format, links ?? traceLinksFromEnv(io.env));
  if (!out) return io.stdout(text);
  try {
    await io.writeFile(out, text);
  } catch (error) {
    // A directory, a read-only path…: a usage problem, reported in one line rather than a stack.
    throw new UsageError(`cannot write report to ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Trace links in HTML reports: TRACELINT_TRACE_URL ({traceId}/{spanId}) or Grafana Explore settings. */
export function traceLinksFromEnv(env: Record<string, string | undefined>): TraceLinkOptions {
  return {
    ...(env.TRACELINT_TRACE_URL ? { traceUrlTemplate: env.TRACELINT_TRACE_URL } : {}),
    ...(env.TRACELINT_GRAFANA_URL ? { grafanaUrl: env.TRACELINT_GRAFANA_URL } : {}),
    ...(env.TRACELINT_TEMPO_DATASOURCE ? { datasourceUid: env.TRACELINT_TEMPO_DATASOURCE } : {}),
  };
}

export function exitCodeFor(report: Report, failOn: FailOn): number {
  if (failOn === "never") return 0;
  return report.findings.some((f) => severityAtLeast(f.severity, failOn)) ? 1 : 0;
}

/** `1 trace`, `2 traces`: counts in stderr lines read as English, not `1 trace(s)`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function summaryLine(report: Report): string {
  const s = report.summary;
  const by = (sev: Severity) => report.findings.filter((f) => f.severity === sev).length;
  const parts = [
    `${plural(s.traces, "trace")}, ${plural(s.spans, "span")}, ${plural(s.services, "service")} from ${plural(s.files, "input")}`,
    // "info" has no plural; the findings are counted per severity.
    `findings: ${plural(by("error"), "error")}, ${plural(by("warning"), "warning")}, ${by("info")} info`,
  ];
  if (s.partialTraces > 0) parts.push(plural(s.partialTraces, "partial trace"));
  if (s.inputErrors.length > 0) parts.push(plural(s.inputErrors.length, "input error"));
  return `tracelint: ${parts.join("; ")}`;
}

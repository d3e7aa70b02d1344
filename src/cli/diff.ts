// `tracelint diff OLD.json NEW.json [--format md|json|html] [--out FILE] [--fail-on-new LEVEL]`:
// what changed between two runs of the same audit. JSON output is the newer report with its `delta`
// section filled in; Markdown and HTML render it.
import { parseArgs } from "node:util";
import { severityAtLeast, type Severity } from "../engine/rule";
import { diffReports } from "../report/diff";
import type { CliIO } from "./io";
import { UsageError } from "./inputs";
import { parseFormat, writeReport } from "./output";
import { readReportFile } from "./report-file";

export const DIFF_USAGE = `Usage: tracelint diff OLD.json NEW.json [options]

Compares two reports of the same audit: new, resolved and worsened findings (by fingerprint: rule,
service, subject, category), per-service score and coverage changes, per-edge coverage changes.

Options:
  --format md|json|html  output (default: from --out's extension, else md on a terminal, json otherwise);
                         json is NEW.json with a "delta" section
  --out FILE             write to FILE instead of stdout
  --fail-on-new LEVEL    exit 1 when a new or worsened finding at or above LEVEL exists
                         (error|warning|info|never; default never)

Exit codes: 0, 1 (see --fail-on-new), 2 usage error or unreadable report.`;

export async function diffCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      out: { type: "string", short: "o" },
      "fail-on-new": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(`${DIFF_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError("diff needs OLD.json and NEW.json");
  const failOn = values["fail-on-new"] ?? "never";
  if (!["error", "warning", "info", "never"].includes(failOn)) throw new UsageError(`--fail-on-new must be error, warning, info or never (got ${JSON.stringify(failOn)})`);
  const format = parseFormat(values.format, io, values.out);
  const [before, after] = [await readReportFile(positionals[0]!), await readReportFile(positionals[1]!)];
  const delta = diffReports(before, after);
  await writeReport({ ...after, delta }, format, values.out, io);
  const f = delta.findings;
  io.stderr(`tracelint: ${f.new.length} new, ${f.worsened.length} worsened, ${f.resolved.length} resolved, ${f.unchanged} unchanged finding(s)`);
  if (failOn === "never") return 0;
  return [...f.new, ...f.worsened].some((d) => severityAtLeast(d.severity, failOn as Severity)) ? 1 : 0;
}

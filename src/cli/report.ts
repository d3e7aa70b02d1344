// `tracelint report FILE.json [--format html|md|json] [--baseline OLD.json] [--out FILE]`:
// re-renders a saved report, optionally with the changes since an older one.
import { parseArgs } from "node:util";
import { diffReports } from "../report/diff";
import type { CliIO } from "./io";
import { UsageError } from "./inputs";
import { parseFormat, writeReport } from "./output";
import { readReportFile } from "./report-file";

export const REPORT_USAGE = `Usage: tracelint report FILE.json [options]

Re-renders a saved JSON report.

Options:
  --format html|md|json  output format (default: from --out's extension, else md on a terminal, json otherwise)
  --baseline OLD.json    add the changes since this earlier report (new/resolved/worsened findings, deltas)
  -o, --out FILE         write to FILE instead of stdout
  --grafana-url URL      Grafana for trace links in HTML (default http://localhost:3000; env TRACELINT_GRAFANA_URL)
  --datasource UID       Tempo data source UID in Grafana (default tempo; env TRACELINT_TEMPO_DATASOURCE)
  --trace-url TEMPLATE   any trace UI instead, with {traceId} and {spanId} (env TRACELINT_TRACE_URL)

Exit codes: 0 written, 2 usage error or unreadable report (findings never change the exit code;
use tracelint diff --fail-on-new to gate on changes).`;

export async function reportCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      out: { type: "string", short: "o" },
      baseline: { type: "string" },
      "grafana-url": { type: "string" },
      datasource: { type: "string" },
      "trace-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("report needs exactly one FILE.json");
  const format = parseFormat(values.format, io, values.out);
  let report = await readReportFile(positionals[0]!);
  if (values.baseline) report = { ...report, delta: diffReports(await readReportFile(values.baseline), report) };
  await writeReport(report, format, values.out, io, {
    grafanaUrl: values["grafana-url"] ?? io.env.TRACELINT_GRAFANA_URL,
    datasourceUid: values.datasource ?? io.env.TRACELINT_TEMPO_DATASOURCE,
    traceUrlTemplate: values["trace-url"] ?? io.env.TRACELINT_TRACE_URL,
  });
  return 0;
}

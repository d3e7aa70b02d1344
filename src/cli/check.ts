// `tracelint check PATH… [--config F] [--format json|md] [--out FILE] [--fail-on LEVEL]`
import { builtinRules } from "../../rules/index";
import { checkInputs } from "../pipeline/check";
import { collectInputs, UsageError } from "./inputs";
import { loadConfig } from "./config-file";
import { parseFailOn, parseFormat, writeReport, exitCodeFor, summaryLine } from "./output";
import type { CliIO } from "./io";

export const CHECK_USAGE = `Usage: tracelint check PATH... [options]

Lints trace files: OTLP/JSON, OTLP protobuf, Tempo API JSON (v1/v2) or protobuf, gzip'd or not.
PATH may be a file, a directory (read recursively) or - for stdin.

Options:
  --config FILE       tracelint.config.json (default: ./tracelint.config.json when present)
  --format json|md    report format (default: md on a terminal, json otherwise)
  --out FILE          write the report to FILE instead of stdout
  --fail-on LEVEL     exit 1 when a finding at or above LEVEL exists: error|warning|info|never (default: error)
  --quiet             no summary on stderr

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or no input could be read.`;

export interface CheckArgs {
  paths: string[];
  config?: string;
  format?: string;
  out?: string;
  failOn?: string;
  quiet?: boolean;
}

export async function runCheck(args: CheckArgs, io: CliIO): Promise<number> {
  if (args.paths.length === 0) throw new UsageError("check needs at least one PATH (a file, a directory or -)");
  const failOn = parseFailOn(args.failOn);
  const format = parseFormat(args.format, io, args.out);
  const config = await loadConfig(args.config, builtinRules);
  const inputs = await collectInputs(args.paths);
  if (inputs.length === 0) throw new UsageError(`no trace files found in ${args.paths.join(", ")}`);
  const report = await checkInputs(inputs, config, {
    onInputError: (name, message) => {
      if (!args.quiet) io.stderr(`tracelint: ${name}: ${message}`);
    },
    onProgress: (p) => {
      if (!args.quiet && io.stderrIsTTY && p.inputsTotal && p.inputsTotal > 1) {
        io.progress(`reading ${p.inputsDone}/${p.inputsTotal} inputs, ${p.spans} spans`);
      }
    },
  });
  io.progress("");
  await writeReport(report, format, args.out, io);
  if (!args.quiet) io.stderr(summaryLine(report));
  if (report.summary.traces === 0 && report.summary.inputErrors.length > 0) {
    io.stderr("tracelint: no input could be read");
    return 2;
  }
  return exitCodeFor(report, failOn);
}

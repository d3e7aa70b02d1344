// The Node CLI: argument parsing and dispatch only; each command lives in its own module.
import { parseArgs } from "node:util";
import { ConfigError } from "../engine/config";
import { TOOL_VERSION } from "../version";
import { auditCommand } from "./audit";
import { auditStorageCommand, isStorageAudit } from "./audit-storage";
import { BASELINE_OPTIONS, CHECK_USAGE, runCheck } from "./check";
import { UsageError } from "./inputs";
import { processIO, type CliIO } from "./io";
import { reportCommand } from "./report";
import { diffCommand } from "./diff";
import { alertCommand } from "./alert";

const USAGE = `tracelint ${TOOL_VERSION}: trace-quality analyzer for OpenTelemetry traces and Grafana Tempo

Usage:
  tracelint check PATH... [options]     lint trace files (see tracelint check --help)
  tracelint audit --tempo URL [options] audit a sample of recent traces from Tempo (see tracelint audit --help)
  tracelint audit --blocks s3://B/P      audit Tempo's Parquet blocks, or --otlp-archive s3://B/P (see --blocks x --help)
  tracelint report FILE.json [options]  re-render a saved report as html, md or json (see tracelint report --help)
  tracelint diff OLD.json NEW.json      what changed between two runs (see tracelint diff --help)
  tracelint alert REPORT.json           send the configured chat/webhook alerts (see tracelint alert --help)
  tracelint rules                       list the built-in rules
  tracelint serve [options]             the API and scheduled audits as a server (see tracelint serve --help)
  tracelint --version

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or no input could be read.`;

type Command = (argv: string[], io: CliIO) => Promise<number>;

async function checkCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      format: { type: "string" },
      out: { type: "string", short: "o" },
      "fail-on": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
      ...BASELINE_OPTIONS,
    },
  });
  if (values.help) {
    io.stdout(`${CHECK_USAGE}\n`);
    return 0;
  }
  return runCheck(
    {
      paths: positionals,
      ...(values.config !== undefined ? { config: values.config } : {}),
      ...(values.format !== undefined ? { format: values.format } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(values["fail-on"] !== undefined ? { failOn: values["fail-on"] } : {}),
      ...(values.baseline !== undefined ? { baseline: values.baseline } : {}),
      ...(values["fail-on-new"] !== undefined ? { failOnNew: values["fail-on-new"] } : {}),
      quiet: values.quiet ?? false,
    },
    io,
  );
}

async function rulesCommand(_argv: string[], io: CliIO): Promise<number> {
  const { builtinRules } = await import("../../rules/index");
  const width = Math.max(...builtinRules.map((r) => r.meta.id.length), 4);
  for (const r of builtinRules) io.stdout(`${r.meta.id.padEnd(width)}  ${r.meta.severity.padEnd(7)}  ${r.meta.description}\n`);
  return 0;
}

export const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  // --blocks / --otlp-archive read object storage instead of Tempo's query API.
  audit: (argv, io) => (isStorageAudit(argv) ? auditStorageCommand(argv, io) : auditCommand(argv, io)),
  rules: rulesCommand,
  // Loaded on demand: the server pulls in @hono/node-server and the S3 client.
  serve: async (argv, io) => (await import("./serve")).serveCommand(argv, io),
  report: reportCommand,
  diff: diffCommand,
  alert: alertCommand,
};

/** Runs the CLI; returns the exit code. Never throws for user errors. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.stdout(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-v") {
    io.stdout(`${TOOL_VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.stderr(`tracelint: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr(`tracelint: ${error.message}`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`tracelint: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

// Run when executed directly (npm run tracelint / tsx src/cli/main.ts).
const invokedDirectly = process.argv[1] !== undefined && /[\\/]src[\\/]cli[\\/]main\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}

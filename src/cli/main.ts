// The Node CLI: argument parsing and dispatch only; each command lives in its own module.
import { parseArgs } from "node:util";
import { ConfigError } from "../engine/config";
import { TOOL_VERSION } from "../version";
import { auditCommand } from "./audit";
import { auditStorageCommand, isStorageAudit } from "./audit-storage";
import { BASELINE_OPTIONS, CHECK_USAGE, runCheck } from "./check";
import { UsageError } from "./inputs";
import { processIO, type CliIO } from "./io";
import { showControlKeepLines } from "../util/control";
import { reportCommand } from "./report";
import { diffCommand } from "./diff";
import { alertCommand } from "./alert";
import { REPORT_OPTIONS } from "./output";

const USAGE = `tracelint ${TOOL_VERSION}: trace-quality analyzer for OpenTelemetry traces and Grafana Tempo

Usage:
  tracelint check PATH... [options]     lint trace files (see tracelint check --help)
  tracelint audit --tempo URL [options] audit a sample of recent traces from Tempo (see tracelint audit --help)
  tracelint audit --blocks s3://B/P     audit Tempo's Parquet blocks, or --otlp-archive s3://B/P
                                        (see tracelint audit --blocks s3://B --help)
  tracelint report FILE.json [options]  re-render a saved report as html, md or json (see tracelint report --help)
  tracelint diff OLD.json NEW.json      what changed between two runs (see tracelint diff --help)
  tracelint alert REPORT.json           send the configured chat/webhook alerts (see tracelint alert --help)
  tracelint rules                       list the built-in rules
  tracelint serve [options]             the API and scheduled audits as a server (see tracelint serve --help)
  tracelint --version

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or no input could be read.`;

const RULES_HELP = `Usage: tracelint rules

Lists the built-in rules: ID, default severity, what each one finds. Configure them in
tracelint.config.json (see README.md, Configuration); docs/rules.md explains each rule.`;

/** Where `audit --help` (Tempo's query API) points to the object-storage sources' own options. */
const AUDIT_STORAGE_POINTER = `
Object storage instead of the query API: tracelint audit --blocks s3://BUCKET/PREFIX (Tempo's
Parquet blocks) or --otlp-archive s3://BUCKET/PREFIX (Collector archive); their options:
tracelint audit --blocks s3://B --help`;

type Command = (argv: string[], io: CliIO) => Promise<number>;

async function checkCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...REPORT_OPTIONS, ...BASELINE_OPTIONS, "max-spans": { type: "string" } },
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
      ...(values["max-spans"] !== undefined ? { maxSpans: values["max-spans"] } : {}),
      quiet: values.quiet ?? false,
    },
    io,
  );
}

async function rulesCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, allowPositionals: false, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    io.stdout(`${RULES_HELP}\n`);
    return 0;
  }
  const { builtinRules } = await import("../../rules/index");
  const width = Math.max(...builtinRules.map((r) => r.meta.id.length), 4);
  for (const r of builtinRules) io.stdout(`${r.meta.id.padEnd(width)}  ${r.meta.severity.padEnd(7)}  ${r.meta.description}\n`);
  return 0;
}

export const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  // --blocks / --otlp-archive read object storage instead of Tempo's query API.
  audit: async (argv, io) => {
    if (isStorageAudit(argv)) return auditStorageCommand(argv, io);
    const code = await auditCommand(argv, io);
    if (argv.includes("--help") || argv.includes("-h")) io.stdout(`${AUDIT_STORAGE_POINTER}\n`);
    return code;
  },
  rules: rulesCommand,
  // Loaded on demand: the server pulls in @hono/node-server and the S3 client.
  serve: async (argv, io) => (await import("./serve")).serveCommand(argv, io),
  report: reportCommand,
  diff: diffCommand,
  alert: alertCommand,
};

/**
 * One short line for a node:util parseArgs error, in tracelint's own wording, pointing to the
 * command's help (Node's text for an unknown option is two sentences about positional arguments).
 */
export function describeArgsError(error: Error, command: string): string {
  const help = `see tracelint ${command} --help`;
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (unknown) return `unknown option ${unknown[1]} for tracelint ${command} (${help})`;
  const missing = /^Option '(-\S+)(?:, (-\S+))? <value>' argument missing/.exec(error.message);
  if (missing) return `${missing[2] ?? missing[1]} needs a value (${help})`;
  const noValue = /^Option '(-\S+)(?:, (-\S+))?' does not take an argument/.exec(error.message);
  if (noValue) return `${noValue[2] ?? noValue[1]} takes no value (${help})`;
  const ambiguous = /^Option '(-\S+)(?:, (-\S+))?' argument is ambiguous/.exec(error.message);
  if (ambiguous) {
    const name = ambiguous[2] ?? ambiguous[1];
    return `${name} needs a value; write one that starts with "-" as ${name}=-… (${help})`;
  }
  const positional = /^Unexpected argument '([^']*)'/.exec(error.message);
  if (positional) return `${command} takes no argument ${JSON.stringify(positional[1])} (${help})`;
  return `${error.message.split(/\.\s/)[0]} (${help})`;
}

/** Runs the CLI; returns the exit code. Never throws for user errors. */
export async function main(argv: string[], rawIo: CliIO = processIO()): Promise<number> {
  const io = terminalSafeIO(rawIo);
  const [command, ...rest] = argv;
  if (command === undefined) {
    // A usage error: the usage goes to stderr so `tracelint > out.json` does not capture it.
    io.stderr(USAGE);
    return 2;
  }
  if (command === "help" || command === "--help" || command === "-h") {
    io.stdout(`${USAGE}\n`);
    return 0;
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
      io.stderr(`tracelint: ${describeArgsError(error, command)}`);
      return 2;
    }
    throw error;
  }
}

/**
 * Status lines quote trace data, file names and remote error bodies: control characters in them
 * (ANSI escapes, a carriage return that overwrites the line, an OSC title change) are shown as
 * `\x1b` instead of reaching the terminal or a CronJob log.
 */
function terminalSafeIO(io: CliIO): CliIO {
  return { ...io, stderr: (line) => io.stderr(showControlKeepLines(line)), progress: (line) => io.progress(showControlKeepLines(line)) };
}

// The pinned AWS SDK runs on Node 20; its notice that *later* releases will need Node 22 would
// otherwise print eight lines on every S3 audit (CronJob logs), even with -q.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// Run when executed directly (npm run tracelint / tsx src/cli/main.ts).
const invokedDirectly = process.argv[1] !== undefined && /[\\/]src[\\/]cli[\\/]main\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}

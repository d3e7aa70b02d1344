// `tracelint audit --tempo URL …`: sample recent traces from a Tempo and lint them.
import { parseArgs } from "node:util";
import { builtinRules } from "../../rules/index";
import { auditSource } from "../pipeline/audit";
import type { Report, TempoQuerySource } from "../report/schema";
import { AuthConfigError, authFromEnv, AUTH_ENV_VARS, validateTenant } from "../sources/tempo/auth";
import { emptyTempoAudit } from "../sources/tempo/empty";
import { TempoError } from "../sources/tempo/errors";
import { parseBaseUrl } from "../sources/tempo/http";
import { DEFAULT_SAMPLING } from "../sources/tempo/plan";
import { DEFAULT_CONCURRENCY, DEFAULT_INGESTION_DELAY_MS, INTERRUPTED_INPUT, TempoSource } from "../sources/tempo/source";
import { clampToIngestionDelay, formatDuration, parseDuration, parseInstant, resolveWindow, TimeArgumentError, type TimeWindow } from "../sources/tempo/time";
import { loadConfig } from "./config-file";
import { UsageError } from "./inputs";
import type { CliIO } from "./io";
import { exitCodeFor, parseFailOn, parseFormat, REPORT_OPTIONS, reportOptionsHelp, summaryLine, writeReport, type ReportArgs } from "./output";
import { auditProgress } from "./progress";
import { applyBaseline, BASELINE_HELP, BASELINE_OPTIONS, loadBaseline, withDelta } from "./check";

export const AUDIT_USAGE = `Usage: tracelint audit --tempo URL [options]

Audits a representative sample of recent traces from Grafana Tempo's query API: discovers the
services in the window, samples up to --per-service traces of each (spread over time slices,
because Tempo returns the newest first) plus a window-wide sample, fetches them and lints them.

Options:
  --tempo URL           Tempo base URL, with any path prefix (default: $TEMPO_URL), e.g.
                        http://localhost:3200 or https://tempo-prod-01-eu-west-0.grafana.net/tempo
  --tenant T            X-Scope-OrgID for multi-tenant Tempo (default: $TEMPO_TENANT)
  --since DURATION      window length, ending now minus --ingestion-delay (default: 1h)
  --start ISO --end ISO explicit window instead of --since (e.g. 2026-01-01T10:00:00Z); an --end
                        later than now minus --ingestion-delay is moved back to it (stderr says so)
  --ingestion-delay D   skip the newest D so sampled traces are complete (default: 5m)
  --per-service N       traces sampled per service (default: ${DEFAULT_SAMPLING.perService}; 0 = no per-service sampling)
  --max-services N      services that get a per-service sample: the first N by name (default: ${DEFAULT_SAMPLING.maxServices});
                        the others appear only in the window-wide sample (stderr says how many)
  --traces N            window-wide sample size, also used for --query (default: ${DEFAULT_SAMPLING.windowSample})
  --query TRACEQL       also sample traces matching this TraceQL, e.g. '{ status = error }'
  --slices N            time slices each sample is spread over (default: ${DEFAULT_SAMPLING.slices})
  --concurrency N       parallel requests (default: ${DEFAULT_CONCURRENCY})
  --timeout DURATION    per request attempt, 1s to 10m (default: 30s)
${reportOptionsHelp(21, "no progress or summary on stderr")}
${BASELINE_HELP}

Credentials are read from the environment only, never from arguments:
  ${AUTH_ENV_VARS.token}                     bearer token
  ${AUTH_ENV_VARS.user}, ${AUTH_ENV_VARS.password}     basic auth (Grafana Cloud: instance ID and access-policy token)
  ${AUTH_ENV_VARS.headers}                   extra headers, "Name: value" separated by ; or newlines
                                  (e.g. Cloudflare Access: "CF-Access-Client-Id: …; CF-Access-Client-Secret: …")

Exit codes: 0 clean, 1 findings at or above --fail-on (or new ones at --fail-on-new), 2 usage error, Tempo unreachable, credentials
refused, query rejected, or no trace read (Tempo found none in the window, or none of the sampled traces could be
fetched: no report is written, since an empty one would pass as clean and, as a baseline, make every finding new
again), 130 (SIGINT, Ctrl-C) or 143 (SIGTERM) interrupted: no new request starts, the traces fetched so far are
reported with the input error "${INTERRUPTED_INPUT}" (a partial report: never use it as a baseline; nothing
is written when no trace was fetched yet), and a second signal exits at once.`;

export interface AuditArgs extends ReportArgs {
  tempo?: string;
  tenant?: string;
  since?: string;
  start?: string;
  end?: string;
  ingestionDelay?: string;
  perService?: string;
  maxServices?: string;
  traces?: string;
  query?: string;
  slices?: string;
  concurrency?: string;
  timeout?: string;
  /** Trace-by-ID in JSON instead of protobuf (tests, proxies that mangle binary bodies). */
  jsonOnly?: boolean;
  now?: Date;
  /** Where SIGINT/SIGTERM come from (default: the process; tests pass a stand-in). */
  signals?: SignalTarget;
}

/** The signals that stop an audit early, and the exit code of an audit they stopped (128 + number). */
export type StopSignal = "SIGINT" | "SIGTERM";
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** What watching for SIGINT/SIGTERM needs from `process`. */
export interface SignalTarget {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
  listenerCount(event: StopSignal): number;
  exit(code: number): void;
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM; a second one exits at once with 130/143. Returns
 * the function that stops watching.
 *
 * On a terminal, io.ts's Ctrl-C handler (armed while a progress line is shown) runs for the same
 * SIGINT: it clears the line and raises SIGINT once more, meant for Node's default handling. That
 * echo is not a second Ctrl-C: when that handler was there (one SIGINT listener more than ours
 * alone), the next SIGINT is swallowed, even after this watch ends.
 */
export function watchStopSignals(target: SignalTarget, io: CliIO, stop: (signal: StopSignal) => void): () => void {
  let first: StopSignal | undefined;
  let echoes = 0;
  const ownCount = new Map<StopSignal, number>();
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => {
      if (signal === "SIGINT" && echoes > 0) {
        echoes--;
        return;
      }
      if (first !== undefined) {
        io.stderr(`tracelint: ${signal} again: exiting at once, without a report`);
        target.exit(SIGNAL_EXIT_CODES[signal]);
        return;
      }
      first = signal;
      if (signal === "SIGINT" && target.listenerCount("SIGINT") > (ownCount.get("SIGINT") ?? 1)) echoes = 1;
      stop(signal);
    };
    target.on(signal, listener);
    ownCount.set(signal, target.listenerCount(signal));
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) target.off(signal, listener);
    if (echoes > 0) {
      const swallow = () => {
        target.off("SIGINT", swallow);
      };
      target.on("SIGINT", swallow);
    }
  };
}

function count(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function duration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

/** Per-attempt timeout bounds: below 1s every request would time out, above 10m a hang looks like work. */
const TIMEOUT_RANGE_MS = { min: 1_000, max: 10 * 60_000 };

function timeout(value: string | undefined): number {
  const ms = duration("timeout", value, 30_000);
  if (ms < TIMEOUT_RANGE_MS.min || ms > TIMEOUT_RANGE_MS.max) {
    throw new UsageError(`--timeout must be from ${formatDuration(TIMEOUT_RANGE_MS.min)} to ${formatDuration(TIMEOUT_RANGE_MS.max)} (got ${JSON.stringify(value)})`);
  }
  return ms;
}

/** `--start`/`--end` as instants, the option named in the error (`--start yesterday`). */
function instant(name: "start" | "end", value: string | undefined): { start?: Date; end?: Date } {
  if (value === undefined) return {};
  try {
    return { [name]: parseInstant(value) };
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new UsageError(`--${name}: ${error.message}`);
    throw error;
  }
}

/** Where a 404 from the first request most likely comes from: the base URL lacks Tempo's path prefix. */
const PATH_PREFIX_HINT = "is the path prefix part of --tempo? (e.g. Grafana Cloud's Tempo is under /tempo: https://tempo-….grafana.net/tempo)";

/** One line for a Tempo problem that stops the audit; never a stack trace, never a credential. */
export function describeTempoError(error: TempoError, url: string): string {
  switch (error.kind) {
    case "unreachable":
      return `cannot reach Tempo at ${url}: ${error.message}`;
    case "timeout":
      return `Tempo at ${url} did not answer: ${error.message}`;
    case "auth":
      return `${error.message} at ${url}; check ${AUTH_ENV_VARS.token}, ${AUTH_ENV_VARS.user}/${AUTH_ENV_VARS.password} or ${AUTH_ENV_VARS.headers}, and --tenant on multi-tenant Tempo`;
    case "bad-request":
      return error.message;
    case "malformed":
      return `Tempo at ${url} sent an unexpected answer: ${error.message}`;
    case "http":
      // Any Tempo route answers; a 404 means the API is not at this base URL.
      if (error.status === 404) return `Tempo at ${url} failed: ${error.message}; ${PATH_PREFIX_HINT}`;
      return `Tempo at ${url} failed: ${error.message}`;
  }
}

function sourceLine(s: TempoQuerySource): string {
  const t = s.traces;
  const discovered = s.sampling.servicesDiscovered;
  const sampled = s.sampling.servicesSampled.length;
  const services = sampled < discovered ? `${discovered} services (${sampled} of them sampled per service)` : `${discovered} services`;
  return `tracelint: sampled ${t.requested} traces from ${services} in ${s.window.start} – ${s.window.end}: ${t.fetched} fetched, ${t.partial} partial, ${t.notFound} not found, ${t.failed} failed`;
}

/** The window from `--since` or `--start`/`--end`; an explicit `--end` is kept clear of the ingestion delay. */
function auditWindow(args: AuditArgs, now: Date, ingestionDelayMs: number): { window: TimeWindow; clamped: boolean } {
  // Worded as in audit-storage.ts; checked first, or `--since 1h --start X` reads "give both --start and --end".
  if (args.since !== undefined && (args.start !== undefined || args.end !== undefined)) {
    throw new UsageError("give either --since or --start/--end, not both");
  }
  try {
    const window = resolveWindow({
      now,
      ingestionDelayMs,
      ...(args.since !== undefined ? { sinceMs: duration("since", args.since, 0) } : {}),
      ...instant("start", args.start),
      ...instant("end", args.end),
    });
    return args.end !== undefined ? clampToIngestionDelay(window, now, ingestionDelayMs) : { window, clamped: false };
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runAudit(args: AuditArgs, io: CliIO): Promise<number> {
  const url = args.tempo ?? io.env.TEMPO_URL;
  if (!url) throw new UsageError("audit needs --tempo URL (or TEMPO_URL in the environment)");
  const failOn = parseFailOn(args.failOn);
  const format = parseFormat(args.format, io, args.out);
  const baseline = await loadBaseline(args.baseline, args.failOnNew);
  const tenant = args.tenant ?? (io.env.TEMPO_TENANT || undefined);
  let auth;
  try {
    if (tenant !== undefined) validateTenant(tenant);
    auth = authFromEnv(io.env);
  } catch (error) {
    if (error instanceof AuthConfigError) throw new UsageError(error.message);
    throw error;
  }
  let baseUrl: string;
  try {
    baseUrl = parseBaseUrl(url).href;
  } catch (error) {
    throw new UsageError(`--tempo: ${(error as Error).message}`);
  }
  const ingestionDelayMs = duration("ingestion-delay", args.ingestionDelay, DEFAULT_INGESTION_DELAY_MS);
  const timeoutMs = timeout(args.timeout);
  const now = args.now ?? new Date();
  const { window, clamped } = auditWindow(args, now, ingestionDelayMs);
  const concurrency = count("concurrency", args.concurrency, DEFAULT_CONCURRENCY, 1, 64);
  const perService = count("per-service", args.perService, DEFAULT_SAMPLING.perService, 0, 10_000);
  const windowSample = count("traces", args.traces, DEFAULT_SAMPLING.windowSample, 0, 100_000);
  const maxServices = count("max-services", args.maxServices, DEFAULT_SAMPLING.maxServices, 1, 10_000);
  const slices = count("slices", args.slices, DEFAULT_SAMPLING.slices, 1, 1_000);
  if (perService === 0 && windowSample === 0) {
    throw new UsageError("--per-service 0 and --traces 0 sample nothing (--query is sampled --traces deep too); give at least one a size");
  }
  const config = await loadConfig(args.config, builtinRules);
  const progress = auditProgress(io, args.quiet ?? false);
  const source = new TempoSource({
    client: {
      baseUrl,
      auth,
      ...(tenant !== undefined ? { tenant } : {}),
      timeoutMs,
      preferProtobuf: !args.jsonOnly,
      onRetry: progress.onRetry,
    },
    sampling: {
      window,
      perService,
      windowSample,
      ...(args.query !== undefined ? { query: args.query } : {}),
      slices,
      maxServices,
      concurrency,
    },
    ingestionDelayMs,
    concurrency,
  });
  const displayUrl = source.client.displayUrl;
  if (!args.quiet) {
    const span = args.since !== undefined || args.start === undefined ? `last ${formatDuration(window.end.getTime() - window.start.getTime())}` : "window";
    io.stderr(`tracelint: auditing ${displayUrl} (${span}, ${window.start.toISOString()} – ${window.end.toISOString()})`);
    if (clamped) {
      io.stderr(
        `tracelint: --end ${args.end} is later than now minus the ingestion delay (${formatDuration(ingestionDelayMs)}): the window ends at ${window.end.toISOString()} instead, so that sampled traces are complete (--ingestion-delay 0 keeps --end)`,
      );
    }
  }
  // From here on, Ctrl-C or SIGTERM (a CronJob's deadline) stops the audit but keeps what was fetched.
  const unwatch = watchStopSignals(args.signals ?? process, io, (signal) => source.stop(signal));
  try {
    let report: Report;
    try {
      report = await auditSource(source, config, { onProgress: progress.onProgress, ...(args.now ? { now: args.now } : {}) });
    } catch (error) {
      progress.finish();
      if (error instanceof TempoError) {
        io.stderr(`tracelint: ${source.client.http.redact(describeTempoError(error, displayUrl))}`);
        return 2;
      }
      throw error;
    }
    progress.finish();
    const section = source.section();
    const t = section.traces;
    const interrupted = source.interrupted as StopSignal | undefined;
    if (interrupted !== undefined && t.fetched === 0) {
      io.stderr(`tracelint: interrupted (${interrupted}) before any trace was fetched: no report written`);
      return SIGNAL_EXIT_CODES[interrupted];
    }
    // Nothing read: no report, which would pass as a clean run and, as the next baseline, make every finding new.
    const empty = interrupted === undefined ? emptyTempoAudit(report) : undefined;
    if (empty !== undefined) {
      io.stderr(`tracelint: ${empty}; no report written`);
      return 2;
    }
    await writeReport(withDelta(report, baseline), format, args.out, io);
    if (!args.quiet) {
      io.stderr(sourceLine(section));
      const { servicesDiscovered, servicesSampled } = section.sampling;
      if (servicesSampled.length < servicesDiscovered) {
        io.stderr(
          `tracelint: ${servicesDiscovered - servicesSampled.length} of ${servicesDiscovered} services got no per-service sample (--max-services ${maxServices} takes the first by name): they appear only in the window-wide sample`,
        );
      }
      const searches = section.searches;
      if (searches.failed > 0) {
        io.stderr(`tracelint: ${searches.failed} of ${searches.run + searches.failed} searches failed: the sample lacks the traces they would have found`);
        for (const e of report.summary.inputErrors.filter((e) => e.file.startsWith("search ")).slice(0, 5)) io.stderr(`tracelint: ${e.file}: ${e.message}`);
      }
      for (const f of section.failures.slice(0, 5)) io.stderr(`tracelint: trace ${f.traceId}: ${f.reason}`);
      io.stderr(summaryLine(report));
    }
    if (interrupted !== undefined) {
      io.stderr(
        `tracelint: interrupted (${interrupted}): ${t.fetched} of ${t.requested} sampled traces fetched and audited; the report${args.out ? ` (${args.out})` : ""} is partial, marked "${INTERRUPTED_INPUT}" in its input errors: do not use it as a baseline`,
      );
      return SIGNAL_EXIT_CODES[interrupted];
    }
    return applyBaseline(report, baseline, exitCodeFor(report, failOn), io, args.quiet ?? false);
  } finally {
    unwatch();
  }
}

/** Parses `tracelint audit` arguments and runs it (registered in main.ts). */
export async function auditCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tempo: { type: "string" },
      tenant: { type: "string" },
      since: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      "ingestion-delay": { type: "string" },
      "per-service": { type: "string" },
      "max-services": { type: "string" },
      traces: { type: "string" },
      query: { type: "string" },
      slices: { type: "string" },
      concurrency: { type: "string" },
      timeout: { type: "string" },
      "json-only": { type: "boolean" },
      ...REPORT_OPTIONS,
      ...BASELINE_OPTIONS,
    },
  });
  if (values.help) {
    io.stdout(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`audit takes no positional arguments (got ${JSON.stringify(positionals[0])}); use --tempo URL`);
  const pick = <K extends keyof typeof values>(key: K) => values[key];
  const args: AuditArgs = { quiet: values.quiet ?? false, jsonOnly: values["json-only"] ?? false };
  const strings: [keyof AuditArgs, string | undefined][] = [
    ["tempo", pick("tempo")],
    ["tenant", pick("tenant")],
    ["since", pick("since")],
    ["start", pick("start")],
    ["end", pick("end")],
    ["ingestionDelay", pick("ingestion-delay")],
    ["perService", pick("per-service")],
    ["maxServices", pick("max-services")],
    ["traces", pick("traces")],
    ["query", pick("query")],
    ["slices", pick("slices")],
    ["concurrency", pick("concurrency")],
    ["timeout", pick("timeout")],
    ["config", pick("config")],
    ["format", pick("format")],
    ["out", pick("out")],
    ["failOn", pick("fail-on")],
    ["baseline", pick("baseline")],
    ["failOnNew", pick("fail-on-new")],
  ];
  for (const [key, value] of strings) if (value !== undefined) (args as Record<string, unknown>)[key] = value;
  return runAudit(args, io);
}

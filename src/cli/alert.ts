// `tracelint alert REPORT.json` / `tracelint alert --failed REASON`: sends the chat/webhook alerts
// configured in the config file's "alerts" section for a saved report (or for a failed audit), and
// retries what earlier runs could not deliver. Meant to follow `tracelint audit` in a Kubernetes
// CronJob; the state file keeps the outbox and the previous run between invocations.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { AlertsConfigSchema, runAlerts, type AlertsConfig } from "../alerts/index";
import { AlertStateError } from "../alerts/outbox";
import { builtinRules } from "../../rules/index";
import { BestEffortAlertStateStore, describeFsError, FileAlertStateStore } from "./alert-state-file";
import { DEFAULT_CONFIG_FILE, loadConfig, sectionProblem } from "./config-file";
import { UsageError } from "./inputs";
import type { CliIO } from "./io";
import { readReportFile } from "./report-file";

export const ALERT_USAGE = `Usage: tracelint alert REPORT.json [options]
       tracelint alert --failed REASON [options]

Sends the alerts configured in the config file's "alerts" section (Slack, Teams, Discord, Google
Chat, signed webhooks) for a saved report, and first retries alerts earlier runs could not deliver.
With onlyNewOrWorsened (the default) only findings that are new or worse than the previous run
recorded in the state file are sent.

Options:
  --config FILE      config file with an "alerts" section (default: ./tracelint.config.json)
  --state FILE       alert state: outbox, delivered alert IDs, previous run
                     (default: .tracelint/alert-state.json)
  --report-url URL   link to the full report in every alert (overrides alerts.reportUrl)
  --failed REASON    the audit itself failed: send "audit failed" alerts (no report needed)
  --attempts N       delivery attempts per alert in this run, with backoff (default 4)

Webhook URLs and signing secrets come from the environment variables named in the config
(urlEnv, secretEnv). Exit codes: 0 nothing left to deliver, 1 some alerts are still pending
(kept for the next run), 2 usage or configuration error, or the state file could not be saved
(the alerts are still sent, but the run is not recorded: the next one may send them again) or,
with --failed, not read (the audit-failed alert is still sent; the file is left as it is).`;

export const DEFAULT_ALERT_STATE = ".tracelint/alert-state.json";

function isHttpUrl(text: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function alertsConfigOf(raw: Record<string, unknown>, source: string): AlertsConfig {
  if (raw.alerts === undefined) throw new UsageError(`${source} has no "alerts" section (see docs/alerts.md)`);
  const parsed = AlertsConfigSchema.safeParse(raw.alerts);
  if (!parsed.success) throw new UsageError(sectionProblem(source, "alerts", parsed.error));
  if (parsed.data.destinations.length === 0) throw new UsageError(`${source}: alerts.destinations is empty`);
  return parsed.data;
}

export async function alertCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      state: { type: "string" },
      "report-url": { type: "string" },
      failed: { type: "string" },
      attempts: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(`${ALERT_USAGE}\n`);
    return 0;
  }
  if (values.failed === undefined && positionals.length !== 1) throw new UsageError("alert needs exactly one REPORT.json (or --failed REASON)");
  if (values.failed !== undefined && positionals.length > 0) throw new UsageError("give either REPORT.json or --failed REASON, not both");
  const attempts = values.attempts === undefined ? undefined : Number(values.attempts);
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 10)) {
    throw new UsageError(`--attempts must be a whole number from 1 to 10 (got ${JSON.stringify(values.attempts)})`);
  }
  const reportUrl = values["report-url"];
  if (reportUrl !== undefined && !isHttpUrl(reportUrl)) throw new UsageError(`--report-url must be an http(s) URL (got ${JSON.stringify(reportUrl)})`);
  const configFile = values.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (configFile === undefined) {
    throw new UsageError(`no config file: give --config FILE or put ${DEFAULT_CONFIG_FILE} in the current directory, with an "alerts" section (see docs/alerts.md)`);
  }
  const config = await loadConfig(configFile, builtinRules);
  const alerts = alertsConfigOf(config.raw as Record<string, unknown>, configFile);
  const report = positionals[0] !== undefined ? await readReportFile(positionals[0]) : undefined;
  const statePath = values.state ?? DEFAULT_ALERT_STATE;
  // An "audit failed" alert is sent even when the state cannot be read: it must not be lost.
  const store = new BestEffortAlertStateStore(new FileAlertStateStore(statePath), values.failed !== undefined);
  const result = await runAlerts({
    config: alerts,
    store,
    ...(report ? { report } : {}),
    ...(values.failed !== undefined ? { failure: values.failed } : {}),
    ...(reportUrl ? { reportUrl } : {}),
    env: io.env,
    ...(attempts !== undefined ? { delivery: { maxAttempts: attempts } } : {}),
    log: (_level, message) => io.stderr(`tracelint: ${message}`),
  }).catch((error: unknown) => {
    // A broken state file is a configuration problem (exit 2), not a delivery to retry (exit 1).
    if (error instanceof AlertStateError) throw new UsageError(`${error.message}; repair or move the file (it holds the alerts still to deliver)`);
    // Unreadable (permissions, a directory): nothing sent, since every finding would look new.
    if ((error as NodeJS.ErrnoException)?.code !== undefined) {
      throw new UsageError(`cannot read the alert state ${statePath} (${describeFsError(error)}); nothing sent: without it every finding would be sent as new. Make it readable, or move it`);
    }
    throw error;
  });
  const counts = `${result.delivered.length} delivered, ${result.pending} not delivered`;
  if (store.loadProblem !== undefined) {
    io.stderr(
      `tracelint: ${store.loadProblem}; the audit-failed alert was still sent without it (${counts}; not deduplicated against earlier runs, and undelivered alerts are not kept) and the file was left as it is: repair or move it`,
    );
    return 2;
  }
  if (store.saveProblem !== undefined) {
    io.stderr(
      `tracelint: cannot save the alert state ${statePath} (${store.saveProblem}): the alerts were still sent (${counts}), but this run is not recorded, so the next run may send them again and undelivered ones are not kept for it; make the state's directory writable for this user (Kubernetes: the pod's securityContext.fsGroup)`,
    );
    return 2;
  }
  io.stderr(
    `tracelint: ${result.queued.length} alert(s) queued this run, ${result.delivered.length} delivered, ${result.pending} pending for the next run`,
  );
  return result.pending > 0 ? 1 : 0;
}

// The Kubernetes CronJob example (docs/examples/k8s/cronjob.yaml), checked as a user would apply
// it: the manifest's text (no YAML parser is installed), and its shell step run for real with
// /bin/sh — paths rewritten to temporary directories, the Tempo-compatible server on 127.0.0.1 in
// place of Tempo, a webhook receiver in place of Slack — over several "pods": a clean first run, a
// run stopped by SIGTERM (the deadline or an eviction), its re-run, a run with nothing new, and a
// run that finds no traces (a tenant typo). Trace data: recorded with the OpenTelemetry SDK.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { startTempoServer, type RunningTempoServer } from "../src/cli/tempo-server";
import { decodeInput } from "../src/decode/index";
import type { Report } from "../src/report/schema";
import type { FaultRule, TempoServerOptions } from "../src/tempo-server/index";
import { ok, WebhookReceiver } from "./support/webhook-receiver";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const cronjob = await readFile(join(repoRoot, "docs/examples/k8s/cronjob.yaml"), "utf8");
const deployment = await readFile(join(repoRoot, "docs/examples/k8s/deployment.yaml"), "utf8");

/** The `args: - |` block of the container: the script the pod runs with /bin/sh -c. */
function podScript(manifest: string): string {
  const lines = manifest.split("\n");
  const start = lines.findIndex((l) => /^\s+- \|\s*$/.test(l));
  expect(start).toBeGreaterThan(0);
  const indent = lines[start]!.search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== "" && line.search(/\S/) <= indent) break;
    body.push(line);
  }
  const strip = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.search(/\S/)));
  return body.map((l) => l.slice(strip)).join("\n");
}

describe("the CronJob manifest", () => {
  it("never retries a pod whose regression it would then hide, and leaves retries of disruptions to podFailurePolicy", () => {
    expect(cronjob).toMatch(/^\s+backoffLimit: 0\b/m);
    expect(cronjob).not.toMatch(/backoffLimit: [1-9]/);
    // podFailurePolicy is only valid with restartPolicy: Never.
    expect(cronjob).toMatch(/podFailurePolicy:\n\s+rules:\n\s+- action: Ignore\n\s+onPodConditions:\n\s+- type: DisruptionTarget/);
    expect(cronjob).toMatch(/^\s+restartPolicy: Never$/m);
    expect(cronjob).not.toMatch(/restartPolicy: (OnFailure|Always)/);
  });

  it("makes the volume writable for its non-root user and defines the claim both examples mount", () => {
    for (const manifest of [cronjob, deployment]) {
      // fsGroup in the pod's securityContext, next to the non-root user (comment lines may sit between).
      expect(manifest).toMatch(/securityContext:\n\s+runAsNonRoot: true\n\s+runAsUser: 1000\n(\s+(#.*|runAsGroup: 1000)\n)*\s+fsGroup: 1000\b/);
      expect(manifest).toMatch(/kind: PersistentVolumeClaim\nmetadata:\n\s+name: tracelint-reports\n/);
      expect(manifest).toMatch(/claimName: tracelint-reports/);
    }
  });

  it("passes the ConfigMap's config to the audit, not only to the alerts", () => {
    // The audit command: from `tracelint.js audit` to the first line without a continuation.
    const lines = podScript(cronjob).split("\n");
    const first = lines.findIndex((l) => l.includes("node bin/tracelint.js audit"));
    const last = lines.findIndex((l, i) => i >= first && !l.trimEnd().endsWith("\\"));
    const audit = lines.slice(first, last + 1).join("\n");
    expect(audit).toMatch(/--out=/);
    expect(audit).toContain("--config=/config/tracelint.config.json");
  });
});

// ---------------------------------------------------------------------------------------------
// The pod's shell step, run for real.

let work: string;
let receiver: WebhookReceiver;
let hookUrl: string;
let tempo: RunningTempoServer | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tracelint-cronjob-"));
  await mkdir(join(work, "reports"));
  await mkdir(join(work, "config"));
  // The ConfigMap: a rule switched off (the audit must honour it) and a webhook for the alerts.
  const config = { rules: { "missing-root": "off" }, alerts: { destinations: [{ name: "oncall", type: "generic", urlEnv: "HOOK_URL" }] } };
  await writeFile(join(work, "config", "tracelint.config.json"), JSON.stringify(config));
  receiver = new WebhookReceiver(() => ok());
  hookUrl = `${await receiver.start()}/hook`;
});
afterAll(async () => {
  await tempo?.close();
  await receiver.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * Requests through gateway → orders, 10–20 minutes before the real clock (inside the script's
 * `--since=30m` window, clear of the ingestion delay); one lost its root span (missing-root, off
 * in the config). With `regressed`, two more lost a parent span in gateway: orphan-span errors.
 */
async function estate(regressed: boolean): Promise<{ spans: Awaited<ReturnType<typeof decodeInput>>["spans"]; traceIds: string[] }> {
  const rec = new TraceRecorder({ seed: 91, epochMs: Date.now() - 20 * 60_000 });
  const gateway = rec.tracer("gateway");
  const orders = rec.tracer("orders");
  const traceIds: string[] = [];
  for (let i = 0; i < 6; i++) {
    const t = i * 60_000;
    const root = gateway.startSpan("GET /checkout", { kind: ApiKind.SERVER, startTime: rec.time(t) });
    traceIds.push(root.spanContext().traceId);
    let parent = rec.within(root);
    if (regressed && (i === 1 || i === 3)) parent = rec.within(gateway.startSpan("auth", { kind: ApiKind.INTERNAL, startTime: rec.time(t + 1) }, parent)); // never ended
    const client = gateway.startSpan("POST", { kind: ApiKind.CLIENT, startTime: rec.time(t + 2), attributes: { "server.address": "orders" } }, parent);
    const server = orders.startSpan("POST /orders", { kind: ApiKind.SERVER, startTime: rec.time(t + 3), attributes: { "http.route": "/orders" } }, rec.extract(rec.inject(client)));
    server.end(rec.time(t + 9));
    client.end(rec.time(t + 10));
    if (i !== 5) root.end(rec.time(t + 11));
  }
  return { spans: (await decodeInput(rec.toOtlpJson(), { name: "estate" })).spans, traceIds };
}

async function serveTempo(regressed: boolean, options: Partial<TempoServerOptions> = {}, faults?: (traceIds: string[]) => FaultRule[]): Promise<RunningTempoServer> {
  await tempo?.close();
  const { spans, traceIds } = await estate(regressed);
  tempo = await startTempoServer({ spans, tenant: "prod", ...options, ...(faults ? { faults: faults(traceIds) } : {}) });
  return tempo;
}

interface PodRun {
  code: number | null;
  stderr: string;
}

/** Runs the manifest's script as the pod would (workingDir /app = the repository). */
async function runPod(server: RunningTempoServer, whileRunning?: (child: ReturnType<typeof spawn>) => Promise<void>): Promise<PodRun> {
  const script = podScript(cronjob)
    .replaceAll("http://tempo-query-frontend.tempo.svc:3200", server.url)
    .replaceAll("/reports", join(work, "reports"))
    .replaceAll("/config", join(work, "config"));
  const child = spawn("/bin/sh", ["-c", script], {
    cwd: repoRoot,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOOK_URL: hookUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await whileRunning?.(child);
  return { code: await exited, stderr };
}

const latest = () => readFile(join(work, "reports", "latest.json"), "utf8");
const reportFiles = async () => (await readdir(join(work, "reports"))).filter((f) => /^\d{8}T\d{6}Z\.json$/.test(f)).sort();
const alertKinds = () => receiver.requests.map((r) => (r.json as { alertKind: string }).alertKind);
const newFindings = (text: string) => (JSON.parse(text) as Report).delta?.findings.new.map((f) => f.ruleId) ?? [];

describe("the CronJob's shell step", () => {
  it("keeps the baseline through a SIGTERM'd pod and a tenant typo, so the regression still fails the re-run; honours the config's rules", async () => {
    // Pod 1: the first run, no baseline yet.
    const first = await runPod(await serveTempo(false));
    expect(first.code, first.stderr).toBe(0);
    const baseline = await latest();
    const firstReport = JSON.parse(baseline) as Report;
    expect(firstReport.summary.traces).toBe(6);
    expect(firstReport.rules.map((r) => r.id)).not.toContain("missing-root");
    expect(firstReport.findings.map((f) => f.ruleId)).not.toContain("missing-root");

    // Pod 2: a regression appears, but the pod is stopped (deadline, eviction) mid-fetch.
    // Three traces answer at once, three take a minute: whatever order the audit samples them in,
    // its four parallel requests include a fast one, and the pool starts the rest as they finish.
    const slow = (ids: string[]) => ids.slice(3).map((traceId) => ({ fault: { type: "latency" as const, ms: 60_000 }, routes: ["trace-v2" as const], traceId }));
    const server2 = await serveTempo(true, {}, slow);
    const answered = () => server2.requests.filter((r) => r.route === "trace-v2" && r.status === 200).length;
    const stopped = await runPod(server2, async (child) => {
      for (let i = 0; i < 600 && answered() < 3; i++) await new Promise((r) => setTimeout(r, 50));
      // Give the audit time to read and decode the bodies even on a loaded CI machine (the slow
      // traces answer after 60 s, past the 30 s request timeout, so the stop lands mid-fetch).
      await new Promise((r) => setTimeout(r, 5_000));
      child.kill("SIGTERM");
    });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr, stopped.stderr).toMatch(/tracelint: interrupted \(SIGTERM\): 3 of 6 sampled traces fetched and audited; the report \(.*\) is partial/);
    expect(await latest()).toBe(baseline);
    const partial = JSON.parse(await readFile(join(work, "reports", (await reportFiles()).at(-1)!), "utf8")) as Report;
    expect(partial.summary.inputErrors.map((e) => e.file)).toContain("audit interrupted");
    expect(alertKinds().at(-1)).toBe("audit-failed");
    expect(JSON.stringify(receiver.requests.at(-1)!.json)).toContain("exited 143");

    // Pod 3: its re-run (or the next scheduled run) still sees the regression against the old baseline.
    const rerun = await runPod(await serveTempo(true));
    expect(rerun.code, rerun.stderr).toBe(1);
    expect(newFindings(await latest())).toContain("orphan-span");
    expect(alertKinds().at(-1)).toBe("findings");

    // Pod 4: nothing new since: the Job succeeds.
    const again = await runPod(await serveTempo(true));
    expect(again.code, again.stderr).toBe(0);
    const promoted = await latest();
    expect(newFindings(promoted)).toEqual([]);

    // Pod 5: a tenant typo finds nothing: exit 2, an audit-failed alert, no report, baseline kept.
    const before = await reportFiles();
    const typo = await runPod(await serveTempo(true, { tenant: "prod-eu" }));
    expect(typo.code, typo.stderr).toBe(2);
    expect(typo.stderr).toMatch(/tracelint: Tempo found no traces in the window .* for tenant "prod": check --tenant/);
    expect(await reportFiles()).toEqual(before);
    expect(await latest()).toBe(promoted);
    expect(alertKinds().at(-1)).toBe("audit-failed");
    expect(existsSync(join(work, "reports", "latest.json.tmp"))).toBe(false);
  }, 180_000);
});

// `tracelint alert` end to end: a config with a signed generic webhook (URL and secret from the
// environment), a real receiver on 127.0.0.1, and the state file carrying the outbox between runs.
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli";
import { estateReport, RAW_CARD, RAW_EMAIL } from "./support/report-estate";
import { ok, serverError, WebhookReceiver } from "./support/webhook-receiver";

let dir: string;
let receiver: WebhookReceiver;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-alert-"));
  receiver = new WebhookReceiver(() => ok());
  env = { HOOK_URL: `${await receiver.start()}/hook`, HOOK_SECRET: "s3cret-signing-key" };
  const config = {
    alerts: {
      reportUrl: "https://reports.example/run/1",
      destinations: [{ name: "ops", type: "generic", urlEnv: "HOOK_URL", secretEnv: "HOOK_SECRET", policy: { minSeverity: "warning" } }],
    },
  };
  await writeFile(join(dir, "tracelint.config.json"), JSON.stringify(config));
  const report = await estateReport({ fraudBroken: true, cardinality: false, pii: true, hostile: false });
  await writeFile(join(dir, "report.json"), JSON.stringify(report));
});

afterEach(async () => {
  await receiver.stop();
  await rm(dir, { recursive: true, force: true });
});

const args = (...extra: string[]) => ["alert", ...extra, "--config", join(dir, "tracelint.config.json"), "--state", join(dir, "state.json"), "--attempts", "1"];

describe("tracelint alert", () => {
  it("sends one signed alert for a report's findings, and nothing again for the same run", async () => {
    const first = await runCli(args(join(dir, "report.json")), env);
    expect(first.stderr).toContain("1 alert(s) queued this run, 1 delivered, 0 pending");
    expect(first.code).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    const timestamp = String(request.headers["x-tracelint-timestamp"]);
    const expected = createHmac("sha256", env.HOOK_SECRET!).update(`${timestamp}.${request.body}`).digest("hex");
    expect(request.headers["x-tracelint-signature"]).toBe(`sha256=${expected}`);
    const rules = (request.json as { items: { ruleId: string }[] }).items.map((i) => i.ruleId);
    expect(new Set(rules)).toEqual(new Set(["pii-in-attributes", "propagation-gap", "split-trace"]));
    for (const raw of [RAW_EMAIL, RAW_CARD, env.HOOK_SECRET!]) {
      expect(request.body).not.toContain(raw);
      expect(first.stderr).not.toContain(raw);
    }

    const again = await runCli(args(join(dir, "report.json")), env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("0 alert(s) queued this run, 0 delivered, 0 pending");
    expect(receiver.requests).toHaveLength(1);
  });

  it("keeps an undelivered alert in the outbox and delivers it exactly once on the next run", async () => {
    receiver.respondWith(() => serverError());
    const failed = await runCli(args(join(dir, "report.json")), env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("1 pending for the next run");
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { pending: unknown[] };
    expect(state.pending).toHaveLength(1);

    receiver.respondWith(() => ok());
    const retried = await runCli(args("--failed", "Tempo at http://10.1.2.3:3200 unreachable"), env);
    expect(retried.code).toBe(0);
    const delivered = receiver.requests.filter((r) => r.path === "/hook" && r.json !== undefined);
    const kinds = delivered.map((r) => (r.json as { alertKind: string }).alertKind);
    // The first run's attempt (answered 500), then on the next run: the pending findings alert
    // first, then this run's audit-failed alert; each is delivered once.
    expect(kinds).toEqual(["findings", "findings", "audit-failed"]);
    expect(retried.stderr).toContain("1 alert(s) queued this run, 2 delivered, 0 pending");
    const failure = delivered.at(-1)!.body;
    expect(failure).not.toContain("10.1.2.3");
  });

  it("rejects a config without alert destinations with exit 2 and one line", async () => {
    await writeFile(join(dir, "tracelint.config.json"), JSON.stringify({ rules: {} }));
    const run = await runCli(args(join(dir, "report.json")), env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has no "alerts" section/);
  });

  it("says when there is no config file at all, rather than that a file it never read lacks a section", async () => {
    // The repository root (the tests' working directory) has no tracelint.config.json.
    const run = await runCli(["alert", join(dir, "report.json"), "--state", join(dir, "state.json")], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no config file: give --config FILE or put tracelint.config.json in the current directory");
  });

  it("a broken state file is a configuration error (exit 2, one line), not a delivery left pending (exit 1)", async () => {
    await writeFile(join(dir, "state.json"), "garbage\n");
    const run = await runCli(args(join(dir, "report.json")), env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^tracelint: alert state .*state\.json is not JSON; repair or move the file/);
    expect(receiver.requests).toHaveLength(0);
  });

  it("a state that cannot be saved does not cost the audit-failed alert: it is sent, then one line and exit 2", async () => {
    // The state's directory cannot be created (a file is in the way), as a root-owned volume
    // refuses the pod's user (EACCES): the save fails, not the delivery.
    await writeFile(join(dir, "blocked"), "a file, not a directory\n");
    const state = join(dir, "blocked", "alert-state.json");
    const run = await runCli(["alert", "--failed", "tracelint audit exited 2", "--config", join(dir, "tracelint.config.json"), "--state", state, "--attempts", "1"], env);
    expect(run.code).toBe(2);
    const kinds = receiver.requests.map((r) => (r.json as { alertKind: string }).alertKind);
    expect(kinds).toEqual(["audit-failed"]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr.split("\n").at(-1)).toBe(
      `tracelint: cannot save the alert state ${state} (a path component is not a directory, ENOTDIR): the alerts were still sent (1 delivered, 0 not delivered), but this run is not recorded, so the next run may send them again and undelivered ones are not kept for it; make the state's directory writable for this user (Kubernetes: the pod's securityContext.fsGroup)`,
    );
    // The same for a report's alerts.
    const report = await runCli(args(join(dir, "report.json")).map((a) => (a === join(dir, "state.json") ? state : a)), env);
    expect(report.code).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    expect(report.stderr.split("\n").at(-1)).toMatch(/^tracelint: cannot save the alert state .*ENOTDIR\): the alerts were still sent \(1 delivered, 0 not delivered\)/);
  });

  it.runIf(process.platform === "linux" && existsSync("/sys/kernel"))(
    "EACCES on the state's temporary file (sysfs refuses new files, even to root, like a root-owned volume to UID 1000): sent, one line, exit 2",
    async () => {
      const state = "/sys/kernel/tracelint-alert-state.json";
      const run = await runCli(["alert", "--failed", "tracelint audit exited 2", "--config", join(dir, "tracelint.config.json"), "--state", state, "--attempts", "1"], env);
      expect(run.code).toBe(2);
      expect(receiver.requests).toHaveLength(1);
      expect(run.stderr.split("\n").at(-1)).toMatch(/^tracelint: cannot save the alert state \/sys\/kernel\/tracelint-alert-state\.json \(permission denied, EACCES\): the alerts were still sent \(1 delivered, 0 not delivered\)/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it("--failed with a broken state file still sends the audit-failed alert and leaves the file as it is", async () => {
    await writeFile(join(dir, "state.json"), "garbage\n");
    const run = await runCli(args("--failed", "tracelint audit exited 2"), env);
    expect(run.code).toBe(2);
    expect(receiver.requests.map((r) => (r.json as { alertKind: string }).alertKind)).toEqual(["audit-failed"]);
    expect(run.stderr.split("\n").at(-1)).toMatch(
      /^tracelint: alert state .*state\.json is not JSON; the audit-failed alert was still sent without it \(1 delivered, 0 not delivered; not deduplicated against earlier runs, and undelivered alerts are not kept\) and the file was left as it is: repair or move it$/,
    );
    expect(await readFile(join(dir, "state.json"), "utf8")).toBe("garbage\n");
  });

  it("a report's alerts with an unreadable state: one line, exit 2, nothing sent (every finding would look new)", async () => {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir, "state.json"));
    const run = await runCli(args(join(dir, "report.json")), env);
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toBe(
      `tracelint: cannot read the alert state ${join(dir, "state.json")} (it is a directory, EISDIR); nothing sent: without it every finding would be sent as new. Make it readable, or move it`,
    );
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a --report-url that is not an http(s) URL", async () => {
    const run = await runCli(args(join(dir, "report.json"), "--report-url", "notaurl"), env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('tracelint: --report-url must be an http(s) URL (got "notaurl")');
  });
});

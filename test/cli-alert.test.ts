// `tracelint alert` end to end: a config with a signed generic webhook (URL and secret from the
// environment), a real receiver on 127.0.0.1, and the state file carrying the outbox between runs.
import { createHmac } from "node:crypto";
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

  it("refuses a --report-url that is not an http(s) URL", async () => {
    const run = await runCli(args(join(dir, "report.json"), "--report-url", "notaurl"), env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('tracelint: --report-url must be an http(s) URL (got "notaurl")');
  });
});

// The pieces `tracelint serve` and the Worker share: the 5-field cron parser, the deployment
// config (incl. the example in wrangler.toml), and the batch ledger that counts each batch once.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { auditsForCron, parseDeploymentConfig } from "../src/config/deployment";
import { cronMatches, nextFireTime, parseCron } from "../src/runs/cron";
import { CLAIM_LEASE_MS, completeBatch, MemoryRunCounter, newLedger } from "../src/runs/ledger";
import { splitBatches } from "../src/runs/tempo";

const next = (cron: string, after: string) => nextFireTime(parseCron(cron), new Date(after))?.toISOString();

describe("cron", () => {
  it("steps, ranges, lists and names", () => {
    expect(next("*/15 * * * *", "2026-03-02T10:07:30Z")).toBe("2026-03-02T10:15:00.000Z");
    expect(next("*/15 * * * *", "2026-03-02T10:15:00Z")).toBe("2026-03-02T10:30:00.000Z"); // strictly after
    expect(next("5/20 * * * *", "2026-03-02T10:26:00Z")).toBe("2026-03-02T10:45:00.000Z");
    expect(next("0 6 * * mon-fri", "2026-03-06T07:00:00Z")).toBe("2026-03-09T06:00:00.000Z"); // Fri → Mon
    expect(next("30 8,20 * * *", "2026-03-02T09:00:00Z")).toBe("2026-03-02T20:30:00.000Z");
    expect(next("0 0 1 jan,JUL *", "2026-03-02T00:00:00Z")).toBe("2026-07-01T00:00:00.000Z");
    expect(next("0 12 * * SUN", "2026-03-02T00:00:00Z")).toBe("2026-03-08T12:00:00.000Z");
    expect(next("0 0 29 feb *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
    expect(next("59 23 31 dec *", "2026-12-31T23:59:00Z")).toBe("2027-12-31T23:59:00.000Z");
  });

  it("day-of-month and day-of-week both restricted: either matches (Vixie cron)", () => {
    // 2026-03-13 is a Friday; the 15th a Sunday.
    expect(next("0 0 15 * fri", "2026-03-12T00:00:00Z")).toBe("2026-03-13T00:00:00.000Z");
    expect(next("0 0 15 * fri", "2026-03-13T00:00:00Z")).toBe("2026-03-15T00:00:00.000Z");
    expect(cronMatches(parseCron("0 0 15 * *"), new Date("2026-03-13T00:00:00Z"))).toBe(false);
  });

  it("never returns a time that does not match, and always one that does (sampled)", () => {
    for (const cron of ["*/7 3-5 * * tue,thu", "0 */6 1-10 * *", "15 2 * mar-may mon"]) {
      const schedule = parseCron(cron);
      let t = new Date("2026-01-01T00:00:00Z");
      for (let i = 0; i < 20; i++) {
        const fire = nextFireTime(schedule, t)!;
        expect(cronMatches(schedule, fire)).toBe(true);
        // No matching minute was skipped between t and fire.
        for (let m = t.getTime() + 60_000 - (t.getTime() % 60_000); m < fire.getTime() && m < t.getTime() + 86_400_000; m += 60_000) {
          expect(cronMatches(schedule, new Date(m))).toBe(false);
        }
        t = fire;
      }
    }
  });

  it("rejects what would mean different things on Cloudflare and Unix cron, and malformed fields", () => {
    expect(() => parseCron("0 6 * * 1-5")).toThrow("day-of-week: use names (sun, mon, … sat), not \"1\": Cloudflare counts weekdays 1-7 from Sunday, Unix cron 0-6");
    expect(() => parseCron("0 0 L * *")).toThrow("day-of-month: \"L\" uses a Quartz extension (L, W, #, ?) that only Cloudflare understands");
    expect(() => parseCron("0 0 * * mon#2")).toThrow(/Quartz extension/);
    expect(() => parseCron("0 0 * *")).toThrow('expected 5 fields (minute hour day-of-month month day-of-week), got 4 in "0 0 * *"');
    expect(() => parseCron("60 * * * *")).toThrow("minute: 60 is outside 0-59");
    expect(() => parseCron("*/0 * * * *")).toThrow('minute: step "0" must be a positive number');
    expect(() => parseCron("0 20-8 * * *")).toThrow('hour: range "20-8" runs backwards');
    expect(() => parseCron("0 0 * foo *")).toThrow('month: "foo" is not a number or a name');
  });
});

function config(audits: unknown[]): string {
  return JSON.stringify({ audits });
}
const tempo = { kind: "tempo", url: "http://127.0.0.1:3200" };

describe("deployment config", () => {
  it("the example in wrangler.toml is valid and dispatches by cron", async () => {
    const toml = await readFile(new URL("../wrangler.toml", import.meta.url), "utf8");
    const json = /TRACELINT_CONFIG = '''\n([\s\S]*?)'''/.exec(toml)![1]!;
    const parsed = parseDeploymentConfig(json);
    expect(parsed.audits.map((a) => [a.name, a.cron])).toEqual([
      ["estate", "*/30 * * * *"],
      ["checkout-daily", "0 6 * * mon-fri"],
    ]);
    const crons = JSON.parse(/crons = (\[.*\])/.exec(toml)![1]!) as string[];
    for (const audit of parsed.audits) expect(crons).toContain(audit.cron);
    expect(auditsForCron(parsed, "0 6 * * mon-fri").map((a) => a.name)).toEqual(["checkout-daily"]);
    expect(parsed.audits[0]!.source).toMatchObject({ since: "30m", ingestionDelay: "5m", concurrency: 4, credentials: {} });
    expect(parsed.audits[0]!.fanOut).toEqual({ inlineMaxTraces: 200, batchSize: 50 });
  });

  it("the Kubernetes example's ConfigMap holds a valid config", async () => {
    const yaml = await readFile(new URL("../docs/examples/k8s/deployment.yaml", import.meta.url), "utf8");
    const block = /deployment\.json: \|\n([\s\S]*?)\n---/.exec(yaml)![1]!;
    const parsed = parseDeploymentConfig(block.split("\n").map((l) => l.slice(4)).join("\n"), "deployment.yaml");
    expect(parsed.audits.map((a) => `${a.name} ${a.cron}`)).toEqual(["prod */30 * * * *", "prod-daily 0 6 * * mon-fri"]);
  });

  it("accepts a [vars] table (an object) as well as a JSON string", () => {
    expect(parseDeploymentConfig({ audits: [{ name: "a", source: tempo }] }).audits[0]!.name).toBe("a");
  });

  it("one clear message naming the path for each kind of mistake", () => {
    expect(() => parseDeploymentConfig(undefined)).toThrow("TRACELINT_CONFIG is not set");
    expect(() => parseDeploymentConfig("{nope")).toThrow(/^TRACELINT_CONFIG: not valid JSON/);
    expect(() => parseDeploymentConfig(config([]))).toThrow("TRACELINT_CONFIG: audits: configure at least one audit");
    expect(() => parseDeploymentConfig(config([{ name: "a", cron: "0 6 * * 1", source: tempo }]))).toThrow(
      'TRACELINT_CONFIG: audits.0.cron: day-of-week: use names (sun, mon, … sat), not "1"',
    );
    expect(() => parseDeploymentConfig(config([{ name: "a", source: tempo }, { name: "a", source: tempo }]))).toThrow('TRACELINT_CONFIG: audits.1.name: duplicate audit name "a"');
    expect(() => parseDeploymentConfig(config([{ name: "a", source: { ...tempo, since: "soon" } }]))).toThrow("TRACELINT_CONFIG: audits.0.source.since: expected a duration like 90s, 15m, 1h, 1d");
    expect(() => parseDeploymentConfig(config([{ name: "a", source: { ...tempo, concurrency: 7 } }]))).toThrow(/audits\.0\.source\.concurrency: Too big/);
    expect(() => parseDeploymentConfig(config([{ name: "a", source: tempo, rules: { "no-such-rule": "error" } }]))).toThrow(
      /^TRACELINT_CONFIG: audits\.0: rules\.no-such-rule: unknown rule/,
    );
    expect(() => parseDeploymentConfig(config([{ name: "a", source: { ...tempo, token: "x" } }]))).toThrow(/audits\.0\.source: Unrecognized key: "token"/);
  });
});

describe("batch ledger", () => {
  it("counts each batch once and elects exactly one finaliser", async () => {
    const counter = new MemoryRunCounter(() => 1_000);
    await counter.start("r", ["b1", "b2", "b3"]);
    expect(await counter.complete("r", "b1")).toEqual({ counted: true, done: 1, total: 3, finalize: false });
    expect(await counter.complete("r", "b1")).toEqual({ counted: false, done: 1, total: 3, finalize: false });
    expect(await counter.complete("r", "b9")).toEqual({ counted: false, done: 1, total: 3, finalize: false });
    expect(await counter.complete("r", "b2")).toEqual({ counted: true, done: 2, total: 3, finalize: false });
    expect(await counter.complete("r", "b3")).toEqual({ counted: true, done: 3, total: 3, finalize: true });
    // Another batch re-delivered while b3's consumer merges: not elected.
    expect((await counter.complete("r", "b2")).finalize).toBe(false);
    expect(await counter.isCompleted("r", "b2")).toBe(true);
    await counter.finalized("r");
    expect((await counter.complete("r", "b3")).finalize).toBe(false);
    await counter.start("r", ["x"]); // a second start does not reset the run
    expect(await counter.progress("r")).toEqual({ total: 3, done: 3 });
  });

  it("a failed merger's own retry, or anyone after the lease, may take over", () => {
    let state = newLedger(["b1", "b2"]);
    state = completeBatch(state, "b1", 0).state;
    const last = completeBatch(state, "b2", 0);
    expect(last.result.finalize).toBe(true);
    expect(completeBatch(last.state, "b2", 1_000).result.finalize).toBe(true); // same batch retried
    expect(completeBatch(last.state, "b1", 1_000).result.finalize).toBe(false);
    expect(completeBatch(last.state, "b1", CLAIM_LEASE_MS + 1).result.finalize).toBe(true);
  });

  it("batches respect the size and the queue's message byte limit", () => {
    const candidates = Array.from({ length: 23 }, (_, i) => ({ traceId: i.toString(16).padStart(32, "0"), start: 1_700_000_000, end: 1_700_003_600 }));
    expect(splitBatches(candidates, 10).map((b) => b.length)).toEqual([10, 10, 3]);
    const bytes = JSON.stringify(candidates[0]).length + 1;
    const small = splitBatches(candidates, 100, 200 + bytes * 4);
    expect(small.map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 3]);
    expect(small.flat()).toEqual(candidates);
  });
});

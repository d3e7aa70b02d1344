// Plants one canary value per detector category in every place the PII rule scans, runs the real
// CLI (JSON and Markdown, stdout and --out files), and asserts that no canary — nor its secret core —
// appears anywhere in the output, the written files, stderr or console logs, while every category is
// still found under the right subject.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { runCli } from "./support/cli";

const JWT_SIG = "C4n4ryS1gnatureXyZ0123456789abcdefGHIJKL";
const JWT = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYW5hcnkifQ.${JWT_SIG}`;

/** category → [planted value, distinctive fragments that must never appear]. */
const CANARIES: Record<string, [string, string[]]> = {
  email: ["canary.leak@example.org", ["canary.leak"]],
  "credit-card": ["4000056655665556", ["4000056655665556", "5665 5665"]],
  iban: ["GB33BUKB20201555555555", ["GB33BUKB20201555555555", "20201555555555"]],
  "us-ssn": ["078-05-1120", ["078-05-1120"]],
  phone: ["+33 1 42 68 53 00", ["42 68 53 00", "33142685300"]],
  jwt: [JWT, [JWT_SIG, "eyJzdWIiOiJjYW5hcnkifQ"]],
  "bearer-token": ["Bearer c4n4ryT0kenABCDEFGH12345", ["c4n4ryT0ken"]],
  "basic-auth": ["Basic Y2FuYXJ5dXNlcjpjYW5hcnlwYXNz", ["Y2FuYXJ5dXNlcjpjYW5hcnlwYXNz", "canarypass"]],
  "api-key": ["AKIAC4N4RY0000000000", ["C4N4RY0000000000"]],
  "url-credentials": ["https://canaryuser:canarypass@db.example.net/x", ["canaryuser", "canarypass"]],
  "secret-param": ["/login?password=canaryPass123", ["canaryPass123"]],
  "ip-address": ["198.51.100.77", ["198.51.100.77"]],
};
const OPAQUE_SECRET = "opaqueCanary99";

const EXPECTED_SUBJECTS = ["canary.list", "canary.value", "event.canary.value", "event.name", "link.canary.value", "resource.canary.value", "span.name", "status.message"];

function plantedTraces(): Uint8Array {
  const rec = new TraceRecorder({ seed: 5 });
  let t = 0;
  for (const [category, [value]] of Object.entries(CANARIES)) {
    const tracer = rec.tracer(`svc-${category}`, { resource: { "canary.value": value } });
    const upstream = tracer.startSpan("upstream", { kind: SpanKind.INTERNAL, startTime: rec.time(t) });
    const span = tracer.startSpan(`handle ${value}`, {
      kind: SpanKind.SERVER,
      startTime: rec.time(t + 1),
      attributes: { "canary.value": value, "canary.list": ["ok", value], "app.password": OPAQUE_SECRET },
      links: [{ context: upstream.spanContext(), attributes: { "canary.value": value } }],
    });
    span.addEvent(`saw ${value}`, { "canary.value": value }, rec.time(t + 2));
    span.setStatus({ code: SpanStatusCode.ERROR, message: `failed for ${value}` });
    span.end(rec.time(t + 3));
    upstream.end(rec.time(t + 4));
    t += 10;
  }
  return rec.toOtlpJson();
}

describe("PII canaries never reach any output", () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tracelint-canary-"));
    input = join(dir, "canaries.json");
    await writeFile(input, plantedTraces());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds every category in every scanned place and prints none of the values", async () => {
    const logged: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      }),
    );
    try {
      const json = await runCli(["check", input, "--format", "json"]);
      const md = await runCli(["check", input, "--format", "md"]);
      const jsonOut = await runCli(["check", input, "--format", "json", "--out", join(dir, "report.json")]);
      const mdOut = await runCli(["check", input, "--format", "md", "--out", join(dir, "report.md")]);
      const files = [await readFile(join(dir, "report.json"), "utf8"), await readFile(join(dir, "report.md"), "utf8")];
      const outputs = [json.stdout, json.stderr, md.stdout, md.stderr, jsonOut.stdout, jsonOut.stderr, mdOut.stdout, mdOut.stderr, ...files, ...logged];
      expect(json.stdout.length).toBeGreaterThan(1000);
      expect(md.stdout).toContain("## Details");

      for (const [category, [value, fragments]] of Object.entries(CANARIES)) {
        for (const needle of [value, ...fragments]) {
          for (const output of outputs) expect(output.includes(needle), `${category} canary fragment leaked`).toBe(false);
        }
      }
      for (const output of outputs) expect(output.includes(OPAQUE_SECRET)).toBe(false);

      const report = JSON.parse(json.stdout) as { findings: { ruleId: string; service: string; subject: string; category: string; examples: { evidence?: string }[]; fix?: string }[] };
      const pii = report.findings.filter((f) => f.ruleId === "pii-in-attributes");
      for (const category of Object.keys(CANARIES)) {
        const mine = pii.filter((f) => f.service === `svc-${category}`);
        const subjects = mine.filter((f) => f.category === category).map((f) => f.subject).sort();
        expect(subjects, category).toEqual(EXPECTED_SUBJECTS);
        // The opaque value under a secret-named key is found by its key alone.
        expect(mine.filter((f) => f.category === "secret-key").map((f) => f.subject)).toEqual(["app.password"]);
        for (const f of mine) {
          expect(f.examples[0]!.evidence, `${category} ${f.subject}`).toMatch(/\*|…|x\.x/);
          expect(f.fix, `${category} ${f.subject}`).toMatch(/^Fix at the source/);
        }
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

// Trace data is attacker-controlled and may carry personal data in places no detector scans as an
// attribute: the service name itself, Tempo's partial-trace message, a malformed ID, the keys of a
// document that is not a trace. None of it may reach a report or the terminal raw (found by a
// security review of every output). SDK-recorded traces, plus tiny hand-written documents (named so)
// for shapes no SDK produces.
import { SpanKind } from "@opentelemetry/api";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { safeLine } from "../src/alerts/text";
import { mdCode, mdText } from "../src/report/markdown-escape";
import { showControl } from "../src/util/control";
import { ReportSchema } from "../src/report/schema";
import { runCli } from "./support/cli";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-hostile-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RAW = /4111111111111111|canary\.svc@gmail\.com|canary\.partial@gmail\.com|canary\.malid@gmail\.com/;

async function checkAll(file: string) {
  const outputs: string[] = [];
  let json;
  for (const format of ["json", "md", "html"]) {
    const run = await runCli(["check", file, "--format", format, "--fail-on", "never"]);
    expect(run.code).toBe(0);
    outputs.push(run.stdout, run.stderr);
    if (format === "json") json = ReportSchema.parse(JSON.parse(run.stdout));
  }
  return { outputs, report: json! };
}

describe("personal data outside attributes never reaches a report", () => {
  it("masks it in service names, wherever they are quoted (findings, scores, coverage, snippets)", async () => {
    const rec = new TraceRecorder({ seed: 41 });
    const frontend = rec.tracer("frontend canary.svc@gmail.com");
    // The SDK's fallback with a process name: reported by missing-service-name under its own name.
    rec.tracer("unknown_service:canary.svc@gmail.com", { scopeName: "batch" }).startSpan("job", { startTime: rec.time(900) }).end(rec.time(901));
    const payments = rec.tracer("payments 4111111111111111");
    for (let i = 0; i < 3; i++) {
      const root = frontend.startSpan("GET /checkout/12345", { kind: SpanKind.SERVER, startTime: rec.time(i * 100), attributes: { "http.request.method": "GET", "url.path": "/checkout/12345" } });
      const call = frontend.startSpan("POST", { kind: SpanKind.CLIENT, startTime: rec.time(i * 100 + 1), attributes: { "http.request.method": "POST", "peer.service": "payments 4111111111111111" } }, rec.within(root));
      payments.startSpan("POST /charge", { kind: SpanKind.SERVER, startTime: rec.time(i * 100 + 2) }, rec.extract(rec.inject(call))).end(rec.time(i * 100 + 3));
      call.end(rec.time(i * 100 + 4));
      root.end(rec.time(i * 100 + 5));
    }
    const file = join(dir, "services.otlp.json");
    await writeFile(file, rec.toOtlpJson());
    const { outputs, report } = await checkAll(file);
    for (const output of outputs) expect(output).not.toMatch(RAW);
    const services = new Set(report.findings.map((f) => f.service));
    expect(services).toEqual(new Set(["frontend c***@g***.com", "payments **** **** **** 1111", "unknown_service:c***@g***.com"]));
    // The raw value is still a finding of the PII rule, masked.
    expect(report.findings.filter((f) => f.ruleId === "pii-in-attributes").map((f) => [f.subject, f.category])).toEqual(
      expect.arrayContaining([["resource.service.name", "email"], ["resource.service.name", "credit-card"]]),
    );
    // The Collector snippet cannot select a masked name; it selects by span kind and pattern only.
    const snippet = report.findings.find((f) => f.ruleId === "span-name-convention")!.fix!;
    expect(snippet).toContain("where kind == SPAN_KIND_SERVER'");
    expect(snippet).not.toContain('resource.attributes["service.name"]');
    // peer.service names the masked service: the call still resolves to it.
    expect(report.coverage!.edges).toEqual([{ from: "frontend c***@g***.com", to: "payments **** **** **** 1111", propagated: 3, total: 3, splitTraces: 0 }]);
  });

  it("masks it in Tempo's partial-trace message and in malformed IDs (hand-written tiny documents)", async () => {
    const partial = join(dir, "handwritten-tempo-partial.json");
    await writeFile(
      partial,
      JSON.stringify({
        trace: {
          resourceSpans: [
            {
              resource: { attributes: [{ key: "service.name", value: { stringValue: "gateway" } }] },
              scopeSpans: [{ spans: [{ traceId: "AAAAAAAAAAAAAAAAAAAAAQ==", spanId: "AAAAAAAAAAE=", name: "GET /", kind: "SPAN_KIND_SERVER", startTimeUnixNano: "1000", endTimeUnixNano: "2000" }] }],
            },
          ],
        },
        status: "PARTIAL",
        message: "trace of canary.partial@gmail.com exceeds the maximum size",
      }),
    );
    const malformed = join(dir, "handwritten-malformed-id.otlp.json");
    const longId = `canary.malid@gmail.com/${"x".repeat(500)}`;
    await writeFile(
      malformed,
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "gateway" } }] },
            scopeSpans: [{ spans: [{ traceId: longId, spanId: "00f067aa0ba902b7", name: "GET /", kind: 2, startTimeUnixNano: "1000", endTimeUnixNano: "2000" }] }],
          },
        ],
      }),
    );
    const fromPartial = await checkAll(partial);
    for (const output of fromPartial.outputs) expect(output).not.toMatch(RAW);
    expect(fromPartial.report.findings.find((f) => f.ruleId === "partial-trace")!.message).toBe(
      "Trace was returned only in part (trace of c***@g***.com exceeds the maximum size); missing-span checks were skipped for it.",
    );
    const fromMalformed = await checkAll(malformed);
    for (const output of fromMalformed.outputs) expect(output).not.toMatch(RAW);
    const example = fromMalformed.report.findings.find((f) => f.ruleId === "invalid-span-context")!.examples[0]!;
    expect(example.traceId).toBe(`c***@g***.com/${"x".repeat(50)}`);
    expect(example.traceId).toHaveLength(64);
  });
});

describe("control characters from trace data never reach the terminal", () => {
  it("shows them as escapes on stderr (a fake summary line and a title change in the keys of a non-trace document)", async () => {
    const file = join(dir, "handwritten-not-a-trace.json");
    await writeFile(file, JSON.stringify({ "\r\ntracelint: 0 traces; all clean\u001b]0;owned\u0007": 1 }));
    const run = await runCli(["check", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/[\r\u001b\u0007]/);
    // The key is clipped at 40 characters: the forged line stays inside the real one.
    expect(run.stderr.split("\n")[0]).toContain("keys: \\x0d\\x0atracelint: 0 traces; all clean\\x1b]0;owne…)");
  });

  it("replaces them in Markdown text and code", () => {
    expect(mdText("svc\u001b[31m\tred")).toBe("svc\uFFFD\\[31m red");
    expect(mdCode("a\u001b]8;;http://x\u0007b")).toBe("`a\uFFFD]8;;http://x\uFFFDb`");
  });
});

describe("bidi controls from trace data never reorder what a reader sees (Trojan Source)", () => {
  // "payments\u202Etnuocca-nimda" renders as "paymentsadmin-account"; an isolate can hide the rest of a line.
  const SPOOFS = ["payments\u202etnuocca-nimda", "GET /orders/\u2066{id}\u2069\u200f"];
  const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it("replaces them in the Markdown and HTML reports and shows them as escapes in alerts and on stderr", async () => {
    const rec = new TraceRecorder({ seed: 43 });
    const svc = rec.tracer(SPOOFS[0]!);
    // Names that differ only in their ID make a high-cardinality finding that quotes the span name.
    for (let i = 0; i < 60; i++) svc.startSpan(`${SPOOFS[1]!} ${1000 + i * 7919}`, { kind: SpanKind.SERVER, startTime: rec.time(i * 10) }).end(rec.time(i * 10 + 1));
    const file = join(dir, "bidi.otlp.json");
    await writeFile(file, rec.toOtlpJson());
    const { outputs, report } = await checkAll(file);
    // The JSON report is data: it keeps names as they are (in the service name, and in the span names quoted).
    expect(report.findings.some((f) => BIDI.test(f.service))).toBe(true);
    const [, jsonStderr, md, mdStderr, html, htmlStderr] = outputs;
    for (const text of [jsonStderr, md, mdStderr, html, htmlStderr]) expect(text).not.toMatch(BIDI);
    expect(md).toContain("payments\uFFFDtnuocca-nimda");
    expect(html).toContain("payments\uFFFDtnuocca-nimda");
    expect(showControl(SPOOFS[1]!)).toBe("GET /orders/\\u2066{id}\\u2069\\u200f");
    expect(safeLine(`${SPOOFS[0]!}: new finding`, 200)).toBe("paymentstnuocca-nimda: new finding");
  });
});

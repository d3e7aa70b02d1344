// Decoding real Tempo output (AGPL test data, read in place from ../shared, never copied): the
// facts asserted here were read from the files independently (see upstream-data/tempo/README.md).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { decodeInput } from "../src/decode/index";
import { resolveConfig } from "../src/engine/config";
import { checkInputs } from "../src/pipeline/check";
import { SpanKind, StatusCode, type Span } from "../src/model/span";
import { Trace } from "../src/model/trace";

const API_JSON = new URL("../../shared/upstream-data/tempo/tempo-api-json/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, API_JSON));

function traces(spans: Span[]): Trace[] {
  const byId = new Map<string, Span[]>();
  for (const span of spans) byId.set(span.traceId, [...(byId.get(span.traceId) ?? []), span]);
  return [...byId].map(([id, list]) => new Trace(id, list));
}

describe("tempo-vulture trace (gogo-jsonpb, what /api/v2/traces puts under \"trace\")", () => {
  it("decodes 6 spans of tempo-vulture, 2 of them without a parent", async () => {
    const decoded = await decodeInput(read("vulture-trace.gogo-jsonpb.json"), { name: "vulture" });
    expect(decoded.format).toBe("tempo-json");
    expect(decoded.errors).toEqual([]);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.spans).toHaveLength(6);
    expect(new Set(decoded.spans.map((s) => s.service))).toEqual(new Set(["tempo-vulture"]));
    expect(decoded.spans.filter((s) => s.parentSpanId === "")).toHaveLength(2);
    const [trace] = traces(decoded.spans);
    expect(trace!.traceId).toBe(Buffer.from("MUkZX/sL7AU0e0jv6OzBsA==", "base64").toString("hex"));
    expect(trace!.roots.map((s) => s.name).sort()).toEqual(["vulture-36", "vulture-68"]);
    expect(trace!.topSpans).toEqual([]);
    // Omitted kind and status code mean unspecified/unset; int64 attributes arrive as strings.
    const first = decoded.spans[0]!;
    expect(first).toMatchObject({ name: "vulture-68", kind: SpanKind.UNSPECIFIED, status: { code: StatusCode.UNSET, message: "" } });
    expect(first.resource.attributes.get("vulture-process-int-01")).toBe(164005);
    expect(first.endTimeUnixNano - first.startTimeUnixNano).toBe(92000n);
  });
});

// Span, trace and batch counts per file, and the services in each, as read from the raw JSON.
const SERVICEGRAPHS: { file: string; spans: number; traces: number; services: string[] }[] = [
  { file: "trace-with-both-db-attributes.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-db-namespace.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-db-system-and-system-name.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-db-system-name.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-expired-edges.json", spans: 5, traces: 1, services: ["mythical-requester", "mythical-server"] },
  { file: "trace-with-failed-requests.json", spans: 15, traces: 1, services: ["mythical-requester", "mythical-server"] },
  { file: "trace-with-queue-database.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-queue-database2.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-queue-database3.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-queue-database4.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-queue-database5.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
  { file: "trace-with-virtual-nodes.json", spans: 3, traces: 2, services: ["internal-consumer", "mythical-requester", "mythical-server"] },
  { file: "trace-without-database-name.json", spans: 19, traces: 1, services: ["mythical-recorder", "mythical-requester", "mythical-server"] },
];

describe("servicegraphs test data (Tempo API JSON with enum names)", () => {
  it.each(SERVICEGRAPHS)("$file: $spans spans in $traces trace(s), no errors", async ({ file, spans, traces: traceCount, services }) => {
    const decoded = await decodeInput(read(`servicegraphs/${file}`), { name: file });
    expect(decoded.format).toBe("tempo-json");
    expect(decoded.errors).toEqual([]);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.spans).toHaveLength(spans);
    expect(traces(decoded.spans)).toHaveLength(traceCount);
    expect([...new Set(decoded.spans.map((s) => s.service))].sort()).toEqual(services);
    for (const span of decoded.spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("trace-with-expired-edges: exactly one span points at a parent missing from its trace", async () => {
    const decoded = await decodeInput(read("servicegraphs/trace-with-expired-edges.json"), { name: "expired" });
    const [trace] = traces(decoded.spans);
    expect(trace!.topSpans.map((s) => [s.name, s.parentSpanId])).toEqual([["unmatched", "e606579e57787587"]]); // base64 5gZXnld4dYc=
    expect(trace!.spanById.has("e606579e57787587")).toBe(false);
  });

  it("trace-with-failed-requests: error status and kinds come from enum names", async () => {
    const decoded = await decodeInput(read("servicegraphs/trace-with-failed-requests.json"), { name: "failed" });
    const count = (values: number[]) => Object.fromEntries([...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length]));
    expect(count(decoded.spans.map((s) => s.status.code))).toEqual({ [StatusCode.UNSET]: 9, [StatusCode.OK]: 3, [StatusCode.ERROR]: 3 });
    expect(count(decoded.spans.map((s) => s.kind))).toEqual({ [SpanKind.INTERNAL]: 8, [SpanKind.SERVER]: 1, [SpanKind.CLIENT]: 6 });
  });
});

describe("pkg/tempopb hand-written v1 body (hex-looking IDs in a base64 format)", () => {
  it("reads the IDs as hex and warns that Tempo itself would not", async () => {
    const decoded = await decodeInput(read("pkg-tempopb-trace.v1-batches.handwritten.json"), { name: "handwritten" });
    expect(decoded.format).toBe("tempo-json");
    expect(decoded.errors).toEqual([]);
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.spans[0]).toMatchObject({
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      parentSpanId: "eee19b7ec3c1b173",
      service: "my.service",
      kind: SpanKind.SERVER,
      startTimeUnixNano: 1544712660000000000n,
    });
    expect(decoded.spans[0]!.scope.attributes.get("my.scope.attribute")).toBe("some scope attribute");
    expect(decoded.warnings).toEqual([
      "2 ID(s) are hex in a Tempo-encoded (base64) document; decoded as hex (Tempo itself would read them as base64 of the wrong length)",
    ]);
  });

  it("lists that warning with the input problems of a check (QA, session 6: it was dropped)", async () => {
    const report = await checkInputs([{ name: "handwritten.json", read: async () => read("pkg-tempopb-trace.v1-batches.handwritten.json") }], resolveConfig({}, builtinRules));
    expect(report.summary.spans).toBe(1);
    expect(report.summary.inputErrors).toEqual([
      { file: "handwritten.json", message: "2 ID(s) are hex in a Tempo-encoded (base64) document; decoded as hex (Tempo itself would read them as base64 of the wrong length)" },
    ]);
  });
});

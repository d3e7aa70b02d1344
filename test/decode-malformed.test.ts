// Malformed inputs: each one gives a DecodeError that says what is wrong (never quoting the data),
// and `check` records it against that input and goes on with the others.
import { SpanKind as ApiKind } from "@opentelemetry/api";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { seededRandom, TraceRecorder } from "../fixtures/lib/recorder";
import { decodeInput, DecodeError } from "../src/decode/index";
import { resolveConfig } from "../src/engine/config";
import { checkInputs } from "../src/pipeline/check";

const utf8 = new TextEncoder();

function goodTrace(): Uint8Array {
  const rec = new TraceRecorder({ seed: 5 });
  const shop = rec.tracer("shop");
  const root = shop.startSpan("GET /", { kind: ApiKind.SERVER, startTime: rec.time(0) });
  shop.startSpan("SELECT", { kind: ApiKind.CLIENT, startTime: rec.time(1) }, rec.within(root)).end(rec.time(2));
  root.end(rec.time(3));
  return rec.toOtlpProtobuf();
}

function randomBytes(seed: number, length: number): Uint8Array {
  const next = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

const good = goodTrace();
const truncatedLength = (() => {
  // The first batch's declared length (varint after the 0x0a tag), for the expected message.
  let value = 0;
  for (let i = 1, shift = 0; ; i++, shift += 7) {
    value |= (good[i]! & 0x7f) << shift;
    if (good[i]! < 0x80) return value;
  }
})();
// Hand-written JSON edge cases (tiny, inline): each is a shape no producer should send.
const nonArraySpans = '{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":{"0":{"name":"x"}}}]}]}';
const secretInBrokenJson = '{"resourceSpans":[{"resource":{"attributes":[{"key":"user.email","value":alice@example.com}]}}]}';

/** Each malformed input and the exact message `check` records for it (the name prefix stripped). */
const CASES: { name: string; bytes: Uint8Array; message: string | RegExp }[] = [
  {
    name: "truncated.pb",
    bytes: good.subarray(0, 40),
    message: `not a valid OTLP trace protobuf: resourceSpans[0]: length ${truncatedLength} runs past the end of the data (truncated) at byte 1`,
  },
  { name: "wire-type.pb", bytes: new Uint8Array([0x08, 0x01]), message: "not a valid OTLP trace protobuf: field 1 has wire type 0, which it never uses at byte 1" },
  // Seed 7's first byte is 0x02: field number 0 (wire type 2), which no message has, so not protobuf at all.
  {
    name: "random.bin",
    bytes: randomBytes(7, 512),
    message: "not a trace format: binary data that is neither JSON nor protobuf (first byte 0x02; OTLP protobuf starts with 0x0a)",
  },
  // Tempo's answer to /api/v2/traces/nothex, piped into `check -`; the text itself is never quoted.
  {
    name: "(stdin)",
    bytes: utf8.encode("trace IDs can only contain hex characters: invalid character 'n' at position 1\n"),
    message: "not a trace format: looks like plain text (an error page or log?)",
  },
  { name: "app.log", bytes: utf8.encode("2026-01-01T10:00:00Z \x1b[31mERROR\x1b[0m payment failed for alice, retrying\n".repeat(20)), message: "not a trace format: looks like plain text (an error page or log?)" },
  { name: "invalid.json", bytes: utf8.encode('{"resourceSpans": ['), message: "invalid JSON: unexpected end of input" },
  { name: "leaky.json", bytes: utf8.encode(secretInBrokenJson), message: "invalid JSON: syntax error" },
  { name: "prometheus.json", bytes: utf8.encode('{"status":"success","data":[]}'), message: 'not a trace document (no "resourceSpans", "batches" or "trace"; keys: status, data)' },
  // A map keyed by user data: the keys are quoted to say what the document is, masked and shortened.
  {
    name: "by-user.json",
    bytes: utf8.encode(JSON.stringify({ "alice.smith@example.com": 1, ["x".repeat(60)]: 2 })),
    message: `not a trace document (no "resourceSpans", "batches" or "trace"; keys: a***@e***.com, ${"x".repeat(40)}…)`,
  },
  {
    name: "login.html",
    bytes: utf8.encode("\n<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"),
    message: "input looks like HTML or XML, not trace data (a login page or proxy error?)",
  },
  { name: "empty.json", bytes: new Uint8Array(), message: "input is empty" },
  { name: "blank.json", bytes: utf8.encode(" \n\t\n"), message: "input is empty" },
  { name: "corrupt.gz", bytes: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, ...randomBytes(3, 64)]), message: /^corrupt gzip data \(.+\)$/ },
  {
    name: "truncated.pb.gz",
    bytes: gzipSync(good.subarray(0, 40)),
    message: `not a valid OTLP trace protobuf: resourceSpans[0]: length ${truncatedLength} runs past the end of the data (truncated) at byte 1`,
  },
  {
    name: "spans-object.json",
    bytes: utf8.encode(nonArraySpans),
    message: "nothing readable: resourceSpans[0].scopeSpans[0].spans: expected an array, got object",
  },
];

describe("malformed inputs", () => {
  it.each(CASES)("$name → DecodeError naming the problem", async ({ name, bytes, message }) => {
    const error = await decodeInput(bytes, { name }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DecodeError);
    const text = (error as DecodeError).message;
    expect(text.startsWith(`${name}: `)).toBe(true);
    if (typeof message === "string") expect(text).toBe(`${name}: ${message}`);
    else expect(text.slice(name.length + 2)).toMatch(message);
    expect(text).not.toContain("alice");
  });

  it("refuses input over maxBytes, before and after gunzip", async () => {
    await expect(decodeInput(good, { name: "big.pb", maxBytes: 100 })).rejects.toThrow(`big.pb: input is ${good.byteLength} bytes, over the limit of 100 bytes`);
    const bomb = gzipSync(new Uint8Array(100_000));
    expect(bomb.byteLength).toBeLessThan(1000);
    await expect(decodeInput(bomb, { name: "bomb.gz", maxBytes: 1000 })).rejects.toThrow("bomb.gz: gzip body inflates to more than 1000 bytes");
  });

  it("states round limits in MiB/KiB (the default reads 512 MiB, not 536870912 bytes)", async () => {
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    await expect(decodeInput(big, { name: "big.pb", maxBytes: 2 * 1024 * 1024 })).rejects.toThrow(`big.pb: input is ${big.byteLength} bytes, over the limit of 2 MiB`);
    await expect(decodeInput(gzipSync(new Uint8Array(3 * 1024)), { name: "kib.gz", maxBytes: 2048 })).rejects.toThrow("kib.gz: gzip body inflates to more than 2 KiB");
  });

  it("still decodes a protobuf whose first attribute is a long text (not taken for plain text)", async () => {
    const rec = new TraceRecorder({ seed: 9 });
    const shop = rec.tracer("shop", { resource: { "process.command_line": `node server.js ${"--flag=value ".repeat(400)}` } });
    shop.startSpan("GET /", { kind: ApiKind.SERVER, startTime: rec.time(0) }).end(rec.time(1));
    const decoded = await decodeInput(rec.toOtlpProtobuf(), { name: "long-attr.pb" });
    expect(decoded.format).toBe("otlp-proto");
    expect(decoded.spans.map((s) => s.name)).toEqual(["GET /"]);
  });

  it("decodes a gzip'd protobuf (gunzip first, then sniff)", async () => {
    const gz = gzipSync(good);
    const decoded = await decodeInput(gz, { name: "trace.pb.gz" });
    expect(decoded.format).toBe("otlp-proto");
    expect(decoded.spans.map((s) => s.name).sort()).toEqual(["GET /", "SELECT"]);
    expect(decoded.bytes).toEqual({ raw: gz.byteLength, decoded: good.byteLength });
  });

  it("keeps the good batch of a JSON document whose other batch has non-array spans", async () => {
    const good = '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ok"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"fine"}]}]}';
    const bad = '{"resource":{},"scopeSpans":[{"spans":"nope"}]}';
    const decoded = await decodeInput(utf8.encode(`{"resourceSpans":[${bad},${good}]}`), { name: "mixed.json" });
    expect(decoded.spans.map((s) => `${s.service}/${s.name}`)).toEqual(["ok/fine"]);
    expect(decoded.errors).toEqual(["resourceSpans[0].scopeSpans[0].spans: expected an array, got string (batch skipped)"]);
  });

  it("skips only the batch of a JSON attribute nested 5 000 levels deep (it overflowed the stack and lost the file)", async () => {
    let value = '{"stringValue":"x"}';
    for (let i = 0; i < 5000; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const good = '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ok"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"fine"}]}]}';
    const deep = `{"resource":{},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4737","spanId":"00f067aa0ba902b8","name":"deep","attributes":[{"key":"k","value":${value}}]}]}]}`;
    const decoded = await decodeInput(utf8.encode(`{"resourceSpans":[${deep},${good}]}`), { name: "deep.json" });
    expect(decoded.spans.map((s) => `${s.service}/${s.name}`)).toEqual(["ok/fine"]);
    expect(decoded.errors).toEqual(["resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value…: values nested deeper than 32 levels (batch skipped)"]);
  });
});

describe("check goes on past bad inputs", () => {
  it("lists every bad input by name and analyses the good one", async () => {
    const inputs = [...CASES, { name: "good.pb", bytes: good, message: "" }].map(({ name, bytes }) => ({ name, read: async () => bytes }));
    const report = await checkInputs(inputs, resolveConfig({}, []), { now: new Date("2026-01-02T00:00:00Z") });
    expect(report.summary.files).toBe(CASES.length + 1);
    expect(report.summary.spans).toBe(2);
    expect(report.summary.traces).toBe(1);
    expect(report.summary.inputErrors.map((e) => e.file)).toEqual(CASES.map((c) => c.name));
    for (const [i, c] of CASES.entries()) {
      const recorded = report.summary.inputErrors[i]!.message;
      if (typeof c.message === "string") expect(recorded).toBe(c.message);
      else expect(recorded).toMatch(c.message);
    }
  });
});

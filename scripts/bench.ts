// `npm run bench` (node --expose-gc --import tsx scripts/bench.ts [--traces N]): one run that
//  1. builds an estate of ≥ 200k spans by cloning SDK-recorded healthy traces (fresh seeded IDs,
//     shifted times, per-request unique attribute values) and writes it as OTLP/JSON and OTLP
//     protobuf files in a temp dir;
//  2. measures decode-only vs full check (decode + group + every built-in rule) in spans/s per
//     format, in alternating rounds (--rounds N, default 8), and the peak heap of each phase;
//  3. checks that rule state does not grow with traces: the Analyzer snapshot after N vs 2N
//     healthy traces (the second N in the same time window, then in the next one).
// Results go to stdout as a Markdown table (copied into docs/benchmarks.md by hand).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { builtinRules } from "../rules/index";
import { Estate } from "../fixtures/scenarios/lib/estate";
import { getOrder, listOrders, placeOrder } from "../fixtures/scenarios/lib/shapes";
import { seededRandom } from "../fixtures/lib/recorder";
import { decodeInput } from "../src/decode/index";
import { encodeOtlpJson, encodeTracesDataProto } from "../src/encode/index";
import { Analyzer } from "../src/engine/analyzer";
import { TraceAssembler } from "../src/engine/assemble";
import { resolveConfig } from "../src/engine/config";
import { SpanKind, type Span } from "../src/model/span";
import { Trace } from "../src/model/trace";
import { checkInputs, type NamedInput } from "../src/pipeline/check";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench)");

const args = process.argv.slice(2);
const TRACES = Number(args[args.indexOf("--traces") + 1] ?? 0) || 27_000;
const FILES = 10;
const STATE_TRACES = 5_000;

// ---------------------------------------------------------------------------------------------
// Estate: SDK-recorded templates, cloned with fresh IDs.

async function templates(): Promise<Span[][]> {
  const estate = new Estate({ seed: 9001 });
  const shapes = [getOrder, placeOrder, listOrders];
  shapes.forEach((shape, i) => {
    const t = estate.trace(i * 1000);
    shape(t, i);
    t.end();
  });
  const decoded = await decodeInput(estate.recorder.toOtlpJson(), { name: "templates" });
  const byTrace = new Map<string, Span[]>();
  for (const span of decoded.spans) {
    const list = byTrace.get(span.traceId) ?? [];
    list.push(span);
    byTrace.set(span.traceId, list);
  }
  return [...byTrace.values()];
}

// Real estates repeat most attribute values (methods, routes, statuses, service names, DB
// statements) but also carry per-request unique ones. Clones of three templates would repeat every
// value, and per-value caches would make the numbers look better than real data would, so each
// clone gets its own order ID and SKU in `url.path`/`url.full`, and its SERVER spans get a client
// address and port, a request ID and a user ID. Span names stay templated (`GET /orders/{id}`),
// so the healthy estate stays finding-free (checked in main).
const USER_AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "okhttp/4.12.0", "python-requests/2.32.3"];

function makeCloner(seed: number) {
  const random = seededRandom(seed);
  const int = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
  const hex = (bytes: number) => {
    let out = "";
    for (let i = 0; i < bytes; i++) out += Math.floor(random() * 256).toString(16).padStart(2, "0");
    return out;
  };
  /** Attributes of one clone: the template's, with this trace's unique values. */
  const uniqueAttributes = (span: Span, values: { orderId: string; sku: string; userId: string }): Span["attributes"] => {
    const isServer = span.kind === SpanKind.SERVER;
    const hasUrl = span.attributes.has("url.path") || span.attributes.has("url.full");
    if (!isServer && !hasUrl) return span.attributes;
    const attributes = new Map(span.attributes);
    for (const key of ["url.path", "url.full"]) {
      const value = attributes.get(key);
      if (typeof value === "string") attributes.set(key, value.replace(/\/\d+(?=$|[/?])/g, `/${values.orderId}`).replace(/sku-\d+/g, values.sku));
    }
    if (isServer) {
      attributes.set("client.address", `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`);
      attributes.set("client.port", int(1024, 65535));
      attributes.set("user_agent.original", USER_AGENTS[int(0, USER_AGENTS.length - 1)]!);
      attributes.set("app.request.id", `req-${hex(8)}`);
      attributes.set("enduser.id", values.userId);
    }
    return attributes;
  };
  /** A copy of `template` as a new trace starting `offsetNs` later. */
  return (template: readonly Span[], offsetNs: bigint): Span[] => {
    const traceId = hex(16);
    const ids = new Map(template.map((s) => [s.spanId, hex(8)]));
    const values = { orderId: String(int(1_000_000, 9_999_999)), sku: `sku-${int(10_000, 99_999)}`, userId: `user-${int(1, 2_000_000)}` };
    return template.map((s) => ({
      ...s,
      traceId,
      spanId: ids.get(s.spanId)!,
      parentSpanId: s.parentSpanId === "" ? "" : ids.get(s.parentSpanId) ?? s.parentSpanId,
      startTimeUnixNano: s.startTimeUnixNano + offsetNs,
      endTimeUnixNano: s.endTimeUnixNano + offsetNs,
      attributes: uniqueAttributes(s, values),
    }));
  };
}

/** `count` traces, one every 5 ms (200 per second), the first `firstIndex` × 5 ms after the templates. */
function* estateTraces(shapes: Span[][], count: number, seed: number, firstIndex = 0): Generator<Span[]> {
  const clone = makeCloner(seed);
  for (let i = firstIndex; i < firstIndex + count; i++) yield clone(shapes[i % shapes.length]!, BigInt(i) * 5_000_000n);
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

interface Phase {
  seconds: number;
  spans: number;
  peakHeapMB: number;
}

function heapMB(): number {
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Runs `fn` after a full GC; `sample` (called by fn) records the peak heap seen. */
async function measure(fn: (sample: () => void) => Promise<number>): Promise<Phase> {
  gc!();
  let peak = heapMB();
  const sample = () => {
    peak = Math.max(peak, heapMB());
  };
  const start = performance.now();
  const spans = await fn(sample);
  const seconds = (performance.now() - start) / 1000;
  sample();
  return { seconds, spans, peakHeapMB: peak };
}

async function decodeOnly(files: Uint8Array[]): Promise<Phase> {
  return measure(async (sample) => {
    let spans = 0;
    for (const [i, bytes] of files.entries()) {
      const decoded = await decodeInput(bytes, { name: `f${i}` });
      spans += decoded.spans.length;
      sample();
    }
    return spans;
  });
}

/** Decode and group every span by trace, keeping them all (what `check` does before the rules). */
async function decodeAndGroup(files: Uint8Array[]): Promise<Phase> {
  return measure(async (sample) => {
    const assembler = new TraceAssembler();
    for (const [i, bytes] of files.entries()) {
      assembler.add((await decodeInput(bytes, { name: `f${i}` })).spans);
      sample();
    }
    return assembler.spanCount;
  });
}

async function fullCheck(files: Uint8Array[]): Promise<Phase & { findings: number }> {
  let findings = 0;
  const phase = await measure(async (sample) => {
    const inputs: NamedInput[] = files.map((bytes, i) => ({ name: `f${i}`, read: async () => bytes }));
    const report = await checkInputs(inputs, resolveConfig({}, builtinRules), { onProgress: sample });
    findings = report.findings.length;
    // The estate is healthy: a finding means the clones' unique values tripped a rule.
    if (findings > 0) throw new Error(`healthy estate has findings: ${report.findings.map((f) => `${f.ruleId} ${f.subject ?? ""}`).join("; ")}`);
    if (report.summary.inputErrors.length > 0) throw new Error(`input errors: ${JSON.stringify(report.summary.inputErrors)}`);
    return report.summary.spans;
  });
  return { ...phase, findings };
}

/** Runs per phase and format. */
const ROUNDS = Number(args[args.indexOf("--rounds") + 1] ?? 0) || 8;

interface Paired {
  /** Fastest run of each phase; the peak heap is the largest seen in any run of that phase. */
  decode: Phase;
  /** Decode + group, everything kept: the part of a full check that is not the rules. */
  grouped: Phase;
  full: Phase & { findings: number };
  /** full / decode-only throughput of each round (a decode-only run, then a full check, back to back). */
  ratios: number[];
  /** Per round: the rules' share of the full check's time, (full − decode+group) / full. */
  ruleShares: number[];
}

/**
 * Decode-only and full-check runs alternate, and each round's ratio compares two runs made seconds
 * apart: on a shared machine throughput drifts by ±20 % within a minute, so the best decode-only
 * run and the best full-check run of separate series can come from different load levels.
 */
async function paired(rounds: number, files: Uint8Array[]): Promise<Paired> {
  let decode: Phase | undefined;
  let grouped: Phase | undefined;
  let full: (Phase & { findings: number }) | undefined;
  let decodePeak = 0;
  let fullPeak = 0;
  const ratios: number[] = [];
  const ruleShares: number[] = [];
  const perSpan = (p: Phase) => p.seconds / p.spans;
  for (let i = 0; i < rounds; i++) {
    const d = await decodeOnly(files);
    const g = await decodeAndGroup(files);
    const f = await fullCheck(files);
    ratios.push(perSpan(d) / perSpan(f));
    ruleShares.push((perSpan(f) - perSpan(g)) / perSpan(f));
    decodePeak = Math.max(decodePeak, d.peakHeapMB);
    fullPeak = Math.max(fullPeak, f.peakHeapMB);
    if (!decode || d.seconds < decode.seconds) decode = d;
    if (!grouped || g.seconds < grouped.seconds) grouped = g;
    if (!full || f.seconds < full.seconds) full = f;
  }
  return { decode: { ...decode!, peakHeapMB: decodePeak }, grouped: grouped!, full: { ...full!, peakHeapMB: fullPeak }, ratios, ruleShares };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const jsonLength = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).length;

interface StateGrowth {
  n: number;
  sizeN: number;
  size2N: number;
  /** Snapshot sections (`rules.<id>`, `analyses.<id>`, findings, …) that grew, with both sizes. */
  growers: { section: string; sizeN: number; size2N: number }[];
}

function sectionSizes(snapshot: ReturnType<Analyzer["snapshot"]>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const key of ["counters", "services", "inputErrors", "findings"] as const) sizes.set(key, jsonLength(snapshot[key]));
  for (const [id, state] of Object.entries(snapshot.rules)) sizes.set(`rules.${id}`, jsonLength(state));
  for (const [id, state] of Object.entries(snapshot.analyses)) sizes.set(`analyses.${id}`, jsonLength(state));
  return sizes;
}

/** The propagation rules keep up to this many root/call candidates in all (default 50 000 each). */
const SMALL_PROPAGATION_CAPS = { maxPendingCalls: 500, maxCandidateRoots: 500 };

/** Config with the propagation analysis' total candidate caps lowered, to show state stops at the cap. */
function smallCapsConfig(): Record<string, unknown> {
  const rules: Record<string, unknown> = {};
  for (const id of ["split-trace", "propagation-gap"]) {
    if (builtinRules.some((r) => r.meta.id === id)) rules[id] = { options: SMALL_PROPAGATION_CAPS };
  }
  return { rules };
}

/**
 * N traces, then N more: in the same time window (`"same"`: twice the traffic, the steady-rate case)
 * or in the next one (`"next"`: twice the time covered).
 */
function stateGrowth(shapes: Span[][], window: "same" | "next", config: Record<string, unknown> = {}): StateGrowth {
  const analyzer = new Analyzer(resolveConfig(config, builtinRules));
  const feed = (seed: number, firstIndex: number) => {
    for (const spans of estateTraces(shapes, STATE_TRACES, seed, firstIndex)) analyzer.addTrace(new Trace(spans[0]!.traceId, spans));
  };
  feed(1, 0);
  const first = analyzer.snapshot();
  feed(2, window === "same" ? 0 : STATE_TRACES);
  const second = analyzer.snapshot();
  const a = sectionSizes(first);
  const b = sectionSizes(second);
  const growers = [...b]
    .filter(([section, size]) => size > (a.get(section) ?? 0) * 1.05 + 64)
    .map(([section, size2N]) => ({ section, sizeN: a.get(section) ?? 0, size2N }));
  return { n: STATE_TRACES, sizeN: jsonLength(first), size2N: jsonLength(second), growers };
}

/** Time each rule alone over the same decoded traces (shared analyses count toward their rule). */
async function perRuleCost(files: Uint8Array[]): Promise<{ id: string; spansPerSecond: number }[]> {
  const spans: Span[] = [];
  for (const [i, bytes] of files.entries()) spans.push(...(await decodeInput(bytes, { name: `f${i}` })).spans);
  const byTrace = new Map<string, Span[]>();
  for (const span of spans) {
    const list = byTrace.get(span.traceId);
    if (list) list.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const traces = [...byTrace].map(([id, list]) => new Trace(id, list));
  const results = [];
  for (const rule of builtinRules) {
    const config = resolveConfig({}, [rule]);
    gc!();
    const start = performance.now();
    const analyzer = new Analyzer(config);
    // Fresh Trace objects: their lazy indexes must be rebuilt, as in a real run.
    for (const t of traces) analyzer.addTrace(new Trace(t.traceId, t.spans));
    analyzer.finish();
    results.push({ id: rule.meta.id, spansPerSecond: spans.length / ((performance.now() - start) / 1000) });
  }
  return results.sort((x, y) => x.spansPerSecond - y.spansPerSecond);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const shapes = await templates();
  const dir = await mkdtemp(join(tmpdir(), "tracelint-bench-"));
  try {
    // Write the estate in FILES files per format, as a collector or S3 export would.
    const perFile = Math.ceil(TRACES / FILES);
    const traces = [...estateTraces(shapes, TRACES, 7)];
    const totalSpans = traces.reduce((n, t) => n + t.length, 0);
    const formats = { "OTLP/JSON": [] as string[], "OTLP protobuf": [] as string[] };
    for (let f = 0; f < FILES; f++) {
      const spans = traces.slice(f * perFile, (f + 1) * perFile).flat();
      const json = join(dir, `part-${f}.otlp.json`);
      const proto = join(dir, `part-${f}.otlp.pb`);
      await writeFile(json, encodeOtlpJson(spans));
      await writeFile(proto, encodeTracesDataProto(spans));
      formats["OTLP/JSON"].push(json);
      formats["OTLP protobuf"].push(proto);
    }
    traces.length = 0;
    const setupSeconds = (performance.now() - started) / 1000;

    const results: Record<string, Paired & { bytes: number }> = {};
    for (const [format, paths] of Object.entries(formats)) {
      const files = await Promise.all(paths.map(async (p) => new Uint8Array(await readFile(p))));
      const bytes = files.reduce((n, f) => n + f.byteLength, 0);
      await decodeOnly(files.slice(0, 1)); // warm-up (JIT)
      results[format] = { bytes, ...(await paired(ROUNDS, files)) };
    }
    const state = stateGrowth(shapes, "same");
    const longerState = stateGrowth(shapes, "next");
    const cappedState = stateGrowth(shapes, "next", smallCapsConfig());
    const ruleCosts = await perRuleCost(await Promise.all(formats["OTLP protobuf"].map(async (p) => new Uint8Array(await readFile(p)))));

    const rate = (p: Phase) => p.spans / p.seconds;
    const k = (n: number) => `${Math.round(n / 1000).toLocaleString("en-US")}k`;
    const json = results["OTLP/JSON"]!;
    const proto = results["OTLP protobuf"]!;
    const lines = [
      `Estate: ${totalSpans.toLocaleString("en-US")} spans in ${TRACES.toLocaleString("en-US")} traces, ${FILES} files per format; ` +
        `${builtinRules.length} built-in rules; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}; setup ${setupSeconds.toFixed(1)} s.`,
      "",
      `${ROUNDS} rounds per format; each round = one decode-only run, one decode + group run (all spans kept, no rules), then one full check. Throughput: fastest run of each phase.`,
      "",
      "| format | bytes | decode-only spans/s | full check spans/s | full / decode-only, median of rounds | per round | peak heap decode (MB) | peak heap full (MB) | findings |",
      "|---|---:|---:|---:|---:|---|---:|---:|---:|",
      ...Object.entries(results).map(
        ([format, r]) =>
          `| ${format} | ${(r.bytes / 1e6).toFixed(1)} MB | ${k(rate(r.decode))} | ${k(rate(r.full))} | ${median(r.ratios).toFixed(2)} | ${r.ratios.map((x) => x.toFixed(2)).join(", ")} | ` +
          `${r.decode.peakHeapMB.toFixed(0)} | ${r.full.peakHeapMB.toFixed(0)} | ${r.full.findings} |`,
      ),
      "",
      `protobuf / JSON: decode-only ${(rate(proto.decode) / rate(json.decode)).toFixed(2)}×, full check ${(rate(proto.full) / rate(json.full)).toFixed(2)}× (target ≥ 1.5).`,
      `full / decode-only (target ≥ 0.6), median of rounds: JSON ${median(json.ratios).toFixed(2)}, protobuf ${median(proto.ratios).toFixed(2)}.`,
      `Where a full check's time goes (median of rounds): ` +
        Object.entries(results)
          .map(([format, r]) => `${format}: decode + group ${k(rate(r.grouped))} spans/s (${((rate(r.decode) / rate(r.grouped) - 1) * 100).toFixed(0)} % slower than decode-only), rules ${(median(r.ruleShares) * 100).toFixed(0)} % of the full check`)
          .join("; ") +
        ".",
      `Rule state: Analyzer snapshot ${state.sizeN.toLocaleString("en-US")} chars after ${state.n.toLocaleString("en-US")} healthy traces, ` +
        `${state.size2N.toLocaleString("en-US")} after ${(2 * state.n).toLocaleString("en-US")} in the same time window (ratio ${(state.size2N / state.sizeN).toFixed(3)}; target 1.0).`,
      ...state.growers.map((g) => `- grows: \`${g.section}\` ${g.sizeN.toLocaleString("en-US")} → ${g.size2N.toLocaleString("en-US")} chars`),
      `With the second ${state.n.toLocaleString("en-US")} traces in the next time window (twice the time covered): ` +
        `${longerState.sizeN.toLocaleString("en-US")} → ${longerState.size2N.toLocaleString("en-US")} chars (ratio ${(longerState.size2N / longerState.sizeN).toFixed(3)}).`,
      ...longerState.growers.map((g) => `- grows: \`${g.section}\` ${g.sizeN.toLocaleString("en-US")} → ${g.size2N.toLocaleString("en-US")} chars`),
      `Same, with the propagation total candidate caps lowered to ${SMALL_PROPAGATION_CAPS.maxCandidateRoots.toLocaleString("en-US")}: ` +
        `${cappedState.sizeN.toLocaleString("en-US")} → ${cappedState.size2N.toLocaleString("en-US")} chars (ratio ${(cappedState.size2N / cappedState.sizeN).toFixed(3)}).`,
      ...cappedState.growers.map((g) => `- grows: \`${g.section}\` ${g.sizeN.toLocaleString("en-US")} → ${g.size2N.toLocaleString("en-US")} chars`),
      "",
      "Each rule alone over the decoded protobuf estate (spans/s, slowest first; a shared analysis is charged to every rule that uses it):",
      "",
      "| rule | spans/s |",
      "|---|---:|",
      ...ruleCosts.map((r) => `| \`${r.id}\` | ${k(r.spansPerSecond)} |`),
      "",
      `Total run: ${((performance.now() - started) / 1000).toFixed(1)} s; 1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after ` +
        "(above the core count, other processes share the CPU and throughput numbers drop).",
    ];
    console.log(lines.join("\n"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

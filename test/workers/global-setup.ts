// Runs in Node before the workerd tests: serves the committed demo estate (recorded with the real
// OpenTelemetry SDK) from the Tempo-compatible server on 127.0.0.1, re-based so that it ended ten
// minutes before NOW, and hands the URL and NOW to the tests via `inject`.
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import type { TestProject } from "vitest/node";
import { builtinRules } from "../../rules/index";
import { loadDemoSpans } from "../../scripts/demo";
import { startTempoServer } from "../../src/cli/tempo-server";
import { encodeOtlpJson, encodeTracesDataProto } from "../../src/encode/index";
import { resolveConfig } from "../../src/engine/config";
import type { Span } from "../../src/model/span";
import { checkInputs } from "../../src/pipeline/check";
import { formatPartition } from "../../src/sources/otlp-archive/partitions";
import { deltaToEndAt, shiftSpans } from "../../src/tempo-server/index";

export const NOW_MS = Date.parse("2026-03-02T10:00:00Z");

declare module "vitest" {
  export interface ProvidedContext {
    tempoUrl: string;
    nowMs: number;
    /** Tempo's upstream test blocks (AGPL, read in place, never committed here): R2 key → base64 body. */
    upstreamBlocks: Record<string, string>;
    /** The demo estate as a Collector awss3exporter archive under `archive/`: R2 key → base64 body. */
    archiveObjects: Record<string, string>;
    /** `tracelint check` of those objects in Node: `rule service subject category occurrences traces` per finding. */
    archiveFindings: string[];
    /** A webhook receiver on 127.0.0.1: POST /ok answers 200, /moved a 302, /slow/… 200 after 1.5 s; GET /received lists what arrived. */
    webhookUrl: string;
  }
}

const UPSTREAM_BLOCKS = new URL("../../../shared/upstream-data/tempo/blocks/", import.meta.url);
const UPSTREAM_BLOCK_ID = "b27b0e53-66a0-4505-afd6-434ae3cd4a10";

/**
 * The vParquet3 block and the vParquet4 (dev-schema) copy of the same 134 traces, as two blocks of
 * tenant `single-tenant` under `tempo/` (the copy gets another block ID), so every trace is spread
 * over two blocks and must be combined — in an inline run and in every fanned-out batch alike.
 */
async function upstreamBlocks(): Promise<Record<string, string>> {
  const copies = [
    { dir: "vParquet3", blockId: UPSTREAM_BLOCK_ID },
    { dir: "vParquet4-dev-schema", blockId: "c0ffee00-66a0-4505-afd6-434ae3cd4a10" },
  ];
  const out: Record<string, string> = {};
  for (const { dir, blockId } of copies) {
    const folder = new URL(`${dir}/single-tenant/${UPSTREAM_BLOCK_ID}/`, UPSTREAM_BLOCKS);
    for (const name of await readdir(folder)) {
      if (name.startsWith("bloom-")) continue; // never read by tracelint
      let body = await readFile(new URL(name, folder));
      if (name === "meta.json") body = Buffer.from(body.toString("utf8").replace(UPSTREAM_BLOCK_ID, blockId));
      out[`tempo/single-tenant/${blockId}/${name}`] = body.toString("base64");
    }
  }
  return out;
}

/**
 * The demo estate (real SDK spans) uploaded the way the awss3exporter does: per minute partition
 * (UTC) of the span's end and per service, one object each, alternately OTLP/JSON (every other one
 * gzip'd) and protobuf. A trace's spans land in several objects, which every run must combine.
 */
async function archive(spans: readonly Span[]): Promise<{ objects: Record<string, string>; findings: string[] }> {
  const groups = new Map<string, Span[]>();
  for (const span of spans) {
    const minute = new Date(Math.floor(Number(span.endTimeUnixNano / 1_000_000n) / 60_000) * 60_000);
    const key = `${formatPartition("year=%Y/month=%m/day=%d/hour=%H/minute=%M", minute, "UTC")}\u0000${span.service}`;
    const list = groups.get(key);
    if (list) list.push(span);
    else groups.set(key, [span]);
  }
  const objects: Record<string, Uint8Array> = {};
  [...groups].forEach(([key, list], i) => {
    const [partition, service] = key.split("\u0000");
    const name = `archive/${partition}/traces_${service}_${i}`;
    if (i % 2 === 1) objects[`${name}.binpb`] = encodeTracesDataProto(list);
    else if (i % 4 === 0) objects[`${name}.json.gz`] = gzipSync(encodeOtlpJson(list));
    else objects[`${name}.json`] = new TextEncoder().encode(encodeOtlpJson(list));
  });
  const report = await checkInputs(
    Object.entries(objects).map(([name, body]) => ({ name, read: async () => body })),
    resolveConfig({}, builtinRules),
  );
  return {
    objects: Object.fromEntries(Object.entries(objects).map(([key, body]) => [key, Buffer.from(body).toString("base64")])),
    findings: report.findings.map((f) => `${f.ruleId} ${f.service} ${f.subject ?? "-"} ${f.category ?? "-"} ${f.occurrences} ${f.traceCount}`),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW_MS - 10 * 60_000) * 1_000_000n));
  const server = await startTempoServer({ spans, prefix: "/tempo", now: () => NOW_MS });
  project.provide("tempoUrl", server.url);
  project.provide("nowMs", NOW_MS);
  project.provide("upstreamBlocks", await upstreamBlocks());
  const { objects, findings } = await archive(spans);
  project.provide("archiveObjects", objects);
  project.provide("archiveFindings", findings);
  const received: { path: string; body: string }[] = [];
  const hooks = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/received") return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(received));
      received.push({ path: req.url ?? "", body });
      if (req.url === "/moved") return void res.writeHead(302, { Location: "/ok" }).end();
      if (req.url?.startsWith("/slow/")) return void setTimeout(() => res.writeHead(200).end("ok"), 1500);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
  project.provide("webhookUrl", `http://127.0.0.1:${(hooks.address() as { port: number }).port}`);
  return async () => {
    await server.close();
    await new Promise((resolve) => hooks.close(resolve));
  };
}

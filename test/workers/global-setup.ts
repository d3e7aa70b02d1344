// Runs in Node before the workerd tests: serves the committed demo estate (recorded with the real
// OpenTelemetry SDK) from the Tempo-compatible server on 127.0.0.1, re-based so that it ended ten
// minutes before NOW, and hands the URL and NOW to the tests via `inject`.
import { readdir, readFile } from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { loadDemoSpans } from "../../scripts/demo";
import { startTempoServer } from "../../src/cli/tempo-server";
import { deltaToEndAt, shiftSpans } from "../../src/tempo-server/index";

export const NOW_MS = Date.parse("2026-03-02T10:00:00Z");

declare module "vitest" {
  export interface ProvidedContext {
    tempoUrl: string;
    nowMs: number;
    /** Tempo's upstream test blocks (AGPL, read in place, never committed here): R2 key → base64 body. */
    upstreamBlocks: Record<string, string>;
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW_MS - 10 * 60_000) * 1_000_000n));
  const server = await startTempoServer({ spans, prefix: "/tempo", now: () => NOW_MS });
  project.provide("tempoUrl", server.url);
  project.provide("nowMs", NOW_MS);
  project.provide("upstreamBlocks", await upstreamBlocks());
  return () => server.close();
}

// Runs in Node before the workerd tests: serves the committed demo estate (recorded with the real
// OpenTelemetry SDK) from the Tempo-compatible server on 127.0.0.1, re-based so that it ended ten
// minutes before NOW, and hands the URL and NOW to the tests via `inject`.
import type { TestProject } from "vitest/node";
import { loadDemoSpans } from "../../scripts/demo";
import { startTempoServer } from "../../src/cli/tempo-server";
import { deltaToEndAt, shiftSpans } from "../../src/tempo-server/index";

export const NOW_MS = Date.parse("2026-03-02T10:00:00Z");

declare module "vitest" {
  export interface ProvidedContext {
    tempoUrl: string;
    nowMs: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(NOW_MS - 10 * 60_000) * 1_000_000n));
  const server = await startTempoServer({ spans, prefix: "/tempo", now: () => NOW_MS });
  project.provide("tempoUrl", server.url);
  project.provide("nowMs", NOW_MS);
  return () => server.close();
}

// The report's `coverage` section: plain numbers per service and per edge, worst first.
import type { z } from "zod";
import type { CoverageResult } from "./coverage";
import type { CoverageSectionSchema } from "./schema";

export type CoverageSection = z.infer<typeof CoverageSectionSchema>;

export function coverageSection(result: CoverageResult): CoverageSection {
  return {
    services: result.services.map((s) => ({
      service: s.service,
      inbound: { ...s.inbound },
      outbound: { ...s.outbound },
      externalCalls: s.externalCalls,
    })),
    edges: result.edges.map((e) => ({
      from: e.from,
      to: e.to,
      propagated: e.propagated,
      total: e.total,
      splitTraces: e.splitTraces,
      ...(e.undecided > 0 ? { undecided: e.undecided } : {}),
    })),
    ...(result.dropped.calls > 0 ? { callsNotCounted: result.dropped.calls } : {}),
  };
}

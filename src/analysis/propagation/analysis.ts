// The shared propagation analysis: runs once per trace for every rule that asks for it, merges
// across shards, and computes coverage and split traces once in `finish()`.
import { z } from "zod";
import type { AnalysisDefinition, AnalysisInstance } from "../../engine/rule";
import type { Trace } from "../../model/trace";
import { computeCoverage, type CoverageResult } from "./coverage";
import { PropagationState, type PropagationSnapshot } from "./state";

export const PropagationOptionsSchema = z
  .object({
    clockSkewToleranceMs: z
      .number()
      .nonnegative()
      .default(50)
      .describe("How far outside a call's [start, end] window a callee's root span may start and still pair as a split trace."),
    bucketMs: z.number().positive().default(1000).describe("Time-bucket width of the (callee, time bucket) indexes of candidate roots and pending calls."),
    maxPendingCalls: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe("Unpropagated calls kept individually for link and split matching (the earliest are kept)."),
    maxCandidateRoots: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe("Root SERVER/CONSUMER spans kept as split-trace candidates (the earliest are kept)."),
    maxPendingCallsPerBucket: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe("Unpropagated CLIENT calls kept per (caller, target, time bucket) (the earliest are kept); PRODUCER calls only count toward maxPendingCalls."),
    maxRootsPerBucket: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe("Split-trace candidate roots kept per (service, span kind, http.route or method, time bucket) (the earliest are kept)."),
  })
  .strict();
export type PropagationOptions = z.infer<typeof PropagationOptionsSchema>;

const NS_PER_MS = 1_000_000;

export class PropagationAnalysis implements AnalysisInstance<PropagationSnapshot> {
  readonly #options: PropagationOptions;
  readonly #state: PropagationState;
  #result: CoverageResult | undefined;

  constructor(options: PropagationOptions) {
    this.#options = options;
    this.#state = new PropagationState(options);
  }

  trace(trace: Trace): void {
    this.#state.addTrace(trace);
  }

  snapshot(): PropagationSnapshot {
    return this.#state.snapshot();
  }

  merge(snapshot: PropagationSnapshot): void {
    this.#state.merge(snapshot);
  }

  finish(): void {
    this.#result ??= computeCoverage(this.#state, {
      toleranceNs: BigInt(Math.round(this.#options.clockSkewToleranceMs * NS_PER_MS)),
      bucketNs: BigInt(Math.max(1, Math.round(this.#options.bucketMs * NS_PER_MS))),
    });
  }

  /** Coverage and split traces; available after `finish()`. */
  get result(): CoverageResult {
    if (!this.#result) throw new Error("propagation analysis read before finish()");
    return this.#result;
  }
}

export const propagationAnalysis: AnalysisDefinition<PropagationAnalysis, PropagationOptions> = {
  id: "propagation",
  create: (options) => new PropagationAnalysis(options),
};

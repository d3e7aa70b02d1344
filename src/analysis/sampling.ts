// Sampling evidence carried by spans: the W3C sampled flag and OpenTelemetry's consistent
// probability sampling values in `tracestate` (`ot=th:<threshold>;rv:<randomness>`, see the
// "TraceState: Probability Sampling" spec). Used to tell an orphan whose caller was *dropped by
// sampling* from one whose caller's span was lost in transit.
import { isSampled, SpanFlags, SpanKind, hasRemoteParent, type Span } from "../model/span";
import type { Trace } from "../model/trace";
import type { OrphanCause, OrphanClassifier } from "./orphan-cause";

const HEX56 = /^[0-9a-f]{1,14}$/;
const MAX_56 = 1n << 56n;

export interface OtTraceState {
  /** Rejection threshold as a 56-bit integer: a trace is sampled when randomness >= threshold. */
  threshold?: bigint;
  /** The `th` text as written (for messages). */
  th?: string;
  randomness?: bigint;
}

/** Reads the `ot` member of a W3C `tracestate`; malformed sub-keys are ignored. */
export function parseOtTraceState(traceState: string): OtTraceState {
  const out: OtTraceState = {};
  for (const member of traceState.split(",")) {
    const eq = member.indexOf("=");
    if (eq === -1 || member.slice(0, eq).trim() !== "ot") continue;
    for (const sub of member.slice(eq + 1).trim().split(";")) {
      const colon = sub.indexOf(":");
      if (colon === -1) continue;
      const key = sub.slice(0, colon);
      const value = sub.slice(colon + 1).toLowerCase();
      if (key === "th" && HEX56.test(value)) {
        out.th = value;
        out.threshold = BigInt(`0x${value.padEnd(14, "0")}`);
      } else if (key === "rv" && /^[0-9a-f]{14}$/.test(value)) {
        out.randomness = BigInt(`0x${value}`);
      }
    }
  }
  return out;
}

/** The trace's 56-bit randomness: explicit `rv`, else the trace ID's last 7 bytes. */
export function traceRandomness(traceId: string, ot: OtTraceState): bigint | undefined {
  if (ot.randomness !== undefined) return ot.randomness;
  return /^[0-9a-f]{32}$/.test(traceId) ? BigInt(`0x${traceId.slice(18)}`) : undefined;
}

/** Sampling probability a threshold stands for (1 − th / 2^56), as a percentage for messages. */
export function thresholdPercent(threshold: bigint): string {
  const p = Number(MAX_56 - threshold) / Number(MAX_56);
  const pct = p * 100;
  return `${Number.isInteger(pct) ? pct : Number(pct.toPrecision(3))} %`;
}

/** True when the span says its W3C sampled flag is off (and the producer did record flags). */
export function knownUnsampled(span: Span): boolean {
  return (span.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE) !== 0 && !isSampled(span.flags);
}

/**
 * Why the caller of `orphan` (a span whose parent, in another service, is missing) was dropped by
 * sampling, or undefined when the spans give no such evidence. The caller was sampled differently
 * from the orphan when:
 *   1. the orphan's sampled flag is off while other spans of the trace are sampled: it ran under an
 *      unsampled parent context, so the caller's span was never exported;
 *   2. the orphan's `ot=th` threshold rejects the trace's randomness: the sampler that wrote it
 *      decided not to sample, and the orphan's service kept its own span anyway;
 *   3. the trace's root carries `ot=th` but the orphan's tracestate has none: a hop in between
 *      made a negative decision (consistent samplers erase `th` when they do not sample).
 */
export function callerDroppedBySampling(trace: Trace, orphan: Span): string | undefined {
  if (knownUnsampled(orphan) && trace.spans.some((s) => s !== orphan && isSampled(s.flags))) {
    return "its parent context arrived with the W3C sampled flag off while the rest of the trace was sampled";
  }
  const ot = parseOtTraceState(orphan.traceState);
  if (ot.threshold !== undefined) {
    const randomness = traceRandomness(orphan.traceId, ot);
    if (randomness !== undefined && randomness < ot.threshold) {
      return `its tracestate threshold ot=th:${ot.th} (${thresholdPercent(ot.threshold)}) rejects this trace's randomness, so the sampler upstream decided not to sample`;
    }
    return undefined;
  }
  const root = trace.roots[0];
  if (root && root !== orphan) {
    const rootOt = parseOtTraceState(root.traceState);
    if (rootOt.threshold !== undefined) {
      return `the trace's root was sampled with ot=th:${rootOt.th} (${thresholdPercent(rootOt.threshold)}) but the context reaching this span no longer carries a threshold: a service in between decided not to sample (consistent samplers erase th)`;
    }
  }
  return undefined;
}

/** Orphan classifier: a SERVER/CONSUMER (or remote-parent) orphan whose caller was sampled out. */
export const classifyBySampling: OrphanClassifier = (trace, span): OrphanCause | undefined => {
  const callerSide = span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER || hasRemoteParent(span) === true;
  if (!callerSide) return undefined;
  const evidence = callerDroppedBySampling(trace, span);
  if (evidence === undefined) return undefined;
  return {
    category: "dropped-by-sampling",
    message: `its parent (the caller's span) was dropped by sampling, not lost in transit: ${evidence}. The caller and this service sample differently`,
  };
};

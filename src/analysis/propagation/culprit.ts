// Names the most likely culprit of a broken edge from the evidence the audit has: split traces
// (the call reached B, which started a new trace), B's parent-is-remote flag on those roots, and
// whether A and B propagate context on their other edges. Messages name services only.
import { percentDigits } from "../../util/percent";
import type { CoverageResult, EdgeCoverage } from "./coverage";

export function formatPercent(propagated: number, total: number): string {
  const pct = total === 0 ? 100 : (100 * propagated) / total;
  return `${Number.isInteger(pct) ? pct : percentDigits(pct)} %`;
}

function list(names: string[]): string {
  const shown = names.slice(0, 3).join(", ");
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

export interface Culprit {
  /** "A-did-not-inject" style key, useful for tests and grouping. */
  verdict: "caller-did-not-inject" | "callee-did-not-extract" | "hop-specific" | "inject-or-extract" | "callee-span-never-arrived";
  text: string;
}

/** The most likely culprit for `edge`, reasoning from the whole coverage result. */
export function culpritOf(edge: EdgeCoverage, result: CoverageResult): Culprit {
  const a = edge.from;
  const b = edge.to;
  const messaging = edge.messagingCalls * 2 > edge.total;
  if (edge.splitTraces === 0) {
    return {
      verdict: "callee-span-never-arrived",
      text:
        `no span of ${b} in any trace matches the unpropagated calls, so ${b}'s ${messaging ? "CONSUMER" : "SERVER"} span never arrived: ` +
        `${b} is not instrumented for these ${messaging ? "messages" : "requests"}, does not export, or sampled them out`,
    };
  }
  const rootKind = messaging ? "CONSUMER" : "SERVER";
  const local = edge.splits.filter((p) => p.root.remoteFlag === "local").length;
  const absent = edge.splits.filter((p) => p.root.remoteFlag === "absent").length;
  const flagEvidence =
    local > 0
      ? `${local} of ${edge.splitTraces} root ${rootKind} span(s) of ${b} in the split traces lack the remote-parent flag (${b}'s SDK saw no incoming context)`
      : absent > 0
        ? `${b}'s SDK does not record the remote-parent flag on its root ${rootKind} spans`
        : `${b}'s root ${rootKind} spans claim a remote parent yet have none (a broken extractor)`;
  const inbound = result.edges.filter((e) => e.to === b && e.from !== a && e.propagated > 0).map((e) => e.from);
  const outbound = result.edges.filter((e) => e.from === a && e.to !== b && e.propagated > 0).map((e) => e.to);
  const inject = messaging ? "put trace context in the message headers" : "inject traceparent";
  const extract = messaging ? "extract (or link) the context from the message" : "extract the incoming traceparent";
  const base = `${b} started a new trace although the call from ${a} reached it`;
  if (inbound.length > 0 && outbound.length === 0) {
    return {
      verdict: "caller-did-not-inject",
      text: `${base}; ${b} continues traces from ${list(inbound)}, so ${a} most likely did not ${inject} (uninstrumented ${messaging ? "producer" : "HTTP client"}, or headers stripped on the way); ${flagEvidence}`,
    };
  }
  if (outbound.length > 0 && inbound.length === 0) {
    return {
      verdict: "callee-did-not-extract",
      text: `${base}; ${a} propagates context to ${list(outbound)}, so ${b} most likely did not ${extract}; ${flagEvidence}`,
    };
  }
  if (outbound.length > 0 && inbound.length > 0) {
    return {
      verdict: "hop-specific",
      text: `${base}; ${a} propagates to ${list(outbound)} and ${b} continues traces from ${list(inbound)}, so the break is specific to this hop (${a}'s client for ${b} is not instrumented, a proxy strips the headers, or the propagation formats differ); ${flagEvidence}`,
    };
  }
  return {
    verdict: "inject-or-extract",
    text: `${base}; either ${a} did not ${inject} or ${b} did not ${extract} (no other edge of either service tells which); ${flagEvidence}`,
  };
}

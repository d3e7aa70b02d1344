// Why is an orphan's parent missing? A pure, ordered list of classifiers: the first one that
// recognises the span decides. New evidence (e.g. "dropped by sampling", read from sampler
// attributes or tracestate) is added by putting a classifier in front of the kind-based fallback.
import { hasRemoteParent, SpanKind, type Span } from "../model/span";
import type { Trace } from "../model/trace";
import { classifyBySampling } from "./sampling";

export type OrphanCategory =
  | "caller-span-missing"
  | "producer-span-missing"
  | "same-service-span-lost"
  | "remote-parent-missing"
  | "parent-span-missing"
  | "dropped-by-sampling"
  | (string & {});

export interface OrphanCause {
  /** Used as the finding category, so findings group by cause. */
  category: OrphanCategory;
  /** Completes "Orphan span: …": what is missing and the usual reason (no attribute values, no span names). */
  message: string;
}

/** Returns a cause when it recognises the case, undefined to let the next classifier decide. */
export type OrphanClassifier = (trace: Trace, span: Span) => OrphanCause | undefined;

const CALLER_SPAN_MISSING: OrphanCause = {
  category: "caller-span-missing",
  message:
    "its parent (the caller's CLIENT span) is not in the trace: the calling service propagated trace context but its span never reached the backend (its exporter or sampler dropped it)",
};
const PRODUCER_SPAN_MISSING: OrphanCause = {
  category: "producer-span-missing",
  message:
    "its parent (the producer's PRODUCER span) is not in the trace: the producing service put trace context on the message but its span never reached the backend",
};
const SAME_SERVICE_SPAN_LOST: OrphanCause = {
  category: "same-service-span-lost",
  message:
    "its parent, created in this same process, is not in the trace: it was never ended or was dropped before export (exporter queue full, shutdown without flush, collector filter)",
};
const REMOTE_PARENT_MISSING: OrphanCause = {
  category: "remote-parent-missing",
  message:
    "its parent is not in the trace, and the SDK flagged that parent as remote: the context came from another process (a caller that propagated trace context, e.g. a gateway, a browser or a job scheduler) whose span never reached the backend",
};
const PARENT_SPAN_MISSING: OrphanCause = {
  category: "parent-span-missing",
  message:
    "its parent is not in the trace; the span kind is unspecified and the span does not say whether its parent was remote, so it is unknown whether a caller or this service lost it",
};

/** Kind-based fallback: a SERVER/CONSUMER span's parent lives in another service; others' in the same. */
export const classifyByKind: OrphanClassifier = (_trace, span) => {
  switch (span.kind) {
    case SpanKind.SERVER:
      return CALLER_SPAN_MISSING;
    case SpanKind.CONSUMER:
      return PRODUCER_SPAN_MISSING;
    case SpanKind.INTERNAL:
    case SpanKind.CLIENT:
    case SpanKind.PRODUCER:
      // Usually a child of a span of the same process, unless the SDK says the parent was remote
      // (a worker that extracts a job's context into an INTERNAL span, a gateway's CLIENT span).
      return hasRemoteParent(span) === true ? REMOTE_PARENT_MISSING : SAME_SERVICE_SPAN_LOST;
    default: {
      // Unspecified kind: the SDK's parent-is-remote flag, when present, still tells the two apart.
      const remote = hasRemoteParent(span);
      if (remote === true) return CALLER_SPAN_MISSING;
      if (remote === false) return SAME_SERVICE_SPAN_LOST;
      return PARENT_SPAN_MISSING;
    }
  }
};

/** The default classifiers, most specific first. */
export const defaultOrphanClassifiers: readonly OrphanClassifier[] = [classifyBySampling, classifyByKind];

/** Classifies why `span` (whose parent ID names no span of `trace`) lost its parent. */
export function classifyOrphan(
  trace: Trace,
  span: Span,
  classifiers: readonly OrphanClassifier[] = defaultOrphanClassifiers,
): OrphanCause {
  for (const classify of classifiers) {
    const cause = classify(trace, span);
    if (cause) return cause;
  }
  return PARENT_SPAN_MISSING;
}

// Exact copies of a span: the same export sent twice (a Collector retry after a timeout, an
// overlapping upload, the same file read under two names). They are not instrumentation defects
// (Tempo drops them at query time), but left in a trace they would double every count and turn
// every root into a second root, so the Analyzer keeps one copy and the trace lists the others.
import type { AttributeValue, Attributes, Span, SpanEvent, SpanLink } from "./span";
import { Trace } from "./trace";

function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]!));
  }
  return sameAttributes(a as Attributes, b as Attributes);
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || !sameValue(value, b.get(key)!)) return false;
  }
  return true;
}

const sameEvent = (a: SpanEvent, b: SpanEvent) => a.name === b.name && a.timeUnixNano === b.timeUnixNano && sameAttributes(a.attributes, b.attributes);
const sameLink = (a: SpanLink, b: SpanLink) => a.traceId === b.traceId && a.spanId === b.spanId && sameAttributes(a.attributes, b.attributes);

/** Everything a span records is equal (resources compared by their service; IDs of the trace are equal). */
export function isExactCopy(a: Span, b: Span): boolean {
  return (
    a.spanId === b.spanId &&
    a.parentSpanId === b.parentSpanId &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.service === b.service &&
    a.startTimeUnixNano === b.startTimeUnixNano &&
    a.endTimeUnixNano === b.endTimeUnixNano &&
    a.status.code === b.status.code &&
    a.status.message === b.status.message &&
    a.flags === b.flags &&
    a.droppedAttributesCount === b.droppedAttributesCount &&
    a.droppedEventsCount === b.droppedEventsCount &&
    a.droppedLinksCount === b.droppedLinksCount &&
    sameAttributes(a.attributes, b.attributes) &&
    a.events.length === b.events.length &&
    a.events.every((e, i) => sameEvent(e, b.events[i]!)) &&
    a.links.length === b.links.length &&
    a.links.every((l, i) => sameLink(l, b.links[i]!))
  );
}

/**
 * The trace with every exact copy of an earlier span (input order) removed and listed in
 * `exactCopies`; the same object when no span ID repeats (the usual case, one size compare on the
 * span-by-ID index that the structure rules build anyway). Spans that share an ID but differ are
 * kept: they are `duplicate-span-id` findings.
 */
export function withoutExactCopies(trace: Trace): Trace {
  if (trace.spanById.size === trace.spans.length) return trace;
  const kept: Span[] = [];
  const copies: Span[] = [];
  // Candidates are kept spans equal in ID, parent, kind and times: comparing each span with every
  // kept span of its ID was quadratic when a broken SDK gives thousands of spans one ID.
  const keptByShape = new Map<string, Span[]>();
  for (const span of trace.spans) {
    const shape = `${span.spanId}\u0000${span.parentSpanId}\u0000${span.kind}\u0000${span.startTimeUnixNano}\u0000${span.endTimeUnixNano}`;
    const same = keptByShape.get(shape);
    if (same?.some((other) => isExactCopy(other, span))) {
      copies.push(span);
      continue;
    }
    kept.push(span);
    if (same) same.push(span);
    else keptByShape.set(shape, [span]);
  }
  if (copies.length === 0) return trace;
  return new Trace(trace.traceId, kept, {
    partial: trace.partial,
    ...(trace.partialReason !== undefined ? { partialReason: trace.partialReason } : {}),
    exactCopies: copies,
  });
}

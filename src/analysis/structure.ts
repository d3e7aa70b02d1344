// Structural facts about one trace that more than one rule needs: parent cycles, timestamp sanity,
// and who "owns" a trace. Pure functions over `Trace`; nothing is kept between traces.
import type { Span } from "../model/span";
import type { Trace } from "../model/trace";

/**
 * Parent cycles of length ≥ 2 (A → B → … → A), each listed in parent-walk order starting from its
 * earliest-starting member; cycles are ordered by that member's start time. A span that is its own
 * parent is a malformed span context, not a cycle, and is left out here.
 */
export function findParentCycles(trace: Trace): Span[][] {
  // Almost no trace has a cycle. Whether one exists does not depend on the walk order (each span
  // has one parent, so every cycle is found from any of its members), so check in input order
  // first and sort only when there is something to order.
  if (!hasParentCycle(trace)) return [];
  const rank = new Map<Span, number>(trace.spansByStart.map((span, i) => [span, i]));
  const state = new Map<Span, "walking" | "done">();
  const cycles: Span[][] = [];
  for (const start of trace.spansByStart) {
    if (state.has(start)) continue;
    const path: Span[] = [];
    let current: Span | undefined = start;
    while (current && !state.has(current)) {
      state.set(current, "walking");
      path.push(current);
      current = trace.parentOf(current);
    }
    // Reaching a span of this very walk closes a cycle; reaching a finished span does not.
    if (current && state.get(current) === "walking") {
      const cycle = path.slice(path.indexOf(current));
      if (cycle.length > 1) cycles.push(rotateToEarliest(cycle, rank));
    }
    for (const span of path) state.set(span, "done");
  }
  return cycles.sort((a, b) => rank.get(a[0]!)! - rank.get(b[0]!)!);
}

/** True when some parent walk of length ≥ 2 returns to its start (same walk as below, input order). */
function hasParentCycle(trace: Trace): boolean {
  // When every parent starts strictly before its child, no walk can come back to where it began
  // (start times would have to fall all the way round): the usual trace is cleared without the
  // walk's per-span map.
  if (parentsStartFirst(trace)) return false;
  // Each span is marked with the number of the walk that reached it first; meeting a span of the
  // current walk again closes a cycle, of length 1 only when that span is its own parent.
  const walkOf = new Map<Span, number>();
  let walk = 0;
  for (const start of trace.spans) {
    if (walkOf.has(start)) continue;
    walk++;
    let current: Span | undefined = start;
    while (current && !walkOf.has(current)) {
      walkOf.set(current, walk);
      current = trace.parentOf(current);
    }
    if (current && walkOf.get(current) === walk && trace.parentOf(current) !== current) return true;
  }
  return false;
}

/** True when each span's parent in the trace (if any) starts strictly before it. */
function parentsStartFirst(trace: Trace): boolean {
  for (const span of trace.spans) {
    const parent = trace.parentOf(span);
    if (parent !== undefined && !(parent.startTimeUnixNano < span.startTimeUnixNano)) return false;
  }
  return true;
}

function rotateToEarliest(cycle: Span[], rank: ReadonlyMap<Span, number>): Span[] {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) if (rank.get(cycle[i]!)! < rank.get(cycle[best]!)!) best = i;
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

export type TimestampProblem = "zero-start-time" | "zero-end-time" | "end-before-start";

/** What is wrong with a span's timestamps; empty when they are usable. */
export function timestampProblems(span: Span): readonly TimestampProblem[] {
  // Almost every span is fine: answer without allocating.
  if (hasUsableTimestamps(span)) return NO_PROBLEMS;
  const problems: TimestampProblem[] = [];
  if (span.startTimeUnixNano === 0n) problems.push("zero-start-time");
  if (span.endTimeUnixNano === 0n) problems.push("zero-end-time");
  // With a zero on either side the order says nothing new.
  if (problems.length === 0 && span.endTimeUnixNano < span.startTimeUnixNano) problems.push("end-before-start");
  return problems;
}

const NO_PROBLEMS: readonly TimestampProblem[] = [];

/** No zero start or end and end ≥ start: exactly when `timestampProblems` is empty. */
export function hasUsableTimestamps(span: Span): boolean {
  return span.startTimeUnixNano !== 0n && span.endTimeUnixNano !== 0n && span.endTimeUnixNano >= span.startTimeUnixNano;
}

/** The span a trace-level finding is attributed to: the earliest root, else the earliest span. */
export function traceOwner(trace: Trace): Span | undefined {
  return trace.roots[0] ?? trace.earliestSpan;
}

/** Nanoseconds as milliseconds (microsecond precision), for messages. */
export function formatNanosAsMs(nanos: bigint): string {
  return `${Number(nanos / 1000n) / 1000} ms`;
}

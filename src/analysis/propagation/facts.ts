// The compact facts the propagation analysis keeps between traces. Everything here is plain data so
// that a snapshot is JSON: times travel as decimal strings because nanosecond bigints do not fit a
// JSON number.

/** What a CLIENT/PRODUCER span says about its destination (resolved to a service only at the end). */
export interface CallTarget {
  peerService: string | null;
  /** Lower-case host and the port when stated. */
  host: string | null;
  port: number | null;
  /** Messaging destination (PRODUCER spans only). */
  destination: string | null;
}

export type CallKind = "client" | "producer";

/** Calls of one service with the same target and the same callee evidence, counted together. */
export interface CallAggregate {
  from: string;
  kind: CallKind;
  target: CallTarget;
  /** Services other than `from` with a SERVER/CONSUMER span whose parent is the call (sorted). */
  propagatedTo: string[];
  count: number;
}

/** One call with no SERVER/CONSUMER child: kept for link matching and split-trace matching. */
export interface PendingCall {
  from: string;
  kind: CallKind;
  target: CallTarget;
  traceId: string;
  spanId: string;
  start: bigint;
  end: bigint;
  method: string | null;
  path: string | null;
}

/** A root SERVER/CONSUMER span: the possible other half of a split trace. */
export interface RootCandidate {
  service: string;
  kind: "server" | "consumer";
  traceId: string;
  spanId: string;
  start: bigint;
  method: string | null;
  path: string | null;
  route: string | null;
  /**
   * The SDK's parent-is-remote flag: "local" = flag recorded, parent not remote (no context was
   * extracted); "absent" = the SDK does not record it.
   */
  remoteFlag: "local" | "remote" | "absent";
}

export interface SerializedPendingCall extends Omit<PendingCall, "start" | "end"> {
  start: string;
  end: string;
}
export interface SerializedRootCandidate extends Omit<RootCandidate, "start"> {
  start: string;
}

export function serializePending(call: PendingCall): SerializedPendingCall {
  return { ...call, start: call.start.toString(), end: call.end.toString() };
}
export function deserializePending(call: SerializedPendingCall): PendingCall {
  return { ...call, start: BigInt(call.start), end: BigInt(call.end) };
}
export function serializeRoot(root: RootCandidate): SerializedRootCandidate {
  return { ...root, start: root.start.toString() };
}
export function deserializeRoot(root: SerializedRootCandidate): RootCandidate {
  return { ...root, start: BigInt(root.start) };
}

/** Canonical order (start, trace, span): caps keep the earliest, whatever order shards arrive in. */
export function compareByStart(a: { start: bigint; traceId: string; spanId: string }, b: { start: bigint; traceId: string; spanId: string }): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

export function aggregateKey(a: Omit<CallAggregate, "count">): string {
  const t = a.target;
  return JSON.stringify([a.from, a.kind, t.peerService, t.host, t.port, t.destination, a.propagatedTo]);
}

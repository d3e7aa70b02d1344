// The compact facts the propagation analysis keeps between traces, and their snapshot form
// (tuples over a string table, so that a snapshot is small JSON).

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

/**
 * One call kept individually for link, lag and split-trace matching: a call with no SERVER/CONSUMER
 * child of another service, or a call whose children need not be all its callees (a PRODUCER span
 * with a destination fans out to every consuming service; a call whose `peer.service` names a
 * service other than its children's).
 */
export interface PendingCall {
  from: string;
  kind: CallKind;
  target: CallTarget;
  /** Services other than `from` with a SERVER/CONSUMER span whose parent is the call (sorted; usually empty). */
  propagatedTo: string[];
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

/**
 * Strings that repeat across many facts (services, hosts, methods, routes, paths) are stored once
 * per snapshot; facts refer to them by index (-1 for null). Keeps a snapshot of thousands of
 * pending calls and roots compact (it travels between Worker invocations).
 */
export class StringTable {
  readonly strings: string[] = [];
  readonly #index = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return -1;
    let id = this.#index.get(value);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(value);
      this.#index.set(value, id);
    }
    return id;
  }
}

function stringAt(strings: readonly string[], id: number): string | null {
  return id < 0 ? null : (strings[id] ?? null);
}

/**
 * A pending call as a tuple: [from, kind (0 client, 1 producer), peerService, host, port,
 * destination, traceId, spanId, start ns, end − start ns, method, path, propagatedTo?]; strings are
 * table indexes. Times travel as decimal strings because nanosecond bigints do not fit a JSON
 * number. The last element is written only when the call has callee children (older snapshots,
 * whose pending calls never had any, lack it).
 */
export type SerializedPendingCall =
  | [number, 0 | 1, number, number, number | null, number, string, string, string, string, number, number]
  | [number, 0 | 1, number, number, number | null, number, string, string, string, string, number, number, number[]];
/** A root as a tuple: [service, kind (0 server, 1 consumer), traceId, spanId, start ns, method, path, route, remote flag (0 local, 1 remote, 2 absent)]. */
export type SerializedRootCandidate = [number, 0 | 1, string, string, string, number, number, number, 0 | 1 | 2];

const REMOTE_FLAGS = ["local", "remote", "absent"] as const;

export function serializePending(call: PendingCall, table: StringTable): SerializedPendingCall {
  const t = call.target;
  const tuple: SerializedPendingCall = [
    table.id(call.from), call.kind === "producer" ? 1 : 0, table.id(t.peerService), table.id(t.host), t.port, table.id(t.destination),
    call.traceId, call.spanId, call.start.toString(), (call.end - call.start).toString(), table.id(call.method), table.id(call.path),
  ];
  return call.propagatedTo.length === 0 ? tuple : [...tuple, call.propagatedTo.map((s) => table.id(s))];
}
export function deserializePending(tuple: SerializedPendingCall, strings: readonly string[]): PendingCall {
  const [from, kind, peerService, host, port, destination, traceId, spanId, start, duration, method, path, propagatedTo] = tuple;
  const startNs = BigInt(start);
  return {
    from: stringAt(strings, from) ?? "",
    kind: kind === 1 ? "producer" : "client",
    target: { peerService: stringAt(strings, peerService), host: stringAt(strings, host), port, destination: stringAt(strings, destination) },
    propagatedTo: (propagatedTo ?? []).map((id) => stringAt(strings, id) ?? ""),
    traceId,
    spanId,
    start: startNs,
    end: startNs + BigInt(duration),
    method: stringAt(strings, method),
    path: stringAt(strings, path),
  };
}
export function serializeRoot(root: RootCandidate, table: StringTable): SerializedRootCandidate {
  return [
    table.id(root.service), root.kind === "consumer" ? 1 : 0, root.traceId, root.spanId, root.start.toString(),
    table.id(root.method), table.id(root.path), table.id(root.route), REMOTE_FLAGS.indexOf(root.remoteFlag) as 0 | 1 | 2,
  ];
}
export function deserializeRoot(tuple: SerializedRootCandidate, strings: readonly string[]): RootCandidate {
  const [service, kind, traceId, spanId, start, method, path, route, remoteFlag] = tuple;
  return {
    service: stringAt(strings, service) ?? "",
    kind: kind === 1 ? "consumer" : "server",
    traceId,
    spanId,
    start: BigInt(start),
    method: stringAt(strings, method),
    path: stringAt(strings, path),
    route: stringAt(strings, route),
    remoteFlag: REMOTE_FLAGS[remoteFlag] ?? "absent",
  };
}

/** Canonical order (start, trace, span): caps keep the earliest, whatever order shards arrive in. */
export function compareByStart(a: { start: bigint; traceId: string; spanId: string }, b: { start: bigint; traceId: string; spanId: string }): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/**
 * The order pending calls are capped by: calls without a callee child first, then calls with one
 * (kept only for the fan-out to their other callees), each by (start, trace, span). So the calls
 * that have no other evidence keep the same places as if the others were not kept at all.
 */
export function comparePending(a: PendingCall, b: PendingCall): number {
  const classA = a.propagatedTo.length === 0 ? 0 : 1;
  const classB = b.propagatedTo.length === 0 ? 0 : 1;
  return classA - classB || compareByStart(a, b);
}

/** Length-prefixed, so distinct fields always give distinct keys (cheaper than JSON.stringify per call). */
function field(value: string | number | null): string {
  if (value === null) return "~";
  const text = String(value);
  return `${text.length}:${text}`;
}

export function aggregateKey(a: Omit<CallAggregate, "count">): string {
  const t = a.target;
  let key = `${a.kind}|${field(a.from)}${field(t.peerService)}${field(t.host)}${field(t.port)}${field(t.destination)}${a.propagatedTo.length}`;
  for (const service of a.propagatedTo) key += field(service);
  return key;
}

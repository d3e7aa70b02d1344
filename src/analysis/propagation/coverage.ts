// Turns the merged propagation state into per-edge and per-service coverage and split-trace pairs.
// Runs once, after every trace and shard.
import { addressKey } from "./attributes";
import { aggregateKey, type CallAggregate, type PendingCall } from "./facts";
import { TargetResolver } from "./resolver";
import { matchSplitTraces, type SplitPair } from "./split-matcher";
import { bump, type DroppedCounts, type PropagationState } from "./state";

export interface Ratio {
  propagated: number;
  total: number;
}

export interface EdgeCoverage {
  from: string;
  to: string;
  propagated: number;
  total: number;
  splitTraces: number;
  /**
   * Of `propagated`, calls the callee continued through a link from a new trace of its own rather
   * than as a child (batch consumers, public endpoints).
   */
  linked: number;
  /** Calls made over messaging (PRODUCER spans) among `total`. */
  messagingCalls: number;
  /**
   * Calls left out of `total` because the audit cannot judge them. Messages: produced after the
   * consumer's last consumption seen, or sent to a consumer that continues context through links
   * whose linking traces are mostly absent (a sampled audit). Any call to a callee that continues
   * context through links, when the bounded state did not keep the call itself to match its link.
   */
  undecided: number;
  /** Unpropagated calls kept individually (all of them unless the pending cap was hit). */
  unpropagated: PendingCall[];
  splits: SplitPair[];
}

export interface ServiceCoverage {
  service: string;
  inbound: Ratio;
  outbound: Ratio;
  externalCalls: number;
}

export interface CoverageResult {
  edges: EdgeCoverage[];
  services: ServiceCoverage[];
  dropped: DroppedCounts;
}

export interface CoverageOptions {
  toleranceNs: bigint;
  bucketNs: bigint;
}

function ratio(r: Ratio): number {
  return r.total === 0 ? 1 : r.propagated / r.total;
}

/** Worst first: lowest coverage, then most calls, then names. */
export function compareEdges(a: Ratio & { from: string; to: string }, b: Ratio & { from: string; to: string }): number {
  return ratio(a) - ratio(b) || b.total - a.total || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0) || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0);
}

/** Worst first: lowest combined inbound+outbound coverage, then most calls, then name. */
export function compareServices(a: ServiceCoverage, b: ServiceCoverage): number {
  const sum = (s: ServiceCoverage): Ratio => ({ propagated: s.inbound.propagated + s.outbound.propagated, total: s.inbound.total + s.outbound.total });
  const ra = sum(a);
  const rb = sum(b);
  return ratio(ra) - ratio(rb) || rb.total - ra.total || b.externalCalls - a.externalCalls || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);
}

/**
 * Below this share of a consumer's links pointing at producer spans present in the data, the data
 * holds too few of the producers' traces (a sampled audit) to judge an unlinked message.
 */
const MIN_LINKS_RESOLVED = 0.5;

export function computeCoverage(state: PropagationState, options: CoverageOptions): CoverageResult {
  const pending = state.pending.items();
  // Consumers that link to a producer span both prove it propagated and teach where its queue
  // leads; so do servers that link to the calling CLIENT span (public endpoints) for its address.
  const linkedBy = new Map<PendingCall, ReadonlySet<string>>();
  // destination → consuming service → links to producer spans that are in the data.
  const resolvedLinks = new Map<string, Map<string, number>>();
  for (const call of pending) {
    const key = `${call.traceId}:${call.spanId}`;
    const services = call.kind === "producer" ? state.consumerLinks.get(key) : state.serverLinks.get(key);
    if (!services) continue;
    linkedBy.set(call, services);
    if (call.kind === "client") {
      if (call.target.host !== null) {
        const address = addressKey({ host: call.target.host, port: call.target.port });
        for (const s of services) if (s !== call.from) bump(state.addresses, address, s, 1, Infinity);
      }
      continue;
    }
    if (call.target.destination === null) continue;
    for (const s of services) bump(resolvedLinks, call.target.destination, s, 1, Infinity);
    let learned = state.destinations.get(call.target.destination);
    if (!learned) state.destinations.set(call.target.destination, (learned = new Map()));
    for (const s of services) learned.set(s, (learned.get(s) ?? 0) + 1);
  }

  const resolver = new TargetResolver(state.services, state.addresses, state.destinations);
  const edges = new Map<string, EdgeCoverage>();
  const external = new Map<string, number>(state.databaseCalls);
  const edgeOf = (from: string, to: string): EdgeCoverage => {
    const key = `${from}\u0000${to}`;
    let edge = edges.get(key);
    if (!edge) {
      edge = { from, to, propagated: 0, total: 0, splitTraces: 0, linked: 0, messagingCalls: 0, undecided: 0, unpropagated: [], splits: [] };
      edges.set(key, edge);
    }
    return edge;
  };

  // Callees of aggregates with calls no child accounts for, for the calls not kept (below).
  const uncovered = new Map<string, { call: CallAggregate; callees: string[] }>();
  for (const [key, call] of state.calls) {
    const resolution = resolver.resolve(call);
    if (resolution.kind === "unresolved") external.set(call.from, (external.get(call.from) ?? 0) + call.count);
    if (resolution.kind !== "services") continue;
    const callees = resolution.services.filter((to) => !call.propagatedTo.includes(to));
    if (callees.length > 0) uncovered.set(key, { call, callees });
    for (const to of resolution.services) {
      const edge = edgeOf(call.from, to);
      edge.total += call.count;
      if (call.kind === "producer") edge.messagingCalls += call.count;
      if (call.propagatedTo.includes(to)) edge.propagated += call.count;
    }
  }

  // An unlinked message without a consumer child can only be judged when its consumption would be
  // in the data: the consumer consumed the destination after it was produced, and, if it continues
  // context through links, most of its links lead to producer spans that are in the data.
  const undecidable = (call: PendingCall, to: string): boolean => {
    if (call.target.destination === null) return false;
    const consumption = state.consumed.get(call.target.destination)?.get(to);
    if (consumption === undefined) return false;
    if (consumption.latest < call.start) return true;
    if (consumption.linking === 0) return false;
    const resolved = resolvedLinks.get(call.target.destination)?.get(to) ?? 0;
    return resolved < consumption.linking * MIN_LINKS_RESOLVED;
  };

  // Each kept call is judged again for every callee its children do not account for (counted
  // under `total` by its aggregate above, and resolved the same way).
  const toMatch: { call: PendingCall; callee: string }[] = [];
  const kept = new Map<string, number>(); // aggregate key → calls kept individually
  for (const call of pending) {
    const key = aggregateKey(call);
    kept.set(key, (kept.get(key) ?? 0) + 1);
    const resolution = resolver.resolve(call);
    if (resolution.kind !== "services") continue;
    for (const to of resolution.services) {
      if (call.propagatedTo.includes(to)) continue;
      const edge = edgeOf(call.from, to);
      if (linkedBy.get(call)?.has(to)) {
        edge.propagated++;
        edge.linked++;
      } else if (call.kind === "producer" && undecidable(call, to)) {
        // Counted under `total` by its aggregate above: taken out again.
        edge.total--;
        edge.messagingCalls--;
        edge.undecided++;
      } else {
        edge.unpropagated.push(call);
        toMatch.push({ call, callee: to });
      }
    }
  }

  // Calls the bounded state did not keep individually (past maxPendingCallsPerBucket or
  // maxPendingCalls) cannot be matched with a link. Where the callee continues context through
  // links — its CONSUMER spans on the destination link, or it linked kept calls of this edge —
  // such a call may well have been linked, so it is left undecided rather than counted as a gap.
  // Elsewhere they stay unpropagated, as their aggregate counted them.
  for (const [key, { call, callees }] of uncovered) {
    const notKept = call.count - (kept.get(key) ?? 0);
    if (notKept <= 0) continue;
    for (const to of callees) {
      const edge = edgeOf(call.from, to);
      const linking =
        call.kind === "producer"
          ? call.target.destination !== null && (state.consumed.get(call.target.destination)?.get(to)?.linking ?? 0) > 0
          : edge.linked > 0;
      if (!linking) continue;
      edge.total -= notKept;
      if (call.kind === "producer") edge.messagingCalls -= notKept;
      edge.undecided += notKept;
    }
  }

  for (const pair of matchSplitTraces(toMatch, state.roots.items(), options)) {
    const edge = edgeOf(pair.call.from, pair.callee);
    edge.splitTraces++;
    edge.splits.push(pair);
  }

  const services = new Map<string, ServiceCoverage>();
  const serviceOf = (service: string): ServiceCoverage => {
    let s = services.get(service);
    if (!s) services.set(service, (s = { service, inbound: { propagated: 0, total: 0 }, outbound: { propagated: 0, total: 0 }, externalCalls: 0 }));
    return s;
  };
  for (const edge of edges.values()) {
    const out = serviceOf(edge.from).outbound;
    out.propagated += edge.propagated;
    out.total += edge.total;
    const inbound = serviceOf(edge.to).inbound;
    inbound.propagated += edge.propagated;
    inbound.total += edge.total;
  }
  for (const [service, count] of external) serviceOf(service).externalCalls += count;

  return {
    edges: [...edges.values()].sort(compareEdges),
    services: [...services.values()].sort(compareServices),
    dropped: state.droppedCounts(),
  };
}

// Turns the merged propagation state into per-edge and per-service coverage and split-trace pairs.
// Runs once, after every trace and shard.
import type { PendingCall } from "./facts";
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
  /** Calls made over messaging (PRODUCER spans) among `total`. */
  messagingCalls: number;
  /**
   * Messages left out of `total` because the audited data cannot show whether they were consumed
   * with the context: produced after the consumer's last consumption seen, or sent to a consumer
   * that continues context through links whose linking traces are mostly absent (a sampled audit).
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
  // Consumers that link to a producer span both prove it propagated and teach where its queue leads.
  const linkedBy = new Map<PendingCall, ReadonlySet<string>>();
  // destination → consuming service → links to producer spans that are in the data.
  const resolvedLinks = new Map<string, Map<string, number>>();
  for (const call of pending) {
    if (call.kind !== "producer") continue;
    const services = state.consumerLinks.get(`${call.traceId}:${call.spanId}`);
    if (!services) continue;
    linkedBy.set(call, services);
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
      edge = { from, to, propagated: 0, total: 0, splitTraces: 0, messagingCalls: 0, undecided: 0, unpropagated: [], splits: [] };
      edges.set(key, edge);
    }
    return edge;
  };

  for (const call of state.calls.values()) {
    const resolution = resolver.resolve(call);
    if (resolution.kind === "unresolved") external.set(call.from, (external.get(call.from) ?? 0) + call.count);
    if (resolution.kind !== "services") continue;
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

  const toMatch: { call: PendingCall; callee: string }[] = [];
  for (const call of pending) {
    const resolution = resolver.resolve({ ...call, propagatedTo: [] });
    if (resolution.kind !== "services") continue;
    for (const to of resolution.services) {
      const edge = edgeOf(call.from, to);
      if (linkedBy.get(call)?.has(to)) {
        edge.propagated++;
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

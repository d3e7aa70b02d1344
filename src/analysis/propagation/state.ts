// The propagation analysis' cross-trace state: what each trace teaches about services, addresses and
// queues, every call counted by (caller, target, callee evidence), and the calls and roots that
// might be the two halves of a split trace. All of it is bounded (see LIMITS) and merges by union
// and addition, so shards combine into the state one run over all traces would have built.
import { hasRemoteParent, SpanKind, type Span } from "../../model/span";
import { isRootParent, type Trace } from "../../model/trace";
import {
  addressKey,
  addressLookupKeys,
  addressOf,
  clientPathOf,
  destinationOf,
  failedWithoutAnswer,
  firstDnsLabel,
  firstLabelMayNameService,
  upperCaseMethodOf,
  httpRouteOf,
  isDatabaseSpan,
  peerServiceOf,
  serverPathOf,
} from "./attributes";
import { BucketedEarliest } from "./bucketed-earliest";
import {
  aggregateKey,
  compareByStart,
  comparePending,
  deserializePending,
  deserializeRoot,
  serializePending,
  serializeRoot,
  StringTable,
  type CallAggregate,
  type CallKind,
  type CallTarget,
  type PendingCall,
  type RootCandidate,
  type SerializedPendingCall,
  type SerializedRootCandidate,
} from "./facts";

export interface PropagationLimits {
  /** Unpropagated calls kept individually (for links and split matching); the earliest are kept. */
  maxPendingCalls: number;
  /** Unpropagated CLIENT calls kept per (caller, target, time bucket); the earliest are kept. */
  maxPendingCallsPerBucket: number;
  /** Root SERVER/CONSUMER spans kept as split-trace candidates; the earliest are kept. */
  maxCandidateRoots: number;
  /** Roots kept per (service, kind, route, time bucket); the earliest are kept. */
  maxRootsPerBucket: number;
  /** Time-bucket width of both indexes. */
  bucketMs: number;
}

/** Caps on the learned maps and aggregates; past them new keys are counted as dropped. */
export const LIMITS = {
  services: 100_000,
  addressKeys: 50_000,
  destinations: 50_000,
  consumerLinks: 100_000,
  serverLinks: 100_000,
  callAggregates: 100_000,
  /**
   * Of the call aggregates, those whose only evidence is an address (CLIENT calls without
   * `peer.service` or a callee child): a caller that calls pod IPs directly makes one per pod. Past
   * this budget such a call is counted only when its address already looks internal: learned as
   * leading to a service, or its host names a known service. Below it, nothing changes.
   */
  addressCallAggregates: 50_000,
} as const;

export interface PropagationSnapshot {
  version: 2;
  services: string[];
  /** [address key, service, times learned] */
  addresses: [string, string, number][];
  /** [destination, service, times learned] */
  destinations: [string, string, number][];
  /** [`traceId:spanId` of a linked span, services of CONSUMER spans linking to it] */
  consumerLinks: [string, string[]][];
  /**
   * [`traceId:spanId` of a linked span, services of SERVER spans linking to it] (public endpoints
   * that start a new trace and link to the caller). Absent in snapshots of older versions.
   */
  serverLinks?: [string, string[]][];
  /**
   * [destination, consuming service, latest start (ns, decimal) of its CONSUMER spans naming the
   * destination, how many of them link to a producer]. Absent in snapshots of older versions.
   */
  consumed?: [string, string, string, number][];
  calls: CallAggregate[];
  /** Database CLIENT spans per service (never calls, always external). */
  databaseCalls: [string, number][];
  /** Strings that `pending` and `roots` refer to by index. */
  strings: string[];
  pending: SerializedPendingCall[];
  roots: SerializedRootCandidate[];
  dropped: DroppedCounts;
}

export interface DroppedCounts {
  /**
   * Calls not counted at all: the aggregate table was full, or the call's only evidence was an
   * address that did not look internal past the address budget (LIMITS.addressCallAggregates).
   */
  calls: number;
  pendingCalls: number;
  candidateRoots: number;
  /** Learned addresses, destinations, links and services not recorded past their caps. */
  learned: number;
}

const NO_CHILDREN: readonly Span[] = [];

/** A CLIENT call whose callee only its address can tell (no `peer.service`, no callee child). */
function addressOnly(a: Omit<CallAggregate, "count">): boolean {
  return a.kind === "client" && a.propagatedTo.length === 0 && a.target.peerService === null && a.target.destination === null && a.target.host !== null;
}

/** Aggregates remembered per calling service for the field-by-field fast path. */
const RECENT_CALLS_PER_SERVICE = 8;

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Adds `by` to map[key][service]; false (nothing added) when `key` is new and the map holds `cap` keys. */
export function bump(map: Map<string, Map<string, number>>, key: string, service: string, by: number, cap: number): boolean {
  let inner = map.get(key);
  if (!inner) {
    if (map.size >= cap) return false;
    inner = new Map();
    map.set(key, inner);
  }
  inner.set(service, (inner.get(service) ?? 0) + by);
  return true;
}

/** What the CONSUMER spans of one service naming one destination showed. */
export interface Consumption {
  /** Start of the latest of them. */
  latest: bigint;
  /** How many of them link to a producer span (the link-style continuation of the context). */
  linking: number;
}

function noteConsumption(map: Map<string, Map<string, Consumption>>, destination: string, service: string, latest: bigint, linking: number): boolean {
  let inner = map.get(destination);
  if (!inner) {
    if (map.size >= LIMITS.destinations) return false;
    inner = new Map();
    map.set(destination, inner);
  }
  const seen = inner.get(service);
  if (!seen) inner.set(service, { latest, linking });
  else {
    if (latest > seen.latest) seen.latest = latest;
    seen.linking += linking;
  }
  return true;
}

function flatten(map: Map<string, Map<string, number>>): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (const [key, inner] of map) for (const [service, count] of inner) out.push([key, service, count]);
  return out;
}

/** A root slot computed recently, with what it was computed from. */
interface RecentSlot {
  service: string;
  kind: string;
  routeOrMethod: string;
  /** The bucket's time range [from, to). */
  from: bigint;
  to: bigint;
  slot: string;
}
const RECENT_ROOT_SLOTS = 8;

export class PropagationState {
  readonly services = new Set<string>();
  readonly addresses = new Map<string, Map<string, number>>();
  readonly destinations = new Map<string, Map<string, number>>();
  readonly consumerLinks = new Map<string, Set<string>>();
  /** `traceId:spanId` → services whose SERVER spans link to it. */
  readonly serverLinks = new Map<string, Set<string>>();
  /** destination → consuming service → what its CONSUMER spans naming the destination showed. */
  readonly consumed = new Map<string, Map<string, Consumption>>();
  readonly calls = new Map<string, CallAggregate>();
  readonly databaseCalls = new Map<string, number>();
  readonly pending: BucketedEarliest<PendingCall>;
  readonly roots: BucketedEarliest<RootCandidate>;
  readonly dropped = { calls: 0, learned: 0 };

  constructor(limits: PropagationLimits) {
    const bucketNs = BigInt(Math.max(1, Math.round(limits.bucketMs * 1_000_000)));
    const bucket = (start: bigint) => (start / bucketNs).toString();
    // Pending CLIENT calls are indexed by what names their callee before resolution (the target)
    // and capped per bucket; PRODUCER calls are not, because a consumer's link to any one of them
    // is what makes it count as propagated (coverage), so each is kept up to the total cap. Calls
    // with a callee child come after all calls without one (comparePending), so keeping them for
    // their other callees never takes a place from a call that has no other evidence.
    this.pending = new BucketedEarliest<PendingCall>({
      perBucket: (call) => (call.kind === "producer" ? Infinity : limits.maxPendingCallsPerBucket),
      total: limits.maxPendingCalls,
      compare: comparePending,
      slotOf: (c) => `${c.from}\u0000${c.kind}\u0000${c.target.peerService ?? ""}\u0000${c.target.host ?? ""}\u0000${c.target.port ?? ""}\u0000${c.target.destination ?? ""}\u0000${bucket(c.start)}`,
    });
    // Roots per callee service and route (method when there is none): a busy front-door route
    // cannot crowd out the route a broken caller calls.
    // Most roots fall into one of a few recent slots: found again by their parts (the decoders'
    // shared strings: a pointer compare) and the bucket's time range, the slot string is reused
    // instead of a bigint division, a decimal string and a joined key to hash per root.
    const recent: RecentSlot[] = [];
    let replace = 0;
    this.#rootSlot = (service, kind, routeOrMethod, start) => {
      for (const r of recent) {
        if (r.service === service && r.kind === kind && r.routeOrMethod === routeOrMethod && start >= r.from && start < r.to) return r.slot;
      }
      const slot = `${service}\u0000${kind}\u0000${routeOrMethod}\u0000${bucket(start)}`;
      // Cached for non-negative times only, where truncating division makes [from, to) the bucket.
      if (start >= 0n) {
        const from = (start / bucketNs) * bucketNs;
        const entry = { service, kind, routeOrMethod, from, to: from + bucketNs, slot };
        if (recent.length < RECENT_ROOT_SLOTS) recent.push(entry);
        else recent[(replace = (replace + 1) % RECENT_ROOT_SLOTS)] = entry;
      }
      return slot;
    };
    this.#maxRootsPerBucket = limits.maxRootsPerBucket;
    this.roots = new BucketedEarliest<RootCandidate>({
      perBucket: () => limits.maxRootsPerBucket,
      total: limits.maxCandidateRoots,
      compare: compareByStart,
      slotOf: (r) => this.#rootSlot(r.service, r.kind, r.route ?? r.method ?? "", r.start),
    });
  }

  readonly #rootSlot: (service: string, kind: RootCandidate["kind"], routeOrMethod: string, start: bigint) => string;
  readonly #maxRootsPerBucket: number;

  addTrace(trace: Trace): void {
    const byId = trace.spanById;
    const repeats = byId.size !== trace.spans.length;
    // Only SERVER/CONSUMER children tell where a call went (#addCall ignores the others), so index
    // just those, by parent, in input order: fewer lists than the trace's full children index.
    const children = new Map<string, Span[]>();
    // A CLIENT span whose child is a CLIENT span of another service handed its call on: a sidecar
    // or egress proxy (its own service name, `frontend.default`) re-issues it. The proxy's call is
    // the hop that reaches the server, so the outer span is not counted as a call of its own (it
    // would never show a SERVER child). A nested CLIENT of the same service (`dns.lookup` under an
    // HTTP call) is a library detail and changes nothing.
    let forwarded: Set<string> | undefined;
    let lastKnown: string | undefined; // a service already in `services`: noting it again is a no-op
    for (const span of trace.spans) {
      if (span.service !== lastKnown) {
        this.#noteService(span.service);
        lastKnown = this.services.has(span.service) ? span.service : undefined;
      }
      if (isRootParent(span.parentSpanId)) continue;
      if (span.kind === SpanKind.CLIENT) {
        const parent = byId.get(span.parentSpanId);
        if (parent?.kind === SpanKind.CLIENT && parent.service !== span.service) (forwarded ??= new Set()).add(span.parentSpanId);
        continue;
      }
      if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CONSUMER) continue;
      const list = children.get(span.parentSpanId);
      if (list) list.push(span);
      else children.set(span.parentSpanId, [span]);
    }
    for (const span of trace.spans) {
      // A span repeated in the input (same ID, e.g. the trace read from two files) is one call.
      if (repeats && byId.get(span.spanId) !== span) continue;
      if (span.kind === SpanKind.CONSUMER) this.#learnFromConsumer(span);
      else if (span.kind === SpanKind.SERVER && span.links.length > 0) this.#learnFromServer(span);
      if (span.kind !== SpanKind.CLIENT && span.kind !== SpanKind.PRODUCER) continue;
      // A call handed to a proxy is skipped, unless it has a callee of its own: then it is the hop.
      if (forwarded?.has(span.spanId) && !children.has(span.spanId)) continue;
      if (isDatabaseSpan(span)) {
        this.databaseCalls.set(span.service, (this.databaseCalls.get(span.service) ?? 0) + 1);
        continue;
      }
      this.#addCall(span, children.get(span.spanId) ?? NO_CHILDREN);
    }
    for (const root of trace.roots) this.#addRootCandidate(trace, root);
  }

  #noteService(service: string): void {
    if (this.services.has(service)) return;
    if (this.services.size < LIMITS.services) {
      this.services.add(service);
      this.#lowerServices.add(service.toLowerCase());
    } else this.dropped.learned++;
  }

  /** Lower-cased known services (the resolver's by-name rule); derived, never part of a snapshot. */
  readonly #lowerServices = new Set<string>();
  /** Address-only aggregates in `calls` (see LIMITS.addressCallAggregates); derived from `calls`. */
  #addressAggregates = 0;

  /**
   * Could the address resolve to a service, as far as this state knows yet? Learned as leading to
   * one (`host:port` or `host`), or the host names a known service the way the resolver's last rule
   * reads it. A call to an unlearned pod IP or an external host does not.
   */
  #looksInternal(target: CallTarget): boolean {
    const host = target.host;
    if (host === null) return false;
    for (const key of addressLookupKeys({ host, port: target.port })) if (this.addresses.has(key)) return true;
    if (this.#lowerServices.has(host)) return true;
    const label = firstLabelMayNameService(host) ? firstDnsLabel(host) : undefined;
    return label !== undefined && this.#lowerServices.has(label);
  }

  #learnFromConsumer(span: Span): void {
    // A consumer names the queue it reads: the queue was "seen consumed" by this service.
    const destination = destinationOf(span);
    if (destination !== undefined) {
      if (!bump(this.destinations, destination, span.service, 1, LIMITS.destinations)) this.dropped.learned++;
      if (!noteConsumption(this.consumed, destination, span.service, span.startTimeUnixNano, span.links.length > 0 ? 1 : 0)) this.dropped.learned++;
    }
    for (const link of span.links) this.#addLink(this.consumerLinks, LIMITS.consumerLinks, `${link.traceId}:${link.spanId}`, span.service);
  }

  /**
   * A SERVER span that links instead of continuing (a public endpoint: Go otelhttp's
   * WithPublicEndpoint, the HTTP conventions' advice for untrusted callers) received the caller's
   * context and deliberately started a new trace: its link names the calling span.
   */
  #learnFromServer(span: Span): void {
    for (const link of span.links) this.#addLink(this.serverLinks, LIMITS.serverLinks, `${link.traceId}:${link.spanId}`, span.service);
  }

  #addLink(links: Map<string, Set<string>>, cap: number, key: string, service: string): void {
    let services = links.get(key);
    if (!services) {
      if (links.size >= cap) {
        this.dropped.learned++;
        return;
      }
      services = new Set();
      links.set(key, services);
    }
    services.add(service);
  }

  #addCall(span: Span, children: readonly Span[]): void {
    const kind: CallKind = span.kind === SpanKind.PRODUCER ? "producer" : "client";
    const addr = addressOf(span);
    const target: CallTarget = {
      peerService: peerServiceOf(span) ?? null,
      host: addr?.host ?? null,
      port: addr?.port ?? null,
      destination: kind === "producer" ? (destinationOf(span) ?? null) : null,
    };
    const calleeKind = kind === "producer" ? SpanKind.CONSUMER : SpanKind.SERVER;
    // Distinct callee services; almost always zero or one, so an array rather than a Set.
    const propagatedTo: string[] = [];
    let selfCallee = false;
    for (const child of children) {
      if (child.kind !== SpanKind.SERVER && child.kind !== SpanKind.CONSUMER) continue;
      if (child.service === span.service) {
        selfCallee = true;
        continue;
      }
      if (!propagatedTo.includes(child.service)) propagatedTo.push(child.service);
      // Learned map: this address / queue leads to the child's service.
      if (child.kind === calleeKind && addr && kind === "client") {
        if (!bump(this.addresses, addressKey(addr), child.service, 1, LIMITS.addressKeys)) this.dropped.learned++;
      }
      if (child.kind === SpanKind.CONSUMER && target.destination !== null) {
        if (!bump(this.destinations, target.destination, child.service, 1, LIMITS.destinations)) this.dropped.learned++;
      }
    }
    // A service calling itself (loopback, re-entrant queue) is neither a call nor external.
    if (selfCallee && propagatedTo.length === 0) return;
    // A call that failed without any answer (connection refused, DNS, a timeout before the
    // response, a gRPC UNAVAILABLE, a sidecar's own 503 UF) never reached a server that could have
    // continued the trace: not counted.
    if (propagatedTo.length === 0 && kind === "client" && failedWithoutAnswer(span)) return;
    propagatedTo.sort();
    if (!this.#countRecentCall(span.service, kind, target, propagatedTo)) {
      this.#rememberCall(this.#countCall({ from: span.service, kind, target, propagatedTo }, 1));
    }
    // Kept individually: a call with no callee child, and a call whose children need not be all
    // its callees: a message fans out to every service consuming its destination (one consumer
    // group continuing it says nothing of another that links, lags or ignores the headers), and
    // `peer.service` may name a service other than the children's (resolution takes it first).
    if (
      propagatedTo.length === 0 ||
      target.destination !== null ||
      (target.peerService !== null && !propagatedTo.includes(target.peerService))
    ) {
      this.pending.add({
        from: span.service,
        kind,
        target,
        propagatedTo,
        traceId: span.traceId,
        spanId: span.spanId,
        start: span.startTimeUnixNano,
        end: span.endTimeUnixNano,
        method: kind === "client" ? upperCaseMethodOf(span) : null,
        path: kind === "client" ? clientPathOf(span) : null,
      });
    }
  }

  /** Counts calls under their aggregate; returns the aggregate, or undefined when the table is full. */
  #countCall(aggregate: Omit<CallAggregate, "count">, count: number): CallAggregate | undefined {
    const key = aggregateKey(aggregate);
    const existing = this.calls.get(key);
    if (existing) {
      existing.count += count;
      return existing;
    }
    const byAddress = addressOnly(aggregate);
    // Past the address budget, high-cardinality targets (pod IPs, per-tenant hosts) no longer take
    // the places that calls to known services need.
    const admitted = !byAddress || this.#addressAggregates < LIMITS.addressCallAggregates || this.#looksInternal(aggregate.target);
    if (admitted && this.calls.size < LIMITS.callAggregates) {
      const added = { ...aggregate, count };
      this.calls.set(key, added);
      if (byAddress) this.#addressAggregates++;
      return added;
    }
    this.dropped.calls += count;
    return undefined;
  }

  /**
   * Per calling service, the aggregates it counted last (most recent first). A service makes the
   * same few kinds of call over and over, so most calls match one of these field by field and are
   * counted without building and hashing the aggregate key. Equal fields mean an equal key, and an
   * aggregate is never replaced in `calls`, so this counts exactly what #countCall would.
   * Process memory only (references into `calls`); never part of a snapshot.
   */
  readonly #recentCalls = new Map<string, CallAggregate[]>();

  #countRecentCall(from: string, kind: CallKind, target: CallTarget, propagatedTo: readonly string[]): boolean {
    const recent = this.#recentCalls.get(from);
    if (recent === undefined) return false;
    for (const a of recent) {
      const t = a.target;
      if (
        a.kind === kind &&
        t.peerService === target.peerService &&
        t.host === target.host &&
        t.port === target.port &&
        t.destination === target.destination &&
        sameStrings(a.propagatedTo, propagatedTo)
      ) {
        a.count++;
        return true;
      }
    }
    return false;
  }

  #rememberCall(aggregate: CallAggregate | undefined): void {
    if (aggregate === undefined) return;
    let recent = this.#recentCalls.get(aggregate.from);
    if (recent === undefined) this.#recentCalls.set(aggregate.from, (recent = []));
    recent.unshift(aggregate);
    if (recent.length > RECENT_CALLS_PER_SERVICE) recent.pop();
  }

  #addRootCandidate(trace: Trace, span: Span): void {
    if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CONSUMER) return;
    // A root that links continued the context through the link: a consumer linking to its
    // producer, a public endpoint linking to its caller.
    if (span.links.length > 0) return;
    const kind = span.kind === SpanKind.SERVER ? "server" : "consumer";
    const method = upperCaseMethodOf(span);
    const route = httpRouteOf(span);
    const slot = this.#rootSlot(span.service, kind, route ?? method ?? "", span.startTimeUnixNano);
    // Once a bucket is full (the usual case at a steady rate), a later root is only counted.
    const probe = { start: span.startTimeUnixNano, traceId: trace.traceId, spanId: span.spanId };
    if (this.roots.rejects(slot, this.#maxRootsPerBucket, (last) => compareByStart(probe, last) >= 0)) return;
    const remote = hasRemoteParent(span);
    this.roots.add(
      {
        service: span.service,
        kind,
        traceId: trace.traceId,
        spanId: span.spanId,
        start: span.startTimeUnixNano,
        method,
        path: serverPathOf(span),
        route,
        remoteFlag: remote === undefined ? "absent" : remote ? "remote" : "local",
      },
      slot,
    );
  }

  snapshot(): PropagationSnapshot {
    return {
      version: 2,
      services: [...this.services],
      addresses: flatten(this.addresses),
      destinations: flatten(this.destinations),
      consumerLinks: [...this.consumerLinks].map(([key, services]) => [key, [...services]]),
      serverLinks: [...this.serverLinks].map(([key, services]) => [key, [...services]]),
      consumed: [...this.consumed].flatMap(([destination, inner]) =>
        [...inner].map(([service, c]): [string, string, string, number] => [destination, service, c.latest.toString(), c.linking]),
      ),
      calls: [...this.calls.values()].map((c) => ({ ...c })),
      databaseCalls: [...this.databaseCalls],
      ...this.#serializedCandidates(),
      dropped: this.droppedCounts(),
    };
  }

  #serializedCandidates(): Pick<PropagationSnapshot, "strings" | "pending" | "roots"> {
    const table = new StringTable();
    const pending = this.pending.items().map((call) => serializePending(call, table));
    const roots = this.roots.items().map((root) => serializeRoot(root, table));
    return { strings: table.strings, pending, roots };
  }

  merge(snapshot: PropagationSnapshot): void {
    if (snapshot.version !== 2) throw new Error(`propagation state version ${String(snapshot.version)} is from another tracelint version; re-run the audit`);
    for (const service of snapshot.services) this.#noteService(service);
    for (const [key, service, count] of snapshot.addresses) {
      if (!bump(this.addresses, key, service, count, LIMITS.addressKeys)) this.dropped.learned++;
    }
    for (const [key, service, count] of snapshot.destinations) {
      if (!bump(this.destinations, key, service, count, LIMITS.destinations)) this.dropped.learned++;
    }
    for (const [key, services] of snapshot.consumerLinks) for (const s of services) this.#addLink(this.consumerLinks, LIMITS.consumerLinks, key, s);
    for (const [key, services] of snapshot.serverLinks ?? []) for (const s of services) this.#addLink(this.serverLinks, LIMITS.serverLinks, key, s);
    for (const [destination, service, latest, linking] of snapshot.consumed ?? []) {
      if (!noteConsumption(this.consumed, destination, service, BigInt(latest), linking)) this.dropped.learned++;
    }
    for (const call of snapshot.calls) this.#countCall(call, call.count);
    for (const [service, count] of snapshot.databaseCalls) this.databaseCalls.set(service, (this.databaseCalls.get(service) ?? 0) + count);
    for (const call of snapshot.pending) this.pending.add(deserializePending(call, snapshot.strings));
    for (const root of snapshot.roots) this.roots.add(deserializeRoot(root, snapshot.strings));
    this.pending.addDropped(snapshot.dropped.pendingCalls);
    this.roots.addDropped(snapshot.dropped.candidateRoots);
    this.dropped.calls += snapshot.dropped.calls;
    this.dropped.learned += snapshot.dropped.learned;
  }

  droppedCounts(): DroppedCounts {
    return {
      calls: this.dropped.calls,
      pendingCalls: this.pending.dropped,
      candidateRoots: this.roots.dropped,
      learned: this.dropped.learned,
    };
  }
}

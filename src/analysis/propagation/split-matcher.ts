// Split-trace matching: an unpropagated call from A to B is proven to have reached B when a root
// SERVER (HTTP) or CONSUMER (messaging) span of B, in another trace, starts inside the call's
// [start, end] window widened by the clock-skew tolerance, with the same HTTP method and a
// compatible path when both sides carry one. Calls are taken earliest first and each takes the
// earliest unpaired root, so each root pairs at most once and the result does not depend on input
// order. Roots are indexed by (service, time bucket).
import type { PendingCall, RootCandidate } from "./facts";
import { compareByStart } from "./facts";
import { requestsCompatible } from "./path-match";

export interface SplitPair {
  call: PendingCall;
  /** The service the call resolved to. */
  callee: string;
  root: RootCandidate;
}

export interface SplitMatchOptions {
  toleranceNs: bigint;
  bucketNs: bigint;
}

/** Roots per service per time bucket (bucket = floor(start / bucketNs)), each bucket sorted. */
export class RootIndex {
  readonly #byService = new Map<string, Map<bigint, RootCandidate[]>>();
  readonly #bucketNs: bigint;

  constructor(roots: readonly RootCandidate[], bucketNs: bigint) {
    this.#bucketNs = bucketNs;
    for (const root of [...roots].sort(compareByStart)) {
      let buckets = this.#byService.get(root.service);
      if (!buckets) this.#byService.set(root.service, (buckets = new Map()));
      const bucket = root.start / bucketNs;
      const list = buckets.get(bucket);
      if (list) list.push(root);
      else buckets.set(bucket, [root]);
    }
  }

  /** Roots of `service` starting in [from, to], in start order. */
  *within(service: string, from: bigint, to: bigint): Generator<RootCandidate> {
    const buckets = this.#byService.get(service);
    if (!buckets || to < from) return;
    const first = from / this.#bucketNs;
    const last = to / this.#bucketNs;
    // A very long call spans more buckets than the service has: walk the occupied ones instead.
    const keys =
      last - first + 1n > BigInt(buckets.size)
        ? [...buckets.keys()].filter((b) => b >= first && b <= last).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        : Array.from({ length: Number(last - first + 1n) }, (_, i) => first + BigInt(i));
    for (const key of keys) {
      for (const root of buckets.get(key) ?? []) if (root.start >= from && root.start <= to) yield root;
    }
  }
}

/** Pairs unpropagated calls (each with the service it resolved to) with roots of another trace. */
export function matchSplitTraces(
  calls: readonly { call: PendingCall; callee: string }[],
  roots: readonly RootCandidate[],
  options: SplitMatchOptions,
): SplitPair[] {
  const index = new RootIndex(roots, options.bucketNs);
  const paired = new Set<RootCandidate>();
  const pairs: SplitPair[] = [];
  const ordered = [...calls].sort((a, b) => compareByStart(a.call, b.call) || (a.callee < b.callee ? -1 : a.callee > b.callee ? 1 : 0));
  for (const { call, callee } of ordered) {
    const wantKind = call.kind === "producer" ? "consumer" : "server";
    const from = call.start - options.toleranceNs;
    const to = call.end + options.toleranceNs;
    for (const root of index.within(callee, from, to)) {
      if (paired.has(root) || root.kind !== wantKind || root.traceId === call.traceId) continue;
      if (wantKind === "server" && !requestsCompatible(call, root)) continue;
      paired.add(root);
      pairs.push({ call, callee, root });
      break;
    }
  }
  return pairs;
}

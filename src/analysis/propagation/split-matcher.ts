// Split-trace matching: an unpropagated call from A to B is proven to have reached B when a root
// SERVER (HTTP) or CONSUMER (messaging) span of B, in another trace, starts inside the call's
// [start, end] window widened by the clock-skew tolerance, with the same HTTP method and a
// compatible path when both sides carry one. Calls are taken earliest first and each takes the
// earliest unpaired root, so each root pairs at most once and the result does not depend on input
// order. Roots are indexed by (service, kind) in start order; paired roots are skipped.
import type { PendingCall, RootCandidate } from "./facts";
import { compareByStart } from "./facts";
import { requestsCompatible } from "./path-match";
import { lowerBound } from "../../util/lower-bound";

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

/**
 * Roots per (service, kind), each list sorted canonically (start, trace, span). A root paired once
 * is skipped from then on through a "next unpaired" pointer per list (union-find with path
 * halving), so a call's window costs a binary search plus the unpaired roots it looks at, instead of
 * a rescan of every root already paired since the start of the window: matching stays near-linear
 * when thousands of split pairs crowd one window.
 */
export class RootIndex {
  readonly #lists = new Map<string, RootList>();

  constructor(roots: readonly RootCandidate[]) {
    const grouped = new Map<string, RootCandidate[]>();
    for (const root of roots) {
      const key = `${root.kind}\u0000${root.service}`;
      const list = grouped.get(key);
      if (list) list.push(root);
      else grouped.set(key, [root]);
    }
    for (const [key, list] of grouped) this.#lists.set(key, new RootList(list.sort(compareByStart)));
  }

  /** The earliest unpaired root of `service` and `kind` starting in [from, to] that `accept` takes, marked paired. */
  pairFirst(service: string, kind: RootCandidate["kind"], from: bigint, to: bigint, accept: (root: RootCandidate) => boolean): RootCandidate | undefined {
    return this.#lists.get(`${kind}\u0000${service}`)?.pairFirst(from, to, accept);
  }
}

class RootList {
  readonly #roots: readonly RootCandidate[];
  /** next[i]: a position ≥ i whose root may be unpaired (roots.length = past the end); next[i] = i when root i is unpaired. */
  readonly #next: Int32Array;

  constructor(roots: readonly RootCandidate[]) {
    this.#roots = roots;
    this.#next = new Int32Array(roots.length + 1);
    for (let i = 0; i <= roots.length; i++) this.#next[i] = i;
  }

  #find(i: number): number {
    const next = this.#next;
    while (next[i] !== i) {
      const up = next[next[i]!]!;
      next[i] = up;
      i = up;
    }
    return i;
  }

  pairFirst(from: bigint, to: bigint, accept: (root: RootCandidate) => boolean): RootCandidate | undefined {
    const roots = this.#roots;
    if (to < from) return undefined;
    // First root starting at or after `from`.
    const first = lowerBound(roots.length, (i) => roots[i]!.start < from);
    for (let i = this.#find(first); i < roots.length; i = this.#find(i + 1)) {
      const root = roots[i]!;
      if (root.start > to) return undefined;
      if (!accept(root)) continue;
      this.#next[i] = i + 1;
      return root;
    }
    return undefined;
  }
}

/** Pairs unpropagated calls (each with the service it resolved to) with roots of another trace. */
export function matchSplitTraces(
  calls: readonly { call: PendingCall; callee: string }[],
  roots: readonly RootCandidate[],
  options: SplitMatchOptions,
): SplitPair[] {
  const index = new RootIndex(roots);
  const pairs: SplitPair[] = [];
  const ordered = [...calls].sort((a, b) => compareByStart(a.call, b.call) || (a.callee < b.callee ? -1 : a.callee > b.callee ? 1 : 0));
  for (const { call, callee } of ordered) {
    const wantKind = call.kind === "producer" ? "consumer" : "server";
    const from = call.start - options.toleranceNs;
    const to = call.end + options.toleranceNs;
    const root = index.pairFirst(callee, wantKind, from, to, (r) => r.traceId !== call.traceId && (wantKind !== "server" || requestsCompatible(call, r)));
    if (root) pairs.push({ call, callee, root });
  }
  return pairs;
}

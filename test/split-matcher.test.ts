import { describe, expect, it } from "vitest";
import { compareByStart, type PendingCall, type RootCandidate } from "../src/analysis/propagation/facts";
import { requestsCompatible } from "../src/analysis/propagation/path-match";
import { matchSplitTraces } from "../src/analysis/propagation/split-matcher";
import { seededRandom } from "../fixtures/lib/recorder";

const MS = 1_000_000n;
const options = { toleranceNs: 50n * MS, bucketNs: 1_000n * MS };

/** The definition, literally: calls earliest first, each takes the earliest fitting unpaired root. */
function bruteForce(calls: { call: PendingCall; callee: string }[], roots: RootCandidate[], tol: bigint) {
  const sortedRoots = [...roots].sort(compareByStart);
  const ordered = [...calls].sort((a, b) => compareByStart(a.call, b.call) || (a.callee < b.callee ? -1 : a.callee > b.callee ? 1 : 0));
  const paired = new Set<RootCandidate>();
  const out: { call: PendingCall; callee: string; root: RootCandidate }[] = [];
  for (const { call, callee } of ordered) {
    const kind = call.kind === "producer" ? "consumer" : "server";
    for (const root of sortedRoots) {
      if (paired.has(root) || root.service !== callee || root.kind !== kind || root.traceId === call.traceId) continue;
      if (root.start < call.start - tol || root.start > call.end + tol) continue;
      if (kind === "server" && !requestsCompatible(call, root)) continue;
      paired.add(root);
      out.push({ call, callee, root });
      break;
    }
  }
  return out;
}

function call(over: Partial<PendingCall> & { start: bigint; end: bigint; traceId: string; spanId: string }): PendingCall {
  return { from: "a", kind: "client", target: { peerService: null, host: null, port: null, destination: null }, propagatedTo: [], method: null, path: null, ...over };
}
function root(over: Partial<RootCandidate> & { start: bigint; traceId: string; spanId: string; service: string }): RootCandidate {
  return { kind: "server", method: null, path: null, route: null, remoteFlag: "local", ...over };
}

describe("split-trace matching", () => {
  it("pairs exactly as the brute-force definition on random inputs", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = seededRandom(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const services = ["b", "c", "d"];
      const methods = [null, "GET", "POST"];
      const paths = [null, "/items/1", "/items/2", "/orders/1"];
      const routes = [null, "/items/{id}", "/orders/{id}"];
      const traces = Array.from({ length: 12 }, (_, i) => `t${i}`);
      const span = (): number => Math.floor(r() * 3000) - 500; // also negative times (bucket 0 spans both signs)
      const calls = Array.from({ length: 40 + Math.floor(r() * 80) }, (_, i) => {
        const start = BigInt(span()) * MS;
        const producer = r() < 0.2;
        return {
          call: call({
            kind: producer ? "producer" : "client",
            start,
            end: start + BigInt(Math.floor(r() * (r() < 0.1 ? 4000 : 300))) * MS,
            traceId: pick(traces),
            spanId: `c${i}`,
            method: producer ? null : pick(methods),
            path: producer ? null : pick(paths),
          }),
          callee: pick(services),
        };
      });
      const roots = Array.from({ length: 40 + Math.floor(r() * 120) }, (_, i) =>
        root({
          service: pick(services),
          kind: r() < 0.2 ? "consumer" : "server",
          // Ties in start exercise the (trace, span) order.
          start: BigInt(Math.floor(span() / 7) * 7) * MS,
          traceId: pick(traces),
          spanId: `r${i}`,
          method: pick(methods),
          path: pick(paths),
          route: pick(routes),
        }),
      );
      const got = matchSplitTraces(calls, roots, options).map((p) => [p.call.spanId, p.callee, p.root.spanId]);
      const want = bruteForce(calls, roots, options.toleranceNs).map((p) => [p.call.spanId, p.callee, p.root.spanId]);
      expect(got, `seed ${seed}`).toEqual(want);
    }
  });

  it("does work near-linear in the pairs when many split pairs share one window (N vs 4N)", () => {
    // Concurrent calls (a burst, all started within a microsecond, each lasting long enough to
    // cover every root): call k pairs with root k, so the k roots before it in its window are all
    // already paired. Cost = reads of a root's start (sorting, searching and scanning read it).
    function cost(n: number): number {
      let reads = 0;
      const calls = [];
      const roots: RootCandidate[] = [];
      for (let i = 0; i < n; i++) {
        const start = BigInt(i);
        calls.push({ call: call({ start, end: 10n * BigInt(n) * MS, traceId: `call${i}`, spanId: `c${i}` }), callee: "b" });
        const r = root({ service: "b", start: BigInt(i + 1) * MS, traceId: `root${i}`, spanId: `r${i}` });
        const startNs = r.start;
        Object.defineProperty(r, "start", { get: () => (reads++, startNs), enumerable: true });
        roots.push(r);
      }
      const pairs = matchSplitTraces(calls, roots, options);
      expect(pairs).toHaveLength(n);
      return reads;
    }
    const small = cost(2_000);
    const large = cost(8_000);
    // n log n gives ≈ 4.7; the old rescan of paired roots gave ≈ 16.
    expect(large / small).toBeLessThan(8);
  });
});

// Bounds of the propagation analysis' split-trace evidence: candidate roots and pending calls are
// kept per (callee, time bucket) with a per-bucket and a total cap, the kept set does not depend on
// arrival order or sharding, and a steady stream of traces leaves the state flat.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../fixtures/lib/recorder";
import { PropagationEstate } from "../fixtures/scenarios/propagation/hops";
import propagationGap from "../rules/propagation-gap";
import splitTrace from "../rules/split-trace";
import { BucketedEarliest } from "../src/analysis/propagation/bucketed-earliest";
import type { PropagationSnapshot } from "../src/analysis/propagation/state";
import { Analyzer } from "../src/engine/analyzer";
import { resolveConfig } from "../src/engine/config";
import type { Trace } from "../src/model/trace";
import { buildTraces } from "./support/build-trace";

interface Item {
  slot: string;
  start: number;
  id: number;
}
const compare = (a: Item, b: Item) => a.start - b.start || a.id - b.id;

function store(perBucket: number, total: number) {
  return new BucketedEarliest<Item>({ perBucket: () => perBucket, total, compare, slotOf: (i) => i.slot });
}

describe("BucketedEarliest", () => {
  const random = seededRandom(5);
  const items: Item[] = Array.from({ length: 400 }, (_, id) => ({ slot: `s${Math.floor(random() * 7)}`, start: Math.floor(random() * 1000), id }));

  it("keeps the earliest per slot, then the earliest overall, whatever the order or sharding", () => {
    const expected = (() => {
      const perSlot = new Map<string, Item[]>();
      for (const item of [...items].sort(compare)) {
        const list = perSlot.get(item.slot) ?? [];
        if (list.length < 5) list.push(item);
        perSlot.set(item.slot, list);
      }
      return [...perSlot.values()].flat().sort(compare).slice(0, 20);
    })();
    const once = store(5, 20);
    for (const item of items) once.add(item);
    expect(once.items()).toEqual(expected);
    expect(once.dropped).toBe(items.length - 20);

    const reversed = store(5, 20);
    for (const item of [...items].reverse()) reversed.add(item);
    expect(reversed.items()).toEqual(expected);

    // Two shards merged the way PropagationState.merge does it: kept items re-added, drops summed.
    const [a, b] = [store(5, 20), store(5, 20)];
    items.forEach((item, i) => (i % 3 === 0 ? a : b).add(item));
    const merged = store(5, 20);
    for (const item of [...a.items(), ...b.items()]) merged.add(item);
    merged.addDropped(a.dropped + b.dropped);
    expect(merged.items()).toEqual(expected);
    expect(merged.dropped).toBe(items.length - 20);
  });
});

/** orders → fraud with fraud ignoring the headers, while fraud's /health route is busy in the same seconds. */
function busyCalleeEstate(seed: number): Uint8Array {
  const e = new PropagationEstate(seed);
  for (let i = 0; i < 4; i++) {
    const t = i * 1000;
    for (let k = 0; k < 30; k++) e.root("fraud", "GET", "/health", "/health", [t + k, t + k + 1]);
    const root = e.root("orders", "POST", "/orders", "/orders", [t + 40, t + 100]);
    e.http(root, "orders", "fraud", { method: "POST", route: "/checks", path: "/checks", host: "fraud", port: 8080 }, [t + 62, t + 80], [t + 63, t + 79], "no-extract");
  }
  return e.finish();
}

function analyse(traces: readonly Trace[], options: Record<string, unknown>): Analyzer {
  const rules = { "propagation-gap": ["error", options], "split-trace": ["warning", options] };
  const analyzer = new Analyzer(resolveConfig({ rules }, [propagationGap, splitTrace]));
  for (const t of traces) analyzer.addTrace(t);
  return analyzer;
}

describe("propagation state bounds (real SDK)", () => {
  it("a busy route of the callee does not crowd the broken caller's split roots out of a bucket", async () => {
    const traces = await buildTraces(busyCalleeEstate(31));
    const report = analyse(traces, { maxRootsPerBucket: 2 }).finish();
    expect(report.coverage!.edges).toEqual([{ from: "orders", to: "fraud", propagated: 0, total: 4, splitTraces: 4 }]);
    const state = analyse(traces, { maxRootsPerBucket: 2 }).snapshot().analyses.propagation as PropagationSnapshot;
    // Per second: 2 of fraud's 30 /health roots, fraud's /checks root, orders' own root.
    expect(state.roots).toHaveLength(4 * 4);
    expect(state.dropped.candidateRoots).toBe(4 * 28);
  });

  it("more traces in the same time window leave the candidate state the same size", async () => {
    const first = await buildTraces(busyCalleeEstate(41));
    const second = await buildTraces(busyCalleeEstate(42));
    // Caps of 1: already reached by the first half, so the second half can only replace, not add.
    const options = { maxRootsPerBucket: 1, maxPendingCallsPerBucket: 1 };
    const size = (traces: readonly Trace[]) => {
      const state = analyse(traces, options).snapshot().analyses.propagation as PropagationSnapshot;
      return { roots: state.roots.length, pending: state.pending.length, chars: JSON.stringify([state.strings, state.roots, state.pending]).length };
    };
    const n = size(first);
    const twoN = size([...first, ...second]);
    expect(n).toMatchObject({ roots: 4 * 3, pending: 4 });
    expect(twoN).toEqual({ ...n, chars: expect.any(Number) });
    // Same counts; only the kept IDs and times differ (at most a few characters).
    expect(Math.abs(twoN.chars - n.chars)).toBeLessThan(n.chars * 0.02);
  });
});

// Deterministic sampling of Tempo blocks: by row group, about the requested fraction of each block's
// row groups is kept (a weak hash kept or dropped whole blocks: the row-group indexes differ only
// in their last character); by trace, the fraction of trace IDs.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../fixtures/lib/recorder";
import { keepRowGroup, keepTrace, type SampleSpec } from "../src/sources/blocks/sample";

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe("block sampling", () => {
  it("keeps about the fraction of row groups within each block, not whole blocks", () => {
    const random = seededRandom(5);
    const spec: SampleSpec = { fraction: 0.5, unit: "row-groups" };
    const keptPerBlock = Array.from({ length: 400 }, () => {
      const block = uuid(random);
      return Array.from({ length: 10 }, (_, i) => keepRowGroup(spec, block, i)).filter(Boolean).length;
    });
    const allOrNothing = keptPerBlock.filter((k) => k === 0 || k === 10).length;
    // Binomial(10, 0.5): 0 or 10 kept in ≈ 0.2 % of blocks (≈ 1 of 400), not the ≈ 90 % seen before.
    expect(allOrNothing).toBeLessThan(8);
    const total = keptPerBlock.reduce((a, b) => a + b, 0);
    expect(total / 4000).toBeGreaterThan(0.45);
    expect(total / 4000).toBeLessThan(0.55);
  });

  it("keeps about the fraction of traces", () => {
    const random = seededRandom(6);
    const spec: SampleSpec = { fraction: 0.1, unit: "traces" };
    const ids = Array.from({ length: 5000 }, () => uuid(random).replace(/-/g, ""));
    const kept = ids.filter((id) => keepTrace(spec, id)).length;
    expect(kept / ids.length).toBeGreaterThan(0.08);
    expect(kept / ids.length).toBeLessThan(0.12);
  });
});

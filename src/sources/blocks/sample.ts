// Deterministic sampling. By trace (default): a trace is kept or dropped in every block alike, so
// combining across blocks still sees whole traces. By row group: cheaper (skipped row groups are
// never fetched) but a trace split across blocks may lose the part in a skipped row group.

export type SampleUnit = "traces" | "row-groups";

export interface SampleSpec {
  /** 0 < fraction ≤ 1. */
  fraction: number;
  unit: SampleUnit;
}

/**
 * FNV-1a 32-bit with a final avalanche (MurmurHash3's fmix32), mapped to [0, 1). Stable across runs
 * and runtimes. Without the avalanche, texts that differ only in their last characters (the row
 * groups `block:0` … `block:9`) land close together in the high bits that set the fraction: a block
 * was kept or dropped whole.
 */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export function keepTrace(sample: SampleSpec | undefined, traceId: string): boolean {
  return !sample || sample.unit !== "traces" || sample.fraction >= 1 || unitHash(traceId) < sample.fraction;
}

export function keepRowGroup(sample: SampleSpec | undefined, blockId: string, index: number): boolean {
  return !sample || sample.unit !== "row-groups" || sample.fraction >= 1 || unitHash(`${blockId}:${index}`) < sample.fraction;
}

export function parseSample(fraction: string, unit = "traces"): SampleSpec {
  const f = Number(fraction);
  if (!Number.isFinite(f) || f <= 0 || f > 1) throw new RangeError(`--sample must be a fraction in (0, 1], got ${JSON.stringify(fraction)}`);
  if (unit !== "traces" && unit !== "row-groups") throw new RangeError(`--sample-unit must be traces or row-groups, got ${JSON.stringify(unit)}`);
  return { fraction: f, unit };
}

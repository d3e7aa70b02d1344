// Maps Tempo's dedicated attribute columns (`DedicatedAttributes.String01…`, vParquet5 also
// `Int01…`) back to attribute keys, from `meta.json` `dedicatedColumns` (tempo.md §4.5, trap 18).
// Without this, every attribute the operator promoted to a dedicated column is invisible.
import type { DedicatedColumn, DedicatedScope } from "./meta";

export interface DedicatedSlot {
  /** Field of the DedicatedAttributes struct, e.g. "String01", "Int02". */
  field: string;
  key: string;
}

export type DedicatedMapping = Record<DedicatedScope, DedicatedSlot[]>;

export interface DedicatedLimits {
  strings: number;
  ints: number;
  /**
   * vParquet4 ignores entries that carry options; vParquet5 maps them like any other entry (the
   * `blob` option only changes the column's compression; `array` is ignored by every released
   * Tempo since #6199, 2.10.0: one stored value reads back as a scalar, several as an array).
   */
  allowOptions: boolean;
}

/** Slot n of each type, per scope, in meta.json order (Tempo's dedicatedColumnsToColumnMapping). */
export function dedicatedMapping(columns: readonly DedicatedColumn[], limits: DedicatedLimits): DedicatedMapping {
  const mapping: DedicatedMapping = { resource: [], span: [], event: [] };
  const used: Record<DedicatedScope, { string: number; int: number }> = {
    resource: { string: 0, int: 0 },
    span: { string: 0, int: 0 },
    event: { string: 0, int: 0 },
  };
  for (const column of columns) {
    if (!(column.scope in mapping)) continue;
    if (column.options.length > 0 && !limits.allowOptions) continue;
    const counter = used[column.scope];
    const n = column.type === "int" ? ++counter.int : ++counter.string;
    const max = column.type === "int" ? limits.ints : limits.strings;
    if (n > max) continue;
    const field = `${column.type === "int" ? "Int" : "String"}${String(n).padStart(2, "0")}`;
    mapping[column.scope].push({ field, key: column.name });
  }
  return mapping;
}

// The built-in rules, in the order they run. Adding a rule: create `rules/<id>.ts` exporting a
// `defineRule(...)` default, then list it here (one line).
import type { Rule } from "../src/engine/rule";
import invalidSpanContext from "./invalid-span-context";
import duplicateSpanId from "./duplicate-span-id";
import parentCycle from "./parent-cycle";
import missingRoot from "./missing-root";
import orphanSpan from "./orphan-span";
import multipleRoots from "./multiple-roots";
import invalidTimestamps from "./invalid-timestamps";
import clockSkew from "./clock-skew";
import partialTrace from "./partial-trace";
import piiInAttributes from "./pii-in-attributes";
import missingServiceName from "./missing-service-name";
import errorStatusMismatch from "./error-status-mismatch";
import spanLimitsExceeded from "./span-limits-exceeded";
import oversizedTrace from "./oversized-trace";
import rootSpanIsClient from "./root-span-is-client";
import propagationGap from "./propagation-gap";
import splitTrace from "./split-trace";
import highCardinalitySpanName from "./high-cardinality-span-name";
import spanNameConvention from "./span-name-convention";

export const builtinRules: Rule[] = [
  invalidSpanContext,
  duplicateSpanId,
  parentCycle,
  missingRoot,
  orphanSpan,
  multipleRoots,
  invalidTimestamps,
  clockSkew,
  partialTrace,
  piiInAttributes,
  missingServiceName,
  errorStatusMismatch,
  spanLimitsExceeded,
  oversizedTrace,
  rootSpanIsClient,
  propagationGap,
  splitTrace,
  highCardinalitySpanName,
  spanNameConvention,
];

export function findRule(id: string): Rule | undefined {
  return builtinRules.find((r) => r.meta.id === id);
}

// vParquet4: list-valued attributes (released: `IsArray` + `ValueUnsupported`; the dev schema of
// Tempo's own test block: `ValueType` + `ValueDropped` — both handled by convert.attributeValue),
// events relative to span start, nested links, well-known resource and HTTP columns, dedicated
// string columns String01..10 for resource and span.
import { dedicatedMapping } from "./dedicated";
import { nestedLinks, relativeEvents, rowToSpans, RESOURCE_WELL_KNOWN_V3_V4, SPAN_WELL_KNOWN_V3_V4, type FormatShape } from "./convert";
import type { BlockFormatReader } from "./format";

const shape: FormatShape = {
  resourceWellKnown: RESOURCE_WELL_KNOWN_V3_V4,
  spanWellKnown: SPAN_WELL_KNOWN_V3_V4,
  events: relativeEvents,
  links: nestedLinks,
};

export const vParquet4: BlockFormatReader = {
  format: "vParquet4",
  columns: ["TraceID", "rs"],
  forBlock(dedicated) {
    const mapping = dedicatedMapping(dedicated, { strings: 10, ints: 0, allowOptions: false });
    return (row) => rowToSpans(row, shape, mapping);
  },
};

// vParquet5: only `ServiceName` is left as a well-known resource column (no HTTP columns), and
// dedicated columns are repeated (String01..20, Int01..05) for resource, span and event scopes.
// hyparquet assembles both the released layout (no LIST wrappers, `rs.ss.Spans.*`) and the
// `vParquet5-preview5` layout (with `list.element`) into the same nested rows.
import { dedicatedMapping } from "./dedicated";
import { nestedLinks, relativeEvents, rowToSpans, type FormatShape } from "./convert";
import type { BlockFormatReader } from "./format";

const shape: FormatShape = {
  resourceWellKnown: [["ServiceName", "service.name"]],
  spanWellKnown: [],
  events: relativeEvents,
  links: nestedLinks,
};

export const vParquet5: BlockFormatReader = {
  format: "vParquet5",
  columns: ["TraceID", "rs"],
  forBlock(dedicated) {
    const mapping = dedicatedMapping(dedicated, { strings: 20, ints: 5, allowOptions: true });
    return (row) => rowToSpans(row, shape, mapping);
  },
};

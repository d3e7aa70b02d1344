// vParquet3 (tempo.md §4.5 "vParquet3 differences"): scalar attribute columns with JSON arrays and
// kvlists, absolute event times with proto-encoded event attribute values, and links as one
// proto-encoded `tempopb.LinkSlice` byte column.
import type { AttributeValue, SpanEvent, SpanLink } from "../../model/span";
import { dedicatedMapping } from "./dedicated";
import { num, rowToSpans, rows, RESOURCE_WELL_KNOWN_V3_V4, SPAN_WELL_KNOWN_V3_V4, str, u64, type FormatShape, type Row } from "./convert";
import type { BlockFormatReader } from "./format";
import { decodeAnyValue, decodeLinkSlice } from "./proto-wire";

function events(span: Row): SpanEvent[] {
  return rows(span.Events).map((e) => {
    const attributes = new Map<string, AttributeValue>();
    for (const a of rows(e.Attrs)) {
      let value: AttributeValue = null;
      try {
        value = a.Value instanceof Uint8Array ? decodeAnyValue(a.Value) : null;
      } catch {
        value = null; // a damaged value is dropped, the key kept
      }
      attributes.set(str(a.Key), value);
    }
    return { timeUnixNano: u64(e.TimeUnixNano), name: str(e.Name), attributes, droppedAttributesCount: num(e.DroppedAttributesCount) };
  });
}

function links(span: Row): SpanLink[] {
  const bytes = span.Links;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return [];
  try {
    return decodeLinkSlice(bytes);
  } catch {
    return [];
  }
}

const shape: FormatShape = {
  resourceWellKnown: RESOURCE_WELL_KNOWN_V3_V4,
  spanWellKnown: SPAN_WELL_KNOWN_V3_V4,
  events: (span) => events(span),
  links,
};

export const vParquet3: BlockFormatReader = {
  format: "vParquet3",
  columns: ["TraceID", "rs"],
  forBlock(dedicated) {
    const mapping = dedicatedMapping(dedicated, { strings: 10, ints: 0, allowOptions: false });
    return (row) => rowToSpans(row, shape, mapping);
  },
};

// Minimal protobuf wire reader for the two proto-encoded columns of vParquet3: event attribute
// values (`AnyValue`) and span links (`tempopb.LinkSlice`). Field numbers from OTLP common.proto
// and trace.proto; unknown fields are skipped.
import type { AttributeMap, AttributeValue } from "../../model/span";
import { bytesToHex, traceIdFromBytes } from "../../model/ids";

class Wire {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error("varint too long");
    }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw new Error("truncated length-delimited field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw new Error("truncated fixed64");
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const tag = Number(this.varint());
      yield [tag >>> 3, tag & 7];
    }
  }
}

const utf8 = new TextDecoder();

function int64(value: bigint): number | bigint {
  const signed = BigInt.asIntN(64, value);
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
}

export function decodeAnyValue(bytes: Uint8Array): AttributeValue {
  const w = new Wire(bytes);
  let value: AttributeValue = null;
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) value = utf8.decode(w.bytes());
    else if (field === 2 && type === 0) value = w.varint() !== 0n;
    else if (field === 3 && type === 0) value = int64(w.varint());
    else if (field === 4 && type === 1) value = w.fixed64().getFloat64(0, true);
    else if (field === 5 && type === 2) value = decodeArray(w.bytes());
    else if (field === 6 && type === 2) value = decodeKeyValueList(w.bytes());
    else if (field === 7 && type === 2) value = w.bytes().slice();
    else w.skip(type);
  }
  return value;
}

function decodeArray(bytes: Uint8Array): AttributeValue[] {
  const w = new Wire(bytes);
  const out: AttributeValue[] = [];
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) out.push(decodeAnyValue(w.bytes()));
    else w.skip(type);
  }
  return out;
}

function decodeKeyValue(bytes: Uint8Array): [string, AttributeValue] {
  const w = new Wire(bytes);
  let key = "";
  let value: AttributeValue = null;
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) key = utf8.decode(w.bytes());
    else if (field === 2 && type === 2) value = decodeAnyValue(w.bytes());
    else w.skip(type);
  }
  return [key, value];
}

function decodeKeyValueList(bytes: Uint8Array): AttributeMap {
  const w = new Wire(bytes);
  const map = new Map<string, AttributeValue>();
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) {
      const [k, v] = decodeKeyValue(w.bytes());
      map.set(k, v);
    } else w.skip(type);
  }
  return map;
}

export interface WireLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: AttributeMap;
  droppedAttributesCount: number;
  flags: number;
}

function decodeLink(bytes: Uint8Array): WireLink {
  const w = new Wire(bytes);
  const link: WireLink = { traceId: "", spanId: "", traceState: "", attributes: new Map(), droppedAttributesCount: 0, flags: 0 };
  const attributes = new Map<string, AttributeValue>();
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) link.traceId = traceIdFromBytes(w.bytes());
    else if (field === 2 && type === 2) link.spanId = bytesToHex(w.bytes());
    else if (field === 3 && type === 2) link.traceState = utf8.decode(w.bytes());
    else if (field === 4 && type === 2) {
      const [k, v] = decodeKeyValue(w.bytes());
      attributes.set(k, v);
    } else if (field === 5 && type === 0) link.droppedAttributesCount = Number(w.varint());
    else if (field === 6 && type === 5) {
      link.flags = new DataView(w.buf.buffer, w.buf.byteOffset + w.pos, 4).getUint32(0, true);
      w.pos += 4;
    } else w.skip(type);
  }
  link.attributes = attributes;
  return link;
}

/** tempopb.LinkSlice { repeated Link links = 1 }. */
export function decodeLinkSlice(bytes: Uint8Array): WireLink[] {
  const w = new Wire(bytes);
  const out: WireLink[] = [];
  for (const [field, type] of w.fields()) {
    if (field === 1 && type === 2) out.push(decodeLink(w.bytes()));
    else w.skip(type);
  }
  return out;
}

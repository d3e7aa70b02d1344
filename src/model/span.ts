// The canonical span model every decoder produces and every rule reads.
// IDs are lower-case hex (trace IDs left-padded to 32 chars); times are bigint nanoseconds so that
// 19-digit Unix-nano timestamps never lose precision.
import { redactText } from "../pii/redact";

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

export const SPAN_KIND_NAMES: Record<SpanKind, string> = {
  0: "UNSPECIFIED",
  1: "INTERNAL",
  2: "SERVER",
  3: "CLIENT",
  4: "PRODUCER",
  5: "CONSUMER",
};

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

/** OTLP span `flags`: low byte = W3C trace flags; bits 8/9 = parent-is-remote known/remote. */
export const SpanFlags = {
  SAMPLED: 0x01,
  CONTEXT_HAS_IS_REMOTE: 0x100,
  CONTEXT_IS_REMOTE: 0x200,
} as const;

/**
 * An attribute value as OTLP `AnyValue` carries it. int64 values are numbers when they fit in a
 * double exactly, bigint otherwise; kvlists are Maps so that attacker-chosen keys such as
 * `__proto__` stay plain data.
 */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | AttributeValue[]
  | AttributeMap;
export type AttributeMap = ReadonlyMap<string, AttributeValue>;
export type Attributes = AttributeMap;

export interface Resource {
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface SpanStatus {
  readonly code: StatusCode;
  readonly message: string;
}

export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  /** "" when the span claims to be a root. An all-zero ID is kept as decoded (see isRootParent). */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: SpanKind;
  /** Resource `service.name`, or `unknown_service` when the resource has none. */
  readonly service: string;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  /** OTLP span flags (0 when the producer did not set them). */
  readonly flags: number;
  readonly traceState: string;
}

export const UNKNOWN_SERVICE = "unknown_service";

const EMPTY_ATTRIBUTES: Attributes = new Map();
export const EMPTY_RESOURCE: Resource = { attributes: EMPTY_ATTRIBUTES, droppedAttributesCount: 0 };
export const EMPTY_SCOPE: InstrumentationScope = {
  name: "",
  version: "",
  attributes: EMPTY_ATTRIBUTES,
  droppedAttributesCount: 0,
};
export function emptyAttributes(): Attributes {
  return EMPTY_ATTRIBUTES;
}

/**
 * Service name as the resource states it, with any personal data or secret in it masked (the name
 * is quoted in every finding, table, snippet and alert; `pii-in-attributes` still reports the raw
 * `resource.service.name`); `unknown_service` when absent or not a string.
 */
export function serviceNameOf(resource: Resource): string {
  const value = resource.attributes.get("service.name");
  return typeof value === "string" && value !== "" ? redactText(value) : UNKNOWN_SERVICE;
}

/** Reads a string attribute, or undefined when absent or of another type. */
export function stringAttribute(attributes: Attributes, key: string): string | undefined {
  const value = attributes.get(key);
  return typeof value === "string" ? value : undefined;
}

/** The HTTP request method as recorded: `http.request.method`, or the older `http.method`. */
export function httpMethodAttribute(attributes: Attributes): string | undefined {
  return stringAttribute(attributes, "http.request.method") ?? stringAttribute(attributes, "http.method");
}

/** Reads an integer attribute (int, or a numeric string as some SDKs send), or undefined. */
export function intAttribute(attributes: Attributes, key: string): number | undefined {
  const value = attributes.get(key);
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

export function isSampled(flags: number): boolean {
  return (flags & SpanFlags.SAMPLED) !== 0;
}

/** True when the span's flags say its parent context came from another process. */
export function hasRemoteParent(span: Span): boolean | undefined {
  if ((span.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE) === 0) return undefined;
  return (span.flags & SpanFlags.CONTEXT_IS_REMOTE) !== 0;
}

// The few TraceQL expressions the sampling plan builds. Service names come from Tempo itself and
// may contain quotes or backslashes, so literals are always escaped, never pasted.

/** A TraceQL double-quoted string literal. */
export function traceqlString(value: string): string {
  let out = "";
  for (const ch of value) {
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `"${out}"`;
}

/** Every trace (any span matches). */
export const ALL_TRACES_QUERY = "{}";

/** Traces with at least one span from `service` (resource attribute, as Tempo indexes it). */
export function serviceQuery(service: string): string {
  return `{ resource.service.name = ${traceqlString(service)} }`;
}

/** The tag whose values list the services (Tempo's v2 tag API takes a TraceQL identifier). */
export const SERVICE_TAG_V2 = "resource.service.name";
/** The same for the v1 tag API, which takes a raw attribute name. */
export const SERVICE_TAG_V1 = "service.name";

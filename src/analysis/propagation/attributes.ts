// Reads the few attributes that say where a CLIENT/PRODUCER span went and what an HTTP request was,
// covering both the current semantic conventions and the older names SDKs still emit.
import { httpMethodAttribute, intAttribute, StatusCode, stringAttribute, type Span } from "../../model/span";

export interface Address {
  /** Lower-case host name or IP. */
  host: string;
  /** Port when the span states one (explicitly; a scheme's default port is not assumed). */
  port: number | null;
}

/** Spans that talk to a database are never calls between services. */
export function isDatabaseSpan(span: Span): boolean {
  return span.attributes.has("db.system") || span.attributes.has("db.system.name");
}

function hostPortOf(urlText: string): Address | undefined {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "") return undefined;
  return { host, port: url.port === "" ? null : Number(url.port) };
}

function address(hostValue: string | undefined, port: number | undefined): Address | undefined {
  if (hostValue === undefined || hostValue === "") return undefined;
  return { host: hostValue.toLowerCase(), port: port ?? null };
}

/**
 * Where a call went: `server.address[:server.port]`, else the host of `url.full`, else the older
 * `net.peer.name[:net.peer.port]`, else the host of `http.url`.
 */
export function addressOf(span: Span): Address | undefined {
  const a = span.attributes;
  return (
    address(stringAttribute(a, "server.address"), intAttribute(a, "server.port")) ??
    urlAddress(stringAttribute(a, "url.full")) ??
    address(stringAttribute(a, "net.peer.name"), intAttribute(a, "net.peer.port")) ??
    urlAddress(stringAttribute(a, "http.url"))
  );
}

function urlAddress(text: string | undefined): Address | undefined {
  return text === undefined ? undefined : hostPortOf(text);
}

/** The learned-map key of an address: `host:port` when the port is known, else `host`. */
export function addressKey(addr: Address): string {
  return addr.port === null ? addr.host : `${addr.host}:${addr.port}`;
}

/** Keys to look an address up by, most specific first. */
export function addressLookupKeys(addr: Address): string[] {
  return addr.port === null ? [addr.host] : [`${addr.host}:${addr.port}`, addr.host];
}

/**
 * `messaging.destination.name` (or the older `messaging.destination`), qualified by
 * `messaging.system` when present (`kafka:events`): a Kafka topic and a RabbitMQ queue that share
 * a name are different destinations, with different consumers.
 */
export function destinationOf(span: Span): string | undefined {
  const value = stringAttribute(span.attributes, "messaging.destination.name") ?? stringAttribute(span.attributes, "messaging.destination");
  if (value === undefined || value === "") return undefined;
  const system = stringAttribute(span.attributes, "messaging.system");
  return system === undefined || system === "" ? value : `${system}:${value}`;
}

export function peerServiceOf(span: Span): string | undefined {
  const value = stringAttribute(span.attributes, "peer.service");
  return value === "" ? undefined : value;
}

/** The recorded HTTP method in upper case, whatever it is (null when absent), for matching calls. */
export function upperCaseMethodOf(span: Span): string | null {
  const value = httpMethodAttribute(span.attributes);
  return value === undefined || value === "" ? null : value.toUpperCase();
}

function stripQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}

function urlPath(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text).pathname;
  } catch {
    return undefined;
  }
}

/** The path a client requested, without query: `url.full`, `url.path`, older `http.url`/`http.target`. */
export function clientPathOf(span: Span): string | null {
  const a = span.attributes;
  const path =
    urlPath(stringAttribute(a, "url.full")) ??
    stringAttribute(a, "url.path") ??
    urlPath(stringAttribute(a, "http.url")) ??
    stringAttribute(a, "http.target");
  return path === undefined || path === "" ? null : stripQuery(path);
}

/** The path a server received, without query: `url.path`, older `http.target`. */
export function serverPathOf(span: Span): string | null {
  const path = stringAttribute(span.attributes, "url.path") ?? stringAttribute(span.attributes, "http.target");
  return path === undefined || path === "" ? null : stripQuery(path);
}

export function httpRouteOf(span: Span): string | null {
  const route = stringAttribute(span.attributes, "http.route");
  return route === undefined || route === "" ? null : route;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** `ledger.finance.svc.cluster.local` → `ledger`; undefined for IP addresses and single labels. */
export function firstDnsLabel(host: string): string | undefined {
  if (IPV4.test(host) || host.includes(":")) return undefined;
  const dot = host.indexOf(".");
  return dot <= 0 ? undefined : host.slice(0, dot);
}

/** Suffixes of names that only resolve inside a cluster or private network. */
const INTERNAL_SUFFIXES = [".svc", ".svc.cluster.local", ".cluster.local", ".local", ".localdomain", ".internal", ".consul", ".lan", ".home.arpa"];
/** Top-level domains common enough that `name.<tld>` is a public host, not Kubernetes' `service.namespace`. */
const PUBLIC_TLDS = new Set(
  "com net org io dev app co ai cloud info biz me tv xyz gov edu mil int us uk de fr eu nl se ch at be es it pl ru cn jp kr in br ca au nz ie dk no fi cz pt gr tr il za mx ar sh so gg ly to fm".split(" "),
);

/**
 * Whether a host's first DNS label may name a service: a cluster-internal name (`ledger.finance`,
 * `ledger.finance.svc.cluster.local`, `ledger.internal`), not a public one (`api.stripe.com`,
 * whose `api` is not our `api` service).
 */
export function firstLabelMayNameService(host: string): boolean {
  const lower = host.toLowerCase();
  if (INTERNAL_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return true;
  const labels = lower.split(".");
  return labels.length === 2 && !PUBLIC_TLDS.has(labels[1]!);
}

/** Keys under which a client records the answer it got (HTTP status, RPC status). */
const RESPONSE_STATUS_KEYS = ["http.response.status_code", "http.status_code", "rpc.grpc.status_code", "rpc.response.status_code", "rpc.connect_rpc.error_code"];

/** Whether the client recorded any answer status (which may still be one it generated itself). */
export function hasResponseStatus(span: Span): boolean {
  return RESPONSE_STATUS_KEYS.some((key) => span.attributes.has(key));
}

/**
 * gRPC status codes a client library reports itself when no server answered: CANCELLED (1, the
 * caller gave up), DEADLINE_EXCEEDED (4, the deadline passed before any answer) and UNAVAILABLE
 * (14, no connection: refused, DNS, no ready subchannel). As numbers (`rpc.grpc.status_code`), as
 * the names newer conventions record (`rpc.response.status_code`) and as Connect's error codes.
 */
const GRPC_NO_ANSWER_CODES: ReadonlySet<number> = new Set([1, 4, 14]);
const RPC_NO_ANSWER_NAMES: ReadonlySet<string> = new Set(["CANCELLED", "DEADLINE_EXCEEDED", "UNAVAILABLE"]);
const CONNECT_NO_ANSWER_CODES: ReadonlySet<string> = new Set(["canceled", "deadline_exceeded", "unavailable"]);

/**
 * Envoy response flags (the `response_flags` tag of Envoy/Istio spans, short form, comma separated)
 * that mean the proxy answered itself and no request reached an upstream host: no healthy upstream
 * (UH), upstream connection failure (UF), circuit breaker overflow (UO), no route (NR), no cluster
 * (NC), DNS resolution failure (DF), fault-injected abort (FI), local rate limit (RL), rate-limit
 * service error (RLSE), external authorization denied (UAEX), invalid Envoy request headers (IH),
 * overload manager (OM) and drop overload (DO). Not URX (retry limit: the tries may have reached the
 * upstream; a limit reached on connection failures also carries UF), nor flags of failures after
 * the request went out (UT, UR, UC, LR, UPE, SI, DT, …).
 */
const ENVOY_UPSTREAM_NOT_REACHED: ReadonlySet<string> = new Set(["UH", "UF", "UO", "NR", "NC", "DF", "FI", "RL", "RLSE", "UAEX", "IH", "OM", "DO"]);

/**
 * Whether a failed CLIENT span (status ERROR) without a callee span shows that its request reached
 * no server that could have continued the trace: no answer status at all (connection refused, DNS,
 * a timeout before the response); a gRPC/Connect status the client generates itself when no
 * server answered; or Envoy response flags saying the proxy never reached an upstream.
 * Status first: a call that did not fail costs one comparison.
 */
export function failedWithoutAnswer(span: Span): boolean {
  if (span.status.code !== StatusCode.ERROR) return false;
  if (!hasResponseStatus(span)) return true;
  const a = span.attributes;
  const grpc = intAttribute(a, "rpc.grpc.status_code");
  if (grpc !== undefined && GRPC_NO_ANSWER_CODES.has(grpc)) return true;
  const rpc = stringAttribute(a, "rpc.response.status_code");
  if (rpc !== undefined && RPC_NO_ANSWER_NAMES.has(rpc)) return true;
  const connect = stringAttribute(a, "rpc.connect_rpc.error_code");
  if (connect !== undefined && CONNECT_NO_ANSWER_CODES.has(connect)) return true;
  const flags = stringAttribute(a, "response_flags");
  return flags !== undefined && flags.split(",").some((flag) => ENVOY_UPSTREAM_NOT_REACHED.has(flag.trim()));
}

// Tempo's query API as tracelint uses it: search, service discovery (tag values) and trace by ID,
// with v2 → v1 fallback for older Tempo. Bodies are decoded by the shared decoders, so whatever
// Tempo sends (protobuf on request, gogo-jsonpb JSON otherwise) becomes canonical spans.
import { z } from "zod";
import { decodeInput, DecodeError, type InputFormat } from "../../decode/index";
import type { Span } from "../../model/span";
import { normalizeTraceId } from "../../model/ids";
import { bodySnippet, TempoError } from "./errors";
import { TempoHttp, type TempoHttpOptions, type TempoResponse } from "./http";
import { SERVICE_TAG_V1, SERVICE_TAG_V2 } from "./traceql";

export interface SearchRequest {
  /** TraceQL. */
  q: string;
  /** Unix seconds. */
  start: number;
  end: number;
  limit: number;
  /** Spans per spanset; 1 is enough when only trace IDs are wanted. */
  spss?: number;
}

export interface SearchHit {
  /** 32 lower-case hex chars (search strips leading zeros; this restores them). */
  traceId: string;
  rootServiceName: string | undefined;
  startTimeUnixNano: bigint | undefined;
  durationMs: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** False when Tempo's metrics say some search jobs did not complete. */
  complete: boolean;
}

export interface TimeHint {
  /** Unix seconds; narrows the blocks Tempo reads. */
  start: number;
  end: number;
}

export type TraceFetchResult =
  | {
      outcome: "found";
      spans: Span[];
      /** Set when Tempo returned only part of the trace (v2 `status: PARTIAL`). */
      partialReason: string | undefined;
      format: InputFormat;
      bytes: number;
      /** Decoding problems in parts of the body (the rest was kept). */
      errors: string[];
      api: "v1" | "v2";
    }
  | { outcome: "not-found"; api: "v1" | "v2" }
  | { outcome: "too-large"; message: string; api: "v1" };

export interface TempoClientOptions extends TempoHttpOptions {
  /** Ask for protobuf on trace-by-ID (smaller, faster); JSON is read too. Default true. */
  preferProtobuf?: boolean;
  /** Force an API version for trace-by-ID; default: v2, falling back to v1 when v2 is absent. */
  traceApi?: "v1" | "v2";
}

const JSON_ACCEPT = "application/json";
const PROTOBUF_ACCEPT = "application/protobuf, application/json;q=0.5";

const SearchResponseSchema = z.object({
  traces: z
    .array(
      z.object({
        traceID: z.string(),
        rootServiceName: z.string().optional(),
        startTimeUnixNano: z.string().regex(/^\d+$/).optional(),
        durationMs: z.number().optional(),
      }),
    )
    .nullish(),
  metrics: z.object({ completedJobs: z.number().optional(), totalJobs: z.number().optional() }).nullish(),
});

const TagValuesV2Schema = z.object({ tagValues: z.array(z.object({ type: z.string().optional(), value: z.string().optional() })).nullish() });
const TagValuesV1Schema = z.object({ tagValues: z.array(z.string()).nullish() });

const utf8 = new TextDecoder();

export class TempoClient {
  readonly http: TempoHttp;
  readonly #preferProtobuf: boolean;
  /** Which trace-by-ID API answers: decided by the first response that is not a 404. */
  #traceApi: "unknown" | "v1" | "v2";

  constructor(options: TempoClientOptions) {
    this.http = new TempoHttp(options);
    this.#preferProtobuf = options.preferProtobuf ?? true;
    this.#traceApi = options.traceApi ?? "unknown";
  }

  get displayUrl(): string {
    return this.http.displayUrl;
  }

  /** Throws the TempoError that a non-success status means for `what`. */
  #fail(response: TempoResponse, what: string): never {
    const snippet = this.http.redact(bodySnippet(utf8.decode(response.body)));
    const detail = snippet ? `: ${snippet}` : "";
    if (response.status === 401 || response.status === 403) {
      throw new TempoError("auth", `Tempo refused the request (HTTP ${response.status}${detail})`, { status: response.status });
    }
    if (response.status === 400) {
      throw new TempoError("bad-request", `Tempo rejected the ${what} (HTTP 400${detail})`, { status: 400 });
    }
    throw new TempoError("http", `unexpected HTTP ${response.status} for the ${what}${detail}`, { status: response.status });
  }

  #json(response: TempoResponse, what: string): unknown {
    const text = utf8.decode(response.body);
    try {
      return JSON.parse(text);
    } catch {
      throw new TempoError("malformed", `the ${what} response is not JSON (${bodySnippet(text, 80) || "empty body"}); is the URL a Tempo query endpoint?`);
    }
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const response = await this.http.get(
      "/api/search",
      { q: request.q, start: request.start, end: request.end, limit: request.limit, spss: request.spss ?? 1 },
      JSON_ACCEPT,
    );
    if (response.status !== 200) this.#fail(response, "search");
    const parsed = SearchResponseSchema.safeParse(this.#json(response, "search"));
    if (!parsed.success) throw new TempoError("malformed", "the search response does not have Tempo's shape (traces[].traceID)");
    const hits: SearchHit[] = [];
    for (const t of parsed.data.traces ?? []) {
      if (!/^[0-9a-fA-F]{1,32}$/.test(t.traceID)) continue;
      hits.push({
        traceId: normalizeTraceId(t.traceID),
        rootServiceName: t.rootServiceName,
        startTimeUnixNano: t.startTimeUnixNano !== undefined ? BigInt(t.startTimeUnixNano) : undefined,
        durationMs: t.durationMs ?? 0,
      });
    }
    const m = parsed.data.metrics;
    const complete = m?.totalJobs === undefined || m.completedJobs === undefined || m.completedJobs >= m.totalJobs;
    return { hits, complete };
  }

  /** Service names seen in the window (v2 tag-values API, v1 for older Tempo). */
  async serviceNames(window: TimeHint, limit = 1000): Promise<string[]> {
    const query = { start: window.start, end: window.end, limit };
    const v2 = await this.http.get(`/api/v2/search/tag/${SERVICE_TAG_V2}/values`, query, JSON_ACCEPT);
    let names: string[];
    if (v2.status === 200) {
      const parsed = TagValuesV2Schema.safeParse(this.#json(v2, "service list"));
      if (!parsed.success) throw new TempoError("malformed", "the tag-values response does not have Tempo's shape (tagValues[])");
      names = (parsed.data.tagValues ?? []).map((v) => v.value ?? "").filter((v) => v !== "");
    } else if (v2.status === 404) {
      const v1 = await this.http.get(`/api/search/tag/${SERVICE_TAG_V1}/values`, query, JSON_ACCEPT);
      if (v1.status !== 200) this.#fail(v1, "service list");
      const parsed = TagValuesV1Schema.safeParse(this.#json(v1, "service list"));
      if (!parsed.success) throw new TempoError("malformed", "the tag-values response does not have Tempo's shape (tagValues[])");
      names = (parsed.data.tagValues ?? []).filter((v) => v !== "");
    } else {
      this.#fail(v2, "service list");
    }
    return [...new Set(names)].sort();
  }

  /** Fetches one trace. Not-found and too-large are outcomes; transport/auth problems throw. */
  async traceById(traceId: string, hint?: TimeHint): Promise<TraceFetchResult> {
    const id = normalizeTraceId(traceId);
    if (!/^[0-9a-f]{32}$/.test(id)) throw new TempoError("bad-request", `not a trace ID: ${JSON.stringify(traceId.slice(0, 40))}`);
    const query = hint ? { start: hint.start, end: hint.end } : {};
    const accept = this.#preferProtobuf ? PROTOBUF_ACCEPT : JSON_ACCEPT;
    if (this.#traceApi !== "v1") {
      const v2 = await this.http.get(`/api/v2/traces/${id}`, query, accept);
      if (v2.status === 200) {
        this.#traceApi = "v2";
        return this.#decodeTrace(v2, id, "v2");
      }
      if (v2.status !== 404) this.#fail(v2, `trace ${id} request`);
      // A 404 from a Tempo known to have v2 means "not found"; before that it may mean "no v2 route".
      if (this.#traceApi === "v2") return { outcome: "not-found", api: "v2" };
    }
    const v1 = await this.http.get(`/api/traces/${id}`, query, accept);
    if (v1.status === 200) {
      this.#traceApi = "v1";
      return this.#decodeTrace(v1, id, "v1");
    }
    if (v1.status === 404) return { outcome: "not-found", api: "v1" };
    if (v1.status === 422) {
      const message = bodySnippet(utf8.decode(v1.body)) || "trace exceeds max size";
      return { outcome: "too-large", message: this.http.redact(message), api: "v1" };
    }
    this.#fail(v1, `trace ${id} request`);
  }

  async #decodeTrace(response: TempoResponse, id: string, api: "v1" | "v2"): Promise<TraceFetchResult> {
    if (response.body.byteLength === 0) return { outcome: "not-found", api };
    const contentType = response.headers.get("content-type") ?? undefined;
    let decoded;
    try {
      // A gzip body inside the (already inflated) response is held to the same cap: a 1 KB
      // gzip-in-gzip would otherwise inflate to the decoder's general limit per trace in flight.
      decoded = await decodeInput(response.body, { name: `trace ${id}`, maxBytes: this.http.maxBodyBytes, ...(contentType ? { contentType } : {}) });
    } catch (error) {
      if (error instanceof DecodeError) throw new TempoError("malformed", `undecodable trace body (${error.message.replace(`trace ${id}: `, "")})`);
      throw error;
    }
    if (decoded.spans.length === 0 && decoded.errors.length > 0) {
      throw new TempoError("malformed", `undecodable trace body (${decoded.errors[0]})`);
    }
    if (decoded.notFound || decoded.spans.length === 0) return { outcome: "not-found", api };
    return {
      outcome: "found",
      spans: decoded.spans,
      partialReason: decoded.partial?.reason,
      format: decoded.format,
      bytes: response.body.byteLength,
      errors: decoded.errors,
      api,
    };
  }
}

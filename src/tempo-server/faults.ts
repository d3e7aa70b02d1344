// Fault injection for the test server: latency, error statuses (with Retry-After), connections
// dropped mid-response, and malformed bodies — the ways a real Tempo or its proxy misbehaves.

export type RouteName = "search" | "tag-values" | "trace-v1" | "trace-v2" | "other";

export type Fault =
  /** Delay the answer (composes with other faults). */
  | { type: "latency"; ms: number }
  /** Answer with this status and plain-text body instead (Tempo's error bodies are plain text). */
  | { type: "status"; status: number; body?: string; retryAfter?: string }
  /** Send headers and part of the body, then drop the connection. */
  | { type: "reset" }
  /** 200 with a body cut short mid-JSON. */
  | { type: "malformed" }
  /** 200 with these bytes as the body (e.g. a gzip bomb inside the response's own gzip). */
  | { type: "body"; body: Uint8Array; contentType?: string };

export interface FaultRule {
  fault: Fault;
  /** Routes it applies to (default: all). */
  routes?: RouteName[];
  /** Only requests for this trace ID (32-hex, as the client sends it). */
  traceId?: string;
  /** Only searches whose TraceQL (`q`) contains this text, e.g. a service name. */
  query?: string;
  /** Applies to the first N matching requests only (default: every one). */
  times?: number;
}

interface ArmedRule extends FaultRule {
  remaining: number;
}

export class FaultPlan {
  #rules: ArmedRule[] = [];

  constructor(rules: FaultRule[] = []) {
    this.set(rules);
  }

  set(rules: FaultRule[]): void {
    this.#rules = rules.map((r) => ({ ...r, remaining: r.times ?? Number.POSITIVE_INFINITY }));
  }

  /** Faults for one request, consuming their `times` budget: total latency, then at most one other fault. */
  take(route: RouteName, traceId: string | undefined, query?: string): { latencyMs: number; fault: Exclude<Fault, { type: "latency" }> | undefined } {
    let latencyMs = 0;
    let fault: Exclude<Fault, { type: "latency" }> | undefined;
    for (const rule of this.#rules) {
      if (rule.remaining <= 0) continue;
      if (rule.routes && !rule.routes.includes(route)) continue;
      if (rule.traceId !== undefined && rule.traceId !== traceId) continue;
      if (rule.query !== undefined && !(query ?? "").includes(rule.query)) continue;
      if (rule.fault.type === "latency") {
        rule.remaining--;
        latencyMs += rule.fault.ms;
      } else if (!fault) {
        rule.remaining--;
        fault = rule.fault;
      }
    }
    return { latencyMs, fault };
  }
}

/** A body stream that sends a few bytes and then errors, so the server drops the connection. */
export function resettingBody(prefix: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(prefix));
    },
    pull(controller) {
      controller.error(new Error("injected connection reset"));
    },
  });
}

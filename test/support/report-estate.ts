// A small estate recorded with the real OpenTelemetry SDK that exercises every report section:
// healthy and broken propagation (split traces), high-cardinality span names, PII in attributes and
// (optionally) hostile strings in service names, span names and attribute keys — for the HTML
// report, diff and alert tests. `run` picks the defects, so two runs make a realistic diff.
import { ROOT_CONTEXT, SpanKind, type Context, type Span as ApiSpan } from "@opentelemetry/api";
import { TraceRecorder } from "../../fixtures/lib/recorder";
import { builtinRules } from "../../rules/index";
import { resolveConfig } from "../../src/engine/config";
import { checkInputs } from "../../src/pipeline/check";
import type { Report } from "../../src/report/schema";

/** Strings an attacker can put into traces: each must render inert everywhere. */
export const HOSTILE = {
  service: `<script>window.__pwned=1</script>"svc'`,
  spanName: `"><img src=x onerror="window.__pwned=2">`,
  attributeKey: `javascript:window.__pwned=3//`,
  link: "javascript:alert(4)",
} as const;

/** A raw PII value the tests check never leaves the analyzer unmasked. */
export const RAW_EMAIL = "jane.doe@example.com";
export const RAW_CARD = "4111111111111111";

export interface EstateRun {
  /** orders → fraud: the fraud service ignores traceparent (new trace per call). */
  fraudBroken: boolean;
  /** orders names spans with the order ID in them (`GET /orders/1234`). */
  cardinality: boolean;
  /** payments records customer e-mail and card number as attributes. */
  pii: boolean;
  /** Add a service, span name and attribute key full of markup and script URLs. */
  hostile: boolean;
  checkouts?: number;
  seed?: number;
}

function http(method: string, route: string, path: string): Record<string, string | number> {
  return { "http.request.method": method, "http.route": route, "url.path": path, "url.scheme": "http", "http.response.status_code": 200 };
}

/** Records the estate and returns OTLP/JSON bytes. */
export function recordEstate(run: EstateRun): Uint8Array {
  const rec = new TraceRecorder({ seed: run.seed ?? 42 });
  const toEnd: { span: ApiSpan; at: number }[] = [];
  const start = (service: string, name: string, kind: SpanKind, at: [number, number], attributes: Record<string, string | number>, parent: Context): ApiSpan => {
    const span = rec.tracer(service).startSpan(name, { kind, startTime: rec.time(at[0]), attributes }, parent);
    toEnd.push({ span, at: at[1] });
    return span;
  };
  const call = (parent: ApiSpan, from: string, to: string, host: string, route: string, path: string, t: number, propagate: boolean): ApiSpan => {
    const client = start(from, "POST", SpanKind.CLIENT, [t, t + 20], {
      "http.request.method": "POST",
      "url.full": `http://${host}:8080${path}`,
      "server.address": host,
      "server.port": 8080,
      "http.response.status_code": 200,
    }, rec.within(parent));
    const headers = rec.inject(client);
    const serverContext = propagate ? rec.extract(headers) : ROOT_CONTEXT;
    return start(to, `POST ${route}`, SpanKind.SERVER, [t + 1, t + 19], http("POST", route, path), serverContext);
  };
  const checkouts = run.checkouts ?? 12;
  for (let i = 0; i < checkouts; i++) {
    const t = i * 1000;
    const root = start("gateway", "POST /api/checkout", SpanKind.SERVER, [t, t + 100], http("POST", "/api/checkout", "/api/checkout"), ROOT_CONTEXT);
    const orders = call(root, "gateway", "orders", "orders", "/orders", "/orders", t + 2, true);
    const payments = call(orders, "orders", "payments", "payments", "/payments", "/payments", t + 30, true);
    call(orders, "orders", "fraud", "fraud", "/checks", "/checks", t + 60, !run.fraudBroken);
    if (run.cardinality) {
      // 250 distinct names over the run: one per (checkout, item).
      for (let k = 0; k < Math.ceil(250 / checkouts); k++) {
        start("orders", `load order ${100_000 + i * 100 + k}`, SpanKind.INTERNAL, [t + 3, t + 4], {}, rec.within(orders)).end(rec.time(t + 4));
      }
    }
    if (run.pii) {
      payments.setAttribute("customer.email", RAW_EMAIL);
      payments.setAttribute("card.number", RAW_CARD);
    }
    if (run.hostile) {
      const evil = start(HOSTILE.service, HOSTILE.spanName, SpanKind.SERVER, [t + 200, t + 210], http("GET", HOSTILE.link, HOSTILE.link), ROOT_CONTEXT);
      evil.setAttribute(HOSTILE.attributeKey, `mail ${RAW_EMAIL}`);
      // An orphan in the hostile service: a finding whose service and subject carry the payload.
      const orphanParent = { traceId: evil.spanContext().traceId, spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true };
      const ctx = rec.within({ spanContext: () => orphanParent } as unknown as ApiSpan);
      start(HOSTILE.service, `${HOSTILE.spanName} child`, SpanKind.INTERNAL, [t + 201, t + 202], {}, ctx);
    }
  }
  for (const { span, at } of toEnd) span.end(rec.time(at));
  return rec.toOtlpJson();
}

/** Runs the real check pipeline over the recorded estate. */
export async function estateReport(run: EstateRun, now = new Date("2026-03-01T10:00:00Z")): Promise<Report> {
  const bytes = recordEstate(run);
  const config = resolveConfig({}, builtinRules);
  return checkInputs([{ name: "estate.otlp.json", read: async () => bytes }], config, { now });
}

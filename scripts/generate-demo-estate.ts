// `tsx scripts/generate-demo-estate.ts`: regenerates fixtures/demo/** by actually running a small
// instrumented microservice estate on 127.0.0.1 — real HTTP servers and clients, the real
// OpenTelemetry JS SDK (one TracerProvider per service), the real W3C propagator injecting and
// extracting `traceparent` over real HTTP headers — and writing what each service exported as
// OTLP/JSON (the real otlp-transformer serializer). Deterministic: seeded IDs, a virtual clock,
// and requests issued one at a time, so a second run writes identical bytes.
//
//   web-gateway ──HTTP──▶ orders ──HTTP──▶ payments ──HTTP (no traceparent!)──▶ fraud-check
//                           │  │  │            └──HTTP──▶ api.payments-provider.example (external)
//                           │  │  └──HTTP (context dropped by callee!)──▶ inventory
//                           │  ├──SQL──▶ postgresql (uninstrumented database)
//                           │  └──HTTP──▶ fraud-check (large orders, propagated)
//                           └──queue "order-events"──▶ fulfillment ──SQL──▶ postgresql
//
// Defects, on purpose (and listed with their expected findings in fixtures/demo/manifest.json):
// payments' legacy HTTP client sends no traceparent; inventory ignores the incoming traceparent;
// PII in attributes (email, phone, card number); orders names server spans with the raw URL
// (order IDs in span names); web-gateway leaks its auth span (never ended → orphaned child) and,
// for some searches, its root span (→ trace without a root).
import { context as apiContext, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { DEMO_MANIFEST, DEMO_SEED, DEMO_EPOCH_MS, DEMO_REQUESTS } from "../fixtures/demo/manifest";

const outDir = fileURLToPath(new URL("../fixtures/demo/traces/", import.meta.url));

const rec = new TraceRecorder({ seed: DEMO_SEED, epochMs: DEMO_EPOCH_MS });

/** Virtual time in ms after the epoch: advanced explicitly so spans are reproducible. */
let clockMs = 0;
const now = () => rec.time(clockMs);
const tick = (ms = 1) => {
  clockMs += ms;
  return now();
};

type Handler = (req: IncomingMessage, body: Record<string, unknown>, parent: Context) => Promise<{ status: number; body: unknown }>;

interface Service {
  name: string;
  tracer: Tracer;
  /** Logical host, as in a cluster (the process really listens on 127.0.0.1:port). */
  host: string;
  port: number;
  server?: Server;
}

const services = new Map<string, Service>();

function service(name: string, version: string): Service {
  const tracer = rec.tracer(name, {
    resource: { "service.version": version, "deployment.environment.name": "demo", "telemetry.sdk.language": "nodejs" },
    scopeName: "@opentelemetry/instrumentation-http",
    scopeVersion: "0.57.0",
  });
  const s: Service = { name, tracer, host: name, port: 0 };
  services.set(name, s);
  return s;
}

const gateway = service("web-gateway", "3.2.0");
const orders = service("orders", "1.14.2");
const payments = service("payments", "0.9.7");
const inventory = service("inventory", "2.0.1");
const fraud = service("fraud-check", "1.1.0");
const fulfillment = service("fulfillment", "1.3.0");

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") out[k] = v;
  return out;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Starts a real HTTP server for `svc`. `extract: false` is the "callee drops context" defect: the
 * handler never reads the incoming traceparent, so its SERVER span starts a new trace.
 */
async function listen(svc: Service, routes: Record<string, { route: string; name?: (path: string) => string; handler: Handler }>, extract = true): Promise<void> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0]!;
      const key = Object.keys(routes).find((pattern) => new RegExp(`^${req.method} ${pattern}$`).test(`${req.method} ${path}`));
      const entry = key ? routes[key]! : undefined;
      const parent = extract ? rec.extract(headersOf(req)) : apiContext.active();
      const span = svc.tracer.startSpan(
        entry?.name ? entry.name(path) : `${req.method} ${entry?.route ?? path}`,
        {
          kind: SpanKind.SERVER,
          startTime: tick(),
          attributes: {
            "http.request.method": req.method ?? "GET",
            "url.path": path,
            "url.scheme": "http",
            "server.address": svc.host,
            "server.port": 8080,
            "network.protocol.version": "1.1",
            ...(entry ? { "http.route": entry.route } : {}),
          },
        },
        parent,
      );
      let status = 404;
      let body: unknown = { error: "not found" };
      if (entry) {
        const result = await entry.handler(req, await readJson(req), rec.within(span));
        status = result.status;
        body = result.body;
      }
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(tick());
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  svc.port = (server.address() as AddressInfo).port;
  svc.server = server;
}

/**
 * An instrumented HTTP client call from `from` to `to`: a CLIENT span, and the real W3C
 * propagator injecting its context into the request headers — unless `inject` is false (the
 * "legacy client" defect).
 */
async function call(from: Service, parent: Context, to: Service, method: string, path: string, payload?: unknown, inject = true): Promise<{ status: number; body: Record<string, unknown> }> {
  const span = from.tracer.startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      startTime: tick(),
      attributes: {
        "http.request.method": method,
        "server.address": to.host,
        "server.port": 8080,
        "url.full": `http://${to.host}:8080${path}`,
      },
    },
    parent,
  );
  const headers: Record<string, string> = { "content-type": "application/json", ...(inject ? rec.inject(span) : {}) };
  const response = await fetch(`http://127.0.0.1:${to.port}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
  const body = (await response.json()) as Record<string, unknown>;
  tick();
  span.setAttribute("http.response.status_code", response.status);
  if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(tick());
  return { status: response.status, body };
}

/** A call to something that is not instrumented (database, third-party API): a leaf CLIENT span. */
function leaf(from: Service, parent: Context, name: string, attributes: Record<string, string | number>, ms: number): void {
  const span = from.tracer.startSpan(name, { kind: SpanKind.CLIENT, startTime: tick(), attributes }, parent);
  span.end(tick(ms));
}

function sql(from: Service, parent: Context, operation: string, table: string, query: string): void {
  leaf(from, parent, `${operation} ${table}`, {
    "db.system.name": "postgresql",
    "db.namespace": "shop",
    "db.operation.name": operation,
    "db.collection.name": table,
    "db.query.text": query,
    "server.address": "postgres.shop.internal",
    "server.port": 5432,
  }, 3);
}

/** In-memory message queue: the producer injects context into message headers, the consumer extracts it. */
const queue: { headers: Record<string, string>; body: Record<string, unknown> }[] = [];

function publish(from: Service, parent: Context, destination: string, body: Record<string, unknown>): void {
  const span = from.tracer.startSpan(
    `publish ${destination}`,
    { kind: SpanKind.PRODUCER, startTime: tick(), attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": destination, "messaging.operation.type": "send" } },
    parent,
  );
  queue.push({ headers: rec.inject(span), body });
  span.end(tick());
}

function consumeAll(): void {
  for (let message = queue.shift(); message; message = queue.shift()) {
    const span = fulfillment.tracer.startSpan(
      "process order-events",
      { kind: SpanKind.CONSUMER, startTime: tick(4), attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": "order-events", "messaging.operation.type": "process" } },
      rec.extract(message.headers),
    );
    sql(fulfillment, rec.within(span), "UPDATE", "shipments", "UPDATE shipments SET status = $1 WHERE order_id = $2");
    span.end(tick());
  }
}

const CUSTOMERS = [
  { email: "maria.lopez@example.com", phone: "+1 415 555 0132" },
  { email: "j.okafor@example.org", phone: "+44 20 7946 0958" },
  { email: "chen.wei@example.net", phone: "+1 212 555 0199" },
];
/** Well-known test card numbers (Luhn-valid, never real accounts). */
const TEST_CARDS = ["4111111111111111", "5555555555554444", "378282246310005"];

async function start(): Promise<void> {
  await listen(fraud, {
    "/score": { route: "/score", handler: async (_req, body) => ({ status: 200, body: { risk: Number(body.amount) > 300 ? "review" : "low" } }) },
  });
  await listen(
    inventory,
    {
      "/inventory/[^/]+": {
        route: "/inventory/{sku}",
        handler: async (_req, _body, ctx) => {
          sql(inventory, ctx, "SELECT", "stock", "SELECT qty FROM stock WHERE sku = $1");
          return { status: 200, body: { available: true } };
        },
      },
    },
    false, // DEFECT: inventory's server ignores the incoming traceparent.
  );
  await listen(payments, {
    "/payments": {
      route: "/payments",
      handler: async (_req, body, ctx) => {
        // DEFECT: PII — the raw card number lands on the server span.
        trace.getSpan(ctx)?.setAttribute("payment.card.number", String(body.card));
        await call(payments, ctx, fraud, "POST", "/score", { amount: body.amount }, false); // DEFECT: legacy client, no traceparent.
        leaf(payments, ctx, "POST", { "http.request.method": "POST", "server.address": "api.payments-provider.example", "server.port": 443, "url.full": "https://api.payments-provider.example/v1/charges", "http.response.status_code": 201 }, 40);
        return { status: 201, body: { charged: true } };
      },
    },
  });
  await listen(orders, {
    "/orders": {
      route: "/orders",
      handler: async (req, body, ctx) => {
        if (req.method === "GET") {
          sql(orders, ctx, "SELECT", "orders", "SELECT id, status FROM orders WHERE customer_id = $1 LIMIT 20");
          return { status: 200, body: { orders: [] } };
        }
        sql(orders, ctx, "INSERT", "orders", "INSERT INTO orders (customer_id, total) VALUES ($1, $2)");
        await call(orders, ctx, inventory, "GET", `/inventory/${String(body.sku)}`);
        if (Number(body.amount) > 150) await call(orders, ctx, fraud, "POST", "/score", { amount: body.amount });
        const paid = await call(orders, ctx, payments, "POST", "/payments", { amount: body.amount, card: body.card });
        publish(orders, ctx, "order-events", { orderId: body.orderId });
        return { status: paid.status === 201 ? 201 : 502, body: { orderId: body.orderId } };
      },
    },
    "/orders/[^/]+": {
      route: "/orders/{id}",
      name: (path) => `GET ${path}`, // DEFECT: the raw URL (with the order ID) as the span name.
      handler: async (_req, _body, ctx) => {
        sql(orders, ctx, "SELECT", "orders", "SELECT * FROM orders WHERE id = $1");
        return { status: 200, body: { status: "shipped" } };
      },
    },
  });
}

/** PII on the span that handles the request: what a careless `span.setAttributes(req.user)` does. */
function tagCustomer(span: Span, customer: { email: string; phone: string }): void {
  span.setAttribute("enduser.id", customer.email); // DEFECT: email as the user ID.
  span.setAttribute("customer.phone", customer.phone); // DEFECT: phone number.
}

async function checkout(i: number): Promise<void> {
  const customer = CUSTOMERS[i % CUSTOMERS.length]!;
  const root = gateway.tracer.startSpan("POST /api/checkout", {
    kind: SpanKind.SERVER,
    startTime: tick(),
    attributes: { "http.request.method": "POST", "http.route": "/api/checkout", "url.path": "/api/checkout", "server.address": "shop.example.com", "server.port": 443 },
  });
  tagCustomer(root, customer);
  const ctx = rec.within(root);
  const amount = 40 + ((i * 97) % 400);
  const card = TEST_CARDS[i % TEST_CARDS.length]!;
  const result = await call(gateway, ctx, orders, "POST", "/orders", { orderId: 81_000 + i * 37, sku: `SKU-${100 + (i % 7)}`, amount, card });
  root.setAttribute("http.response.status_code", result.status);
  root.end(tick());
  consumeAll();
}

async function orderStatus(i: number): Promise<void> {
  const orderId = 81_000 + i * 37;
  const root = gateway.tracer.startSpan(`GET /api/orders/{id}`, {
    kind: SpanKind.SERVER,
    startTime: tick(),
    attributes: { "http.request.method": "GET", "http.route": "/api/orders/{id}", "url.path": `/api/orders/${orderId}`, "server.address": "shop.example.com", "server.port": 443 },
  });
  let parent = rec.within(root);
  if (i % 2 === 1) {
    // DEFECT: on a session-cache miss the auth middleware's span is never ended (leaked), so it
    // is never exported, and the span below it is orphaned.
    const auth = gateway.tracer.startSpan("authenticate", { kind: SpanKind.INTERNAL, startTime: tick() }, parent);
    parent = rec.within(auth);
  }
  const result = await call(gateway, parent, orders, "GET", `/orders/${orderId}`);
  root.setAttribute("http.response.status_code", result.status);
  root.end(tick());
}

async function search(i: number): Promise<void> {
  const root = gateway.tracer.startSpan("GET /api/orders", {
    kind: SpanKind.SERVER,
    startTime: tick(),
    attributes: { "http.request.method": "GET", "http.route": "/api/orders", "url.path": "/api/orders", "server.address": "shop.example.com", "server.port": 443 },
  });
  const result = await call(gateway, rec.within(root), orders, "GET", "/orders");
  root.setAttribute("http.response.status_code", result.status);
  // DEFECT: when the client disconnects early the handler returns without ending the root span.
  if (i % 2 === 0) root.end(tick());
}

export async function generate(): Promise<Map<string, Uint8Array>> {
  await start();
  try {
    const plan: [number, (i: number) => Promise<void>][] = [
      [DEMO_REQUESTS.checkout, checkout],
      [DEMO_REQUESTS.orderStatus, orderStatus],
      [DEMO_REQUESTS.search, search],
    ];
    // Interleave the request kinds over the virtual half hour, one request at a time.
    let n = 0;
    const total = plan.reduce((s, [count]) => s + count, 0);
    const counters = plan.map(() => 0);
    while (n < total) {
      for (let k = 0; k < plan.length; k++) {
        const [count, run] = plan[k]!;
        if (counters[k]! >= count) continue;
        clockMs = Math.round((n * 30 * 60_000) / total);
        await run(counters[k]!++);
        n++;
      }
    }
  } finally {
    for (const s of services.values()) s.server?.close();
  }
  const files = new Map<string, Uint8Array>();
  for (const name of services.keys()) {
    const spans = rec.spans().filter((s) => s.resource.attributes["service.name"] === name);
    files.set(`${name}.otlp.json`, rec.toOtlpJson(spans));
  }
  return files;
}

const invokedDirectly = process.argv[1] !== undefined && /generate-demo-estate\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const files = await generate();
  await mkdir(outDir, { recursive: true });
  for (const name of await readdir(outDir)) if (name.endsWith(".otlp.json")) await rm(join(outDir, name));
  for (const [name, bytes] of files) await writeFile(join(outDir, name), bytes);
  await writeFile(fileURLToPath(new URL("../fixtures/demo/manifest.json", import.meta.url)), `${JSON.stringify(DEMO_MANIFEST, null, 2)}\n`);
  console.log(`wrote ${files.size} files to fixtures/demo/traces/ and fixtures/demo/manifest.json`);
}

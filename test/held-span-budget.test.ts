// `check`'s default --max-spans budgets BYTES_PER_HELD_SPAN on half the heap, so a held span may
// take up to twice that before the heap runs out below the limit. A scale QA ran out of memory
// with spans of 17 attributes under the old 1 KiB budget: this measures what such SDK-recorded
// spans take once decoded and held, and requires the budget to cover them.
import { SpanKind } from "@opentelemetry/api";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { TraceRecorder } from "../fixtures/lib/recorder";
import { BYTES_PER_HELD_SPAN } from "../src/cli/check";
import { decodeInput } from "../src/decode/index";
import type { Span } from "../src/model/span";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function richSpans(count: number): Uint8Array {
  const rec = new TraceRecorder({ seed: 12 });
  const api = rec.tracer("checkout-api");
  for (let i = 0; i < count; i++) {
    const attributes: Record<string, string | number> = {
      "http.request.method": "POST", "http.route": "/orders/{id}", "url.path": `/orders/${100_000 + i}`, "url.scheme": "https",
      "server.address": "checkout.prod.svc.cluster.local", "server.port": 8443, "client.address": `10.1.${i % 250}.${i % 200}`,
      "user_agent.original": "okhttp/4.12.0", "http.response.status_code": 200, "network.protocol.version": "1.1",
      "app.request.id": `req-${i.toString(16).padStart(12, "0")}`, "enduser.id": `user-${i}`, "app.tenant": "acme",
      "app.region": "eu-west-1", "app.feature.flags": "new-checkout,fast-pay", "app.cart.items": i % 17, "app.build": "2026.11.20-1",
    };
    api.startSpan("POST /orders/{id}", { kind: SpanKind.SERVER, startTime: rec.time(i), attributes }).end(rec.time(i + 1));
  }
  return rec.toOtlpJson();
}

describe("the held-span budget", () => {
  it("covers SDK spans with 17 attributes, decoded and held from OTLP/JSON (with the budget on half the heap)", async () => {
    const count = 20_000;
    const bytes = richSpans(count);
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: Span[] = (await decodeInput(bytes, { name: "rich.json" })).spans;
    gc();
    const perSpan = (process.memoryUsage().heapUsed - before) / held.length;
    expect(held).toHaveLength(count);
    expect(perSpan).toBeGreaterThan(300); // the measurement measured something
    // At the limit, held spans may fill half the heap budget ×2 = the whole heap: keep a quarter of
    // it for decoding the next input, the rules and the collector's headroom.
    expect(perSpan).toBeLessThan(1.5 * BYTES_PER_HELD_SPAN);
  });
});

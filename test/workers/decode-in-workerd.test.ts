// Decoding must work inside workerd, where code generation (eval/new Function) is forbidden.
import { describe, expect, it } from "vitest";
import { decodeInput } from "../../src/decode/index";

const otlpJson = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "checkout" } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: "0102030405060708090a0b0c0d0e0f10",
              spanId: "0102030405060708",
              name: "GET /cart",
              kind: 2,
              startTimeUnixNano: "1700000000000000001",
              endTimeUnixNano: "1700000000100000001",
            },
          ],
        },
      ],
    },
  ],
});

describe("decoding inside workerd", () => {
  it("decodes gzip'd OTLP/JSON with full-precision timestamps", async () => {
    const gz = await new Response(new Blob([otlpJson]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const decoded = await decodeInput(new Uint8Array(gz), { name: "inline.json.gz" });
    expect(decoded.format).toBe("otlp-json");
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.spans[0]!.service).toBe("checkout");
    expect(decoded.spans[0]!.startTimeUnixNano).toBe(1700000000000000001n);
  });
});

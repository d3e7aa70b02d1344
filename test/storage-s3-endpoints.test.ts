// What an S3 audit says when the endpoint is not a healthy S3 API: one that accepts connections and
// never answers (a black-holed load balancer), a web server, and plain HTTP spoken to as HTTPS.
// Real loopback servers; the SDK's own error handling, turned into one line each.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreError } from "../src/storage/object-store";
import { S3ObjectStore } from "../src/storage/s3";

let silent: NetServer;
const sockets: Socket[] = [];
let web: Server;
let silentUrl: string;
let webUrl: string;

beforeAll(async () => {
  silent = createNetServer((socket) => void sockets.push(socket)); // accepts, never answers
  web = createHttpServer((_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<html><head><meta charset=utf-8></head><body>Welcome</body></html>"));
  await Promise.all([new Promise<void>((r) => silent.listen(0, "127.0.0.1", r)), new Promise<void>((r) => web.listen(0, "127.0.0.1", r))]);
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  webUrl = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([new Promise((r) => silent.close(r)), new Promise((r) => web.close(r))]);
});

const store = (endpoint: string, timeoutMs?: number) =>
  new S3ObjectStore({
    bucket: "tempo",
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    clientConfig: { maxAttempts: 1 },
  });

async function failure(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "no error",
    (error: unknown) => describeStoreError(error),
  );
}

describe("S3 endpoints that are not a healthy S3 API", () => {
  it("a store that never answers times out instead of stalling the audit", async () => {
    const started = Date.now();
    const message = await failure(store(silentUrl, 2_500).get("single-tenant/index.json.gz"));
    expect(message).toBe("no answer in time (request timed out, after the SDK's retries)");
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it("a web server instead of S3 is named as such, not as an XML parse error", async () => {
    const pages = async () => {
      for await (const page of store(webUrl).list("single-tenant/")) return page;
    };
    expect(await failure(pages())).toMatch(/^the endpoint did not answer like an S3 API( \(HTTP 200\))?: a web page or another service\? Check the endpoint and bucket$/);
  });

  it("https:// spoken to a plain-HTTP port says so", async () => {
    expect(await failure(store(webUrl.replace("http:", "https:")).get("x"))).toBe("TLS handshake failed: is the endpoint plain http:// rather than https://?");
  });
});

describe("a failed object read names the S3 error", () => {
  it("keeps the error code and HTTP status (SlowDown 503 from a throttling proxy), and the audit goes on", async () => {
    const key = "traces/year=2026/month=05/day=03/hour=14/minute=05/traces_1.json";
    const server = createHttpServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.searchParams.get("list-type") === "2") {
        const prefix = url.searchParams.get("prefix") ?? "";
        const contents = key.startsWith(prefix) ? `<Contents><Key>${key}</Key><LastModified>2026-05-03T14:05:00.000Z</LastModified><Size>10</Size></Contents>` : "";
        res.writeHead(200, { "Content-Type": "application/xml" }).end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>archive</Name><Prefix>${prefix}</Prefix><KeyCount>${contents ? 1 : 0}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
        return;
      }
      res.writeHead(503, { "Content-Type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { auditOtlpArchive } = await import("../src/pipeline/object-audit");
      const { resolveConfig } = await import("../src/engine/config");
      const { builtinRules } = await import("../rules/index");
      const s3 = new S3ObjectStore({
        bucket: "archive",
        endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "k", secretAccessKey: "s" },
        clientConfig: { maxAttempts: 1 },
      });
      const report = await auditOtlpArchive(s3, resolveConfig({}, builtinRules), {
        location: "s3://archive/traces",
        prefix: "traces",
        window: { start: new Date("2026-05-03T14:00:00Z"), end: new Date("2026-05-03T14:10:00Z") },
        timeZone: "UTC",
      });
      expect(report.summary.inputErrors).toEqual([{ file: key, message: "cannot read: SlowDown (HTTP 503): Reduce your request rate." }]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("a connection dropped while the body streams", () => {
  it("is read again (the SDK's own retries end with the headers), and named when it keeps dropping", async () => {
    const body = Buffer.alloc(64 * 1024, 7);
    let requests = 0;
    let dropsLeft = 1;
    const server = createHttpServer((req, res) => {
      requests++;
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(body.length) });
      if (dropsLeft > 0) {
        dropsLeft--;
        res.write(body.subarray(0, 1000));
        setTimeout(() => res.destroy(), 20); // the proxy gives up mid-body
      } else res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const s3 = store(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      const got = await s3.get("tenant/block/data.parquet");
      expect(got.body.byteLength).toBe(body.length);
      expect(requests).toBe(2);

      dropsLeft = Infinity;
      requests = 0;
      expect(await failure(s3.getRange("tenant/block/data.parquet", 0, 4096))).toMatch(/^the connection dropped while the body was read, 3 times \(.+\)$/);
      expect(requests).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

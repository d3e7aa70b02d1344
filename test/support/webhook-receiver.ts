// A real HTTP webhook receiver on 127.0.0.1 that records every request and answers from a script:
// success (per destination: Slack 200 "ok", Teams 202, Discord 200 + message JSON, …), 429 with
// Retry-After / Discord's retry_after, 500, 404/410, or a hang (for timeouts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Parsed JSON body (undefined when not JSON). */
  json: unknown;
  at: number;
}

export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { hang: true };

export type Responder = (request: ReceivedRequest, index: number) => Reply;

export const ok = (status = 200, body = "ok"): Reply => ({ status, body });
export const tooManyRequests = (retryAfterSeconds: number, body = "rate limited"): Reply => ({ status: 429, body, headers: { "retry-after": String(retryAfterSeconds) } });
export const discordRateLimited = (retryAfter: number): Reply => ({
  status: 429,
  body: JSON.stringify({ message: "You are being rate limited.", retry_after: retryAfter, global: false }),
  headers: { "content-type": "application/json" },
});
export const serverError = (): Reply => ({ status: 500, body: "internal error" });
export const gone = (status: 404 | 410 = 404): Reply => ({ status, body: '{"message": "Unknown Webhook", "code": 10015}' });

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  #server: Server | undefined;
  #responder: Responder;
  readonly #hanging: ServerResponse[] = [];

  constructor(responder: Responder = () => ok()) {
    this.#responder = responder;
  }

  /** Replies in order from `script`, then `fallback` for later requests. */
  static scripted(script: Reply[], fallback: Reply = ok()): WebhookReceiver {
    return new WebhookReceiver((_r, i) => script[i] ?? fallback);
  }

  respondWith(responder: Responder): void {
    this.#responder = responder;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const request: ReceivedRequest = { method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body, json, at: Date.now() };
      const index = this.requests.length;
      this.requests.push(request);
      const reply = this.#responder(request, index);
      if ("hang" in reply) {
        this.#hanging.push(res);
        return;
      }
      res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
      res.end(reply.body ?? "");
    });
  }
}

// Serves the Tempo-compatible test server on 127.0.0.1 with @hono/node-server (Node only).
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createTempoServer, type TempoServer, type TempoServerOptions } from "../tempo-server/index";

export interface RunningTempoServer extends TempoServer {
  /** Base URL including the prefix, e.g. `http://127.0.0.1:41234/tempo`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startTempoServer(options: TempoServerOptions, port = 0): Promise<RunningTempoServer> {
  const server = createTempoServer(options);
  return new Promise((resolve, reject) => {
    const http = serve({ fetch: server.app.fetch, port, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      const prefix = (options.prefix ?? "").replace(/\/+$/, "");
      resolve({
        ...server,
        url: `http://127.0.0.1:${info.port}${prefix}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // Idle keep-alive sockets would hold close() open.
            (http as { closeAllConnections?: () => void }).closeAllConnections?.();
            http.close(() => done());
          }),
      });
    });
    http.once("error", reject);
  });
}

import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const xmlBuilderCjs = fileURLToPath(new URL("./node_modules/@aws-sdk/xml-builder/dist-cjs/index.js", import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/workers/**", "node_modules/**"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Test-only: lets tests reach the real scheduled()/queue() handlers through SELF.
            miniflare: { compatibilityFlags: ["service_binding_extra_handlers"] },
          }),
        ],
        resolve: {
          // @aws-sdk/xml-builder's browser build needs DOMParser, which workerd lacks.
          alias: { "@aws-sdk/xml-builder": xmlBuilderCjs },
        },
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          // Node side: a Tempo-compatible server on 127.0.0.1 for the scheduled-audit tests.
          globalSetup: ["./test/workers/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});

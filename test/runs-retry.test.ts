// A fanned-out run on Node (the runner with the in-memory ledger, reports in a directory, Tempo's
// upstream vParquet4 block read in place through a file:/// bucket): when the elected batch's merge
// fails (here: the report cannot be stored once), the queue's retry of that batch finishes the run
// instead of being dropped as a duplicate, and other re-deliveries still change nothing.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { parseDeploymentConfig } from "../src/config/deployment";
import { MemoryRunCounter } from "../src/runs/ledger";
import { RunStore } from "../src/runs/run-store";
import { createRun, executeRun, processBatch, type RunDeps } from "../src/runs/runner";
import type { QueueMessage } from "../src/runs/types";
import type { ObjectStore, PutOptions } from "../src/storage/object-store";

const V4 = fileURLToPath(new URL("../../shared/upstream-data/tempo/blocks/vParquet4-dev-schema/", import.meta.url));

/** Reports in a directory; the first write of a report JSON fails, as a storage hiccup would. */
class FailingOnceStore extends FsObjectStore implements ObjectStore {
  failures = 0;
  override async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    if (key.startsWith("reports/") && key.endsWith(".json") && !key.endsWith("latest.json") && !key.endsWith("index.json") && this.failures === 0) {
      this.failures++;
      throw new Error("storage unavailable");
    }
    return super.put(key, body, options);
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-runs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fan-out merge retries", () => {
  it("a failed merge is finished by the retry of the batch that was elected for it", async () => {
    const reports = new FailingOnceStore(dir);
    const sent: QueueMessage[] = [];
    const logs: string[] = [];
    const config = parseDeploymentConfig({
      audits: [
        {
          name: "blocks",
          source: { kind: "blocks", bucket: pathToFileURL(V4).href, tenant: "single-tenant" },
          fanOut: { inlineMaxTraces: 0, batchSize: 50 },
        },
      ],
    });
    const deps: RunDeps = {
      store: new RunStore(reports),
      counter: new MemoryRunCounter(),
      enqueue: async (messages) => void sent.push(...messages),
      secrets: {},
      config,
      now: () => new Date("2022-07-04T12:05:00Z"),
      log: (level, message) => void logs.push(`${level} ${message}`),
      traceStore: (source) => new FsObjectStore(fileURLToPath(source.bucket)),
    };
    const audit = config.audits[0]!;
    const record = await createRun(deps, audit, "api", deps.now());
    await executeRun(deps, audit, record.runId);
    const partitions = sent.splice(0) as Extract<QueueMessage, { kind: "partition" }>[];
    expect(partitions.length).toBeGreaterThan(1);
    for (const m of partitions.slice(0, -1)) expect(await processBatch(deps, m)).toBe("processed");
    const last = partitions[partitions.length - 1]!;
    // Elected to merge, the last batch fails to store the report: the queue would retry it.
    await expect(processBatch(deps, last)).rejects.toThrow("storage unavailable");
    expect(reports.failures).toBe(1);
    expect((await deps.store.getRun(record.runId))!.state).not.toBe("done");
    // Another batch re-delivered meanwhile is not elected (the failed merger's lease is still on).
    expect(await processBatch(deps, partitions[0]!)).toBe("duplicate");
    // The retry of the elected batch finishes the run.
    expect(await processBatch(deps, last)).toBe("finalized");
    const done = (await deps.store.getRun(record.runId))!;
    expect(done).toMatchObject({ state: "done", mode: "fan-out", report: { traces: 134 } });
    expect(logs).toContain(`info run ${record.runId}: batch ${last.batchId} re-delivered after its finishing step failed; finishing again`);
    // After that, every re-delivery is a duplicate.
    expect(await processBatch(deps, last)).toBe("duplicate");
  });
});

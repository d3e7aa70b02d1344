// The lease object that serialises history updates across `tracelint serve` replicas sharing one
// report store (a directory volume here; S3's exclusive create is tested with the cron claims).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsObjectStore } from "../src/cli/fs-object-store";
import { withStoreLease } from "../src/cli/store-lease";
import { MemoryRunCounter } from "../src/runs/ledger";
import { lockKey } from "../src/runs/keys";
import type { ObjectStore } from "../src/storage/object-store";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let store: FsObjectStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-lease-"));
  store = new FsObjectStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A read → change → write of a shared counter object, slow enough for writers to interleave. */
async function increment(objects: ObjectStore): Promise<void> {
  let count = 0;
  try {
    count = Number(new TextDecoder().decode((await objects.get("counter")).body));
  } catch {
    // first writer
  }
  await sleep(5);
  await objects.put("counter", new TextEncoder().encode(String(count + 1)));
}

async function counter(): Promise<number> {
  return Number(new TextDecoder().decode((await store.get("counter")).body));
}

describe("withStoreLease", () => {
  it("serialises read → change → write across replicas (each with its own in-process queue); without it updates are lost", async () => {
    const replicas = [new MemoryRunCounter(), new MemoryRunCounter(), new MemoryRunCounter()];
    const key = lockKey("history:checkout");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => replicas[i % 3]!.withLock("history:checkout", () => withStoreLease(store, key, () => increment(store), { retryMs: 2 }))),
    );
    expect(await counter()).toBe(12);
    expect(await store.head(key)).toBeUndefined(); // released

    await store.delete("counter");
    await Promise.all(Array.from({ length: 12 }, (_, i) => replicas[i % 3]!.withLock("history:checkout", () => increment(store))));
    expect(await counter()).toBeLessThan(12);
  });

  it("removes the lease of a holder that stopped while holding it, and runs", async () => {
    const key = lockKey("history:checkout");
    await store.put(key, new TextEncoder().encode(JSON.stringify({ token: "dead-replica", until: Date.now() - 1000 })));
    const logs: string[] = [];
    expect(await withStoreLease(store, key, async () => "ran", { log: (_level, message) => logs.push(message) })).toBe("ran");
    expect(logs).toEqual([`removing the expired lock ${key} (its holder stopped while holding it)`]);
    expect(await store.head(key)).toBeUndefined();
  });

  it("goes ahead without the lease after waiting too long for a live holder, and says so", async () => {
    const key = lockKey("history:checkout");
    await store.put(key, new TextEncoder().encode(JSON.stringify({ token: "busy-replica", until: Date.now() + 60_000 })));
    const logs: string[] = [];
    expect(await withStoreLease(store, key, async () => "ran", { waitMs: 30, retryMs: 5, log: (_level, message) => logs.push(message) })).toBe("ran");
    expect(logs).toEqual([`waited too long for the lock ${key}; going ahead without it`]);
    // The live holder's lease is left alone.
    expect(await store.head(key)).toBeDefined();
  });

  it("runs the work directly on a store that cannot create exclusively, and releases the lease when the work fails", async () => {
    const plain: ObjectStore = { description: "plain", list: store.list.bind(store), get: store.get.bind(store), getRange: store.getRange.bind(store), put: store.put.bind(store) };
    expect(await withStoreLease(plain, lockKey("x"), async () => 7)).toBe(7);
    await expect(withStoreLease(store, lockKey("x"), async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await store.head(lockKey("x"))).toBeUndefined();
  });
});

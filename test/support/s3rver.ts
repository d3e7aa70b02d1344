// A real S3-compatible server for tests: s3rver on 127.0.0.1, random port, temp directory,
// reached through our own S3ObjectStore (the real @aws-sdk/client-s3, path-style, SigV4).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import S3rver from "s3rver";
import { S3ObjectStore } from "../../src/storage/s3";

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface RunningS3 {
  endpoint: string;
  /** A store for one bucket (created on start). */
  store(bucket: string): S3ObjectStore;
  stop(): Promise<void>;
}

export async function startS3rver(buckets: string[]): Promise<RunningS3> {
  const directory = await mkdtemp(join(tmpdir(), "tracelint-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const info = (await server.run()) as { address: string; port: number };
  const endpoint = `http://127.0.0.1:${info.port}`;
  const stores: S3ObjectStore[] = [];
  return {
    endpoint,
    store(bucket) {
      const store = new S3ObjectStore({ bucket, endpoint, forcePathStyle: true, region: "us-east-1", credentials: S3RVER_CREDENTIALS });
      stores.push(store);
      return store;
    },
    async stop() {
      for (const s of stores) s.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Uploads every file under `dir` (read in place) to `keyPrefix/<relative path>`. */
export async function seedFromFolder(store: S3ObjectStore, dir: string, keyPrefix = "", skip: (rel: string) => boolean = () => false): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const rel = relative(dir, path).split("\\").join("/");
        if (skip(rel)) continue;
        const key = keyPrefix ? `${keyPrefix}/${rel}` : rel;
        await store.put(key, await readFile(path));
        keys.push(key);
      }
    }
  };
  await walk(dir);
  return keys;
}

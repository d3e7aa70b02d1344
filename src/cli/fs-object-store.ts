// ObjectStore on a local directory: `tracelint serve --reports DIR`, and `tracelint audit --blocks
// DIR` / `--otlp-archive DIR` (Tempo's `local` storage backend, or a bucket copied to disk). Keys
// are relative paths. Writes go to a temporary file and are renamed into place, so a reader never
// sees half a report.
import { open, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ObjectNotFoundError, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions, type StoredObject } from "../storage/object-store";
import { ensureDirectory } from "./io";
import { readDirOnce } from "./read-dir-once";

export class FsObjectStore implements ObjectStore {
  readonly description: string;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `file://${this.root}`;
  }

  #path(key: string): string {
    const path = resolve(this.root, key);
    if (path !== this.root && !path.startsWith(this.root + sep)) throw new Error(`key escapes the report directory: ${key}`);
    return path;
  }

  /**
   * Keys under `dir`. Symbolic links are followed (a block or tenant folder linked into place, a
   * Kubernetes volume's `..data` links), each real directory once, so a link cycle ends.
   */
  async *#walk(dir: string, seen: Set<string> = new Set()): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readDirOnce(dir, seen);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries ?? []) {
      if (entry.name.startsWith(".tmp-")) continue;
      const path = join(dir, entry.name);
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).then((s) => s.isDirectory(), () => false)));
      if (isDirectory) yield* this.#walk(path, seen);
      else yield relative(this.root, path).split(sep).join("/");
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ListPage> {
    const keys: string[] = [];
    // Only the directory the prefix names can hold its keys: walk from there, not from the root.
    const start = prefix.includes("/") ? this.#path(prefix.slice(0, prefix.lastIndexOf("/"))) : this.root;
    for await (const key of this.#walk(start)) if (key.startsWith(prefix) && (!options.startAfter || key > options.startAfter)) keys.push(key);
    keys.sort();
    const objects: ObjectInfo[] = [];
    const prefixes = new Set<string>();
    for (const key of keys) {
      const rest = key.slice(prefix.length);
      const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + options.delimiter!.length));
      else {
        const info = await stat(this.#path(key));
        objects.push({ key, size: info.size, lastModified: info.mtime });
      }
    }
    yield { objects, prefixes: [...prefixes] };
  }

  async get(key: string): Promise<StoredObject> {
    try {
      const body = new Uint8Array(await readFile(this.#path(key)));
      return { body, size: body.byteLength };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  /** Reads only [start, end): a Parquet reader asks for a footer and column chunks of large files. */
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    let file;
    try {
      file = await open(this.#path(key), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ObjectNotFoundError(key);
      throw error;
    }
    try {
      const size = (await file.stat()).size;
      const to = Math.min(end, size);
      const body = new Uint8Array(Math.max(0, to - start));
      let done = 0;
      while (done < body.byteLength) {
        const { bytesRead } = await file.read(body, done, body.byteLength - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === body.byteLength ? body : body.subarray(0, done);
    } finally {
      await file.close();
    }
  }

  async createIfAbsent(key: string, body: Uint8Array, _options: PutOptions = {}): Promise<boolean> {
    const path = this.#path(key);
    await ensureDirectory(dirname(path));
    try {
      // O_EXCL: of several processes on one volume exactly one creates the file.
      await writeFile(path, body, { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async put(key: string, body: Uint8Array, _options: PutOptions = {}): Promise<void> {
    const path = this.#path(key);
    // Not mkdir -p: under /proc it never settles (see ensureDirectory).
    await ensureDirectory(dirname(path));
    const temp = join(dirname(path), `.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`);
    await writeFile(temp, body);
    await rename(temp, path);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.#path(key));
      return { key, size: info.size, lastModified: info.mtime };
    } catch {
      return undefined;
    }
  }
}

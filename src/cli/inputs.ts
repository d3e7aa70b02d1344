// Turns CLI path arguments into named inputs: files, directories (recursively) and `-` for stdin.
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { NamedInput } from "../pipeline/check";
import { readDirOnce } from "./read-dir-once";

/** File endings picked up when walking a directory (named files are always read). */
const TRACE_FILE = /\.(json|jsonl|ndjson|pb|binpb|protobuf|proto\.bin|otlp)(\.gz)?$|\.gz$/i;
/** tracelint's own config, which `check .` next to it would otherwise report as a broken input. */
const CONFIG_FILE = "tracelint.config.json";

export class UsageError extends Error {
  override name = "UsageError";
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A path met while walking: a trace file to read, or a directory that could not be listed. */
interface Walked {
  path: string;
  error?: Error;
}

/**
 * One line for a directory that cannot be listed (EACCES, ENAMETOOLONG, ELOOP …): Node's message
 * without the syscall and path (the input's name already says which directory it is).
 */
function directoryError(error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  const text = (e.message ?? String(error)).replace(/, \w+ '.*'$/s, "");
  return new Error(`${text} (a directory: none of its files were checked)`);
}

/**
 * Trace files under `dir`, recursively, sorted by name. Symbolic links are followed (Kubernetes
 * ConfigMap and Secret mounts are made of them); a directory reached again through a link is not
 * walked twice, and a dangling link is skipped. A directory that cannot be listed is recorded
 * (as an input whose reading fails) and the walk goes on with the rest.
 */
async function walk(dir: string, out: Walked[], walked = new Set<string>()): Promise<void> {
  let entries;
  try {
    entries = await readDirOnce(dir, walked);
    if (entries === undefined) return;
  } catch (error) {
    out.push({ path: dir, error: directoryError(error) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDirectory) await walk(path, out, walked);
    else if (isFile && TRACE_FILE.test(entry.name) && entry.name !== CONFIG_FILE) out.push({ path });
  }
}

export interface CollectOptions {
  cwd?: string;
  /**
   * Files a directory walk leaves out (compared by real path): the report `--out` writes, which a
   * second `check DIR --out DIR/report.json` would otherwise read as a broken input. A file named
   * explicitly is still read.
   */
  skip?: readonly string[];
}

/**
 * Resolves paths to inputs; throws UsageError for paths that do not exist. A file reached twice
 * (named twice, or named and inside a named directory) is read once: reading it again would turn
 * every span into a duplicate of itself. A path that exists but cannot be read or listed (no
 * permission, a name too long) becomes an input whose reading fails, so it is reported as an
 * input error like an unreadable file and the rest is still checked.
 */
export async function collectInputs(paths: readonly string[], options: CollectOptions = {}): Promise<NamedInput[]> {
  const cwd = options.cwd ?? process.cwd();
  const skip = new Set<string>();
  for (const path of options.skip ?? []) {
    const real = await realpath(resolve(cwd, path)).catch(() => undefined);
    if (real !== undefined) skip.add(real);
  }
  const inputs: NamedInput[] = [];
  const seen = new Set<string>();
  // Shown as given: relative paths relative to the cwd, absolute ones unchanged (not ../../tmp/…).
  const shown = (file: string) => (isAbsolute(file) ? file : relative(cwd, file) || file);
  for (const path of paths) {
    if (path === "-") {
      inputs.push({ name: "(stdin)", read: readStdin });
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") throw new UsageError(`no such file or directory: ${path}`);
      // It may exist but cannot be reached (a parent without permission): an unreadable input.
      const failure = error as Error;
      inputs.push({ name: shown(path), read: () => Promise.reject(failure) });
      continue;
    }
    const found: Walked[] = [];
    const walked = info.isDirectory();
    if (walked) await walk(path, found);
    else found.push({ path });
    for (const { path: file, error } of found) {
      if (error) {
        const key = `dir:${resolve(cwd, file)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        inputs.push({ name: shown(file), read: () => Promise.reject(error) });
        continue;
      }
      // The file itself, not the link to it: a file linked from two places is read once.
      const absolute = await realpath(resolve(cwd, file)).catch(() => resolve(cwd, file));
      if (walked && skip.has(absolute)) continue;
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      inputs.push({ name: shown(file), read: () => readFile(file) });
    }
  }
  return inputs;
}

// Turns CLI path arguments into named inputs: files, directories (recursively) and `-` for stdin.
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { NamedInput } from "../pipeline/check";

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

/**
 * Trace files under `dir`, recursively, sorted by name. Symbolic links are followed (Kubernetes
 * ConfigMap and Secret mounts are made of them); a directory reached again through a link is not
 * walked twice, and a dangling link is skipped.
 */
async function walk(dir: string, out: string[], walked = new Set<string>()): Promise<void> {
  const real = await realpath(dir);
  if (walked.has(real)) return;
  walked.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
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
    else if (isFile && TRACE_FILE.test(entry.name) && entry.name !== CONFIG_FILE) out.push(path);
  }
}

/**
 * Resolves paths to inputs; throws UsageError for paths that do not exist. A file reached twice
 * (named twice, or named and inside a named directory) is read once: reading it again would turn
 * every span into a duplicate of itself.
 */
export async function collectInputs(paths: readonly string[], cwd = process.cwd()): Promise<NamedInput[]> {
  const inputs: NamedInput[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    if (path === "-") {
      inputs.push({ name: "(stdin)", read: readStdin });
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`no such file or directory: ${path}`);
    }
    const files: string[] = [];
    if (info.isDirectory()) await walk(path, files);
    else files.push(path);
    for (const file of files) {
      // The file itself, not the link to it: a file linked from two places is read once.
      const absolute = await realpath(resolve(cwd, file)).catch(() => resolve(cwd, file));
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      // Shown as given: relative paths relative to the cwd, absolute ones unchanged (not ../../tmp/…).
      const name = isAbsolute(file) ? file : relative(cwd, file) || file;
      inputs.push({ name, read: () => readFile(file) });
    }
  }
  return inputs;
}

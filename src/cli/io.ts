// The CLI's only contact with the terminal, injectable so tests can capture it.
import { writeFile, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

export interface CliIO {
  stdout(text: string): void;
  stderr(line: string): void;
  /** A transient status line on a TTY (empty string clears it). */
  progress(line: string): void;
  writeFile(path: string, content: string): Promise<void>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
}

/**
 * Creates the missing directories above a report one level at a time. `mkdir(…, {recursive: true})`
 * never settles for a path under /proc (Node retries its ENOENT forever), which hung
 * `--out /proc/x/report.json`; one level at a time fails with ENOENT instead.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      await stat(d);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      missing.push(d);
      if (dirname(d) === d) break;
    }
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}

export function processIO(): CliIO {
  let progressShown = false;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (line) => {
      if (progressShown) {
        process.stderr.write("\r\x1b[K");
        progressShown = false;
      }
      process.stderr.write(`${line}\n`);
    },
    progress: (line) => {
      if (!process.stderr.isTTY) return;
      process.stderr.write(`\r\x1b[K${line}`);
      progressShown = line !== "";
    },
    writeFile: async (path, content) => {
      await ensureDirectory(dirname(path));
      await writeFile(path, content);
    },
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

// The CLI's only contact with the terminal, injectable so tests can capture it.
import { writeFile, mkdir } from "node:fs/promises";
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
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

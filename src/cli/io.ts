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

/** What clearing the progress line on Ctrl-C needs from `process` (a stand-in in tests). */
export interface InterruptTarget {
  readonly pid: number;
  on(event: "SIGINT", listener: () => void): unknown;
  off(event: "SIGINT", listener: () => void): unknown;
  kill(pid: number, signal: "SIGINT"): unknown;
}

/**
 * While armed (a progress line is on the terminal), Ctrl-C first runs `clear`, since the shell
 * prompt would otherwise start after the bar, then re-raises SIGINT with Node's default handling
 * back in place, so the process still dies of the signal: exit status 130, as without a handler.
 */
export function clearOnInterrupt(clear: () => void, target: InterruptTarget = process): { arm(): void; disarm(): void } {
  let armed = false;
  const onInterrupt = () => {
    clear();
    target.off("SIGINT", onInterrupt);
    armed = false;
    target.kill(target.pid, "SIGINT");
  };
  return {
    arm: () => {
      if (!armed) target.on("SIGINT", onInterrupt);
      armed = true;
    },
    disarm: () => {
      if (armed) target.off("SIGINT", onInterrupt);
      armed = false;
    },
  };
}

export function processIO(): CliIO {
  let progressShown = false;
  const interrupt = clearOnInterrupt(() => process.stderr.write("\r\x1b[K"));
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (line) => {
      if (progressShown) {
        process.stderr.write("\r\x1b[K");
        progressShown = false;
        interrupt.disarm();
      }
      process.stderr.write(`${line}\n`);
    },
    progress: (line) => {
      if (!process.stderr.isTTY) return;
      // Armed before the bar is drawn: a Ctrl-C right after the write would otherwise find no handler.
      if (line !== "") interrupt.arm();
      process.stderr.write(`\r\x1b[K${line}`);
      progressShown = line !== "";
      if (!progressShown) interrupt.disarm();
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

// Runs the CLI in-process with captured output (no child process, no terminal).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { main } from "../../src/cli/main";
import type { CliIO } from "../../src/cli/io";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  let stdout = "";
  const stderr: string[] = [];
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (l) => {
      stderr.push(l);
    },
    progress: () => {},
    writeFile: async (path, content) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr: stderr.join("\n") };
}

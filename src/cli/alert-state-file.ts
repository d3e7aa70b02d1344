// The alert state (outbox, delivered IDs, quiet-period times, previous snapshot) as a JSON file,
// replaced atomically (write to a temporary file, then rename) so a crash never leaves half a file.
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AlertStateError, emptyAlertState, parseAlertState, serializeAlertState, type AlertState, type AlertStateStore } from "../alerts/outbox";
import { ensureDirectory } from "./io";

export class FileAlertStateStore implements AlertStateStore {
  readonly description: string;
  constructor(readonly path: string) {
    this.description = path;
  }

  async load(): Promise<AlertState> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      // No file there (ENOTDIR: a file where a directory should be): a first run. A save will say why it cannot write one.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return emptyAlertState();
      throw error;
    }
    return parseAlertState(text, this.path);
  }

  async save(state: AlertState): Promise<void> {
    // Not mkdir -p: under /proc it never settles (see ensureDirectory).
    await ensureDirectory(dirname(this.path));
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, serializeAlertState(state));
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }
}

/** `permission denied (EACCES)`: a file-system error in a few words, without a stack. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
    EDQUOT: "disk quota exceeded",
    ENOTDIR: "a path component is not a directory",
    EISDIR: "it is a directory",
    ENOENT: "no such file or directory",
  };
  const code = e?.code;
  if (code !== undefined) return words[code] ? `${words[code]}, ${code}` : code;
  return String(e?.message ?? error);
}

/**
 * The state file as `tracelint alert` uses it: a state that cannot be saved (a read-only or
 * root-owned volume) does not stop delivery — the alerts are what the user wants, the state only
 * keeps them from being sent twice — and is reported afterwards (`saveProblem`). With
 * `deliverWithoutState` (an "audit failed" alert, which must not be lost), a state that cannot be
 * read is replaced by an empty one and left untouched on disk (it may hold alerts still to deliver):
 * `loadProblem` says why.
 */
export class BestEffortAlertStateStore implements AlertStateStore {
  readonly description: string;
  loadProblem: string | undefined;
  saveProblem: string | undefined;

  constructor(
    readonly file: FileAlertStateStore,
    readonly deliverWithoutState: boolean,
  ) {
    this.description = file.description;
  }

  async load(): Promise<AlertState> {
    try {
      return await this.file.load();
    } catch (error) {
      if (!this.deliverWithoutState) throw error;
      this.loadProblem = error instanceof AlertStateError ? error.message : `cannot read the alert state ${this.file.path} (${describeFsError(error)})`;
      return emptyAlertState();
    }
  }

  async save(state: AlertState): Promise<void> {
    // Never over a state that could not be read: it keeps the alerts it holds for a later run.
    if (this.loadProblem !== undefined) return;
    try {
      await this.file.save(state);
    } catch (error) {
      this.saveProblem ??= describeFsError(error);
    }
  }
}

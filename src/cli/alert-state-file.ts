// The alert state (outbox, delivered IDs, quiet-period times, previous snapshot) as a JSON file,
// replaced atomically (write to a temporary file, then rename) so a crash never leaves half a file.
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { emptyAlertState, parseAlertState, serializeAlertState, type AlertState, type AlertStateStore } from "../alerts/outbox";
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
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyAlertState();
      throw error;
    }
    return parseAlertState(text, this.path);
  }

  async save(state: AlertState): Promise<void> {
    // Not mkdir -p: under /proc it never settles (see ensureDirectory).
    await ensureDirectory(dirname(this.path));
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, serializeAlertState(state));
    await rename(temporary, this.path);
  }
}

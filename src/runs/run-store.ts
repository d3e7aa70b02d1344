// Reads and writes a run's records in the report bucket (any ObjectStore: the R2 binding in the
// Worker, a directory or S3 for `tracelint serve`). Small JSON documents only; reports are written
// by publish.ts.
import { ObjectNotFoundError, type ObjectStore } from "../storage/object-store";
import { historyKey, latestKey, runPartKey, runPlanKey, runRecordKey } from "./keys";
import type { IndexEntry, RunPart, RunPlan, RunRecord } from "./types";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class RunStore {
  constructor(readonly objects: ObjectStore) {}

  async getJson<T>(key: string): Promise<T | undefined> {
    try {
      const object = await this.objects.get(key);
      return JSON.parse(decoder.decode(object.body)) as T;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.objects.put(key, encoder.encode(JSON.stringify(value)), { contentType: "application/json" });
  }

  async putText(key: string, text: string, contentType: string): Promise<void> {
    await this.objects.put(key, encoder.encode(text), { contentType });
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      return decoder.decode((await this.objects.get(key)).body);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.getJson<RunRecord>(runRecordKey(runId));
  }

  async putRun(record: RunRecord): Promise<void> {
    await this.putJson(runRecordKey(record.runId), record);
  }

  /** Reads, changes and writes the run record (one writer per state change; see runner.ts). */
  async updateRun(runId: string, change: (record: RunRecord) => void, now: Date): Promise<RunRecord> {
    const record = await this.getRun(runId);
    if (!record) throw new Error(`run ${runId} has no record`);
    change(record);
    record.updatedAt = now.toISOString();
    await this.putRun(record);
    return record;
  }

  getPlan(runId: string): Promise<RunPlan | undefined> {
    return this.getJson<RunPlan>(runPlanKey(runId));
  }

  putPlan(plan: RunPlan): Promise<void> {
    return this.putJson(runPlanKey(plan.runId), plan);
  }

  getPart(runId: string, batchId: string): Promise<RunPart | undefined> {
    return this.getJson<RunPart>(runPartKey(runId, batchId));
  }

  /** Keyed by batch ID: a re-delivered batch overwrites its part, never adds a second one. */
  putPart(part: RunPart): Promise<void> {
    return this.putJson(runPartKey(part.runId, part.batchId), part);
  }

  async history(audit: string): Promise<IndexEntry[]> {
    return (await this.getJson<IndexEntry[]>(historyKey(audit))) ?? [];
  }

  /** Newest first, bounded; an entry for the same run replaces the old one. */
  async recordHistory(entry: IndexEntry, limit: number): Promise<void> {
    const entries = (await this.history(entry.audit)).filter((e) => e.runId !== entry.runId);
    entries.unshift(entry);
    entries.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
    await this.putJson(historyKey(entry.audit), entries.slice(0, limit));
  }

  latest(audit: string): Promise<IndexEntry | undefined> {
    return this.getJson<IndexEntry>(latestKey(audit));
  }

  putLatest(entry: IndexEntry): Promise<void> {
    return this.putJson(latestKey(entry.audit), entry);
  }

  /** Audit names that have reports (from the bucket, so audits removed from the config still show). */
  async auditsWithReports(): Promise<string[]> {
    const names: string[] = [];
    for await (const page of this.objects.list("reports/", { delimiter: "/" })) {
      for (const prefix of page.prefixes) names.push(prefix.slice("reports/".length).replace(/\/$/, ""));
    }
    return names.sort();
  }
}

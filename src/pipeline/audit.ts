// `audit`: stream complete traces from a source (Tempo's query API, …) into the rule engine and
// produce a report with the source's own section. Traces are checked as they arrive and then
// dropped, so memory follows the source's concurrency, not the number of traces audited.
import { Analyzer } from "../engine/analyzer";
import type { ResolvedConfig } from "../engine/config";
import type { Trace } from "../model/trace";
import type { Report, SourceSection } from "../report/schema";

export type SourceItem =
  /** One response/object read; `errors` are parts of it that could not be decoded. */
  | { kind: "input"; name: string; errors: string[] }
  /** A complete trace (possibly marked partial by the source). */
  | { kind: "trace"; trace: Trace }
  /** Something that could not be read; the audit goes on. */
  | { kind: "failure"; name: string; reason: string };

export interface SourceProgress {
  phase: "discover" | "search" | "fetch" | "done";
  /** Searches or traces finished in this phase, and how many there are. */
  done: number;
  total: number;
  failed: number;
  partial: number;
  notFound: number;
}

export interface TraceSource {
  /** Yields inputs and traces; throws for problems that stop the whole audit (auth, bad query). */
  items(onProgress?: (progress: SourceProgress) => void): AsyncIterable<SourceItem>;
  /** How the traces were selected and fetched; call after `items` is exhausted. */
  section(): SourceSection;
}

export interface AuditOptions {
  onProgress?: (progress: SourceProgress) => void;
  /** Each unreadable input/trace as it happens (the report lists them too). */
  onFailure?: (name: string, reason: string) => void;
  now?: Date;
}

export async function auditSource(source: TraceSource, config: ResolvedConfig, options: AuditOptions = {}): Promise<Report> {
  const analyzer = new Analyzer(config);
  for await (const item of source.items(options.onProgress)) {
    switch (item.kind) {
      case "input":
        analyzer.noteInput();
        for (const message of item.errors) analyzer.recordInputError(item.name, message);
        break;
      case "trace":
        analyzer.addTrace(item.trace);
        break;
      case "failure":
        analyzer.recordInputError(item.name, item.reason);
        options.onFailure?.(item.name, item.reason);
        break;
    }
  }
  const report = analyzer.finish(options.now);
  report.source = source.section();
  return report;
}

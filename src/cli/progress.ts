// Audit progress on stderr: a redrawn bar on a terminal, a few plain lines otherwise (CI logs).
import type { SourceProgress } from "../pipeline/audit";
import type { RetryEvent } from "../sources/tempo/http";
import type { CliIO } from "./io";

const BAR_WIDTH = 24;
/** Retry notices printed in plain mode before they are only counted. */
const MAX_RETRY_LINES = 5;
/** Plain mode: a search-progress line at most this often, and only at a new 10 % step. */
export const SEARCH_LINE_INTERVAL_MS = 10_000;

export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

export function describeProgress(p: SourceProgress): string {
  switch (p.phase) {
    case "discover":
      return "discovering services…";
    case "search":
      return `searching ${progressBar(p.done, p.total)} ${p.done}/${p.total} searches`;
    case "fetch":
    case "done": {
      const extras = [`${p.failed} failed`];
      if (p.partial > 0) extras.push(`${p.partial} partial`);
      if (p.notFound > 0) extras.push(`${p.notFound} not found`);
      return `fetching ${progressBar(p.done, p.total)} ${p.done}/${p.total} traces, ${extras.join(", ")}`;
    }
  }
}

export interface AuditProgress {
  onProgress(p: SourceProgress): void;
  onRetry(event: RetryEvent): void;
  /** Clears the bar (call before printing the summary). */
  finish(): void;
}

export function auditProgress(io: CliIO, quiet: boolean, now: () => number = Date.now): AuditProgress {
  if (quiet) return { onProgress: () => {}, onRetry: () => {}, finish: () => {} };
  if (io.stderrIsTTY) {
    return {
      // No "fetching 0/0" bar when nothing was sampled: the audit's closing line says why.
      onProgress: (p) => {
        if (p.total === 0 && (p.phase === "fetch" || p.phase === "done")) return;
        io.progress(describeProgress(p));
      },
      onRetry: () => {},
      finish: () => io.progress(""),
    };
  }
  // Plain lines: one per phase start; during the searches (minutes on a large estate) a line at
  // each new 10 % step but at most every 10 s, so a CronJob log shows the audit is moving without
  // a line per search; then at 25, 50 and 75 % of the fetch, then the end. Nothing about fetching
  // when nothing was sampled: the audit's own closing lines say so.
  let lastPhase = "";
  let lastQuarter = 0;
  let lastSearchTenth = 0;
  let lastSearchLineAt = 0;
  let retries = 0;
  return {
    onProgress: (p) => {
      if (p.phase === "search") {
        if (lastPhase !== "search") {
          io.stderr(`tracelint: running ${p.total} searches`);
          lastSearchLineAt = now();
        }
        const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
        if (tenth > lastSearchTenth && p.done < p.total && now() - lastSearchLineAt >= SEARCH_LINE_INTERVAL_MS) {
          lastSearchTenth = tenth;
          lastSearchLineAt = now();
          io.stderr(`tracelint: ${describeProgress(p)}`);
        }
      }
      if (p.phase === "fetch" && p.total > 0) {
        if (lastPhase !== "fetch") io.stderr(`tracelint: fetching ${p.total} sampled traces`);
        const quarter = p.total > 0 ? Math.floor((4 * p.done) / p.total) : 4;
        if (p.done > 0 && quarter > lastQuarter && quarter < 4) {
          lastQuarter = quarter;
          io.stderr(`tracelint: ${describeProgress(p)}`);
        }
      }
      if (p.phase === "done" && p.total > 0) io.stderr(`tracelint: ${describeProgress(p)}`);
      lastPhase = p.phase;
    },
    onRetry: (e) => {
      retries++;
      if (retries <= MAX_RETRY_LINES) io.stderr(`tracelint: retrying ${e.path} in ${e.delayMs} ms (${e.reason})`);
      else if (retries === MAX_RETRY_LINES + 1) io.stderr("tracelint: further retries not shown");
    },
    finish: () => {},
  };
}

export interface ObjectsProgress {
  onProgress(p: { done: number; total: number; failed: number }): void;
  /** Clears the bar (call before printing the summary). */
  finish(): void;
}

/** Progress over a listed set of objects (archive uploads) or traces (blocks): a bar on a terminal, quarters otherwise. */
export function objectsProgress(io: CliIO, quiet: boolean, unit = "objects", approximate = false): ObjectsProgress {
  if (quiet) return { onProgress: () => {}, finish: () => {} };
  const describe = (p: { done: number; total: number; failed: number }) => `reading ${progressBar(p.done, p.total)} ${p.done}/${p.total} ${unit}, ${p.failed} failed`;
  if (io.stderrIsTTY) return { onProgress: (p) => io.progress(describe(p)), finish: () => io.progress("") };
  let lastQuarter = 0;
  let started = false;
  let finished = false;
  return {
    onProgress: (p) => {
      if (!started) {
        started = true;
        io.stderr(`tracelint: reading ${approximate ? "about " : ""}${p.total} ${unit}`);
      }
      const quarter = p.total === 0 ? 0 : Math.floor((4 * p.done) / p.total);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        io.stderr(`tracelint: ${describe(p)}`);
      }
      // The last line once, though the source may report completion twice.
      if (p.done === p.total && p.total > 0 && !finished) {
        finished = true;
        io.stderr(`tracelint: ${describe(p)}`);
      }
    },
    finish: () => {},
  };
}

// Time helpers for Tempo's query API: durations such as `1h`, instants as ISO-8601, and the
// audit window expressed in the Unix *seconds* that search and trace-by-ID take.

export class TimeArgumentError extends Error {
  override name = "TimeArgumentError";
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `90s`, `15m`, `1h30m`, `7d`, `250ms` to milliseconds. Throws TimeArgumentError. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(trimmed); match; match = re.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (trimmed === "" || consumed !== trimmed.length) {
    throw new TimeArgumentError(`not a duration: ${JSON.stringify(text)} (use e.g. 30m, 1h, 6h, 2d)`);
  }
  return Math.round(total);
}

/** Parses an ISO-8601 instant (a zone is required, so `2026-01-01T00:00:00Z`, not local time). */
export function parseInstant(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim())) {
    throw new TimeArgumentError(`not an ISO-8601 time with a zone: ${JSON.stringify(text)} (use e.g. 2026-01-01T12:00:00Z)`);
  }
  const date = new Date(text.trim());
  if (Number.isNaN(date.getTime())) throw new TimeArgumentError(`not a valid time: ${JSON.stringify(text)}`);
  return date;
}

/** Unix seconds (what Tempo's search and trace-by-ID take; nanoseconds or RFC3339 give 400). */
export function toUnixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export interface TimeWindow {
  start: Date;
  end: Date;
}

/** True when some span of a trace overlaps the window (object-storage audits keep only those). */
export function overlapsWindow(spans: readonly { startTimeUnixNano: bigint; endTimeUnixNano: bigint }[], window: TimeWindow): boolean {
  const start = BigInt(window.start.getTime()) * 1_000_000n;
  const end = BigInt(window.end.getTime()) * 1_000_000n;
  return spans.some((s) => s.startTimeUnixNano <= end && s.endTimeUnixNano >= start);
}

/** Tempo refuses search windows longer than `max_duration` (default 168h). */
export const MAX_SEARCH_WINDOW_MS = 168 * UNIT_MS.h!;

export interface WindowOptions {
  now: Date;
  /** `--since`: the window is [end − since, end]. */
  sinceMs?: number;
  start?: Date;
  end?: Date;
  /** Traces younger than this may still be arriving; the window ends this long before now. */
  ingestionDelayMs: number;
}

/**
 * The audit window. With explicit start/end those are used as given; otherwise the window ends
 * `ingestionDelay` before now (so sampled traces are complete) and spans `since` (default 1h).
 */
export function resolveWindow(options: WindowOptions): TimeWindow {
  if ((options.start === undefined) !== (options.end === undefined)) {
    throw new TimeArgumentError("give both --start and --end, or neither");
  }
  if (options.start && options.end) {
    if (options.sinceMs !== undefined) throw new TimeArgumentError("--since cannot be combined with --start/--end");
    if (options.end.getTime() <= options.start.getTime()) throw new TimeArgumentError("--end must be after --start");
    checkLength(options.end.getTime() - options.start.getTime());
    return { start: options.start, end: options.end };
  }
  const since = options.sinceMs ?? UNIT_MS.h!;
  if (since < 1000) throw new TimeArgumentError("--since must be at least 1s");
  checkLength(since);
  const end = new Date(options.now.getTime() - options.ingestionDelayMs);
  return { start: new Date(end.getTime() - since), end };
}

/**
 * An explicit window whose end is later than `now − ingestionDelay` (in the future, or within the
 * delay) ends there instead: traces younger than the delay may still be arriving, and a sample of
 * half-ingested traces reports lost spans that are not lost. Returns the window unchanged when its
 * end is early enough; throws TimeArgumentError when nothing of it is left.
 */
export function clampToIngestionDelay(window: TimeWindow, now: Date, ingestionDelayMs: number): { window: TimeWindow; clamped: boolean } {
  const latest = now.getTime() - ingestionDelayMs;
  if (window.end.getTime() <= latest) return { window, clamped: false };
  if (window.start.getTime() >= latest) {
    throw new TimeArgumentError(
      `the window starts at ${window.start.toISOString()}, less than the ingestion delay (${formatDuration(ingestionDelayMs)}) before now: traces that recent may still be arriving; give an earlier --start (or --ingestion-delay 0)`,
    );
  }
  return { window: { start: window.start, end: new Date(latest) }, clamped: true };
}

function checkLength(ms: number): void {
  if (ms > MAX_SEARCH_WINDOW_MS) {
    throw new TimeArgumentError(`the window is ${formatDuration(ms)}, longer than Tempo's default search limit of 168h`);
  }
}

/**
 * Splits a window into `count` equal slices in whole seconds (Tempo's resolution), newest first.
 * Short windows get fewer slices so that every slice is at least one second long.
 */
export function sliceWindow(window: TimeWindow, count: number): { start: number; end: number }[] {
  const start = toUnixSeconds(window.start);
  const end = Math.max(Math.ceil(window.end.getTime() / 1000), start + 1);
  const n = Math.max(1, Math.min(count, end - start));
  const slices: { start: number; end: number }[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const a = start + Math.floor(((end - start) * i) / n);
    const b = start + Math.floor(((end - start) * (i + 1)) / n);
    slices.push({ start: a, end: b });
  }
  return slices;
}

/** `3600000` → `1h`, `5400000` → `1h30m`, `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0 && ms < 60_000) return `${ms / 1000}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("") || "0s";
}

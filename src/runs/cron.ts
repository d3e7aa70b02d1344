// Five-field cron expressions (minute hour day-of-month month day-of-week, UTC), parsed once and
// matched/stepped without dependencies: the Worker only needs to validate them (Cloudflare fires
// the trigger and tells us which cron it was), `tracelint serve` needs the next fire time.
//
// The same config runs on both, and the two disagree on numeric weekdays: Cloudflare counts
// 1-7 from Sunday, Unix cron 0-6 from Sunday. A numeric weekday would fire on different days
// depending on where it runs, so weekdays must be names (`mon-fri`) or `*`. Quartz extensions
// (`L`, `W`, `#`, `?`) are Cloudflare-only and rejected for the same reason.

export class CronError extends Error {
  override name = "CronError";
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names mapped to min, min+1, … */
  names?: readonly string[];
  /** Numbers are ambiguous across runtimes: only names (and `*`) allowed. */
  namesOnly?: boolean;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 0, max: 6, names: WEEKDAYS, namesOnly: true },
];

export interface CronSchedule {
  /** The expression as written (Cloudflare reports this string back in `controller.cron`). */
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday. */
  daysOfWeek: ReadonlySet<number>;
  /** Vixie-cron rule: when both day fields are restricted, either may match. */
  domRestricted: boolean;
  dowRestricted: boolean;
}

function parseValue(text: string, spec: FieldSpec): number {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(text)) throw new CronError(`${spec.name}: ${JSON.stringify(text)} is not a number${spec.names ? " or a name" : ""}`);
  if (spec.namesOnly) {
    throw new CronError(`${spec.name}: use names (sun, mon, … sat), not ${JSON.stringify(text)}: Cloudflare counts weekdays 1-7 from Sunday, Unix cron 0-6`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) throw new CronError(`${spec.name}: ${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; restricted: boolean } {
  if (/[LW#?]/i.test(text.replace(/[a-z]{3}/gi, (m) => (spec.names?.includes(m.toLowerCase()) ? "" : m)))) {
    throw new CronError(`${spec.name}: ${JSON.stringify(text)} uses a Quartz extension (L, W, #, ?) that only Cloudflare understands`);
  }
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (range === undefined || range === "" || extra !== undefined) throw new CronError(`${spec.name}: cannot read ${JSON.stringify(part)}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${spec.name}: step ${JSON.stringify(stepText)} must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (a === undefined || b === undefined || more !== undefined) throw new CronError(`${spec.name}: cannot read range ${JSON.stringify(range)}`);
      lo = parseValue(a, spec);
      hi = parseValue(b, spec);
      if (hi < lo) throw new CronError(`${spec.name}: range ${JSON.stringify(range)} runs backwards`);
    } else {
      lo = parseValue(range, spec);
      hi = stepText !== undefined ? spec.max : lo; // `5/15` means 5, 20, 35, 50
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted: text !== "*" };
}

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length} in ${JSON.stringify(expression)}`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  return {
    source: expression,
    minutes: minute.values,
    hours: hour.values,
    daysOfMonth: dom.values,
    months: month.values,
    daysOfWeek: dow.values,
    domRestricted: dom.restricted,
    dowRestricted: dow.restricted,
  };
}

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const dom = schedule.daysOfMonth.has(date.getUTCDate());
  const dow = schedule.daysOfWeek.has(date.getUTCDay());
  if (schedule.domRestricted && schedule.dowRestricted) return dom || dow;
  return dom && dow;
}

/** True when the schedule fires in the minute containing `date` (UTC). */
export function cronMatches(schedule: CronSchedule, date: Date): boolean {
  return (
    schedule.minutes.has(date.getUTCMinutes()) &&
    schedule.hours.has(date.getUTCHours()) &&
    schedule.months.has(date.getUTCMonth() + 1) &&
    dayMatches(schedule, date)
  );
}

/** Searched at most this far ahead (covers `0 0 29 feb *`, which fires once in up to 8 years). */
const MAX_YEARS_AHEAD = 9;

/** The first fire time strictly after `after` (UTC, whole minutes); undefined if it never fires. */
export function nextFireTime(schedule: CronSchedule, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + MAX_YEARS_AHEAD * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}

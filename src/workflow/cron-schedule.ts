// Cron schedule math: a port of robfig/cron v3's parser and SpecSchedule.Next, the library Argo's
// cron controller uses, so that runs land on exactly the instants Argo would pick.
//
// Syntax: 5 fields (minute hour day-of-month month day-of-week), or 6 with a leading seconds field;
// `*`, `?`, lists, ranges, steps (`N/step` means `N-max/step`), month and weekday names; the
// descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and `@every <duration>`;
// an optional `CRON_TZ=<zone>` (or `TZ=`) prefix that overrides the zone the schedule is read in.
// Like robfig, when both day-of-month and day-of-week are restricted (neither starts with `*`/`?`)
// a day matches when EITHER matches; `*/2` counts as restricted.
//
// Daylight saving (robfig's behaviour, documented in argo-workflows docs/cron-workflows.md
// "Daylight Saving"): the schedule is matched against wall-clock time in the zone while time moves
// forward in absolute steps, so
//   * a wall time inside a spring-forward gap does not exist and is SKIPPED that day:
//     `30 2 * * *` in America/New_York runs 2026-03-07 02:30 EST, then 2026-03-09 02:30 EDT;
//   * a wall time inside a fall-back overlap happens twice and runs TWICE:
//     `30 1 * * *` runs 2026-11-01 01:30 EDT and again one hour later at 01:30 EST,
//     while `30 2 * * *` (after the overlap) runs once, at 02:30 EST.
// Everything here is a pure function of its inputs: no clock is read.
import { parseDuration } from '../expr/gotypes.js';

export interface CronSchedule {
  /** The text it was parsed from. */
  readonly source: string;
  /** The zone it is read in (IANA name). */
  readonly timezone: string;
  /** The first activation strictly after `after` (whole seconds); undefined when none within 5 years. */
  next(after: Date): Date | undefined;
  /** `@every` schedules have no wall-clock anchor: the delay in ms (else undefined). */
  readonly everyMs?: number;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: Object.fromEntries(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((n, i) => [n, i + 1])) };
// robfig's day-of-week is 0-6; 7 (Sunday, as many crons allow) is accepted here and folded onto 0.
const DOW: Bounds = { min: 0, max: 7, names: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((n, i) => [n, i])) };

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** A field's allowed values, and whether it was written as a star (`*` or `?` without a step > 1). */
interface Field {
  allowed: boolean[];
  star: boolean;
}

function parseValue(s: string, b: Bounds, expr: string): number {
  const named = b.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s} in ${JSON.stringify(expr)}`);
  return Number(s);
}

function parseField(text: string, b: Bounds): Field {
  const allowed = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`too many slashes: ${part}`);
    let start: number;
    let end: number;
    let partStar = false;
    if (rangeText === '*' || rangeText === '?') {
      start = b.min;
      end = b.max === 7 ? 6 : b.max;
      partStar = true;
    } else {
      const ends = rangeText.split('-');
      if (ends.length > 2) throw new Error(`too many hyphens: ${part}`);
      start = parseValue(ends[0], b, part);
      end = ends.length === 2 ? parseValue(ends[1], b, part) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw new Error(`failed to parse int from ${stepText}`);
      step = Number(stepText);
      if (step === 0) throw new Error(`step of range should be a positive number: ${part}`);
      // "N/step" means "N-max/step".
      if (!rangeText.includes('-') && !partStar) end = b.max === 7 ? 6 : b.max;
      if (step > 1) partStar = false;
    }
    if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${part}`);
    if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${part}`);
    if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    for (let v = start; v <= end; v += step) allowed[b.max === 7 && v === 7 ? 0 : v] = true;
    star ||= partStar;
  }
  return { allowed, star };
}

// ------------------------------------------------------------------ time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's UTC offset in ms at an instant. */
export function zoneOffsetMs(ms: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour === 24 ? 0 : p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

function wall(ms: number, tz: string): Wall {
  const d = new Date(ms + zoneOffsetMs(ms, tz));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
}

/**
 * Go's time.Date in a zone: fields may overflow (day 32 is the 1st of the next month); a wall time
 * in a gap or an overlap resolves the way Go resolves it (the offset in force just before the
 * transition is tried first).
 */
function goDate(year: number, month: number, day: number, hour: number, minute: number, second: number, tz: string): number {
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const off1 = zoneOffsetMs(local, tz);
  let utc = local - off1;
  const off2 = zoneOffsetMs(utc, tz);
  if (off2 !== off1) utc = local - off2;
  return utc;
}

/** Go's t.AddDate(years, months, days): wall-clock arithmetic, then time.Date. */
function addDate(ms: number, tz: string, months: number, days: number): number {
  const w = wall(ms, tz);
  return goDate(w.year, w.month + months, w.day + days, w.hour, w.minute, w.second, tz);
}

// ------------------------------------------------------------------ schedules

class SpecSchedule implements CronSchedule {
  constructor(
    readonly source: string,
    readonly timezone: string,
    private readonly second: Field,
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
  ) {}

  private dayMatches(w: Wall): boolean {
    const domMatch = this.dom.allowed[w.day];
    const dowMatch = this.dow.allowed[w.weekday];
    if (this.dom.star || this.dow.star) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  next(after: Date): Date | undefined {
    const tz = this.timezone;
    // Start at the upcoming whole second.
    let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
    let added = false;
    let w = wall(t, tz);
    const yearLimit = w.year + 5;
    wrap: for (;;) {
      w = wall(t, tz);
      if (w.year > yearLimit) return undefined;
      while (!this.month.allowed[w.month]) {
        if (!added) {
          added = true;
          t = goDate(w.year, w.month, 1, 0, 0, 0, tz);
        }
        t = addDate(t, tz, 1, 0);
        w = wall(t, tz);
        if (w.month === 1) continue wrap;
      }
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = goDate(w.year, w.month, w.day, 0, 0, 0, tz);
        }
        t = addDate(t, tz, 0, 1);
        w = wall(t, tz);
        // Where midnight does not exist (DST at 00:00) the day starts at 01:00, or 23:00 the day before.
        if (w.hour !== 0) {
          t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
          w = wall(t, tz);
        }
        if (w.day === 1) continue wrap;
      }
      while (!this.hour.allowed[w.hour]) {
        if (!added) {
          added = true;
          t = goDate(w.year, w.month, w.day, w.hour, 0, 0, tz);
        }
        t += 3_600_000;
        w = wall(t, tz);
        if (w.hour === 0) continue wrap;
      }
      while (!this.minute.allowed[w.minute]) {
        if (!added) {
          added = true;
          t -= ((t % 60_000) + 60_000) % 60_000;
        }
        t += 60_000;
        w = wall(t, tz);
        if (w.minute === 0) continue wrap;
      }
      while (!this.second.allowed[w.second]) {
        if (!added) {
          added = true;
          t -= ((t % 1000) + 1000) % 1000;
        }
        t += 1000;
        w = wall(t, tz);
        if (w.second === 0) continue wrap;
      }
      return new Date(t);
    }
  }
}

/** robfig's ConstantDelaySchedule: every `delay` (whole seconds, at least 1 s) from the given time. */
class EverySchedule implements CronSchedule {
  constructor(
    readonly source: string,
    readonly timezone: string,
    readonly everyMs: number,
  ) {}

  next(after: Date): Date {
    const ms = after.getTime();
    return new Date(ms - (((ms % 1000) + 1000) % 1000) + this.everyMs);
  }
}

/** The machine's zone (what Argo's controller uses when a CronWorkflow names none). */
export function machineTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function checkZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`unknown time zone ${JSON.stringify(tz)}: use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC`);
  }
}

/**
 * Parse a schedule. `timezone` is the CronWorkflow's spec.timezone (a `CRON_TZ=` prefix in the
 * schedule wins); the machine zone when neither is given. Throws an Error naming the problem.
 */
export function parseCronSchedule(schedule: string, timezone?: string): CronSchedule {
  let s = schedule.trim();
  let tz = timezone || machineTimezone();
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (prefix) {
    tz = prefix[1];
    s = s.slice(prefix[0].length).trim();
  }
  tz = checkZone(tz);
  if (!s) throw new Error('empty spec string');
  if (s.startsWith('@every')) {
    const m = /^@every\s+(\S+)$/.exec(s);
    if (!m) throw new Error(`failed to parse duration ${s}`);
    let ns: bigint;
    try {
      ns = parseDuration(m[1]).ns;
    } catch {
      throw new Error(`failed to parse duration ${m[1]} (use e.g. @every 1h30m)`);
    }
    // robfig: "Delays of less than a second are not supported (will round up to 1 second)";
    // anything else is truncated to whole seconds.
    const ms = Math.max(1000, Number(ns / 1_000_000_000n) * 1000);
    return new EverySchedule(schedule, tz, ms);
  }
  if (s.startsWith('@')) {
    const expanded = DESCRIPTORS[s.toLowerCase()];
    if (!expanded) throw new Error(`unrecognized descriptor: ${s}`);
    s = expanded;
  }
  const fields = s.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) throw new Error(`expected exactly 5 fields, found ${fields.length}: ${JSON.stringify(s)}`);
  const all = fields.length === 5 ? ['0', ...fields] : fields;
  return new SpecSchedule(
    schedule,
    tz,
    parseField(all[0], SECONDS),
    parseField(all[1], MINUTES),
    parseField(all[2], HOURS),
    parseField(all[3], DOM),
    parseField(all[4], MONTHS),
    parseField(all[5], DOW),
  );
}

/** The schedules of a CronWorkflow spec: `schedules` (v3.6+) or the singular `schedule`. */
export function cronScheduleStrings(spec: { schedule?: string; schedules?: string[] }): string[] {
  const list = (spec.schedules ?? []).filter((s) => typeof s === 'string' && s.trim());
  if (list.length) return list;
  return spec.schedule && spec.schedule.trim() ? [spec.schedule] : [];
}

/** The earliest activation of any schedule strictly after `after`. */
export function nextOfAll(schedules: CronSchedule[], after: Date): Date | undefined {
  let best: Date | undefined;
  for (const s of schedules) {
    const n = s.next(after);
    if (n && (!best || n < best)) best = n;
  }
  return best;
}

/**
 * Every activation in (from, to] across the schedules, ascending and without duplicates (two
 * schedules firing at the same instant make one run, as Argo's name `<cron>-<unix>` collides).
 * Stops after `limit` times.
 */
export function activationsBetween(schedules: CronSchedule[], from: Date, to: Date, limit = 10_000): Date[] {
  const out: Date[] = [];
  let cursor = from;
  while (out.length < limit) {
    const n = nextOfAll(schedules, cursor);
    if (!n || n > to) break;
    out.push(n);
    cursor = n;
  }
  return out;
}

/**
 * The most recent activation at or before `now`, looking only after `from` (exclusive); undefined
 * when there is none. `@every` schedules are counted from `from`.
 */
export function lastActivation(schedules: CronSchedule[], from: Date, now: Date): Date | undefined {
  let best: Date | undefined;
  for (const s of schedules) {
    let last: Date | undefined;
    if (s.everyMs) {
      const first = s.next(from)!.getTime();
      if (first <= now.getTime()) last = new Date(first + Math.floor((now.getTime() - first) / s.everyMs) * s.everyMs);
    } else {
      // Walk forward. After a long downtime with a frequent schedule, jump to about ten average
      // intervals before `now` instead of visiting every activation.
      let cursor = from;
      for (let i = 0; i < 100_000; i++) {
        const n = s.next(cursor);
        if (!n || n > now) break;
        last = n;
        cursor = n;
        if (i === 1000) {
          const avg = (n.getTime() - from.getTime()) / 1000;
          cursor = new Date(Math.max(n.getTime(), now.getTime() - 10 * avg));
        }
      }
    }
    if (last && (!best || last > best)) best = last;
  }
  return best;
}

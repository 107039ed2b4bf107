// CronWorkflow schedule and timezone checks.
import { isGoDuration } from './durations.js';

const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Names map to min + index. */
  nameBase?: number;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function value(s: string, f: FieldSpec): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const i = f.names?.indexOf(s.toUpperCase()) ?? -1;
  return i >= 0 ? i + (f.nameBase ?? 0) : undefined;
}

function checkField(text: string, f: FieldSpec): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^\d+$/.test(step))) return `invalid step in ${f.name} field '${part}'`;
    if (step !== undefined && Number(step) === 0) return `step of ${f.name} field '${part}' must be positive`;
    if (range === '*' || range === '?') continue;
    const ends = range.split('-');
    if (ends.length > 2 || ends.some((e) => e === '')) return `invalid ${f.name} field '${part}'`;
    const nums = ends.map((e) => value(e, f));
    for (let i = 0; i < nums.length; i++) {
      const n = nums[i];
      if (n === undefined) return `invalid ${f.name} '${ends[i]}'`;
      if (n < f.min || n > f.max) return `${f.name} ${n} out of range [${f.min}-${f.max}]`;
    }
    if (nums.length === 2 && nums[0]! > nums[1]!) return `${f.name} range '${range}' starts after it ends`;
  }
  return undefined;
}

/** Problems with a cron schedule (standard 5 fields, optional seconds field, or a descriptor); undefined when fine. */
export function cronScheduleError(schedule: string): string | undefined {
  let s = schedule.trim();
  const tz = /^(CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz) {
    const e = timezoneError(tz[2]);
    if (e) return e;
    s = s.slice(tz[0].length);
  }
  if (s.startsWith('@')) {
    if (DESCRIPTORS.includes(s)) return undefined;
    const every = /^@every\s+(\S+)$/.exec(s);
    if (every) return isGoDuration(every[1]) ? undefined : `failed to parse duration ${every[1]} (use e.g. @every 1h30m)`;
    return `unrecognized descriptor: ${s} (use one of ${DESCRIPTORS.join(', ')} or @every <duration>)`;
  }
  const parts = s.split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    return `expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}: ${JSON.stringify(schedule)}`;
  }
  const specs = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const e = checkField(parts[i], specs[i]);
    if (e) return e;
  }
  return undefined;
}

export function timezoneError(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(tz)}: use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC`;
  }
}

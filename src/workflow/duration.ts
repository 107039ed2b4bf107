// Argo's duration strings: a bare integer means seconds; otherwise Go's time.ParseDuration units
// (ns, us, µs, ms, s, m, h). There is no `d` unit.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {}

export function parseArgoDuration(value: string | number | undefined, field = 'duration'): number {
  if (value === undefined || value === null || value === '') throw new DurationError(`${field}: empty duration`);
  if (typeof value === 'number') return value * 1000;
  const s = String(value).trim();
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let sign = 1;
  let rest = s;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  re.lastIndex = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length || rest.length === 0) {
    throw new DurationError(`${field}: invalid duration "${s}": use seconds ("30") or Go units such as "90s", "5m", "1h30m" (no "d")`);
  }
  return sign * total;
}

/** A short human form for messages, e.g. `2 seconds`, `1 minute 5 seconds`. */
export function humanDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total} second${total === 1 ? '' : 's'}`;
  const parts: string[] = [];
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (sec) parts.push(`${sec} second${sec === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** Go's `%v` of a time.Duration-ish seconds value for `workflow.duration`: seconds with 6 decimals. */
export function secondsString(ms: number): string {
  return (ms / 1000).toFixed(6);
}

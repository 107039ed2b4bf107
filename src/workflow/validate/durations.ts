// Duration and integer checks shared by several rules.
import { hasTag } from './scope.js';

const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/** Go's time.ParseDuration syntax (`90s`, `1h30m`; no `d`). */
export function isGoDuration(s: string): boolean {
  return s === '0' || GO_DURATION.test(s);
}

/** Argo's "seconds or duration" strings (suspend.duration, backoff.duration). */
export function isSecondsOrDuration(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'string') return false;
  return /^-?\d+$/.test(v.trim()) || isGoDuration(v.trim());
}

export const DURATION_HINT = "use a number of seconds or a Go duration such as 30s, 10m or 1h30m (units ns, us, ms, s, m, h; 'd' is not supported)";

/** An int, an int in a string, or a `{{…}}` template: returns the number when it is known. */
export function intOrTemplate(v: unknown): { ok: boolean; value?: number } {
  if (typeof v === 'number') return Number.isInteger(v) ? { ok: true, value: v } : { ok: false };
  if (typeof v === 'string') {
    if (hasTag(v)) return { ok: true };
    if (/^-?\d+$/.test(v.trim())) return { ok: true, value: Number(v.trim()) };
  }
  return { ok: false };
}

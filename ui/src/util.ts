// Formatting and small helpers shared by the views: times (local or UTC), durations, phases, pod names,
// and a cron → English describer for common schedules.
import { prefs } from './prefs';

export const COMPLETED = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);
export const WORKFLOW_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'] as const;

export function formatTime(ts: string | undefined): string {
  if (!ts) return '-';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  if (prefs.utc) return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The other time zone's rendering, for a tooltip. */
export function timeTitle(ts: string | undefined): string {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return prefs.utc ? `local: ${d.toString()}` : `UTC: ${d.toISOString()}`;
}

export function ago(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(ts)) / 1000));
  return `${formatSeconds(s)} ago`;
}

export function formatSeconds(total: number): string {
  if (!Number.isFinite(total) || total < 0) return '-';
  total = Math.round(total);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d) return `${d}d${h ? ` ${h}h` : ''}`;
  if (h) return `${h}h${m ? ` ${m}m` : ''}`;
  if (m) return `${m}m${sec ? ` ${sec}s` : ''}`;
  return `${sec}s`;
}

export function duration(startedAt: string | undefined, finishedAt: string | undefined, now = Date.now()): string {
  if (!startedAt) return '-';
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return formatSeconds((end - Date.parse(startedAt)) / 1000);
}

/** FNV-1a 32-bit over UTF-8 bytes (Go's hash/fnv New32a), as the controller names pods. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(s);
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** POD_NAMES=v2: `<workflow>-<template>-<fnv32a(node name)>`, or the workflow's name for a root pod. */
export function podNameOf(workflowName: string, nodeName: string, templateName: string | undefined): string {
  if (workflowName === nodeName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  if (prefix.length > 242) prefix = prefix.slice(0, 242);
  return `${prefix}-${fnv32a(nodeName)}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): ((...a: A) => void) & { cancel(): void } {
  let t: number | undefined;
  const d = (...a: A) => {
    clearTimeout(t);
    t = window.setTimeout(() => fn(...a), ms);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

/** Leading + trailing throttle. */
export function throttle(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let last = 0;
  let t: number | undefined;
  const run = () => {
    t = undefined;
    last = Date.now();
    fn();
  };
  const th = () => {
    if (t !== undefined) return;
    const wait = Math.max(0, last + ms - Date.now());
    t = window.setTimeout(run, wait);
  };
  th.cancel = () => {
    clearTimeout(t);
    t = undefined;
  };
  return th;
}

// ---------------------------------------------------------------- cron → English

const DOW = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MACROS: Record<string, string> = {
  '@yearly': 'Once a year, at midnight on January 1',
  '@annually': 'Once a year, at midnight on January 1',
  '@monthly': 'At midnight on the first day of every month',
  '@weekly': 'At midnight every Sunday',
  '@daily': 'Every day at midnight',
  '@midnight': 'Every day at midnight',
  '@hourly': 'Every hour, on the hour',
};

function ordinal(n: number): string {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}

function hhmm(h: number, m: number): string {
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function listOf(field: string, names?: string[], offset = 0): string | undefined {
  const parts = field.split(',');
  const out: string[] = [];
  for (const p of parts) {
    const r = /^(\d+)-(\d+)$/.exec(p);
    if (r) {
      const a = Number(r[1]);
      const b = Number(r[2]);
      out.push(names ? `${names[a - offset] ?? a} through ${names[b - offset] ?? b}` : `${a} through ${b}`);
    } else if (/^\d+$/.test(p)) out.push(names ? names[Number(p) - offset] ?? p : p);
    else return undefined;
  }
  if (out.length === 1) return out[0];
  return `${out.slice(0, -1).join(', ')} and ${out[out.length - 1]}`;
}

/**
 * A plain-English rendering of a 5-field cron schedule (or an @macro / @every); common shapes only,
 * falling back to the expression itself. `CRON_TZ=` prefixes are kept as "(time zone)".
 */
export function describeCron(expr: string, timezone?: string): string {
  let e = expr.trim();
  let tz = timezone;
  const tzm = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(e);
  if (tzm) {
    tz = tzm[1];
    e = tzm[2];
  }
  const suffix = tz ? ` (${tz})` : '';
  if (MACROS[e]) return MACROS[e] + suffix;
  const every = /^@every\s+(\S+)$/.exec(e);
  if (every) return `Every ${every[1]}${suffix}`;
  const f = e.split(/\s+/);
  if (f.length !== 5) return expr;
  const [min, hour, dom, mon, dow] = f;
  let time: string | undefined;
  const stepMin = /^(?:\*|0)\/(\d+)$/.exec(min);
  const stepHour = /^(?:\*|0)\/(\d+)$/.exec(hour);
  if (min === '*' && hour === '*') time = 'Every minute';
  else if (stepMin && hour === '*') time = `Every ${stepMin[1]} minutes`;
  else if (/^\d+$/.test(min) && hour === '*') time = Number(min) === 0 ? 'Every hour, on the hour' : `At ${Number(min)} minutes past every hour`;
  else if (/^\d+$/.test(min) && stepHour) time = `Every ${stepHour[1]} hours at ${Number(min)} minutes past the hour`;
  else if (/^\d+$/.test(min) && /^\d+(,\d+)*$/.test(hour)) time = `At ${hour.split(',').map((x) => hhmm(Number(x), Number(min))).join(', ')}`;
  else if (min === '*' && /^\d+$/.test(hour)) time = `Every minute from ${hhmm(Number(hour), 0)} to ${hhmm(Number(hour), 59)}`;
  else if (/^\d+$/.test(min) && /^\d+-\d+$/.test(hour)) {
    const [a, b] = hour.split('-').map(Number);
    time = `At ${Number(min)} minutes past every hour from ${hhmm(a, 0)} to ${hhmm(b, 59)}`;
  }
  if (!time) return expr;
  const days: string[] = [];
  if (dom !== '*' && dom !== '?') {
    const l = listOf(dom);
    if (!l) return expr;
    days.push(/^\d+$/.test(dom) ? `on the ${ordinal(Number(dom))} of the month` : `on day ${l} of the month`);
  }
  if (dow !== '*' && dow !== '?') {
    const norm = dow.replace(/\b7\b/g, '0');
    const l = dow === '1-5' ? 'weekdays' : listOf(norm, DOW);
    if (!l) return expr;
    days.push(dow === '1-5' ? 'on weekdays' : `on ${l}`);
  }
  if (mon !== '*') {
    const l = listOf(mon, MONTHS, 1);
    if (!l) return expr;
    days.push(`in ${l}`);
  }
  const everyDay = !days.length && /^At /.test(time) ? ', every day' : '';
  return `${time}${everyDay}${days.length ? `, ${days.join(', ')}` : ''}${suffix}`;
}

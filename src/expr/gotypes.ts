/**
 * Go value semantics shared by the expression evaluators.
 *
 * Representation of Go values in TypeScript:
 *   int      → bigint (wrapped to 64 bits)
 *   float64  → number
 *   string   → string,  bool → boolean,  nil → null (undefined is treated as nil too)
 *   []any    → unknown[]
 *   map      → plain object (Record<string, unknown>)
 *   time.Duration → Duration,  time.Time → GoTime
 */
import { ExprError } from './errors.js';

export type GoMap = Record<string, unknown>;

export class Duration {
  constructor(readonly ns: bigint) {}
  toString(): string {
    return formatDuration(this.ns);
  }
}

/** A point in time with nanosecond precision and a fixed zone offset. */
export class GoTime {
  constructor(
    readonly ns: bigint, // nanoseconds since the Unix epoch
    readonly offsetSec = 0,
    readonly zone = 'UTC',
  ) {}
  toString(): string {
    return formatGoLayout(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
}

export const NS_PER_SEC = 1_000_000_000n;

export function toInt64(b: bigint): bigint {
  return BigInt.asIntN(64, b);
}

export function isMap(v: unknown): v is GoMap {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** What kind of value this is; each language names the classes its own way (see the tables below). */
export type ValueClass = 'nil' | 'int' | 'float' | 'string' | 'bool' | 'func' | 'array' | 'duration' | 'time' | 'map';

export function valueClass(v: unknown): ValueClass {
  if (isNil(v)) return 'nil';
  switch (typeof v) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Duration) return 'duration';
  if (v instanceof GoTime) return 'time';
  return 'map';
}

const GO_TYPE_NAMES: Record<ValueClass, string> = {
  nil: '<nil>',
  int: 'int',
  float: 'float64',
  string: 'string',
  bool: 'bool',
  func: 'func',
  array: '[]interface {}',
  duration: 'time.Duration',
  time: 'time.Time',
  map: 'map[string]interface {}',
};

/** The Go type name of a value (used in error messages). */
export function goTypeName(v: unknown): string {
  return GO_TYPE_NAMES[valueClass(v)];
}

// ---------------------------------------------------------------------------
// %v formatting

/** Format a float64 the way Go's `%v` (strconv 'g', shortest) does: 3.5, 1e+06, 1e-05. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const e = f.toExponential(); // shortest round-trip digits, e.g. "1.2345e+6"
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp < -4 || exp >= 6) {
    // %e form with at least two exponent digits (strconv 'g' with shortest precision)
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  // plain decimal
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go `fmt.Sprintf("%v", v)`. */
export function formatValue(v: unknown): string {
  if (isNil(v)) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloat(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      return '<func>';
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (v instanceof Duration || v instanceof GoTime) return v.toString();
  if (v instanceof RegExp) return v.source;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

// ---------------------------------------------------------------------------
// JSON (Go encoding/json semantics: sorted map keys, HTML-safe escaping, float64 numbers)

const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const HTML_RE = /[<>&\u2028\u2029]/g;

export function jsonString(s: string, escapeHTML = true): string {
  const j = JSON.stringify(s);
  return escapeHTML ? j.replace(HTML_RE, (c) => HTML_ESCAPES[c]!) : j;
}

/** Go `json.Marshal` (indent = "" → compact). Throws ExprError for unsupported values. */
export function toGoJSON(v: unknown, indent = '', escapeHTML = true): string {
  const out: string[] = [];
  const write = (x: unknown, depth: number): void => {
    if (isNil(x)) return void out.push('null');
    switch (typeof x) {
      case 'string':
        return void out.push(jsonString(x, escapeHTML));
      case 'bigint':
        return void out.push(x.toString());
      case 'number':
        if (!Number.isFinite(x)) throw new ExprError(`json: unsupported value: ${formatFloat(x)}`);
        return void out.push(Object.is(x, -0) ? '-0' : String(x));
      case 'boolean':
        return void out.push(x ? 'true' : 'false');
      case 'function':
        throw new ExprError('json: unsupported type: func');
    }
    if (x instanceof Duration) return void out.push(x.ns.toString());
    if (x instanceof GoTime) return void out.push(JSON.stringify(formatGoLayout(x, RFC3339_NANO)));
    const nl = indent ? '\n' + indent.repeat(depth + 1) : '';
    const end = indent ? '\n' + indent.repeat(depth) : '';
    if (Array.isArray(x)) {
      if (x.length === 0) return void out.push('[]');
      out.push('[');
      x.forEach((e, i) => {
        if (i) out.push(',');
        out.push(nl);
        write(e, depth + 1);
      });
      out.push(end, ']');
      return;
    }
    if (typeof x === 'object') {
      const keys = Object.keys(x as object).sort();
      if (keys.length === 0) return void out.push('{}');
      out.push('{');
      keys.forEach((k, i) => {
        if (i) out.push(',');
        out.push(nl, jsonString(k, escapeHTML), indent ? ': ' : ':');
        write((x as GoMap)[k], depth + 1);
      });
      out.push(end, '}');
      return;
    }
    throw new ExprError(`json: unsupported type: ${typeof x}`);
  };
  write(v, 0);
  return out.join('');
}

/** Go `json.Unmarshal` into interface{}: numbers become float64 (JS number). */
export function fromGoJSON(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch (e) {
    throw new ExprError(`invalid JSON: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------
// equality (reflect.DeepEqual-ish, with expr-lang's int/float numeric equality)

export function goEqual(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
    if (ta === tb) return a === b;
    return Number(a) === Number(b);
  }
  if (ta !== tb) return false;
  if (ta !== 'object') return a === b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!goEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Duration) return b instanceof Duration && a.ns === b.ns;
  if (a instanceof GoTime) return b instanceof GoTime && a.ns === b.ns;
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !goEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

// ---------------------------------------------------------------------------
// durations

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: NS_PER_SEC,
  m: 60n * NS_PER_SEC,
  h: 3600n * NS_PER_SEC,
};
const DUR_PART = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Go `time.ParseDuration`. */
export function parseDuration(input: string): Duration {
  let s = input;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return new Duration(0n);
  if (s === '') throw new ExprError(`time: invalid duration "${input}"`);
  let total = 0n;
  while (s.length) {
    const m = DUR_PART.exec(s);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
      if (/^\d*(\.\d*)?$/.test(s)) throw new ExprError(`time: missing unit in duration "${input}"`);
      if (/^[\d.]+/.test(s)) throw new ExprError(`time: unknown unit "${s.replace(/^[\d.]+/, '').replace(/\d.*$/, '')}" in duration "${input}"`);
      throw new ExprError(`time: invalid duration "${input}"`);
    }
    const unit = UNIT_NS[m[3]!]!;
    total += BigInt(m[1] || '0') * unit;
    if (m[2]) {
      const frac = m[2];
      total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    s = s.slice(m[0].length);
  }
  return new Duration(toInt64(neg ? -total : total));
}

function fmtFrac(v: bigint, prec: number): string {
  // v is an integer count of 10^-prec units; print "int.frac" trimming zeros
  const p = 10n ** BigInt(prec);
  const ip = v / p;
  let fp = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
  return fp ? `${ip}.${fp}` : `${ip}`;
}

/** Go `time.Duration.String()`: "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < NS_PER_SEC) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fmtFrac(u, 3)}µs`;
    else out = `${fmtFrac(u, 6)}ms`;
  } else {
    const h = u / (3600n * NS_PER_SEC);
    u -= h * 3600n * NS_PER_SEC;
    const m = u / (60n * NS_PER_SEC);
    u -= m * 60n * NS_PER_SEC;
    out = `${fmtFrac(u, 9)}s`;
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return neg ? '-' + out : out;
}

// ---------------------------------------------------------------------------
// time formatting / parsing with Go layouts

export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Longest first so that e.g. "January" wins over "Jan", "2006" over "2".
const LAYOUT_TOKENS = [
  'January', 'Monday', 'Z07:00:00', '-07:00:00', 'Z07:00', '-07:00', 'Z0700', '-0700', '2006', '.000000000', '.999999999',
  '.000000', '.999999', '.000', '.999', '.00', '.99', '.0', '.9', 'Jan', 'Mon', 'MST', '002', '__2', 'Z07', '-07',
  '01', '02', '03', '04', '05', '06', '15', '_2', 'PM', 'pm', '1', '2', '3', '4', '5',
];

type LayoutPart = { lit: string } | { tok: string };
const layoutCache = new Map<string, LayoutPart[]>();

function tokenizeLayout(layout: string): LayoutPart[] {
  let parts = layoutCache.get(layout);
  if (parts) return parts;
  parts = [];
  let lit = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const t of LAYOUT_TOKENS) {
      if (layout.startsWith(t, i)) {
        // ".000"-style fractional tokens must not be followed by more digits of the same kind
        if (lit) parts.push({ lit }), (lit = '');
        parts.push({ tok: t });
        i += t.length;
        continue outer;
      }
    }
    lit += layout[i];
    i++;
  }
  if (lit) parts.push({ lit });
  layoutCache.set(layout, parts);
  return parts;
}

export interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  weekday: number; // 0 = Sunday
  yday: number;
}

export function civil(t: GoTime): Civil {
  const local = t.ns + BigInt(t.offsetSec) * NS_PER_SEC;
  let secs = local / NS_PER_SEC;
  let nsec = Number(local % NS_PER_SEC);
  if (nsec < 0) {
    nsec += 1e9;
    secs -= 1n;
  }
  const d = new Date(Number(secs) * 1000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
    nsec,
    weekday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - startOfYear) / 86400000) + 1,
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function fmtOffset(off: number, tok: string): string {
  if (tok.startsWith('Z') && off === 0) return 'Z';
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const hh = pad(Math.floor(a / 3600));
  const mm = pad(Math.floor((a % 3600) / 60));
  const ss = pad(a % 60);
  const core = tok.replace(/^[Z-]/, '');
  if (core === '07') return sign + hh;
  if (core === '0700') return sign + hh + mm;
  if (core === '07:00') return `${sign}${hh}:${mm}`;
  return `${sign}${hh}:${mm}:${ss}`;
}

/** Go `time.Time.Format(layout)`. */
export function formatGoLayout(t: GoTime, layout: string): string {
  const c = civil(t);
  let out = '';
  for (const p of tokenizeLayout(layout)) {
    if ('lit' in p) {
      out += p.lit;
      continue;
    }
    const tok = p.tok;
    switch (tok) {
      case '2006': out += pad(c.year, 4); break;
      case '06': out += pad(c.year % 100); break;
      case 'January': out += MONTHS[c.month - 1]; break;
      case 'Jan': out += MONTHS[c.month - 1]!.slice(0, 3); break;
      case '01': out += pad(c.month); break;
      case '1': out += c.month; break;
      case 'Monday': out += DAYS[c.weekday]; break;
      case 'Mon': out += DAYS[c.weekday]!.slice(0, 3); break;
      case '02': out += pad(c.day); break;
      case '_2': out += String(c.day).padStart(2, ' '); break;
      case '2': out += c.day; break;
      case '002': out += pad(c.yday, 3); break;
      case '__2': out += String(c.yday).padStart(3, ' '); break;
      case '15': out += pad(c.hour); break;
      case '03': out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12); break;
      case '3': out += c.hour % 12 === 0 ? 12 : c.hour % 12; break;
      case '04': out += pad(c.min); break;
      case '4': out += c.min; break;
      case '05': out += pad(c.sec); break;
      case '5': out += c.sec; break;
      case 'PM': out += c.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += c.hour >= 12 ? 'pm' : 'am'; break;
      case 'MST': out += t.zone || fmtOffset(t.offsetSec, '-0700'); break;
      default:
        if (tok.startsWith('.')) {
          const n = tok.length - 1;
          const digits = pad(c.nsec, 9).slice(0, n);
          if (tok[1] === '0') out += '.' + digits;
          else {
            const trimmed = digits.replace(/0+$/, '');
            if (trimmed) out += '.' + trimmed;
          }
        } else out += fmtOffset(t.offsetSec, tok);
    }
  }
  return out;
}

const parseCache = new Map<string, { re: RegExp; toks: string[] }>();
const escRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function tokRegex(tok: string): string {
  switch (tok) {
    case '2006': return '(\\d{4})';
    case '06': case '01': case '02': case '15': case '03': case '04': case '05': return '(\\d{2})';
    case '1': case '2': case '3': case '4': case '5': return '(\\d{1,2})';
    case '_2': return '( ?\\d{1,2})';
    case '002': return '(\\d{3})';
    case '__2': return '( {0,2}\\d{1,3})';
    case 'January': return `(${MONTHS.join('|')})`;
    case 'Jan': return `(${MONTHS.map((m) => m.slice(0, 3)).join('|')})`;
    case 'Monday': return `(${DAYS.join('|')})`;
    case 'Mon': return `(${DAYS.map((m) => m.slice(0, 3)).join('|')})`;
    case 'PM': case 'pm': return '([AaPp][Mm])';
    case 'MST': return '([A-Z]{3,5}|[+-]\\d{2,4})';
  }
  if (tok.startsWith('.')) return tok[1] === '0' ? `\\.(\\d{${tok.length - 1}})` : '(?:[.,](\\d+))?';
  // zone offsets
  const z = tok.startsWith('Z') ? 'Z|' : '';
  const core = tok.replace(/^[Z-]/, '');
  const body = core === '07' ? '[+-]\\d{2}' : core === '0700' ? '[+-]\\d{4}' : core === '07:00' ? '[+-]\\d{2}:\\d{2}' : '[+-]\\d{2}:\\d{2}:\\d{2}';
  return `(${z}${body})`;
}

function parseOffset(s: string): number {
  if (s === 'Z') return 0;
  const sign = s[0] === '-' ? -1 : 1;
  const d = s.slice(1).replace(/:/g, '');
  return sign * (Number(d.slice(0, 2)) * 3600 + Number(d.slice(2, 4) || '0') * 60 + Number(d.slice(4, 6) || '0'));
}

/** Go `time.Parse(layout, value)` for the common layout elements (fixed offsets and UTC only). */
export function parseGoLayout(layout: string, value: string, defaultOffsetSec = 0, defaultZone = 'UTC'): GoTime {
  let entry = parseCache.get(layout);
  if (!entry) {
    const toks: string[] = [];
    let re = '^';
    for (const p of tokenizeLayout(layout)) {
      if ('lit' in p) re += escRe(p.lit);
      else {
        toks.push(p.tok);
        re += tokRegex(p.tok);
      }
    }
    // Go accepts fractional seconds after a seconds field even when the layout has none
    re = re.replace(/\(\\d\{2\}\)$/, '(\\d{2})') + '$';
    entry = { re: new RegExp(re), toks };
    parseCache.set(layout, entry);
  }
  const m = entry.re.exec(value);
  if (!m) throw new ExprError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse`);
  let year = 1, month = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0, pm: boolean | undefined;
  let offset: number | undefined;
  let zone: string | undefined;
  entry.toks.forEach((tok, i) => {
    const v = m[i + 1];
    if (v === undefined) return;
    switch (tok) {
      case '2006': year = Number(v); break;
      case '06': year = Number(v) + (Number(v) >= 69 ? 1900 : 2000); break;
      case '01': case '1': month = Number(v); break;
      case 'January': month = MONTHS.indexOf(v) + 1; break;
      case 'Jan': month = MONTHS.findIndex((x) => x.startsWith(v)) + 1; break;
      case '02': case '2': case '_2': day = Number(v.trim()); break;
      case '15': hour = Number(v); break;
      case '03': case '3': hour = Number(v); break;
      case '04': case '4': min = Number(v); break;
      case '05': case '5': sec = Number(v); break;
      case 'PM': case 'pm': pm = v.toUpperCase() === 'PM'; break;
      case 'MST':
        if (/^[+-]/.test(v)) offset = parseOffset(v);
        else if (v === 'UTC' || v === 'GMT') (offset = 0), (zone = v);
        else zone = v;
        break;
      default:
        if (tok.startsWith('.')) nsec = Number((v + '000000000').slice(0, 9));
        else if (/^[Z-]/.test(tok)) offset = parseOffset(v);
    }
  });
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12) throw new ExprError(`parsing time ${JSON.stringify(value)}: month out of range`);
  if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) throw new ExprError(`parsing time ${JSON.stringify(value)}: value out of range`);
  const off = offset ?? defaultOffsetSec;
  const ms = Date.UTC(year, month - 1, day, hour, min, sec);
  const ns = BigInt(ms) * 1_000_000n + BigInt(nsec) - BigInt(off) * NS_PER_SEC;
  const z = zone ?? (offset === undefined ? defaultZone : off === 0 ? 'UTC' : '');
  return new GoTime(ns, off, z);
}

export function timeFromMillis(ms: number): GoTime {
  return new GoTime(BigInt(Math.trunc(ms)) * 1_000_000n, 0, 'UTC');
}

export function nowTime(): GoTime {
  return timeFromMillis(Date.now());
}

// ---------------------------------------------------------------------------
// Go RE2 → JavaScript RegExp

const regexCache = new Map<string, RegExp>();

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/**
 * Compile a Go (RE2) regular expression to a JS RegExp. Translates the common differences
 * (leading `(?flags)`, `(?P<name>`, `\A`, `\z`, `[[:class:]]`, `\pL`) and rejects
 * constructs RE2 does not support (look-around, back-references).
 * `global` adds the `g` flag (for find-all / replace-all).
 */
export function goRegex(pattern: string, global = false): RegExp {
  const key = (global ? 'g:' : ':') + pattern;
  const cached = regexCache.get(key);
  if (cached) {
    cached.lastIndex = 0;
    return cached;
  }
  let flags = global ? 'g' : '';
  let src = pattern;
  const fm = /^\(\?([imsU]+)\)/.exec(src);
  if (fm) {
    if (fm[1]!.includes('U')) throw new ExprError(`error parsing regexp: ungreedy flag (?U) is not supported: \`${pattern}\``);
    for (const f of fm[1]!) if (!flags.includes(f)) flags += f;
    src = src.slice(fm[0].length);
  }
  let out = '';
  let inClass = false;
  let needUnicode = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new ExprError(`error parsing regexp: trailing backslash at end of expression: \`${pattern}\``);
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (n >= '1' && n <= '9') throw new ExprError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      else if ((n === 'p' || n === 'P') && src[i + 2] !== '{') {
        out += `\\${n}{${src[i + 2]}}`;
        needUnicode = true;
        i++;
      } else if (n === 'p' || n === 'P') {
        needUnicode = true;
        out += c + n;
      } else if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += lit.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        continue;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          let name = src.slice(i + 2, end);
          const negate = name.startsWith('^');
          if (negate) name = name.slice(1);
          const cls = POSIX_CLASSES[name];
          if (!cls) throw new ExprError(`error parsing regexp: invalid character class range: \`[:${name}:]\``);
          if (negate) throw new ExprError(`error parsing regexp: negated POSIX classes are not supported: \`[:^${name}:]\``);
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === '[') out += '\\[';
      else out += c;
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') (out += '^'), i++;
      if (src[i + 1] === ']') (out += '\\]'), i++;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':') || rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) {
        out += '(?';
        i += 1;
        continue;
      }
      throw new ExprError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
    }
    out += c;
  }
  if (needUnicode) flags += 'u';
  let re: RegExp;
  try {
    re = new RegExp(out, flags);
  } catch (e) {
    throw new ExprError(`error parsing regexp: ${(e as Error).message}: \`${pattern}\``);
  }
  if (regexCache.size > 2000) regexCache.clear();
  regexCache.set(key, re);
  return re;
}

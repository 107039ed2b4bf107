/**
 * The most used Masterminds/sprig v3 functions, with sprig's argument order
 * (e.g. `trimPrefix(prefix, s)`, `replace(old, new, s)`, `default(default, value)`).
 * Exposed to expressions as the `sprig` namespace. `env` and `expandenv` are deliberately absent.
 * Values follow gotypes.ts: ints are bigint, floats are number.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ExprError } from './errors.js';
import {
  Duration, GoTime, type ValueClass, formatDuration, formatGoLayout, formatValue, goEqual, goRegex, goTypeName, isMap, isNil, nowTime, parseGoLayout, valueClass,
  toGoJSON, toInt64, NS_PER_SEC, type GoMap,
} from './gotypes.js';

type Fn = (...args: unknown[]) => unknown;

/** sprig strval: strings as-is, everything else via %v. */
function strval(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}

/** cast.ToInt64 (errors → 0). */
function toI64(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? toInt64(BigInt(Math.trunc(v))) : 0n;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') {
    let s = v.trim();
    // cast trims a trailing ".0…" decimal part
    s = s.replace(/^([+-]?\d+)\.0*$/, '$1');
    if (/^[+-]?\d+$/.test(s)) return toInt64(BigInt(s));
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return toInt64(BigInt(s.replace(/^([+-]?)0[xX]/, '$10x')));
    return 0n;
  }
  return 0n;
}

/** cast.ToFloat64 (errors → 0). */
function toF64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : 0;
  }
  return 0;
}

function list(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isNil(v)) return [];
  throw new ExprError(`Cannot find ${fn} on type ${typeof v === 'string' ? 'string' : typeof v}`);
}

/** sprig strslice: []interface{} → []string (nil elements dropped). */
function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => !isNil(x)).map(strval);
  if (isNil(v)) return [];
  return [strval(v)];
}

/** sprig empty(). */
export function isEmpty(v: unknown): boolean {
  if (isNil(v)) return true;
  switch (typeof v) {
    case 'string':
      return v.length === 0;
    case 'bigint':
      return v === 0n;
    case 'number':
      return v === 0;
    case 'boolean':
      return !v;
  }
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Duration) return v.ns === 0n;
  if (v instanceof GoTime) return false;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

/** Go strconv.Quote (JSON escaping is identical for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, '\\x7f');
}

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

const isLetter = (c: string): boolean => /\p{L}/u.test(c);

function title(s: string): string {
  let prevLetter = false;
  let out = '';
  for (const c of s) {
    out += !prevLetter && isLetter(c) ? c.toUpperCase() : c;
    prevLetter = isLetter(c) || /[0-9_'’]/.test(c);
  }
  return out;
}

function untitle(s: string): string {
  let prevSpace = true;
  let out = '';
  for (const c of s) {
    out += prevSpace && isLetter(c) ? c.toLowerCase() : c;
    prevSpace = /\s/.test(c);
  }
  return out;
}

/** Split into lower-case words for snake/kebab case (huandu/xstrings-like). */
function caseWords(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function camelcase(s: string): string {
  // xstrings.ToCamelCase: "foo_bar" → "FooBar"; only '_' separates words
  return s
    .split('_')
    .map((p, i) => (p === '' ? (i === 0 ? '' : '_') : p[0]!.toUpperCase() + p.slice(1)))
    .join('');
}

function swapcase(s: string): string {
  let out = '';
  for (const c of s) out += c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
  return out;
}

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function randFrom(chars: string, n: unknown): string {
  const count = Number(toI64(n));
  const bytes = randomBytes(Math.max(count, 0));
  let out = '';
  for (let i = 0; i < count; i++) out += chars[bytes[i]! % chars.length];
  return out;
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** Go regexp Expand-style replacement → JS replacement string. */
function goReplacement(repl: string): string {
  return repl
    .replace(/\$\$/g, '\u0000')
    .replace(/\$\{(\d+)\}/g, '$$$1')
    .replace(/\$\{([A-Za-z_]\w*)\}/g, '$$<$1>')
    .replace(/\$([A-Za-z_]\w*)/g, '$$<$1>')
    .replace(/\u0000/g, '$$$$');
}

function toTime(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  if (typeof v === 'bigint') return new GoTime(v * NS_PER_SEC);
  if (typeof v === 'number') return new GoTime(BigInt(Math.trunc(v)) * NS_PER_SEC);
  return nowTime();
}

function zoneOf(name: unknown): [number, string] {
  const z = strval(name);
  if (z === 'UTC' || z === '' || z === 'Local') return [0, 'UTC'];
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z);
  if (m) return [(m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60), ''];
  return [0, 'UTC'];
}

function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    const dv = dst[k];
    if (isMap(dv) && isMap(sv)) mergeInto(dv, sv, overwrite);
    else if (!(k in dst) || (overwrite ? true : isEmpty(dv))) dst[k] = sv;
  }
}

function seq(...params: unknown[]): string {
  const p = params.map((x) => Number(toI64(x)));
  let start = 1;
  let end = 0;
  let stepv = 1;
  if (p.length === 0) return '';
  if (p.length === 1) end = p[0]!;
  else if (p.length === 2) [start, end] = [p[0]!, p[1]!];
  else [start, stepv, end] = [p[0]!, p[1]!, p[2]!];
  if (p.length < 3) stepv = end < start ? -1 : 1;
  if (stepv === 0 || (end < start && stepv > 0) || (end > start && stepv < 0)) return '';
  const out: number[] = [];
  for (let i = start; stepv > 0 ? i <= end : i >= end; i += stepv) out.push(i);
  return out.join(' ');
}

function untilStep(start: unknown, stop: unknown, stepArg: unknown): bigint[] {
  const a = Number(toI64(start));
  const b = Number(toI64(stop));
  const s = Number(toI64(stepArg));
  const out: bigint[] = [];
  if (s === 0 || (s > 0 && a >= b) || (s < 0 && a <= b)) return out;
  for (let i = a; s > 0 ? i < b : i > b; i += s) out.push(BigInt(i));
  return out;
}

function cmpSemver(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

function parseSemver(v: string): number[] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) throw new ExprError(`Invalid Semantic Version: ${v}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** Minimal Masterminds/semver constraint check: =, !=, >, <, >=, <=, ~, ^, x-ranges, `,`/space AND, `||` OR. */
function semverCompare(constraint: string, version: string): boolean {
  const v = parseSemver(version);
  return constraint.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s*,\s*|\s+(?=[<>=!~^])/)
      .filter(Boolean)
      .every((c) => {
        const m = /^(=|!=|>=|<=|>|<|~|\^)?\s*v?([\dxX*]+)(?:\.([\dxX*]+))?(?:\.([\dxX*]+))?/.exec(c.trim());
        if (!m) throw new ExprError(`improper constraint: ${c}`);
        const op = m[1] ?? '=';
        const parts = [m[2], m[3], m[4]];
        const wild = parts.findIndex((x) => x === undefined || /[xX*]/.test(x));
        const nums = parts.map((x) => (x === undefined || /[xX*]/.test(x) ? 0 : Number(x)));
        const c0 = cmpSemver(v, nums);
        const upper = (idx: number): number[] => (idx === 0 ? [Infinity, 0, 0] : idx === 1 ? [nums[0]! + 1, 0, 0] : [nums[0]!, nums[1]! + 1, 0]);
        if (op === '=' && wild >= 0) return c0 >= 0 && cmpSemver(v, upper(wild)) < 0;
        switch (op) {
          case '=': return c0 === 0;
          case '!=': return c0 !== 0;
          case '>': return c0 > 0;
          case '<': return c0 < 0;
          case '>=': return c0 >= 0;
          case '<=': return c0 <= 0;
          case '~': return c0 >= 0 && cmpSemver(v, upper(parts[1] === undefined ? 1 : 2)) < 0;
          case '^': {
            const idx = nums[0]! > 0 || parts[1] === undefined ? 1 : nums[1]! > 0 || parts[2] === undefined ? 2 : 3;
            return c0 >= 0 && (idx === 3 ? c0 === 0 : cmpSemver(v, upper(idx)) < 0);
          }
        }
        return false;
      }),
  );
}

export const sprigFuncs: Record<string, Fn> = {
  // ---- strings ----
  trim: (s) => strval(s).trim(),
  trimAll: (cut, s) => {
    const set = new Set(Array.from(strval(cut)));
    const ch = Array.from(strval(s));
    let a = 0;
    let b = ch.length;
    while (a < b && set.has(ch[a]!)) a++;
    while (b > a && set.has(ch[b - 1]!)) b--;
    return ch.slice(a, b).join('');
  },
  trimPrefix: (p, s) => (strval(s).startsWith(strval(p)) ? strval(s).slice(strval(p).length) : strval(s)),
  trimSuffix: (p, s) => {
    const str = strval(s);
    const suf = strval(p);
    return suf && str.endsWith(suf) ? str.slice(0, str.length - suf.length) : str;
  },
  upper: (s) => strval(s).toUpperCase(),
  lower: (s) => strval(s).toLowerCase(),
  title: (s) => title(strval(s)),
  untitle: (s) => untitle(strval(s)),
  repeat: (n, s) => strval(s).repeat(Math.max(0, Number(toI64(n)))),
  substr: (start, end, s) => {
    const str = strval(s);
    const a = Number(toI64(start));
    const b = Number(toI64(end));
    if (a < 0) return str.slice(0, b);
    if (b < 0 || b > str.length) return str.slice(a);
    return str.slice(a, b);
  },
  nospace: (s) => strval(s).replace(/\s+/g, ''),
  trunc: (n, s) => {
    const str = strval(s);
    const c = Number(toI64(n));
    if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
    if (c >= 0 && str.length > c) return str.slice(0, c);
    return str;
  },
  abbrev: (w, s) => {
    const str = strval(s);
    const width = Number(toI64(w));
    if (width < 4 || str.length <= width) return str;
    return str.slice(0, width - 3) + '...';
  },
  abbrevboth: (l, r, s) => {
    let str = strval(s);
    const left = Number(toI64(l));
    const right = Number(toI64(r));
    if (right < 4 || str.length <= right) return str;
    if (left > 4 && left < str.length) str = '...' + str.slice(left);
    return str.length <= right ? str : str.slice(0, right - 3) + '...';
  },
  initials: (s) => words(strval(s)).map((w) => Array.from(w)[0]).join(''),
  wrap: (n, s) => {
    const width = Number(toI64(n));
    const out: string[] = [];
    let line = '';
    for (const w of words(strval(s))) {
      if (line && line.length + 1 + w.length > width) (out.push(line), (line = w));
      else line = line ? `${line} ${w}` : w;
    }
    if (line) out.push(line);
    return out.join('\n');
  },
  contains: (sub, s) => strval(s).includes(strval(sub)),
  hasPrefix: (p, s) => strval(s).startsWith(strval(p)),
  hasSuffix: (p, s) => strval(s).endsWith(strval(p)),
  quote: (...xs) => xs.filter((x) => !isNil(x)).map((x) => goQuote(strval(x))).join(' '),
  squote: (...xs) => xs.filter((x) => !isNil(x)).map((x) => `'${strval(x)}'`).join(' '),
  cat: (...xs) => xs.filter((x) => !isNil(x)).map(strval).join(' '),
  indent: (n, s) => {
    const pad = ' '.repeat(Math.max(0, Number(toI64(n))));
    return pad + strval(s).replace(/\n/g, '\n' + pad);
  },
  nindent: (n, s) => {
    const pad = ' '.repeat(Math.max(0, Number(toI64(n))));
    return '\n' + pad + strval(s).replace(/\n/g, '\n' + pad);
  },
  replace: (o, n, s) => strval(s).split(strval(o)).join(strval(n)),
  plural: (one, many, count) => (toI64(count) === 1n ? strval(one) : strval(many)),
  snakecase: (s) => caseWords(strval(s)).join('_'),
  kebabcase: (s) => caseWords(strval(s)).join('-'),
  camelcase: (s) => camelcase(strval(s)),
  swapcase: (s) => swapcase(strval(s)),
  shuffle: (s) => {
    const ch = Array.from(strval(s));
    for (let i = ch.length - 1; i > 0; i--) {
      const j = randomBytes(4).readUInt32BE(0) % (i + 1);
      [ch[i], ch[j]] = [ch[j]!, ch[i]!];
    }
    return ch.join('');
  },
  regexMatch: (re, s) => goRegex(strval(re)).test(strval(s)),
  mustRegexMatch: (re, s) => goRegex(strval(re)).test(strval(s)),
  regexFind: (re, s) => goRegex(strval(re)).exec(strval(s))?.[0] ?? '',
  regexFindAll: (re, s, n) => {
    const lim = Number(toI64(n));
    const all = Array.from(strval(s).matchAll(goRegex(strval(re), true)), (m) => m[0]);
    return lim < 0 ? all : all.slice(0, lim);
  },
  regexReplaceAll: (re, s, repl) => strval(s).replace(goRegex(strval(re), true), goReplacement(strval(repl))),
  regexReplaceAllLiteral: (re, s, repl) => strval(s).replace(goRegex(strval(re), true), () => strval(repl)),
  regexSplit: (re, s, n) => {
    const lim = Number(toI64(n));
    const str = strval(s);
    if (lim === 0) return [];
    const parts: string[] = [];
    let last = 0;
    for (const m of str.matchAll(goRegex(strval(re), true))) {
      if (lim > 0 && parts.length === lim - 1) break;
      if (m[0] === '' && m.index === 0) continue;
      parts.push(str.slice(last, m.index));
      last = m.index! + m[0].length;
    }
    parts.push(str.slice(last));
    return parts;
  },
  regexQuoteMeta: (s) => strval(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'),
  splitList: (sep, s) => strval(s).split(strval(sep)),
  split: (sep, s) => {
    const out: GoMap = {};
    strval(s)
      .split(strval(sep))
      .forEach((p, i) => (out[`_${i}`] = p));
    return out;
  },
  splitn: (sep, n, s) => {
    const out: GoMap = {};
    const lim = Number(toI64(n));
    const parts = strval(s).split(strval(sep));
    const res = lim > 0 && parts.length > lim ? [...parts.slice(0, lim - 1), parts.slice(lim - 1).join(strval(sep))] : parts;
    res.forEach((p, i) => (out[`_${i}`] = p));
    return out;
  },
  join: (sep, v) => strslice(v).join(strval(sep)),
  sortAlpha: (v) => [...strslice(v)].sort(),
  toString: (v: unknown) => strval(v),
  toStrings: (v) => strslice(v),
  // ---- numbers ----
  atoi: (s) => {
    const str = strval(s);
    return /^[+-]?\d+$/.test(str) ? toInt64(BigInt(str)) : 0n;
  },
  int: (v) => toI64(v),
  int64: (v) => toI64(v),
  float64: (v) => toF64(v),
  toDecimal: (v) => {
    const s = strval(v);
    return /^[0-7]+$/.test(s) ? BigInt('0o' + s) : 0n;
  },
  add: (...xs) => toInt64(xs.reduce<bigint>((s, x) => s + toI64(x), 0n)),
  add1: (x) => toInt64(toI64(x) + 1n),
  sub: (a, b) => toInt64(toI64(a) - toI64(b)),
  mul: (a, ...xs) => toInt64(xs.reduce<bigint>((s, x) => s * toI64(x), toI64(a))),
  div: (a, b) => {
    const d = toI64(b);
    if (d === 0n) throw new ExprError('runtime error: integer divide by zero');
    return toI64(a) / d;
  },
  mod: (a, b) => {
    const d = toI64(b);
    if (d === 0n) throw new ExprError('runtime error: integer divide by zero');
    return toI64(a) % d;
  },
  max: (a, ...xs) => xs.reduce<bigint>((m, x) => (toI64(x) > m ? toI64(x) : m), toI64(a)),
  biggest: (a, ...xs) => xs.reduce<bigint>((m, x) => (toI64(x) > m ? toI64(x) : m), toI64(a)),
  min: (a, ...xs) => xs.reduce<bigint>((m, x) => (toI64(x) < m ? toI64(x) : m), toI64(a)),
  addf: (...xs) => xs.reduce<number>((s, x) => s + toF64(x), 0),
  add1f: (x) => toF64(x) + 1,
  subf: (a, ...xs) => xs.reduce<number>((s, x) => s - toF64(x), toF64(a)),
  mulf: (a, ...xs) => xs.reduce<number>((s, x) => s * toF64(x), toF64(a)),
  divf: (a, ...xs) => xs.reduce<number>((s, x) => s / toF64(x), toF64(a)),
  maxf: (a, ...xs) => xs.reduce<number>((m, x) => Math.max(m, toF64(x)), toF64(a)),
  minf: (a, ...xs) => xs.reduce<number>((m, x) => Math.min(m, toF64(x)), toF64(a)),
  floor: (x) => Math.floor(toF64(x)),
  ceil: (x) => Math.ceil(toF64(x)),
  round: (x, p, r) => {
    const prec = Number(toI64(p));
    const roundOn = r === undefined ? 0.5 : toF64(r);
    const pow = 10 ** prec;
    const v = toF64(x) * pow;
    const int = Math.trunc(v);
    const frac = Math.abs(v - int);
    return (frac >= roundOn ? int + Math.sign(v) : int) / pow;
  },
  seq,
  until: (n) => untilStep(0n, n, toI64(n) < 0n ? -1n : 1n),
  untilStep,
  // ---- lists ----
  list: (...xs) => xs,
  tuple: (...xs) => xs,
  first: (l) => list(l, 'first')[0] ?? null,
  last: (l) => {
    const xs = list(l, 'last');
    return xs.length ? xs[xs.length - 1] : null;
  },
  rest: (l) => list(l, 'rest').slice(1),
  initial: (l) => list(l, 'initial').slice(0, -1),
  append: (l, v) => [...list(l, 'append'), v],
  push: (l, v) => [...list(l, 'push'), v],
  prepend: (l, v) => [v, ...list(l, 'prepend')],
  concat: (...ls) => ls.flatMap((l) => list(l, 'concat')),
  reverse: (l) => [...list(l, 'reverse')].reverse(),
  uniq: (l) => {
    const out: unknown[] = [];
    for (const x of list(l, 'uniq')) if (!out.some((y) => goEqual(x, y))) out.push(x);
    return out;
  },
  without: (l, ...omit) => list(l, 'without').filter((x) => !omit.some((o) => goEqual(o, x))),
  has: (needle, l) => list(l, 'has').some((x) => goEqual(x, needle)),
  compact: (l) => list(l, 'compact').filter((x) => !isEmpty(x)),
  slice: (l, ...idx) => {
    const xs = list(l, 'slice');
    const a = idx.length > 0 ? Number(toI64(idx[0])) : 0;
    const b = idx.length > 1 ? Number(toI64(idx[1])) : xs.length;
    return xs.slice(a, b);
  },
  chunk: (size, l) => {
    const n = Number(toI64(size));
    const xs = list(l, 'chunk');
    const out: unknown[][] = [];
    for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
    return out;
  },
  // ---- dicts ----
  dict: (...kv) => {
    const out: GoMap = {};
    for (let i = 0; i < kv.length; i += 2) out[strval(kv[i])] = i + 1 < kv.length ? kv[i + 1] : '';
    return out;
  },
  get: (d, k) => {
    if (!isMap(d)) return '';
    const key = strval(k);
    return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : '';
  },
  set: (d, k, v) => {
    if (isMap(d)) d[strval(k)] = v;
    return d;
  },
  unset: (d, k) => {
    if (isMap(d)) delete d[strval(k)];
    return d;
  },
  hasKey: (d, k) => isMap(d) && Object.prototype.hasOwnProperty.call(d, strval(k)),
  pluck: (k, ...ds) => ds.filter((d) => isMap(d) && Object.prototype.hasOwnProperty.call(d, strval(k))).map((d) => (d as GoMap)[strval(k)]),
  keys: (...ds) => ds.flatMap((d) => (isMap(d) ? Object.keys(d) : [])).sort(),
  values: (d) => (isMap(d) ? Object.keys(d).sort().map((k) => d[k]) : []),
  pick: (d, ...ks) => {
    const out: GoMap = {};
    if (isMap(d)) for (const k of ks.map(strval)) if (Object.prototype.hasOwnProperty.call(d, k)) out[k] = d[k];
    return out;
  },
  omit: (d, ...ks) => {
    const out: GoMap = {};
    const drop = new Set(ks.map(strval));
    if (isMap(d)) for (const k of Object.keys(d)) if (!drop.has(k)) out[k] = d[k];
    return out;
  },
  merge: (dst, ...srcs) => {
    if (!isMap(dst)) throw new ExprError('merge: destination is not a dict');
    for (const s of srcs) if (isMap(s)) mergeInto(dst, s, false);
    return dst;
  },
  mergeOverwrite: (dst, ...srcs) => {
    if (!isMap(dst)) throw new ExprError('mergeOverwrite: destination is not a dict');
    for (const s of srcs) if (isMap(s)) mergeInto(dst, s, true);
    return dst;
  },
  dig: (...args) => {
    const d = args[args.length - 1];
    const dflt = args[args.length - 2];
    let cur: unknown = d;
    for (const k of args.slice(0, -2)) {
      if (!isMap(cur) || !Object.prototype.hasOwnProperty.call(cur, strval(k))) return dflt;
      cur = cur[strval(k)];
    }
    return cur;
  },
  // ---- defaults / flow ----
  default: (d, ...given) => (given.length === 0 || isEmpty(given[0]) ? d : given[0]),
  empty: (v) => isEmpty(v),
  coalesce: (...xs) => xs.find((x) => !isEmpty(x)) ?? null,
  all: (...xs) => xs.every((x) => !isEmpty(x)),
  any: (...xs) => xs.some((x) => !isEmpty(x)),
  ternary: (vt, vf, cond) => (cond === true ? vt : vf),
  fail: (msg) => {
    throw new ExprError(strval(msg));
  },
  // ---- encoding ----
  toJson: (v) => {
    try {
      return toGoJSON(v);
    } catch {
      return '';
    }
  },
  mustToJson: (v) => toGoJSON(v),
  toPrettyJson: (v) => {
    try {
      return toGoJSON(v, '  ');
    } catch {
      return '';
    }
  },
  toRawJson: (v) => {
    try {
      return toGoJSON(v, '', false);
    } catch {
      return '';
    }
  },
  fromJson: (s) => {
    try {
      return JSON.parse(strval(s)) as unknown;
    } catch {
      return {};
    }
  },
  mustFromJson: (s) => {
    try {
      return JSON.parse(strval(s)) as unknown;
    } catch (e) {
      throw new ExprError((e as Error).message);
    }
  },
  b64enc: (s) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s) => {
    const str = strval(s);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(str) || str.length % 4 !== 0) return `illegal base64 data at input byte ${Math.max(0, str.search(/[^A-Za-z0-9+/=]/))}`;
    return Buffer.from(str, 'base64').toString('utf8');
  },
  b32enc: (s) => {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const bytes = Buffer.from(strval(s), 'utf8');
    let bits = 0;
    let val = 0;
    let out = '';
    for (const b of bytes) {
      val = (val << 8) | b;
      bits += 8;
      while (bits >= 5) (out += A[(val >>> (bits - 5)) & 31]), (bits -= 5);
    }
    if (bits > 0) out += A[(val << (5 - bits)) & 31];
    while (out.length % 8) out += '=';
    return out;
  },
  sha256sum: (s) => createHash('sha256').update(strval(s), 'utf8').digest('hex'),
  sha1sum: (s) => createHash('sha1').update(strval(s), 'utf8').digest('hex'),
  sha512sum: (s) => createHash('sha512').update(strval(s), 'utf8').digest('hex'),
  adler32sum: (s) => String(adler32(strval(s))),
  // ---- random ----
  randAlphaNum: (n) => randFrom(ALPHA + DIGITS, n),
  randAlpha: (n) => randFrom(ALPHA, n),
  randNumeric: (n) => randFrom(DIGITS, n),
  randAscii: (n) => randFrom(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''), n),
  randInt: (min, max) => {
    const a = toI64(min);
    const b = toI64(max);
    return a + (BigInt(randomBytes(6).readUIntBE(0, 6)) % (b - a));
  },
  uuidv4: () => randomUUID(),
  // ---- dates ----
  now: () => nowTime(),
  date: (fmt, d) => formatGoLayout(toTime(d), strval(fmt)),
  dateInZone: (fmt, d, zone) => {
    const t = toTime(d);
    const [off, z] = zoneOf(zone);
    return formatGoLayout(new GoTime(t.ns, off, z), strval(fmt));
  },
  htmlDate: (d) => formatGoLayout(toTime(d), '2006-01-02'),
  htmlDateInZone: (d, zone) => {
    const [off, z] = zoneOf(zone);
    return formatGoLayout(new GoTime(toTime(d).ns, off, z), '2006-01-02');
  },
  toDate: (fmt, s) => {
    try {
      return parseGoLayout(strval(fmt), strval(s));
    } catch {
      return new GoTime(-62135596800n * NS_PER_SEC);
    }
  },
  mustToDate: (fmt, s) => parseGoLayout(strval(fmt), strval(s)),
  unixEpoch: (d) => String(toTime(d).ns / NS_PER_SEC),
  dateModify: (fmt, d) => {
    const t = toTime(d);
    try {
      const dur = parseDurationLoose(strval(fmt));
      return new GoTime(t.ns + dur, t.offsetSec, t.zone);
    } catch {
      return t;
    }
  },
  duration: (sec) => formatDuration(toI64(sec) * NS_PER_SEC),
  durationRound: (v) => {
    let ns: bigint;
    if (v instanceof Duration) ns = v.ns;
    else if (typeof v === 'string') ns = parseDurationLoose(v);
    else ns = toI64(v) * NS_PER_SEC;
    const s = Number((ns < 0n ? -ns : ns) / NS_PER_SEC);
    if (s >= 31536000) return `${Math.floor(s / 31536000)}y`;
    if (s >= 2592000) return `${Math.floor(s / 2592000)}mo`;
    if (s >= 86400) return `${Math.floor(s / 86400)}d`;
    if (s >= 3600) return `${Math.floor(s / 3600)}h`;
    if (s >= 60) return `${Math.floor(s / 60)}m`;
    return `${s}s`;
  },
  // ---- types / misc ----
  typeOf: (v) => goTypeName(v),
  kindOf: (v) => goKindOf(v),
  typeIs: (t, v) => strval(t) === goTypeName(v),
  kindIs: (t, v) => strval(t) === goKindOf(v),
  deepEqual: (a, b) => goEqual(a, b),
  semver: (v) => {
    const [major, minor, patch] = parseSemver(strval(v));
    return { Major: BigInt(major!), Minor: BigInt(minor!), Patch: BigInt(patch!) };
  },
  semverCompare: (c, v) => semverCompare(strval(c), strval(v)),
};

function parseDurationLoose(s: string): bigint {
  let total = 0n;
  const re = /([+-]?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  while ((m = re.exec(s))) {
    total += BigInt(Math.round(Number(m[1]) * units[m[2]!]!));
    consumed += m[0].length;
  }
  if (consumed !== s.length || s === '') throw new ExprError(`time: invalid duration "${s}"`);
  return total;
}

/** Go's reflect.Kind names, as sprig's kindOf prints them. */
const GO_KINDS: Record<ValueClass, string> = {
  nil: 'invalid',
  int: 'int',
  float: 'float64',
  string: 'string',
  bool: 'bool',
  func: 'func',
  array: 'slice',
  duration: 'int64',
  time: 'struct',
  map: 'map',
};

function goKindOf(v: unknown): string {
  return GO_KINDS[valueClass(v)];
}

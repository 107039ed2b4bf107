/**
 * A JSONPath subset (as used by Argo's `jsonpath(json, path)` expression function):
 *   $  .key  ['key']  ["key"]  [n]  [-n]  [*]  .*  [a,b]  [start:end]  ..key  ..*
 *   filters  [?(@.a == 'x')]  with == != < <= > >= && || ! and @.path existence.
 * A definite path (no wildcard / recursion / filter / slice / union) returns a single value;
 * otherwise an array of matches.
 */
import { ExprError } from './errors.js';
import { goEqual, isMap } from './gotypes.js';

type Seg =
  | { t: 'key'; k: string }
  | { t: 'idx'; i: number }
  | { t: 'wild' }
  | { t: 'union'; keys: (string | number)[] }
  | { t: 'slice'; a?: number; b?: number; s?: number }
  | { t: 'desc'; seg: Seg }
  | { t: 'filter'; f: Filter };

type Filter =
  | { t: 'or' | 'and'; l: Filter; r: Filter }
  | { t: 'not'; x: Filter }
  | { t: 'cmp'; op: string; l: Operand; r: Operand }
  | { t: 'exists'; x: Operand };
type Operand = { t: 'lit'; v: unknown } | { t: 'path'; root: '@' | '$'; segs: Seg[] };

const cache = new Map<string, { segs: Seg[]; definite: boolean }>();

function fail(path: string, msg: string): never {
  throw new ExprError(`jsonpath ${JSON.stringify(path)}: ${msg}`);
}

function parsePath(path: string): { segs: Seg[]; definite: boolean } {
  const hit = cache.get(path);
  if (hit) return hit;
  let i = 0;
  const p = path.trim();
  if (p[0] !== '$') fail(path, "path must start with '$'");
  i = 1;
  const segs = parseSegs(p, () => i, (n) => (i = n), path, false);
  if (i < p.length) fail(path, `unexpected '${p.slice(i)}'`);
  const definite = segs.every((s) => s.t === 'key' || s.t === 'idx');
  const r = { segs, definite };
  cache.set(path, r);
  return r;
}

function readName(p: string, i: number): number {
  while (i < p.length && /[A-Za-z0-9_\-$]/.test(p[i]!)) i++;
  return i;
}

function parseSegs(p: string, get: () => number, set: (n: number) => void, path: string, inFilter: boolean): Seg[] {
  const segs: Seg[] = [];
  for (;;) {
    let i = get();
    if (p.startsWith('..', i)) {
      i += 2;
      if (p[i] === '*') {
        segs.push({ t: 'desc', seg: { t: 'wild' } });
        set(i + 1);
        continue;
      }
      if (p[i] === '[') {
        set(i);
        const seg = parseBracket(p, get, set, path);
        segs.push({ t: 'desc', seg });
        continue;
      }
      const e = readName(p, i);
      if (e === i) fail(path, "expected name after '..'");
      segs.push({ t: 'desc', seg: { t: 'key', k: p.slice(i, e) } });
      set(e);
      continue;
    }
    if (p[i] === '.') {
      i++;
      if (p[i] === '*') {
        segs.push({ t: 'wild' });
        set(i + 1);
        continue;
      }
      const e = readName(p, i);
      if (e === i) fail(path, "expected name after '.'");
      const name = p.slice(i, e);
      if (inFilter && name === 'length') segs.push({ t: 'key', k: '\0length' });
      else segs.push({ t: 'key', k: name });
      set(e);
      continue;
    }
    if (p[i] === '[') {
      segs.push(parseBracket(p, get, set, path));
      continue;
    }
    return segs;
  }
}

function parseQuoted(p: string, i: number, path: string): [string, number] {
  const q = p[i]!;
  let out = '';
  i++;
  while (i < p.length && p[i] !== q) {
    if (p[i] === '\\') i++;
    out += p[i];
    i++;
  }
  if (p[i] !== q) fail(path, 'unterminated string');
  return [out, i + 1];
}

function skipWs(p: string, i: number): number {
  while (p[i] === ' ') i++;
  return i;
}

function parseBracket(p: string, get: () => number, set: (n: number) => void, path: string): Seg {
  let i = skipWs(p, get() + 1);
  if (p[i] === '*') {
    i = skipWs(p, i + 1);
    if (p[i] !== ']') fail(path, "expected ']'");
    set(i + 1);
    return { t: 'wild' };
  }
  if (p[i] === '?') {
    i = skipWs(p, i + 1);
    const paren = p[i] === '(';
    if (paren) i++;
    const st = { i };
    const f = parseOr(p, st, path);
    i = skipWs(p, st.i);
    if (paren) {
      if (p[i] !== ')') fail(path, "expected ')' in filter");
      i = skipWs(p, i + 1);
    }
    if (p[i] !== ']') fail(path, "expected ']' after filter");
    set(i + 1);
    return { t: 'filter', f };
  }
  const keys: (string | number)[] = [];
  let slice: Seg | undefined;
  for (;;) {
    i = skipWs(p, i);
    if (p[i] === "'" || p[i] === '"') {
      const [s, e] = parseQuoted(p, i, path);
      keys.push(s);
      i = e;
    } else {
      const m = /^(-?\d*)(?:\s*:\s*(-?\d*))?(?:\s*:\s*(-?\d*))?/.exec(p.slice(i))!;
      if (m[0] === '') fail(path, `unexpected '${p[i] ?? ''}' in brackets`);
      if (m[2] !== undefined) {
        slice = { t: 'slice', a: m[1] ? Number(m[1]) : undefined, b: m[2] ? Number(m[2]) : undefined, s: m[3] ? Number(m[3]) : undefined };
      } else keys.push(Number(m[1]));
      i += m[0].length;
    }
    i = skipWs(p, i);
    if (p[i] === ',') {
      i++;
      continue;
    }
    if (p[i] !== ']') fail(path, "expected ']'");
    set(i + 1);
    break;
  }
  if (slice) return slice;
  if (keys.length === 1) return typeof keys[0] === 'number' ? { t: 'idx', i: keys[0] } : { t: 'key', k: keys[0]! };
  return { t: 'union', keys };
}

function parseOr(p: string, st: { i: number }, path: string): Filter {
  let l = parseAnd(p, st, path);
  for (;;) {
    st.i = skipWs(p, st.i);
    if (!p.startsWith('||', st.i)) return l;
    st.i += 2;
    l = { t: 'or', l, r: parseAnd(p, st, path) };
  }
}

function parseAnd(p: string, st: { i: number }, path: string): Filter {
  let l = parseCmp(p, st, path);
  for (;;) {
    st.i = skipWs(p, st.i);
    if (!p.startsWith('&&', st.i)) return l;
    st.i += 2;
    l = { t: 'and', l, r: parseCmp(p, st, path) };
  }
}

function parseCmp(p: string, st: { i: number }, path: string): Filter {
  st.i = skipWs(p, st.i);
  if (p[st.i] === '!' && p[st.i + 1] !== '=') {
    st.i++;
    return { t: 'not', x: parseCmp(p, st, path) };
  }
  if (p[st.i] === '(') {
    st.i++;
    const f = parseOr(p, st, path);
    st.i = skipWs(p, st.i);
    if (p[st.i] !== ')') fail(path, "expected ')'");
    st.i++;
    return f;
  }
  const l = parseOperand(p, st, path);
  st.i = skipWs(p, st.i);
  const m = /^(==|!=|<=|>=|<|>)/.exec(p.slice(st.i));
  if (!m) return { t: 'exists', x: l };
  st.i += m[0].length;
  const r = parseOperand(p, st, path);
  return { t: 'cmp', op: m[0], l, r };
}

function parseOperand(p: string, st: { i: number }, path: string): Operand {
  st.i = skipWs(p, st.i);
  const c = p[st.i];
  if (c === '@' || c === '$') {
    st.i++;
    const segs = parseSegs(p, () => st.i, (n) => (st.i = n), path, true);
    return { t: 'path', root: c, segs };
  }
  if (c === "'" || c === '"') {
    const [s, e] = parseQuoted(p, st.i, path);
    st.i = e;
    return { t: 'lit', v: s };
  }
  const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(p.slice(st.i));
  if (!m) fail(path, `unexpected '${p.slice(st.i)}' in filter`);
  st.i += m[0].length;
  return { t: 'lit', v: m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]) };
}

const MISSING = Symbol('missing');

function step(nodes: unknown[], seg: Seg, root: unknown, strict: boolean, path: string): unknown[] {
  const out: unknown[] = [];
  for (const n of nodes) {
    switch (seg.t) {
      case 'key':
        if (seg.k === '\0length') {
          if (Array.isArray(n)) out.push(n.length);
          else if (typeof n === 'string') out.push(n.length);
          else if (isMap(n) && 'length' in n) out.push(n['length']);
          else if (strict) fail(path, "'length' of non-array");
        } else if (isMap(n) && Object.prototype.hasOwnProperty.call(n, seg.k)) out.push(n[seg.k]);
        else if (strict) fail(path, isMap(n) ? `key '${seg.k}' not found` : `cannot get key '${seg.k}' of non-object`);
        break;
      case 'idx':
        if (Array.isArray(n)) {
          const i = seg.i < 0 ? n.length + seg.i : seg.i;
          if (i >= 0 && i < n.length) out.push(n[i]);
          else if (strict) fail(path, `index ${seg.i} out of range`);
        } else if (strict) fail(path, `cannot index non-array with [${seg.i}]`);
        break;
      case 'wild':
        if (Array.isArray(n)) out.push(...n);
        else if (isMap(n)) for (const k of Object.keys(n).sort()) out.push(n[k]);
        break;
      case 'union':
        for (const k of seg.keys) {
          if (typeof k === 'number' && Array.isArray(n)) {
            const i = k < 0 ? n.length + k : k;
            if (i >= 0 && i < n.length) out.push(n[i]);
          } else if (typeof k === 'string' && isMap(n) && Object.prototype.hasOwnProperty.call(n, k)) out.push(n[k]);
        }
        break;
      case 'slice': {
        if (!Array.isArray(n)) break;
        const len = n.length;
        const s = seg.s ?? 1;
        if (s === 0) fail(path, 'slice step cannot be 0');
        const norm = (v: number | undefined, d: number): number => (v === undefined ? d : v < 0 ? Math.max(len + v, 0) : Math.min(v, len));
        if (s > 0) for (let i = norm(seg.a, 0); i < norm(seg.b, len); i += s) out.push(n[i]);
        else for (let i = seg.a === undefined ? len - 1 : norm(seg.a, len - 1); i > (seg.b === undefined ? -1 : norm(seg.b, -1)); i += s) out.push(n[i]);
        break;
      }
      case 'desc': {
        const all: unknown[] = [];
        const visit = (x: unknown): void => {
          all.push(x);
          if (Array.isArray(x)) x.forEach(visit);
          else if (isMap(x)) for (const k of Object.keys(x).sort()) visit(x[k]);
        };
        visit(n);
        out.push(...step(all, seg.seg, root, false, path));
        break;
      }
      case 'filter': {
        const items = Array.isArray(n) ? n : isMap(n) ? Object.keys(n).sort().map((k) => n[k]) : [];
        for (const it of items) if (evalFilter(seg.f, it, root, path)) out.push(it);
        break;
      }
    }
  }
  return out;
}

function operandValue(o: Operand, cur: unknown, root: unknown, path: string): unknown {
  if (o.t === 'lit') return o.v;
  const r = step2(o.root === '@' ? cur : root, o.segs, root, path);
  return r.length === 0 ? MISSING : r[0];
}

function step2(start: unknown, segs: Seg[], root: unknown, path: string): unknown[] {
  let nodes = [start];
  for (const s of segs) nodes = step(nodes, s, root, false, path);
  return nodes;
}

function evalFilter(f: Filter, cur: unknown, root: unknown, path: string): boolean {
  switch (f.t) {
    case 'or':
      return evalFilter(f.l, cur, root, path) || evalFilter(f.r, cur, root, path);
    case 'and':
      return evalFilter(f.l, cur, root, path) && evalFilter(f.r, cur, root, path);
    case 'not':
      return !evalFilter(f.x, cur, root, path);
    case 'exists': {
      const v = operandValue(f.x, cur, root, path);
      return v !== MISSING && v !== null && v !== false;
    }
    case 'cmp': {
      const l = operandValue(f.l, cur, root, path);
      const r = operandValue(f.r, cur, root, path);
      if (l === MISSING || r === MISSING) return f.op === '!=';
      switch (f.op) {
        case '==':
          return goEqual(l, r);
        case '!=':
          return !goEqual(l, r);
      }
      if (typeof l === 'number' && typeof r === 'number') {
        return f.op === '<' ? l < r : f.op === '<=' ? l <= r : f.op === '>' ? l > r : l >= r;
      }
      if (typeof l === 'string' && typeof r === 'string') {
        return f.op === '<' ? l < r : f.op === '<=' ? l <= r : f.op === '>' ? l > r : l >= r;
      }
      return false;
    }
  }
}

/** Query a parsed JSON document. */
export function jsonPathQuery(doc: unknown, path: string): unknown {
  const { segs, definite } = parsePath(path);
  let nodes: unknown[] = [doc];
  for (const s of segs) nodes = step(nodes, s, doc, definite, path);
  return definite ? nodes[0] : nodes;
}

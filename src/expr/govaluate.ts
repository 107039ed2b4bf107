/**
 * govaluate (github.com/Knetic/govaluate, the 2017 revision Argo pins) as used by Argo for
 * step/task `when:` clauses. All numbers are float64; strings use '…' or "…"; `[name]` is an
 * escaped variable; `a.B` is an accessor. Argo turns every VARIABLE token into a STRING literal,
 * so `heads == heads` is true.
 */
import { ExprError } from './errors.js';
import { formatValue, goEqual, goRegex, parseGoLayout } from './gotypes.js';

type Kind =
  | 'NUMERIC' | 'BOOLEAN' | 'STRING' | 'PATTERN' | 'TIME' | 'VARIABLE' | 'ACCESSOR' | 'COMPARATOR' | 'LOGICALOP'
  | 'MODIFIER' | 'CLAUSE' | 'CLAUSE_CLOSE' | 'TERNARY' | 'PREFIX' | 'SEPARATOR';

interface Tok {
  kind: Kind;
  value: unknown;
}

const PREFIX = new Set(['-', '!', '~']);
const MODIFIER = new Set(['+', '-', '*', '/', '%', '**', '&', '|', '^', '>>', '<<']);
const LOGICAL = new Set(['&&', '||']);
const COMPARATOR = new Set(['==', '!=', '>', '>=', '<', '<=', '=~', '!~', 'in']);
const TERNARY = new Set(['?', ':', '??']);

const VALUE_KINDS = new Set<Kind>(['NUMERIC', 'BOOLEAN', 'STRING', 'PATTERN', 'TIME', 'VARIABLE', 'ACCESSOR']);
const OPERATOR_KINDS = new Set<Kind>(['COMPARATOR', 'LOGICALOP', 'MODIFIER', 'TERNARY', 'PREFIX', 'SEPARATOR']);

/** Which token kinds may follow a given kind (govaluate lexerState). */
function canTransition(from: Kind | undefined, to: Kind): boolean {
  if (from === undefined || from === 'CLAUSE' || OPERATOR_KINDS.has(from)) {
    if (from === 'PREFIX' && to === 'PREFIX') return true;
    if (from === 'CLAUSE' && to === 'CLAUSE_CLOSE') return true;
    return VALUE_KINDS.has(to) || to === 'PREFIX' || to === 'CLAUSE';
  }
  // after a value or ')'
  return to === 'MODIFIER' || to === 'COMPARATOR' || to === 'LOGICALOP' || to === 'CLAUSE_CLOSE' || to === 'TERNARY' || to === 'SEPARATOR';
}

const isSpace = (c: string): boolean => /\s/.test(c);
const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigitC = (c: string): boolean => /\p{Nd}/u.test(c);
const isNumericC = (c: string): boolean => isDigitC(c) || c === '.';
const isQuote = (c: string): boolean => c === "'" || c === '"';
const isVariableName = (c: string): boolean => isLetter(c) || isDigitC(c) || c === '_' || c === '.';
const isSymbolChar = (c: string): boolean => !(isDigitC(c) || isLetter(c) || c === '(' || c === ')' || isQuote(c));

const TIME_LAYOUTS = [
  'Mon Jan _2 15:04:05 2006', 'Mon Jan _2 15:04:05 MST 2006', 'Mon Jan 02 15:04:05 -0700 2006', '3:04PM',
  '2006-01-02T15:04:05Z07:00', '2006-01-02T15:04:05.999999999Z07:00', '2006-01-02', '2006-01-02 15:04', '2006-01-02 15:04:05',
  '2006-01-02 15:04:05-07:00', '2006-01-02T15Z0700', '2006-01-02T15:04Z0700', '2006-01-02T15:04:05Z0700', '2006-01-02T15:04:05.999999999Z0700',
];

/** Quoted strings that parse as a time become TIME tokens (compared as Unix seconds). */
function tryParseTime(s: string): number | undefined {
  if (!/\d/.test(s)) return undefined;
  for (const layout of TIME_LAYOUTS) {
    try {
      const t = parseGoLayout(layout, s);
      let ns = t.ns;
      if (layout === '3:04PM') ns -= 62167219200n * 1_000_000_000n; // Go's zero date is year 0 for Kitchen
      return Number(ns / 1_000_000_000n);
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function tokenize(expr: string): Tok[] {
  const chars = Array.from(expr);
  const toks: Tok[] = [];
  let i = 0;
  const n = chars.length;
  /** read while cond, allowing backslash escapes, stopping at whitespace once something was read */
  const readWhile = (cond: (c: string) => boolean, includeWs: boolean, breakWs: boolean): [string, boolean] => {
    let buf = '';
    while (i < n) {
      let c = chars[i]!;
      if (c === '\\') {
        i++;
        c = chars[i] ?? '';
        buf += c;
        i++;
        continue;
      }
      if (isSpace(c)) {
        if (breakWs && buf.length > 0) return [buf, true];
        if (!includeWs) {
          i++;
          continue;
        }
      }
      if (cond(c)) {
        buf += c;
        i++;
      } else return [buf, true];
    }
    return [buf, false];
  };
  while (i < n) {
    const c = chars[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const prev = toks[toks.length - 1]?.kind;
    let tok: Tok;
    if (isNumericC(c)) {
      if (c === '0' && (chars[i + 1] === 'x' || chars[i + 1] === 'X')) {
        i += 2;
        const [hex] = readWhile((x) => /[0-9a-fA-F]/.test(x), false, true);
        if (!/^[0-9a-fA-F]+$/.test(hex)) throw new ExprError(`Unable to parse hex value '${hex}' to uint64\n`);
        tok = { kind: 'NUMERIC', value: parseInt(hex, 16) };
      } else {
        const [s] = readWhile(isNumericC, false, true);
        if (!/^(\d+\.?\d*|\.\d+)$/.test(s)) throw new ExprError(`Unable to parse numeric value '${s}' to float64\n`);
        tok = { kind: 'NUMERIC', value: Number(s) };
      }
    } else if (c === ',') {
      i++;
      tok = { kind: 'SEPARATOR', value: ',' };
    } else if (c === '[') {
      i++;
      const [name, done] = readWhile((x) => x !== ']', true, false);
      if (!done) throw new ExprError('Unclosed parameter bracket');
      i++;
      tok = { kind: 'VARIABLE', value: name };
    } else if (isLetter(c)) {
      const [s] = readWhile(isVariableName, false, true);
      if (s === 'true' || s === 'false') tok = { kind: 'BOOLEAN', value: s === 'true' };
      else if (s === 'in' || s === 'IN') tok = { kind: 'COMPARATOR', value: 'in' };
      else if (s.indexOf('.') > 0) {
        if (s.endsWith('.')) throw new ExprError(`Hanging accessor on token '${s}'`);
        const parts = s.split('.');
        for (const p of parts.slice(1)) {
          const f = Array.from(p)[0] ?? '';
          if (f.toUpperCase() !== f) throw new ExprError(`Unable to access unexported field '${p}' in token '${s}'`);
        }
        tok = { kind: 'ACCESSOR', value: parts };
      } else tok = { kind: 'VARIABLE', value: s };
    } else if (isQuote(c)) {
      i++;
      const [s, done] = readWhile((x) => !isQuote(x), true, false);
      if (!done) throw new ExprError('Unclosed string literal');
      i++;
      const t = tryParseTime(s);
      tok = t !== undefined ? { kind: 'TIME', value: t } : { kind: 'STRING', value: s };
    } else if (c === '(') {
      i++;
      tok = { kind: 'CLAUSE', value: '(' };
    } else if (c === ')') {
      i++;
      tok = { kind: 'CLAUSE_CLOSE', value: ')' };
    } else {
      const [s] = readWhile(isSymbolChar, false, true);
      if (canTransition(prev, 'PREFIX') && PREFIX.has(s)) tok = { kind: 'PREFIX', value: s };
      else if (MODIFIER.has(s)) tok = { kind: 'MODIFIER', value: s };
      else if (LOGICAL.has(s)) tok = { kind: 'LOGICALOP', value: s };
      else if (COMPARATOR.has(s)) tok = { kind: 'COMPARATOR', value: s };
      else if (TERNARY.has(s)) tok = { kind: 'TERNARY', value: s };
      else throw new ExprError(`Invalid token: '${s}'`);
    }
    if (!canTransition(prev, tok.kind)) {
      const last = toks[toks.length - 1]!;
      throw new ExprError(`Cannot transition token types from ${last.kind} [${tokValue(last)}] to ${tok.kind} [${tokValue(tok)}]`);
    }
    toks.push(tok);
  }
  let depth = 0;
  for (const t of toks) depth += t.kind === 'CLAUSE' ? 1 : t.kind === 'CLAUSE_CLOSE' ? -1 : 0;
  if (depth !== 0) throw new ExprError('Unbalanced parenthesis');
  const last = toks[toks.length - 1];
  if (last && (OPERATOR_KINDS.has(last.kind) || last.kind === 'CLAUSE')) throw new ExprError('Unexpected end of expression');
  return toks;
}

function tokValue(t: Tok): string {
  return Array.isArray(t.value) ? `[${(t.value as string[]).join(' ')}]` : formatValue(t.value);
}

// ---------------------------------------------------------------------------
// parse (precedence climbing, left associative like govaluate's planner)

type GNode =
  | { t: 'val'; tok: Tok }
  | { t: 'pre'; op: string; x: GNode }
  | { t: 'bin'; op: string; kind: Kind; l: GNode; r: GNode };

function precOf(t: Tok): number {
  const v = t.value as string;
  switch (t.kind) {
    case 'SEPARATOR': return 1;
    case 'TERNARY': return 2;
    case 'LOGICALOP': return v === '||' ? 3 : 4;
    case 'COMPARATOR': return 5;
    case 'MODIFIER':
      if (v === '|' || v === '&' || v === '^') return 6;
      if (v === '<<' || v === '>>') return 7;
      if (v === '+' || v === '-') return 8;
      if (v === '**') return 10;
      return 9;
    default: return -1;
  }
}

function parse(toks: Tok[]): GNode | undefined {
  let i = 0;
  const primary = (): GNode => {
    const t = toks[i++];
    if (!t) throw new ExprError('Unexpected end of expression');
    if (t.kind === 'PREFIX') return { t: 'pre', op: t.value as string, x: primary() };
    if (t.kind === 'CLAUSE') {
      const e = binary(0);
      i++; // ')'
      return e;
    }
    return { t: 'val', tok: t };
  };
  const binary = (min: number): GNode => {
    let left = primary();
    for (;;) {
      const t = toks[i];
      if (!t) break;
      const p = precOf(t);
      if (p < 0 || p < min) break;
      i++;
      const right = binary(p + 1);
      left = { t: 'bin', op: t.value as string, kind: t.kind, l: left, r: right };
    }
    return left;
  };
  if (toks.length === 0) return undefined;
  return binary(0);
}

// ---------------------------------------------------------------------------
// evaluation

const SHORT = Symbol('short');
const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

function typeErr(fmt: 'logical' | 'modifier' | 'comparator' | 'ternary', v: unknown, op: string): never {
  const what = { logical: ['logical operator', 'bool'], modifier: ['modifier', 'number'], comparator: ['comparator', 'number'], ternary: ['ternary operator', 'bool'] }[fmt];
  throw new ExprError(`Value '${formatValue(v)}' cannot be used with the ${what[0]} '${op}', it is not a ${what[1]}`);
}

function evaluate(node: GNode, params: Record<string, unknown> | undefined): unknown {
  switch (node.t) {
    case 'val': {
      const { kind, value } = node.tok;
      if (kind === 'VARIABLE') {
        const name = value as string;
        if (params && Object.prototype.hasOwnProperty.call(params, name)) return normalize(params[name]);
        throw new ExprError(`No parameter '${name}' found.`);
      }
      if (kind === 'ACCESSOR') {
        const parts = value as string[];
        if (!params || !Object.prototype.hasOwnProperty.call(params, parts[0]!)) throw new ExprError(`No parameter '${parts[0]}' found.`);
        let cur: unknown = params[parts[0]!];
        for (let k = 1; k < parts.length; k++) {
          if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) throw new ExprError(`Unable to access '${parts[k]}', '${parts[k - 1]}' is not a struct`);
          const obj = cur as Record<string, unknown>;
          if (!Object.prototype.hasOwnProperty.call(obj, parts[k]!)) throw new ExprError(`No method or field '${parts[k]}' present on parameter '${parts[k - 1]}'`);
          cur = obj[parts[k]!];
          if (typeof cur === 'function') cur = (cur as () => unknown)();
        }
        return normalize(cur);
      }
      return value;
    }
    case 'pre': {
      const x = evaluate(node.x, params);
      if (node.op === '-') {
        if (!isNum(x)) throw new ExprError(`Value '${formatValue(x)}' cannot be used with the prefix '-'`);
        return -x;
      }
      if (node.op === '!') {
        if (!isBool(x)) throw new ExprError(`Value '${formatValue(x)}' cannot be used with the prefix '!'`);
        return !x;
      }
      if (!isNum(x)) throw new ExprError(`Value '${formatValue(x)}' cannot be used with the prefix '~'`);
      return Number(~BigInt.asIntN(64, BigInt(Math.trunc(x))));
    }
    case 'bin':
      break;
  }
  const op = node.op;
  const l = evaluate(node.l, params);
  // short circuits
  if (op === '&&' && l === false) return false;
  if (op === '||' && l === true) return true;
  if (op === '??' && l !== null && l !== undefined) return l;
  let r: unknown;
  if ((op === '?' && l === false) || (op === ':' && l !== null && l !== undefined)) r = SHORT;
  else r = evaluate(node.r, params);
  switch (op) {
    case '&&':
    case '||':
      if (!isBool(l)) typeErr('logical', l, op);
      if (!isBool(r)) typeErr('logical', r, op);
      return op === '&&' ? l && r : l || r;
    case '?':
      if (!isBool(l)) typeErr('ternary', l, op);
      return l ? r : null;
    case ':':
      return l !== null && l !== undefined ? l : r;
    case '??':
      return r;
    case ',':
      return Array.isArray(l) && node.l.t === 'bin' && node.l.op === ',' ? [...l, r] : [l, r];
    case '==':
      return goEqual(l, r) && typeof l === typeof r;
    case '!=':
      return !(goEqual(l, r) && typeof l === typeof r);
    case '>': case '>=': case '<': case '<=': {
      if (!((isNum(l) && isNum(r)) || (isStr(l) && isStr(r)))) typeErr('comparator', l, op);
      const a = l as number | string;
      const b = r as number | string;
      return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
    }
    case '=~': case '!~': {
      if (!isStr(l)) typeErr('comparator', l, op);
      if (!isStr(r)) typeErr('comparator', r, op);
      let m: boolean;
      try {
        m = goRegex(r).test(l);
      } catch (e) {
        throw new ExprError(`Unable to compile regexp pattern '${r}': ${(e as Error).message}`);
      }
      return op === '=~' ? m : !m;
    }
    case 'in': {
      const list = Array.isArray(r) ? r : isNum(r) || isStr(r) ? [r] : typeErr('comparator', r, op);
      return list.some((x) => x === l);
    }
    case '+':
      if (isNum(l) && isNum(r)) return l + r;
      if (isStr(l) || isStr(r)) return `${formatValue(l)}${formatValue(r)}`;
      typeErr('modifier', l, op);
  }
  // numeric modifiers
  if (!isNum(l)) typeErr('modifier', l, op);
  if (!isNum(r)) typeErr('modifier', r, op);
  const i64 = (x: number): bigint => BigInt.asIntN(64, BigInt(Math.trunc(x)));
  const u64 = (x: number): bigint => BigInt.asUintN(64, BigInt(Math.trunc(x)));
  switch (op) {
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '%': return l % r;
    case '**': return Math.pow(l, r);
    case '&': return Number(i64(l) & i64(r));
    case '|': return Number(i64(l) | i64(r));
    case '^': return Number(i64(l) ^ i64(r));
    case '<<': return Number(BigInt.asUintN(64, u64(l) << u64(r)));
    case '>>': return Number(u64(l) >> u64(r));
  }
  throw new ExprError(`Unknown operator '${op}'`);
}

/** govaluate works on float64: ints become numbers. */
function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return v;
}

const tokenCache = new Map<string, Tok[]>();

function tokensFor(expr: string): Tok[] {
  let toks = tokenCache.get(expr);
  if (!toks) {
    toks = tokenize(expr);
    if (tokenCache.size > 10_000) tokenCache.clear();
    tokenCache.set(expr, toks);
  }
  return toks;
}

/**
 * Evaluate a govaluate expression. With `params`, VARIABLE tokens are looked up in it
 * (`No parameter 'x' found.` otherwise). Returns the raw value (float64 numbers as JS numbers).
 */
export function evalGovaluate(expr: string, params?: Record<string, unknown>): unknown {
  const ast = parse(tokensFor(expr));
  if (!ast) return null;
  const v = evaluate(ast, params);
  return v === SHORT ? null : v;
}

/**
 * Argo's `when:` evaluation (workflow/controller/steps.go shouldExecute). `when` is the string after
 * `{{…}}` substitution. Empty → true. Variables are treated as string literals.
 */
export function evalWhen(when: string): boolean {
  if (when === '') return true;
  let toks: Tok[];
  try {
    toks = tokensFor(when);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes('Invalid token')) {
      throw new ExprError(`Invalid 'when' expression '${when}': ${msg} (hint: try wrapping the affected expression in quotes (\"))`);
    }
    throw new ExprError(`Invalid 'when' expression '${when}': ${msg}`);
  }
  const converted = toks.map((t) => (t.kind === 'VARIABLE' ? { kind: 'STRING' as const, value: t.value } : t));
  let result: unknown;
  try {
    const ast = parse(converted);
    result = ast ? evaluate(ast, undefined) : null;
    if (result === SHORT) result = null;
  } catch (e) {
    throw new ExprError(`Failed to evaluate 'when' expresion '${when}': ${(e as Error).message}`);
  }
  if (typeof result !== 'boolean') throw new ExprError(`Expected boolean evaluation for '${when}'. Got ${formatValue(result)}`);
  return result;
}

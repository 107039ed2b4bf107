/**
 * expr-lang (github.com/expr-lang/expr v1.17) — lexer, Pratt parser and tree-walking evaluator.
 * Ints are bigint, floats are number (see gotypes.ts).
 */
import { ExprError } from './errors.js';
import {
  Duration, GoTime, NS_PER_SEC, formatGoLayout, formatValue, fromGoJSON, goEqual, goRegex, goTypeName, isMap, isNil,
  nowTime, parseDuration, parseGoLayout, toGoJSON, toInt64, civil, RFC3339, RFC3339_NANO, type GoMap, type ValueClass, valueClass,
} from './gotypes.js';
import { jsonPathQuery } from './jsonpath.js';
import { sprigFuncs } from './sprig.js';

export { formatValue } from './gotypes.js';

// ===========================================================================
// Lexer

type TokKind = 'num' | 'str' | 'id' | 'op' | 'ptr' | 'eof';
interface Token {
  k: TokKind;
  v: string;
  p: number;
  val?: unknown; // literal value for num/str
}

const OPS3 = ['not in'];
const OPS2 = ['**', '??', '?.', '..', '==', '!=', '<=', '>=', '&&', '||'];
const OPS1 = '+-*/%^<>!?:.,()[]{}|=;';
const WORD_OPS = new Set(['and', 'or', 'not', 'in', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);

function isIdStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c > '\x7f';
}
function isIdPart(c: string): boolean {
  return isIdStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function unescapeGo(src: string, body: string, quote: string, start: number): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const hex = (len: number): string => {
      const h = body.slice(i + 1, i + 1 + len);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== len) throw new ExprError('invalid char escape', src, start + i);
      i += len;
      return String.fromCodePoint(parseInt(h, 16));
    };
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': case "'": case '`': out += n; break;
      case 'x': out += hex(2); break;
      case 'u': out += hex(4); break;
      case 'U': out += hex(8); break;
      default:
        if (n !== undefined && n >= '0' && n <= '7') {
          const o = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(o)) throw new ExprError('invalid char escape', src, start + i);
          out += String.fromCharCode(parseInt(o, 8));
          i += 2;
        } else throw new ExprError(`invalid char escape \\${n ?? ''} in ${quote}-quoted string`, src, start + i);
    }
  }
  return out;
}

export function lex(src: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new ExprError('unclosed comment', src, i);
      i = end + 2;
      continue;
    }
    const start = i;
    const prev = toks[toks.length - 1];
    const prevIsValue = prev !== undefined && (prev.k === 'num' || prev.k === 'str' || prev.k === 'id' || prev.k === 'ptr' || (prev.k === 'op' && (prev.v === ')' || prev.v === ']' || prev.v === '}')));
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]) && !prevIsValue)) {
      // number
      let isFloat = false;
      let text: string;
      if (c === '0' && /[xXoObB]/.test(src[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9a-fA-F_]/.test(src[i]!)) i++;
        text = src.slice(start, i).replace(/_/g, '');
        const radix = /[xX]/.test(text[1]!) ? '0x' : /[oO]/.test(text[1]!) ? '0o' : '0b';
        let v: bigint;
        try {
          v = BigInt(radix + text.slice(2));
        } catch {
          throw new ExprError(`invalid number literal ${src.slice(start, i)}`, src, start);
        }
        toks.push({ k: 'num', v: src.slice(start, i), p: start, val: toInt64(v) });
        continue;
      }
      while (i < n && (isDigit(src[i]) || src[i] === '_')) i++;
      if (src[i] === '.' && src[i + 1] !== '.' && !isIdStart(src[i + 1] ?? ' ')) {
        isFloat = true;
        i++;
        while (i < n && (isDigit(src[i]) || src[i] === '_')) i++;
      }
      if ((src[i] === 'e' || src[i] === 'E') && (isDigit(src[i + 1]) || ((src[i + 1] === '+' || src[i + 1] === '-') && isDigit(src[i + 2])))) {
        isFloat = true;
        i += 2;
        while (i < n && isDigit(src[i])) i++;
      }
      text = src.slice(start, i).replace(/_/g, '');
      if (isFloat) toks.push({ k: 'num', v: text, p: start, val: Number(text) });
      else {
        const v = BigInt(text);
        if (v > 9223372036854775807n) throw new ExprError(`integer literal is too large: ${text}`, src, start);
        toks.push({ k: 'num', v: text, p: start, val: v });
      }
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && src[i] !== c) {
        if (src[i] === '\\') i++;
        if (src[i] === '\n') throw new ExprError('literal not terminated', src, start);
        i++;
      }
      if (i >= n) throw new ExprError('literal not terminated', src, start);
      const body = src.slice(start + 1, i);
      i++;
      toks.push({ k: 'str', v: src.slice(start, i), p: start, val: unescapeGo(src, body, c, start + 1) });
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ExprError('literal not terminated', src, start);
      toks.push({ k: 'str', v: src.slice(start, end + 1), p: start, val: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if (c === '#') {
      i++;
      while (i < n && isIdPart(src[i]!)) i++;
      toks.push({ k: 'ptr', v: src.slice(start + 1, i), p: start });
      continue;
    }
    if (isIdStart(c)) {
      while (i < n && isIdPart(src[i]!)) i++;
      const word = src.slice(start, i);
      if (word === 'not') {
        // "not in" is a single operator
        const m = /^\s+in(?![A-Za-z0-9_$])/.exec(src.slice(i));
        if (m) {
          i += m[0].length;
          toks.push({ k: 'op', v: 'not in', p: start });
          continue;
        }
      }
      toks.push({ k: WORD_OPS.has(word) ? 'op' : 'id', v: word, p: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.includes(two)) {
      toks.push({ k: 'op', v: two, p: start });
      i += 2;
      continue;
    }
    if (OPS1.includes(c)) {
      toks.push({ k: 'op', v: c, p: start });
      i++;
      continue;
    }
    throw new ExprError(`unrecognized character: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`, src, start);
  }
  void OPS3;
  toks.push({ k: 'eof', v: '', p: n });
  return toks;
}

// ===========================================================================
// AST

export type Node =
  | { t: 'lit'; p: number; v: unknown }
  | { t: 'id'; p: number; name: string }
  | { t: 'ptr'; p: number; name: string }
  | { t: 'unary'; p: number; op: string; x: Node }
  | { t: 'bin'; p: number; op: string; l: Node; r: Node }
  | { t: 'member'; p: number; obj: Node; key: Node; optional: boolean; dot: boolean }
  | { t: 'slice'; p: number; obj: Node; from?: Node; to?: Node }
  | { t: 'call'; p: number; callee: Node; args: Node[] }
  | { t: 'closure'; p: number; body: Node }
  | { t: 'cond'; p: number; c: Node; a: Node; b: Node }
  | { t: 'array'; p: number; items: Node[] }
  | { t: 'map'; p: number; entries: [Node, Node][] }
  | { t: 'let'; p: number; name: string; value: Node; body: Node }
  | { t: 'seq'; p: number; items: Node[] };

export interface CompiledExpr {
  source: string;
  ast: Node;
}

const BIN_PREC: Record<string, [number, boolean]> = {
  // [precedence, rightAssociative]
  or: [10, false], '||': [10, false],
  and: [15, false], '&&': [15, false],
  '==': [20, false], '!=': [20, false], '<': [20, false], '>': [20, false], '<=': [20, false], '>=': [20, false],
  in: [20, false], 'not in': [20, false], matches: [20, false], contains: [20, false], startsWith: [20, false], endsWith: [20, false],
  '..': [25, false],
  '+': [30, false], '-': [30, false],
  '*': [60, false], '/': [60, false], '%': [60, false],
  '**': [100, true], '^': [100, true],
  '??': [500, false],
};
const UNARY_PREC: Record<string, number> = { not: 50, '!': 50, '-': 90, '+': 90 };

/** Builtins whose 2nd argument is a predicate (closure). */
const PREDICATE_BUILTINS = new Set([
  'all', 'none', 'any', 'one', 'filter', 'map', 'count', 'sum', 'find', 'findIndex', 'findLast', 'findLastIndex',
  'groupBy', 'sortBy', 'reduce',
]);

class Parser {
  private i = 0;
  private closureDepth = 0;
  constructor(private readonly src: string, private readonly toks: Token[]) {}

  private get cur(): Token {
    return this.toks[this.i]!;
  }
  private err(msg: string, tok: Token = this.cur): never {
    throw new ExprError(msg, this.src, tok.p);
  }
  private isOp(v: string): boolean {
    return this.cur.k === 'op' && this.cur.v === v;
  }
  private expect(v: string): Token {
    if (!this.isOp(v)) this.unexpected(`expected '${v}'`);
    return this.toks[this.i++]!;
  }
  private unexpected(hint?: string): never {
    const t = this.cur;
    if (t.k === 'eof') this.err(`unexpected end of expression${hint ? ` (${hint})` : ''}`);
    this.err(`unexpected token ${tokDesc(t)}${hint ? ` (${hint})` : ''}`);
  }

  parseProgram(): Node {
    const node = this.parseSequence();
    if (this.cur.k !== 'eof') this.unexpected();
    return node;
  }

  /** `a; b; c` (let bindings and sequences). */
  private parseSequence(): Node {
    if (this.isOp('let')) return this.parseLet();
    const first = this.parseExpr(0);
    if (!this.isOp(';')) return first;
    const items = [first];
    while (this.isOp(';')) {
      this.i++;
      if (this.cur.k === 'eof' || this.isOp('}')) break;
      if (this.isOp('let')) {
        items.push(this.parseLet());
        break;
      }
      items.push(this.parseExpr(0));
    }
    return items.length === 1 ? first : { t: 'seq', p: first.p, items };
  }

  private parseLet(): Node {
    const p = this.cur.p;
    this.i++;
    const nameTok = this.cur;
    if (nameTok.k !== 'id') this.unexpected('expected variable name');
    this.i++;
    this.expect('=');
    const value = this.parseExpr(0);
    this.expect(';');
    const body = this.parseSequence();
    return { t: 'let', p, name: nameTok.v, value, body };
  }

  parseExpr(minPrec: number): Node {
    let left = this.parseUnary();
    for (;;) {
      const t = this.cur;
      if (t.k !== 'op') break;
      // pipe: x | f(y)  →  f(x, y)
      if (t.v === '|' && minPrec === 0) {
        this.i++;
        const fnTok = this.cur;
        if (fnTok.k !== 'id') this.unexpected('expected function after |');
        this.i++;
        let args: Node[] = [];
        if (this.isOp('(')) args = this.parseArgs(fnTok.v, 1);
        left = { t: 'call', p: fnTok.p, callee: { t: 'id', p: fnTok.p, name: fnTok.v }, args: [left, ...args] };
        continue;
      }
      const info = BIN_PREC[t.v];
      if (!info || info[0] < minPrec) break;
      this.i++;
      const right = this.parseExpr(info[1] ? info[0] : info[0] + 1);
      left = { t: 'bin', p: t.p, op: t.v === '^' ? '**' : t.v === 'and' ? '&&' : t.v === 'or' ? '||' : t.v, l: left, r: right };
    }
    if (minPrec === 0 && this.isOp('?')) {
      const q = this.cur;
      this.i++;
      if (this.isOp(':')) {
        // elvis: a ?: b
        this.i++;
        const b = this.parseExpr(0);
        return { t: 'bin', p: q.p, op: '?:', l: left, r: b };
      }
      const a = this.parseExpr(0);
      this.expect(':');
      const b = this.parseExpr(0);
      return { t: 'cond', p: q.p, c: left, a, b };
    }
    return left;
  }

  private parseUnary(): Node {
    const t = this.cur;
    if (t.k === 'op' && UNARY_PREC[t.v] !== undefined) {
      this.i++;
      const x = this.parseExpr(UNARY_PREC[t.v]!);
      const op = t.v === 'not' ? '!' : t.v;
      // fold negative number literals
      if (op === '-' && x.t === 'lit' && (typeof x.v === 'bigint' || typeof x.v === 'number')) {
        return { t: 'lit', p: t.p, v: typeof x.v === 'bigint' ? -x.v : -x.v };
      }
      return { t: 'unary', p: t.p, op, x };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Node {
    const t = this.cur;
    switch (t.k) {
      case 'num':
      case 'str':
        this.i++;
        return { t: 'lit', p: t.p, v: t.val };
      case 'ptr':
        this.i++;
        if (this.closureDepth === 0 && t.v === '') this.err('cannot use pointer accessor outside predicate', t);
        return { t: 'ptr', p: t.p, name: t.v };
      case 'id': {
        this.i++;
        if (t.v === 'true') return { t: 'lit', p: t.p, v: true };
        if (t.v === 'false') return { t: 'lit', p: t.p, v: false };
        if (t.v === 'nil') return { t: 'lit', p: t.p, v: null };
        if (this.isOp('(')) {
          const args = this.parseArgs(t.v);
          return { t: 'call', p: t.p, callee: { t: 'id', p: t.p, name: t.v }, args };
        }
        return { t: 'id', p: t.p, name: t.v };
      }
      case 'op':
        break;
      default:
        this.unexpected();
    }
    switch (t.v) {
      case '(': {
        this.i++;
        const e = this.parseSequence();
        this.expect(')');
        return e;
      }
      case '[': {
        this.i++;
        const items: Node[] = [];
        while (!this.isOp(']')) {
          items.push(this.parseExpr(0));
          if (!this.isOp(',')) break;
          this.i++;
        }
        this.expect(']');
        return { t: 'array', p: t.p, items };
      }
      case '{': {
        this.i++;
        const entries: [Node, Node][] = [];
        while (!this.isOp('}')) {
          const k = this.cur;
          let key: Node;
          if (k.k === 'id' || (k.k === 'op' && WORD_OPS.has(k.v))) {
            this.i++;
            key = { t: 'lit', p: k.p, v: k.v };
          } else if (k.k === 'str') {
            this.i++;
            key = { t: 'lit', p: k.p, v: k.val };
          } else if (k.k === 'num') {
            this.i++;
            key = { t: 'lit', p: k.p, v: k.val };
          } else if (this.isOp('(')) {
            this.i++;
            key = this.parseExpr(0);
            this.expect(')');
          } else this.unexpected('a map key must be a quoted string, a number, an identifier, or an expression in parentheses');
          this.expect(':');
          entries.push([key, this.parseExpr(0)]);
          if (!this.isOp(',')) break;
          this.i++;
        }
        this.expect('}');
        return { t: 'map', p: t.p, entries };
      }
      case '.': {
        // `.name` inside a predicate is `#.name`
        if (this.closureDepth > 0 && this.toks[this.i + 1]?.k === 'id') {
          this.i++;
          const name = this.cur;
          this.i++;
          return { t: 'member', p: t.p, obj: { t: 'ptr', p: t.p, name: '' }, key: { t: 'lit', p: name.p, v: name.v }, optional: false, dot: true };
        }
        break;
      }
      case 'if': {
        this.i++;
        const c = this.parseExpr(0);
        const a = this.parseBlock();
        if (!this.isOp('else')) this.unexpected("expected 'else'");
        this.i++;
        const b = this.isOp('if') ? this.parsePrimary() : this.parseBlock();
        return { t: 'cond', p: t.p, c, a, b };
      }
    }
    this.unexpected();
  }

  private parseBlock(): Node {
    this.expect('{');
    const body = this.parseSequence();
    this.expect('}');
    return body;
  }

  private parseArgs(fnName: string, offset = 0): Node[] {
    this.expect('(');
    const args: Node[] = [];
    const isPred = PREDICATE_BUILTINS.has(fnName);
    while (!this.isOp(')')) {
      if (isPred && args.length + offset === 1) args.push(this.parseClosure());
      else args.push(this.parseExpr(0));
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expect(')');
    return args;
  }

  private parseClosure(): Node {
    const p = this.cur.p;
    this.closureDepth++;
    let body: Node;
    if (this.isOp('{')) {
      this.i++;
      body = this.parseSequence();
      this.expect('}');
    } else body = this.parseExpr(0);
    this.closureDepth--;
    return { t: 'closure', p, body };
  }

  private parsePostfix(node: Node): Node {
    for (;;) {
      const t = this.cur;
      if (t.k !== 'op') return node;
      if (t.v === '.' || t.v === '?.') {
        this.i++;
        if (t.v === '?.' && this.isOp('[')) {
          node = this.parseIndex(node, true);
          continue;
        }
        const name = this.cur;
        if (name.k !== 'id' && !(name.k === 'op' && WORD_OPS.has(name.v))) this.unexpected('expected name');
        this.i++;
        const member: Node = { t: 'member', p: name.p, obj: node, key: { t: 'lit', p: name.p, v: name.v }, optional: t.v === '?.', dot: true };
        if (this.isOp('(')) node = { t: 'call', p: name.p, callee: member, args: this.parseArgs('') };
        else node = member;
        continue;
      }
      if (t.v === '[') {
        node = this.parseIndex(node, false);
        continue;
      }
      if (t.v === '(' && node.t !== 'id') {
        node = { t: 'call', p: t.p, callee: node, args: this.parseArgs('') };
        continue;
      }
      return node;
    }
  }

  private parseIndex(obj: Node, optional: boolean): Node {
    const t = this.expect('[');
    if (this.isOp(':')) {
      this.i++;
      const to = this.isOp(']') ? undefined : this.parseExpr(0);
      this.expect(']');
      return { t: 'slice', p: t.p, obj, to };
    }
    const idx = this.parseExpr(0);
    if (this.isOp(':')) {
      this.i++;
      const to = this.isOp(']') ? undefined : this.parseExpr(0);
      this.expect(']');
      return { t: 'slice', p: t.p, obj, from: idx, to };
    }
    this.expect(']');
    return { t: 'member', p: t.p, obj, key: idx, optional, dot: false };
  }
}

function tokDesc(t: Token): string {
  switch (t.k) {
    case 'str':
      return `String(${JSON.stringify(t.val)})`;
    case 'num':
      return `Number(${t.v})`;
    case 'id':
      return `Identifier("${t.v}")`;
    case 'ptr':
      return `Pointer("#${t.v}")`;
    default:
      return `Operator("${t.v}")`;
  }
}

const compileCache = new Map<string, CompiledExpr>();
const MAX_CACHE = 10_000;

/** Parse an expression (cached by source). Throws ExprError on syntax errors. */
export function compileExpr(src: string): CompiledExpr {
  const hit = compileCache.get(src);
  if (hit) return hit;
  const ast = new Parser(src, lex(src)).parseProgram();
  const compiled = { source: src, ast };
  if (compileCache.size >= MAX_CACHE) compileCache.clear();
  compileCache.set(src, compiled);
  return compiled;
}

// ===========================================================================
// Evaluator

export interface EvalOptions {
  /** Unknown identifiers are an error (`unknown name x`) — expr.Env() semantics. Default true. */
  strict?: boolean;
  /** Builtins to hide (Argo disables `string`). */
  disabledBuiltins?: readonly string[];
}

interface Scope {
  name: string;
  value: unknown;
  parent: Scope | undefined;
}
interface Pred {
  item: unknown;
  index: number;
  acc: unknown;
  parent: Pred | undefined;
}

/** Sentinel that propagates a `?.` short-circuit up a member chain. */
const SHORT = Symbol('short-circuit');

type BuiltinFn = (args: unknown[], e: Evaluator, node: Node) => unknown;

class Evaluator {
  constructor(
    readonly src: string,
    readonly env: GoMap,
    readonly opts: EvalOptions,
  ) {}

  fail(msg: string, node: Node): never {
    throw new ExprError(msg, this.src, node.p);
  }

  ev(node: Node, scope: Scope | undefined, pred: Pred | undefined): unknown {
    const v = this.evChain(node, scope, pred);
    return v === SHORT ? null : v;
  }

  evChain(node: Node, scope: Scope | undefined, pred: Pred | undefined): unknown {
    switch (node.t) {
      case 'lit':
        return node.v;
      case 'id':
        return this.lookup(node, scope);
      case 'ptr': {
        if (!pred) this.fail('cannot use pointer accessor outside predicate', node);
        if (node.name === '') return pred.item;
        if (node.name === 'index') return BigInt(pred.index);
        if (node.name === 'acc') return pred.acc;
        // #name: a named pointer is the current element when inside a predicate
        return pred.item;
      }
      case 'unary':
        return this.unary(node, this.ev(node.x, scope, pred));
      case 'bin':
        return this.binary(node, scope, pred);
      case 'cond': {
        const c = this.ev(node.c, scope, pred);
        if (typeof c !== 'boolean') this.fail(`non-bool expression (type ${goTypeName(c)}) used as condition`, node.c);
        return this.ev(c ? node.a : node.b, scope, pred);
      }
      case 'member': {
        const obj = this.evChain(node.obj, scope, pred);
        if (obj === SHORT) return SHORT;
        if (isNil(obj) && node.optional) return SHORT;
        const key = this.ev(node.key, scope, pred);
        return this.fetch(obj, key, node);
      }
      case 'slice': {
        const obj = this.evChain(node.obj, scope, pred);
        if (obj === SHORT) return SHORT;
        const from = node.from ? this.ev(node.from, scope, pred) : undefined;
        const to = node.to ? this.ev(node.to, scope, pred) : undefined;
        return this.slice(obj, from, to, node);
      }
      case 'call':
        return this.call(node, scope, pred);
      case 'array':
        return node.items.map((x) => this.ev(x, scope, pred));
      case 'map': {
        const m: GoMap = {};
        for (const [k, v] of node.entries) {
          const key = this.ev(k, scope, pred);
          m[typeof key === 'string' ? key : formatValue(key)] = this.ev(v, scope, pred);
        }
        return m;
      }
      case 'let':
        return this.ev(node.body, { name: node.name, value: this.ev(node.value, scope, pred), parent: scope }, pred);
      case 'seq': {
        let last: unknown = null;
        for (const x of node.items) last = this.ev(x, scope, pred);
        return last;
      }
      case 'closure':
        this.fail('closure can only be used as a predicate argument', node);
    }
  }

  lookup(node: { name: string; p: number } & Node, scope: Scope | undefined): unknown {
    for (let s = scope; s; s = s.parent) if (s.name === node.name) return s.value;
    if (Object.prototype.hasOwnProperty.call(this.env, node.name)) return this.env[node.name];
    if (node.name === '$env') return this.env;
    if (this.opts.strict === false) return null;
    this.fail(`unknown name ${node.name}`, node);
  }

  fetch(obj: unknown, key: unknown, node: Node & { t: 'member' }): unknown {
    if (isNil(obj)) {
      this.fail(`cannot fetch ${formatValue(key)} from <nil>${node.obj.t === 'lit' ? '' : ` (${describe(node.obj)} is nil)`}`, node);
    }
    if (typeof obj === 'string') {
      if (typeof key !== 'bigint' && !(typeof key === 'number' && Number.isInteger(key))) this.fail(`cannot fetch ${formatValue(key)} from string`, node);
      const chars = Array.from(obj);
      return chars[this.index(Number(key), chars.length, node)];
    }
    if (Array.isArray(obj)) {
      if (typeof key !== 'bigint' && !(typeof key === 'number' && Number.isInteger(key))) {
        this.fail(`cannot fetch ${formatValue(key)} from ${goTypeName(obj)}${node.dot ? '' : ' (array index must be an int)'}`, node);
      }
      return obj[this.index(Number(key), obj.length, node)];
    }
    if (obj instanceof Duration || obj instanceof GoTime) {
      this.fail(`cannot fetch ${formatValue(key)} from ${goTypeName(obj)} (call it as a method: .${formatValue(key)}())`, node);
    }
    if (typeof obj === 'object') {
      const k = typeof key === 'string' ? key : formatValue(key);
      const m = obj as GoMap;
      return Object.prototype.hasOwnProperty.call(m, k) ? m[k] : null;
    }
    this.fail(`cannot fetch ${formatValue(key)} from ${goTypeName(obj)}`, node);
  }

  index(i: number, len: number, node: Node): number {
    const j = i < 0 ? len + i : i;
    if (j < 0 || j >= len) this.fail(`index out of range: ${i} (array length is ${len})`, node);
    return j;
  }

  slice(obj: unknown, from: unknown, to: unknown, node: Node): unknown {
    const isStr = typeof obj === 'string';
    if (!isStr && !Array.isArray(obj)) this.fail(`cannot slice ${goTypeName(obj)}`, node);
    const arr = isStr ? Array.from(obj as string) : (obj as unknown[]);
    const norm = (v: unknown, dflt: number): number => {
      if (v === undefined) return dflt;
      if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isInteger(v))) this.fail(`invalid slice index ${formatValue(v)} (type ${goTypeName(v)})`, node);
      let n = Number(v);
      if (n < 0) n += arr.length;
      return Math.min(Math.max(n, 0), arr.length);
    };
    const a = norm(from, 0);
    const b = norm(to, arr.length);
    const out = b < a ? [] : arr.slice(a, b);
    return isStr ? out.join('') : out;
  }

  unary(node: Node & { t: 'unary' }, x: unknown): unknown {
    switch (node.op) {
      case '!':
        if (typeof x !== 'boolean') this.fail(`invalid operation: ! (mismatched type ${goTypeName(x)})`, node);
        return !x;
      case '-':
        if (typeof x === 'bigint') return toInt64(-x);
        if (typeof x === 'number') return -x;
        if (x instanceof Duration) return new Duration(-x.ns);
        this.fail(`invalid operation: - (mismatched type ${goTypeName(x)})`, node);
      // eslint-disable-next-line no-fallthrough
      case '+':
        if (typeof x === 'bigint' || typeof x === 'number') return x;
        this.fail(`invalid operation: + (mismatched type ${goTypeName(x)})`, node);
    }
    this.fail(`unknown unary operator ${node.op}`, node);
  }

  private mismatch(node: Node & { t: 'bin' }, l: unknown, r: unknown): never {
    this.fail(`invalid operation: ${node.op} (mismatched types ${goTypeName(l)} and ${goTypeName(r)})`, node);
  }

  binary(node: Node & { t: 'bin' }, scope: Scope | undefined, pred: Pred | undefined): unknown {
    const op = node.op;
    // short-circuit operators first
    if (op === '&&' || op === '||') {
      const l = this.ev(node.l, scope, pred);
      if (typeof l !== 'boolean') this.fail(`invalid operation: ${op} (non-bool left operand of type ${goTypeName(l)})`, node);
      if (op === '&&' ? !l : l) return l;
      const r = this.ev(node.r, scope, pred);
      if (typeof r !== 'boolean') this.fail(`invalid operation: ${op} (non-bool right operand of type ${goTypeName(r)})`, node);
      return r;
    }
    if (op === '??') {
      let l: unknown;
      try {
        l = this.ev(node.l, scope, pred);
      } catch (e) {
        // `a.b ?? x` where `a` is unknown/nil: treat as nil (expr-lang's ?? tolerates missing members)
        if (e instanceof ExprError && /^(unknown name|cannot fetch)/.test(e.message)) l = null;
        else throw e;
      }
      return isNil(l) ? this.ev(node.r, scope, pred) : l;
    }
    if (op === '?:') {
      const l = this.ev(node.l, scope, pred);
      return isNil(l) || l === false || l === '' || l === 0 || l === 0n ? this.ev(node.r, scope, pred) : l;
    }
    const l = this.ev(node.l, scope, pred);
    const r = this.ev(node.r, scope, pred);
    switch (op) {
      case '==':
        return goEqual(l, r);
      case '!=':
        return !goEqual(l, r);
      case '<': case '>': case '<=': case '>=': {
        const c = this.compare(l, r, node);
        return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
      }
      case '+':
        if (typeof l === 'bigint' && typeof r === 'bigint') return toInt64(l + r);
        if (isNum(l) && isNum(r)) return Number(l) + Number(r);
        if (typeof l === 'string' && typeof r === 'string') return l + r;
        if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
        if (l instanceof Duration && r instanceof Duration) return new Duration(toInt64(l.ns + r.ns));
        if (l instanceof GoTime && r instanceof Duration) return new GoTime(l.ns + r.ns, l.offsetSec, l.zone);
        if (l instanceof Duration && r instanceof GoTime) return new GoTime(r.ns + l.ns, r.offsetSec, r.zone);
        return this.mismatch(node, l, r);
      case '-':
        if (typeof l === 'bigint' && typeof r === 'bigint') return toInt64(l - r);
        if (isNum(l) && isNum(r)) return Number(l) - Number(r);
        if (l instanceof GoTime && r instanceof GoTime) return new Duration(toInt64(l.ns - r.ns));
        if (l instanceof GoTime && r instanceof Duration) return new GoTime(l.ns - r.ns, l.offsetSec, l.zone);
        if (l instanceof Duration && r instanceof Duration) return new Duration(toInt64(l.ns - r.ns));
        return this.mismatch(node, l, r);
      case '*':
        if (typeof l === 'bigint' && typeof r === 'bigint') return toInt64(l * r);
        if (isNum(l) && isNum(r)) return Number(l) * Number(r);
        if (l instanceof Duration && typeof r === 'bigint') return new Duration(toInt64(l.ns * r));
        if (typeof l === 'bigint' && r instanceof Duration) return new Duration(toInt64(l * r.ns));
        return this.mismatch(node, l, r);
      case '/':
        if (isNum(l) && isNum(r)) return Number(l) / Number(r);
        return this.mismatch(node, l, r);
      case '%':
        if (typeof l === 'bigint' && typeof r === 'bigint') {
          if (r === 0n) this.fail('integer divide by zero', node);
          return l % r;
        }
        return this.mismatch(node, l, r);
      case '**':
        if (isNum(l) && isNum(r)) return Math.pow(Number(l), Number(r));
        return this.mismatch(node, l, r);
      case '..': {
        if (typeof l !== 'bigint' || typeof r !== 'bigint') this.mismatch(node, l, r);
        const out: bigint[] = [];
        if (r - l > 10_000_000n) this.fail('range is too large', node);
        for (let i = l as bigint; i <= (r as bigint); i++) out.push(i);
        return out;
      }
      case 'in':
      case 'not in': {
        const res = this.contains(r, l, node);
        return op === 'in' ? res : !res;
      }
      case 'matches': {
        if (typeof l !== 'string' || typeof r !== 'string') this.mismatch(node, l, r);
        return goRegex(r as string).test(l as string);
      }
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        if (typeof l !== 'string' || typeof r !== 'string') this.mismatch(node, l, r);
        return op === 'contains' ? (l as string).includes(r as string) : op === 'startsWith' ? (l as string).startsWith(r as string) : (l as string).endsWith(r as string);
    }
    this.fail(`unknown operator ${op}`, node);
  }

  contains(container: unknown, x: unknown, node: Node & { t: 'bin' }): boolean {
    if (Array.isArray(container)) return container.some((e) => goEqual(e, x));
    if (isNil(container)) return false;
    if (isMap(container)) {
      if (typeof x !== 'string') return false;
      return Object.prototype.hasOwnProperty.call(container, x);
    }
    this.fail(`invalid operation: ${node.op} (mismatched types ${goTypeName(x)} and ${goTypeName(container)})`, node);
  }

  compare(l: unknown, r: unknown, node: Node & { t: 'bin' }): number {
    if (typeof l === 'bigint' && typeof r === 'bigint') return l < r ? -1 : l > r ? 1 : 0;
    if (isNum(l) && isNum(r)) {
      const a = Number(l);
      const b = Number(r);
      return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
    }
    if (typeof l === 'string' && typeof r === 'string') return l < r ? -1 : l > r ? 1 : 0;
    if (l instanceof GoTime && r instanceof GoTime) return l.ns < r.ns ? -1 : l.ns > r.ns ? 1 : 0;
    if (l instanceof Duration && r instanceof Duration) return l.ns < r.ns ? -1 : l.ns > r.ns ? 1 : 0;
    return this.mismatch(node, l, r);
  }

  call(node: Node & { t: 'call' }, scope: Scope | undefined, pred: Pred | undefined): unknown {
    const callee = node.callee;
    if (callee.t === 'id') {
      const name = callee.name;
      // let-bound or env function overrides builtins
      let fn: unknown;
      let found = false;
      for (let s = scope; s; s = s.parent) if (s.name === name) (fn = s.value), (found = true);
      if (!found && Object.prototype.hasOwnProperty.call(this.env, name)) (fn = this.env[name]), (found = true);
      if (found) {
        if (typeof fn !== 'function') this.fail(`${name} is not callable (type ${goTypeName(fn)})`, node);
        return this.invoke(fn as (...a: unknown[]) => unknown, node.args.map((a) => this.ev(a, scope, pred)), node, name);
      }
      if (PREDICATE_BUILTINS.has(name) && !this.disabled(name)) return this.predicateBuiltin(name, node, scope, pred);
      const b = BUILTINS[name];
      if (!b || this.disabled(name)) this.fail(`unknown name ${name}`, callee);
      return b(node.args.map((a) => this.ev(a, scope, pred)), this, node);
    }
    if (callee.t === 'member' && callee.dot) {
      const obj = this.evChain(callee.obj, scope, pred);
      if (obj === SHORT || (isNil(obj) && callee.optional)) return SHORT;
      const name = (callee.key as { v: unknown }).v as string;
      if (obj instanceof Duration || obj instanceof GoTime) {
        const table = obj instanceof Duration ? DURATION_METHODS : TIME_METHODS;
        const m = table[name];
        if (!m) this.fail(`type ${goTypeName(obj)} has no method ${name}`, callee);
        return m(obj as never, node.args.map((a) => this.ev(a, scope, pred)), this, node);
      }
      const fn = this.fetch(obj, name, callee);
      if (typeof fn !== 'function') this.fail(`${describe(callee)} is not callable (type ${goTypeName(fn)})`, node);
      return this.invoke(fn as (...a: unknown[]) => unknown, node.args.map((a) => this.ev(a, scope, pred)), node, describe(callee));
    }
    const fn = this.ev(callee, scope, pred);
    if (typeof fn !== 'function') this.fail(`${describe(callee)} is not callable (type ${goTypeName(fn)})`, node);
    return this.invoke(fn as (...a: unknown[]) => unknown, node.args.map((a) => this.ev(a, scope, pred)), node, describe(callee));
  }

  invoke(fn: (...a: unknown[]) => unknown, args: unknown[], node: Node, name: string): unknown {
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof ExprError && e.pos !== undefined) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ExprError(`${msg} (in call to ${name})`, this.src, node.p);
    }
  }

  disabled(name: string): boolean {
    return this.opts.disabledBuiltins?.includes(name) ?? false;
  }

  predicateBuiltin(name: string, node: Node & { t: 'call' }, scope: Scope | undefined, pred: Pred | undefined): unknown {
    const args = node.args;
    if (args.length < 1) this.fail(`not enough arguments to call ${name}`, node);
    const coll = this.ev(args[0]!, scope, pred);
    const closure = args[1] as (Node & { t: 'closure' }) | undefined;
    // count(arr) / sum(arr) have optional predicates
    if (!closure) {
      if (name === 'count' || name === 'sum') return BUILTINS[`${name}0`]!([coll], this, node);
      this.fail(`not enough arguments to call ${name}`, node);
    }
    let items: unknown[];
    if (Array.isArray(coll)) items = coll;
    else if (isNil(coll)) items = [];
    else if (isMap(coll) && (name === 'map' || name === 'filter' || name === 'all' || name === 'any' || name === 'none' || name === 'count')) items = Object.keys(coll).sort().map((k) => coll[k]);
    else this.fail(`builtin ${name} takes only array (got ${goTypeName(coll)})`, args[0]!);
    const body = closure.body;
    const run = (item: unknown, index: number, acc?: unknown): unknown => this.ev(body, scope, { item, index, acc, parent: pred });
    const test = (item: unknown, index: number): boolean => {
      const v = run(item, index);
      if (typeof v !== 'boolean') this.fail(`predicate should return boolean (got ${goTypeName(v)})`, closure);
      return v;
    };
    switch (name) {
      case 'all':
        return items.every((x, i) => test(x, i));
      case 'any':
        return items.some((x, i) => test(x, i));
      case 'none':
        return !items.some((x, i) => test(x, i));
      case 'one': {
        let n = 0;
        for (let i = 0; i < items.length; i++) if (test(items[i], i) && ++n > 1) return false;
        return n === 1;
      }
      case 'filter':
        return items.filter((x, i) => test(x, i));
      case 'map':
        return items.map((x, i) => run(x, i));
      case 'count':
        return BigInt(items.filter((x, i) => test(x, i)).length);
      case 'sum':
        return sumValues(items.map((x, i) => run(x, i)), this, node);
      case 'find': {
        for (let i = 0; i < items.length; i++) if (test(items[i], i)) return items[i];
        return null;
      }
      case 'findIndex': {
        for (let i = 0; i < items.length; i++) if (test(items[i], i)) return BigInt(i);
        return -1n;
      }
      case 'findLast': {
        for (let i = items.length - 1; i >= 0; i--) if (test(items[i], i)) return items[i];
        return null;
      }
      case 'findLastIndex': {
        for (let i = items.length - 1; i >= 0; i--) if (test(items[i], i)) return BigInt(i);
        return -1n;
      }
      case 'groupBy': {
        const out: GoMap = {};
        items.forEach((x, i) => {
          const k = run(x, i);
          const key = typeof k === 'string' ? k : formatValue(k);
          ((out[key] ??= []) as unknown[]).push(x);
        });
        return out;
      }
      case 'sortBy': {
        const order = args[2] ? this.ev(args[2], scope, pred) : 'asc';
        if (order !== 'asc' && order !== 'desc') this.fail(`unknown order ${formatValue(order)}, use asc or desc`, args[2]!);
        const keyed = items.map((x, i) => ({ x, k: run(x, i) }));
        keyed.sort((a, b) => this.sortCompare(a.k, b.k, node) * (order === 'desc' ? -1 : 1));
        return keyed.map((e) => e.x);
      }
      case 'reduce': {
        let acc: unknown;
        let start = 0;
        if (args.length > 2) acc = this.ev(args[2]!, scope, pred);
        else {
          if (items.length === 0) this.fail('reduce of empty array with no initial value', node);
          acc = items[0];
          start = 1;
        }
        for (let i = start; i < items.length; i++) acc = run(items[i], i, acc);
        return acc;
      }
    }
    this.fail(`unknown builtin ${name}`, node);
  }

  sortCompare(a: unknown, b: unknown, node: Node): number {
    if (isNum(a) && isNum(b)) return Number(a) - Number(b) || (typeof a === 'bigint' && typeof b === 'bigint' ? (a < b ? -1 : a > b ? 1 : 0) : 0);
    if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
    if (a instanceof GoTime && b instanceof GoTime) return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
    this.fail(`cannot compare ${goTypeName(a)} and ${goTypeName(b)} for sorting`, node);
  }
}

function isNum(v: unknown): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

/** Human-readable path of a member chain, e.g. `inputs.parameters["my-p"]`. */
function describe(node: Node): string {
  switch (node.t) {
    case 'id':
      return node.name;
    case 'ptr':
      return `#${node.name}`;
    case 'member': {
      const base = describe(node.obj);
      const key = node.key.t === 'lit' ? node.key.v : undefined;
      if (node.dot && typeof key === 'string') return `${base}${node.optional ? '?.' : '.'}${key}`;
      return `${base}[${key === undefined ? '…' : typeof key === 'string' ? JSON.stringify(key) : formatValue(key)}]`;
    }
    case 'call':
      return `${describe(node.callee)}()`;
    default:
      return 'expression';
  }
}

// ===========================================================================
// Builtins

function argErr(e: Evaluator, node: Node, msg: string): never {
  e.fail(msg, node);
}

function want(args: unknown[], min: number, max: number, name: string, e: Evaluator, node: Node): void {
  if (args.length < min) argErr(e, node, `not enough arguments to call ${name}`);
  if (args.length > max) argErr(e, node, `too many arguments to call ${name}`);
}

function str(v: unknown, name: string, e: Evaluator, node: Node): string {
  if (typeof v !== 'string') argErr(e, node, `invalid argument for ${name} (type ${goTypeName(v)})`);
  return v;
}

function arr(v: unknown, name: string, e: Evaluator, node: Node): unknown[] {
  if (!Array.isArray(v)) argErr(e, node, `invalid argument for ${name} (type ${goTypeName(v)})`);
  return v;
}

function intArg(v: unknown, name: string, e: Evaluator, node: Node): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  argErr(e, node, `invalid argument for ${name} (type ${goTypeName(v)})`);
}

/** Go strings.Trim / TrimLeft / TrimRight with a cutset. */
function trimCutset(s: string, cutset: string, left = true, right = true): string {
  const set = new Set(Array.from(cutset));
  const chars = Array.from(s);
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a]!)) a++;
  if (right) while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** Go strings.TrimSpace (Unicode whitespace). */
export function goTrimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/g, '');
}

/** Go strings.SplitN (n < 0 → all). */
export function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = Array.from(s);
    if (n < 0 || n >= chars.length) return chars;
    return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
  }
  const parts = s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function toFloat(v: unknown, e: Evaluator, node: Node): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  argErr(e, node, `invalid argument (type ${goTypeName(v)})`);
}

function sumValues(items: unknown[], e: Evaluator, node: Node): unknown {
  let isInt = true;
  let si = 0n;
  let sf = 0;
  for (const x of items) {
    if (typeof x === 'bigint') {
      si += x;
      sf += Number(x);
    } else if (typeof x === 'number') {
      isInt = false;
      sf += x;
    } else argErr(e, node, `invalid argument for sum (type ${goTypeName(x)})`);
  }
  return isInt ? toInt64(si) : sf;
}

function minMax(args: unknown[], e: Evaluator, node: Node, name: string, sign: number): unknown {
  const vals = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (vals.length === 0) argErr(e, node, `not enough arguments to call ${name}`);
  let best: unknown = vals[0];
  for (const v of vals) {
    if (!isNum(v)) argErr(e, node, `invalid argument for ${name} (type ${goTypeName(v)})`);
    if ((Number(v) - Number(best)) * sign > 0 || (typeof v === 'bigint' && typeof best === 'bigint' && (v > best ? 1 : v < best ? -1 : 0) * sign > 0)) best = v;
  }
  if (!isNum(best)) argErr(e, node, `invalid argument for ${name} (type ${goTypeName(best)})`);
  return best;
}

/** Go math.Round: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function toInt(v: unknown, e: Evaluator, node: Node, fname = 'int'): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return -9223372036854775808n;
    return toInt64(BigInt(Math.trunc(v)));
  }
  if (typeof v === 'string') {
    const s = v;
    if (/^[+-]?\d+$/.test(s)) return toInt64(BigInt(s));
    argErr(e, node, `invalid operation: ${fname}(${s})`);
  }
  if (typeof v === 'boolean') argErr(e, node, `invalid operation: ${fname}(bool)`);
  argErr(e, node, `invalid operation: ${fname}(${goTypeName(v)})`);
}

function toFloatConv(v: unknown, e: Evaluator, node: Node, fname = 'float'): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const s = v.trim() === v ? v : '';
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || /^[+-]?(inf|infinity|nan)$/i.test(s)) {
      if (/inf/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
      return Number(s);
    }
    argErr(e, node, `invalid operation: ${fname}(${v})`);
  }
  argErr(e, node, `invalid operation: ${fname}(${goTypeName(v)})`);
}

/** expr-lang's `type()` names. */
const EXPR_TYPES: Record<ValueClass, string> = {
  nil: 'nil',
  int: 'int',
  float: 'float',
  string: 'string',
  bool: 'bool',
  func: 'func',
  array: 'array',
  duration: 'time.Duration',
  time: 'time.Time',
  map: 'map',
};

function typeOf(v: unknown): string {
  return EXPR_TYPES[valueClass(v)];
}

const DATE_LAYOUTS = [
  RFC3339_NANO, RFC3339, '2006-01-02', '2006-01-02 15:04:05', '2006-01-02 15:04:05Z07:00', '2006-01-02 15:04:05 -0700 MST',
  '2006-01-02T15:04:05', '15:04:05', 'Mon, 02 Jan 2006 15:04:05 MST', 'Mon, 02 Jan 2006 15:04:05 -0700', '02 Jan 06 15:04 MST',
  'Mon Jan _2 15:04:05 2006', 'Mon Jan _2 15:04:05 MST 2006',
];

function zoneOffset(name: string, e: Evaluator, node: Node): [number, string] {
  if (name === 'UTC' || name === '' || name === 'Local') return [0, 'UTC'];
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(name);
  if (m) return [(m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60), ''];
  argErr(e, node, `unknown time zone ${name} (only UTC and fixed offsets are supported)`);
}

function parseDate(args: unknown[], e: Evaluator, node: Node): GoTime {
  want(args, 1, 3, 'date', e, node);
  const s = args[0];
  if (s instanceof GoTime) return s;
  const v = str(s, 'date', e, node);
  let off = 0;
  let zone = 'UTC';
  if (args.length === 3) [off, zone] = zoneOffset(str(args[2], 'date', e, node), e, node);
  if (args.length >= 2) return parseGoLayout(str(args[1], 'date', e, node), v, off, zone);
  for (const layout of DATE_LAYOUTS) {
    try {
      return parseGoLayout(layout, v, off, zone);
    } catch {
      /* try next */
    }
  }
  argErr(e, node, `cannot parse ${v} as date`);
}

const base64 = {
  enc: (s: string): string => Buffer.from(s, 'utf8').toString('base64'),
  dec: (s: string): string => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new ExprError(`illegal base64 data in input ${JSON.stringify(s)}`);
    return Buffer.from(s, 'base64').toString('utf8');
  },
};

function flattenDeep(a: unknown[], out: unknown[] = []): unknown[] {
  for (const x of a) {
    if (Array.isArray(x)) flattenDeep(x, out);
    else out.push(x);
  }
  return out;
}

const BUILTINS: Record<string, BuiltinFn> = {
  len: (a, e, n) => {
    want(a, 1, 1, 'len', e, n);
    const v = a[0];
    if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
    if (Array.isArray(v)) return BigInt(v.length);
    if (isMap(v)) return BigInt(Object.keys(v).length);
    argErr(e, n, `invalid argument for len (type ${goTypeName(v)})`);
  },
  abs: (a, e, n) => {
    want(a, 1, 1, 'abs', e, n);
    const v = a[0];
    if (typeof v === 'bigint') return v < 0n ? -v : v;
    if (typeof v === 'number') return Math.abs(v);
    argErr(e, n, `invalid argument for abs (type ${goTypeName(v)})`);
  },
  ceil: (a, e, n) => (want(a, 1, 1, 'ceil', e, n), Math.ceil(toFloat(a[0], e, n))),
  floor: (a, e, n) => (want(a, 1, 1, 'floor', e, n), Math.floor(toFloat(a[0], e, n))),
  round: (a, e, n) => (want(a, 1, 1, 'round', e, n), goRound(toFloat(a[0], e, n))),
  max: (a, e, n) => minMax(a, e, n, 'max', 1),
  min: (a, e, n) => minMax(a, e, n, 'min', -1),
  int: (a, e, n) => (want(a, 1, 1, 'int', e, n), toInt(a[0], e, n)),
  float: (a, e, n) => (want(a, 1, 1, 'float', e, n), toFloatConv(a[0], e, n)),
  string: (a, e, n) => (want(a, 1, 1, 'string', e, n), formatValue(a[0])),
  asInt: (a, e, n) => (want(a, 1, 1, 'asInt', e, n), toInt(a[0], e, n)),
  asFloat: (a, e, n) => (want(a, 1, 1, 'asFloat', e, n), toFloatConv(a[0], e, n)),
  trim: (a, e, n) => {
    want(a, 1, 2, 'trim', e, n);
    const s = str(a[0], 'trim', e, n);
    return a.length === 2 ? trimCutset(s, str(a[1], 'trim', e, n)) : goTrimSpace(s);
  },
  trimPrefix: (a, e, n) => {
    want(a, 1, 2, 'trimPrefix', e, n);
    const s = str(a[0], 'trimPrefix', e, n);
    const p = a.length === 2 ? str(a[1], 'trimPrefix', e, n) : ' ';
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimSuffix: (a, e, n) => {
    want(a, 1, 2, 'trimSuffix', e, n);
    const s = str(a[0], 'trimSuffix', e, n);
    const p = a.length === 2 ? str(a[1], 'trimSuffix', e, n) : ' ';
    return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  upper: (a, e, n) => (want(a, 1, 1, 'upper', e, n), str(a[0], 'upper', e, n).toUpperCase()),
  lower: (a, e, n) => (want(a, 1, 1, 'lower', e, n), str(a[0], 'lower', e, n).toLowerCase()),
  split: (a, e, n) => {
    want(a, 2, 3, 'split', e, n);
    return goSplitN(str(a[0], 'split', e, n), str(a[1], 'split', e, n), a.length === 3 ? intArg(a[2], 'split', e, n) : -1);
  },
  splitAfter: (a, e, n) => {
    want(a, 2, 3, 'splitAfter', e, n);
    const s = str(a[0], 'splitAfter', e, n);
    const sep = str(a[1], 'splitAfter', e, n);
    const lim = a.length === 3 ? intArg(a[2], 'splitAfter', e, n) : -1;
    const parts = goSplitN(s, sep, lim);
    return parts.map((p, i) => (i < parts.length - 1 && sep !== '' ? p + sep : p));
  },
  replace: (a, e, n) => {
    want(a, 3, 3, 'replace', e, n);
    return str(a[0], 'replace', e, n).split(str(a[1], 'replace', e, n)).join(str(a[2], 'replace', e, n));
  },
  repeat: (a, e, n) => {
    want(a, 2, 2, 'repeat', e, n);
    const c = intArg(a[1], 'repeat', e, n);
    if (c < 0) argErr(e, n, 'invalid argument for repeat: negative count');
    return str(a[0], 'repeat', e, n).repeat(c);
  },
  indexOf: (a, e, n) => (want(a, 2, 2, 'indexOf', e, n), BigInt(str(a[0], 'indexOf', e, n).indexOf(str(a[1], 'indexOf', e, n)))),
  lastIndexOf: (a, e, n) => (want(a, 2, 2, 'lastIndexOf', e, n), BigInt(str(a[0], 'lastIndexOf', e, n).lastIndexOf(str(a[1], 'lastIndexOf', e, n)))),
  hasPrefix: (a, e, n) => (want(a, 2, 2, 'hasPrefix', e, n), str(a[0], 'hasPrefix', e, n).startsWith(str(a[1], 'hasPrefix', e, n))),
  hasSuffix: (a, e, n) => (want(a, 2, 2, 'hasSuffix', e, n), str(a[0], 'hasSuffix', e, n).endsWith(str(a[1], 'hasSuffix', e, n))),
  join: (a, e, n) => {
    want(a, 1, 2, 'join', e, n);
    const xs = arr(a[0], 'join', e, n);
    const sep = a.length === 2 ? str(a[1], 'join', e, n) : '';
    return xs.map((x) => (typeof x === 'string' ? x : argErr(e, n, `invalid argument for join (element type ${goTypeName(x)})`))).join(sep);
  },
  first: (a, e, n) => {
    want(a, 1, 1, 'first', e, n);
    const xs = a[0];
    if (isNil(xs)) return null;
    return arr(xs, 'first', e, n)[0] ?? null;
  },
  last: (a, e, n) => {
    want(a, 1, 1, 'last', e, n);
    const xs = a[0];
    if (isNil(xs)) return null;
    const l = arr(xs, 'last', e, n);
    return l.length ? l[l.length - 1] : null;
  },
  take: (a, e, n) => (want(a, 2, 2, 'take', e, n), arr(a[0], 'take', e, n).slice(0, Math.max(0, intArg(a[1], 'take', e, n)))),
  reverse: (a, e, n) => (want(a, 1, 1, 'reverse', e, n), [...arr(a[0], 'reverse', e, n)].reverse()),
  keys: (a, e, n) => {
    want(a, 1, 1, 'keys', e, n);
    if (!isMap(a[0])) argErr(e, n, `invalid argument for keys (type ${goTypeName(a[0])})`);
    return Object.keys(a[0]).sort();
  },
  values: (a, e, n) => {
    want(a, 1, 1, 'values', e, n);
    const m = a[0];
    if (!isMap(m)) argErr(e, n, `invalid argument for values (type ${goTypeName(m)})`);
    return Object.keys(m).sort().map((k) => m[k]);
  },
  toPairs: (a, e, n) => {
    want(a, 1, 1, 'toPairs', e, n);
    const m = a[0];
    if (!isMap(m)) argErr(e, n, `invalid argument for toPairs (type ${goTypeName(m)})`);
    return Object.keys(m).sort().map((k) => [k, m[k]]);
  },
  fromPairs: (a, e, n) => {
    want(a, 1, 1, 'fromPairs', e, n);
    const out: GoMap = {};
    for (const p of arr(a[0], 'fromPairs', e, n)) {
      if (!Array.isArray(p) || p.length !== 2) argErr(e, n, 'invalid pair for fromPairs');
      out[typeof p[0] === 'string' ? p[0] : formatValue(p[0])] = p[1];
    }
    return out;
  },
  get: (a, e, n) => {
    want(a, 2, 2, 'get', e, n);
    const [o, k] = a;
    if (Array.isArray(o)) {
      if (!isNum(k)) return null;
      let i = Number(k);
      if (i < 0) i += o.length;
      return i >= 0 && i < o.length ? o[i] : null;
    }
    if (isMap(o) && typeof k === 'string') return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : null;
    return null;
  },
  toJSON: (a, e, n) => (want(a, 1, 1, 'toJSON', e, n), toGoJSON(a[0], '  ')),
  fromJSON: (a, e, n) => (want(a, 1, 1, 'fromJSON', e, n), fromGoJSON(str(a[0], 'fromJSON', e, n))),
  toBase64: (a, e, n) => (want(a, 1, 1, 'toBase64', e, n), base64.enc(str(a[0], 'toBase64', e, n))),
  fromBase64: (a, e, n) => (want(a, 1, 1, 'fromBase64', e, n), base64.dec(str(a[0], 'fromBase64', e, n))),
  now: (a, e, n) => (want(a, 0, 0, 'now', e, n), nowTime()),
  duration: (a, e, n) => (want(a, 1, 1, 'duration', e, n), parseDuration(str(a[0], 'duration', e, n))),
  date: (a, e, n) => parseDate(a, e, n),
  sum0: (a, e, n) => sumValues(arr(a[0], 'sum', e, n), e, n),
  count0: (a, e, n) => BigInt(arr(a[0], 'count', e, n).filter((x) => x === true).length),
  mean: (a, e, n) => {
    const xs = a.length === 1 && Array.isArray(a[0]) ? a[0] : a;
    if (xs.length === 0) return 0;
    return xs.reduce<number>((s, x) => s + toFloat(x, e, n), 0) / xs.length;
  },
  median: (a, e, n) => {
    const xs = (a.length === 1 && Array.isArray(a[0]) ? a[0] : a).map((x) => toFloat(x, e, n)).sort((x, y) => x - y);
    if (xs.length === 0) return 0;
    const m = Math.floor(xs.length / 2);
    return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
  },
  sort: (a, e, n) => {
    want(a, 1, 2, 'sort', e, n);
    const order = a.length === 2 ? a[1] : 'asc';
    if (order !== 'asc' && order !== 'desc') argErr(e, n, `unknown order ${formatValue(order)}, use asc or desc`);
    const xs = [...arr(a[0], 'sort', e, n)];
    xs.sort((x, y) => e.sortCompare(x, y, n) * (order === 'desc' ? -1 : 1));
    return xs;
  },
  uniq: (a, e, n) => {
    want(a, 1, 1, 'uniq', e, n);
    const out: unknown[] = [];
    for (const x of arr(a[0], 'uniq', e, n)) if (!out.some((y) => goEqual(x, y))) out.push(x);
    return out;
  },
  concat: (a, e, n) => {
    const out: unknown[] = [];
    for (const x of a) out.push(...arr(x, 'concat', e, n));
    return out;
  },
  flatten: (a, e, n) => (want(a, 1, 1, 'flatten', e, n), flattenDeep(arr(a[0], 'flatten', e, n))),
  type: (a, e, n) => (want(a, 1, 1, 'type', e, n), typeOf(a[0])),
  bitand: (a, e, n) => (want(a, 2, 2, 'bitand', e, n), toInt(a[0], e, n) & toInt(a[1], e, n)),
  bitor: (a, e, n) => (want(a, 2, 2, 'bitor', e, n), toInt(a[0], e, n) | toInt(a[1], e, n)),
  bitxor: (a, e, n) => (want(a, 2, 2, 'bitxor', e, n), toInt(a[0], e, n) ^ toInt(a[1], e, n)),
  bitnand: (a, e, n) => (want(a, 2, 2, 'bitnand', e, n), toInt(a[0], e, n) & ~toInt(a[1], e, n)),
  bitnot: (a, e, n) => (want(a, 1, 1, 'bitnot', e, n), ~toInt(a[0], e, n)),
  bitshl: (a, e, n) => (want(a, 2, 2, 'bitshl', e, n), toInt64(toInt(a[0], e, n) << toInt(a[1], e, n))),
  bitshr: (a, e, n) => (want(a, 2, 2, 'bitshr', e, n), toInt(a[0], e, n) >> toInt(a[1], e, n)),
  // ---- Argo environment extras (util/expr/env) ----
  toJson: (a, e, n) => (want(a, 1, 1, 'toJson', e, n), toGoJSON(a[0])),
  jsonpath: (a, e, n) => {
    want(a, 2, 2, 'jsonpath', e, n);
    const doc = fromGoJSON(str(a[0], 'jsonpath', e, n));
    return jsonPathQuery(doc, str(a[1], 'jsonpath', e, n));
  },
};

const DURATION_METHODS: Record<string, (d: Duration, a: unknown[], e: Evaluator, n: Node) => unknown> = {
  Seconds: (d) => Number(d.ns) / 1e9,
  Minutes: (d) => Number(d.ns) / 6e10,
  Hours: (d) => Number(d.ns) / 3.6e12,
  Milliseconds: (d) => d.ns / 1_000_000n,
  Microseconds: (d) => d.ns / 1000n,
  Nanoseconds: (d) => d.ns,
  String: (d) => d.toString(),
  Abs: (d) => new Duration(d.ns < 0n ? -d.ns : d.ns),
  Round: (d, a, e, n) => {
    const m = a[0] instanceof Duration ? a[0].ns : argErr(e, n, 'Round expects a duration');
    if (m <= 0n) return d;
    const r = d.ns % m;
    const base = d.ns - r;
    return new Duration(r + r >= m ? base + m : base);
  },
  Truncate: (d, a, e, n) => {
    const m = a[0] instanceof Duration ? a[0].ns : argErr(e, n, 'Truncate expects a duration');
    return m <= 0n ? d : new Duration(d.ns - (d.ns % m));
  },
};

const TIME_METHODS: Record<string, (t: GoTime, a: unknown[], e: Evaluator, n: Node) => unknown> = {
  Year: (t) => BigInt(civil(t).year),
  Month: (t) => BigInt(civil(t).month),
  Day: (t) => BigInt(civil(t).day),
  Hour: (t) => BigInt(civil(t).hour),
  Minute: (t) => BigInt(civil(t).min),
  Second: (t) => BigInt(civil(t).sec),
  Nanosecond: (t) => BigInt(civil(t).nsec),
  Weekday: (t) => BigInt(civil(t).weekday),
  YearDay: (t) => BigInt(civil(t).yday),
  Unix: (t) => floorDiv(t.ns, NS_PER_SEC),
  UnixMilli: (t) => floorDiv(t.ns, 1_000_000n),
  UnixMicro: (t) => floorDiv(t.ns, 1000n),
  UnixNano: (t) => t.ns,
  UTC: (t) => new GoTime(t.ns, 0, 'UTC'),
  Local: (t) => new GoTime(t.ns, 0, 'UTC'),
  String: (t) => t.toString(),
  Format: (t, a, e, n) => formatGoLayout(t, str(a[0], 'Format', e, n)),
  Add: (t, a, e, n) => (a[0] instanceof Duration ? new GoTime(t.ns + a[0].ns, t.offsetSec, t.zone) : argErr(e, n, 'Add expects a duration')),
  Sub: (t, a, e, n) => (a[0] instanceof GoTime ? new Duration(t.ns - a[0].ns) : argErr(e, n, 'Sub expects a time')),
  AddDate: (t, a, e, n) => {
    const c = civil(t);
    const ms = Date.UTC(c.year + intArg(a[0], 'AddDate', e, n), c.month - 1 + intArg(a[1], 'AddDate', e, n), c.day + intArg(a[2], 'AddDate', e, n), c.hour, c.min, c.sec);
    return new GoTime(BigInt(ms) * 1_000_000n + BigInt(c.nsec) - BigInt(t.offsetSec) * NS_PER_SEC, t.offsetSec, t.zone);
  },
  Before: (t, a, e, n) => (a[0] instanceof GoTime ? t.ns < a[0].ns : argErr(e, n, 'Before expects a time')),
  After: (t, a, e, n) => (a[0] instanceof GoTime ? t.ns > a[0].ns : argErr(e, n, 'After expects a time')),
  Equal: (t, a, e, n) => (a[0] instanceof GoTime ? t.ns === a[0].ns : argErr(e, n, 'Equal expects a time')),
  IsZero: (t) => t.ns === -62135596800n * NS_PER_SEC,
  In: (t, a, e, n) => {
    const [off, zone] = zoneOffset(str(a[0], 'In', e, n), e, n);
    return new GoTime(t.ns, off, zone);
  },
  Truncate: (t, a, e, n) => {
    const m = a[0] instanceof Duration ? a[0].ns : argErr(e, n, 'Truncate expects a duration');
    return m <= 0n ? t : new GoTime(t.ns - (((t.ns % m) + m) % m), t.offsetSec, t.zone);
  },
};

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// ===========================================================================
// Public API

let defaultEnvFuncs: GoMap | undefined;

/**
 * The functions Argo adds to every expression environment: `sprig` namespace.
 * (asInt, asFloat, jsonpath, toJson are builtins of this evaluator.)
 */
export function argoFuncs(): GoMap {
  return (defaultEnvFuncs ??= { sprig: sprigFuncs });
}

/** Evaluate an expr-lang expression against `env`. Unknown names throw (expr.Env semantics) unless opts.strict === false. */
export function evalExpr(src: string, env: Record<string, unknown> = {}, opts: EvalOptions = {}): unknown {
  const c = compileExpr(src);
  return runCompiled(c, env, opts);
}

export function runCompiled(c: CompiledExpr, env: Record<string, unknown>, opts: EvalOptions = {}): unknown {
  const full: GoMap = Object.prototype.hasOwnProperty.call(env, 'sprig') ? env : { ...argoFuncs(), ...env };
  return new Evaluator(c.source, full, opts).ev(c.ast, undefined, undefined);
}

/**
 * Argo's rendering of an expression result into a template (util/template/expression_template.go):
 * strings are inserted raw, every other value as its JSON text (Go json.Marshal: `3`, `3.5`,
 * `1000000`, `true`, `[1,2]`, `{"a":1}` with sorted keys).
 */
export function toArgoString(v: unknown): string {
  return typeof v === 'string' ? v : toGoJSON(v);
}

/** JSON text of a value (Go json.Marshal: sorted keys, ints as ints, floats as JSON numbers). */
export function toJSONText(v: unknown): string {
  return toGoJSON(v);
}

/** Names referenced as top-level identifiers (not builtins, not let-bound), for linting. */
export function referencedNames(src: string): string[] {
  const names = new Set<string>();
  const walk = (n: Node, bound: Set<string>): void => {
    switch (n.t) {
      case 'id':
        if (!bound.has(n.name)) names.add(n.name);
        return;
      case 'unary':
        return walk(n.x, bound);
      case 'bin':
        walk(n.l, bound);
        return walk(n.r, bound);
      case 'member':
        walk(n.obj, bound);
        return walk(n.key, bound);
      case 'slice':
        walk(n.obj, bound);
        if (n.from) walk(n.from, bound);
        if (n.to) walk(n.to, bound);
        return;
      case 'call':
        if (n.callee.t !== 'id') walk(n.callee, bound);
        else if (!BUILTINS[n.callee.name] && !PREDICATE_BUILTINS.has(n.callee.name) && !bound.has(n.callee.name)) names.add(n.callee.name);
        n.args.forEach((a) => walk(a, bound));
        return;
      case 'closure':
        return walk(n.body, bound);
      case 'cond':
        walk(n.c, bound);
        walk(n.a, bound);
        return walk(n.b, bound);
      case 'array':
        return n.items.forEach((x) => walk(x, bound));
      case 'map':
        return n.entries.forEach(([k, v]) => (walk(k, bound), walk(v, bound)));
      case 'let':
        walk(n.value, bound);
        return walk(n.body, new Set([...bound, n.name]));
      case 'seq':
        return n.items.forEach((x) => walk(x, bound));
    }
  };
  walk(compileExpr(src).ast, new Set());
  return [...names];
}

// A fast reader for the plain block YAML that workflow files are nearly always written in: block
// mappings and sequences, one-line plain and quoted scalars, one-line flow sequences, `|` block
// scalars, comments and `---`. The full parser (the `yaml` package, as manifest.ts sets it up for
// YAML 1.1) costs ~2 ms per KB on a cold start: 150 ms for a 1,000-task DAG, a tenth of running it.
//
// It gives up (returns undefined) on anything it is not sure to read exactly as the full parser does:
// anchors, tags, folded or multi-line scalars, flow mappings, nested flow, unusual escapes, any plain
// scalar whose type it cannot tell at a glance, and anything malformed; the full parser then reads the
// file and reports any error with its line. A test compares the two on every upstream example.

/** The documents of `text` (empty ones as null), or undefined: use the full parser. */
export function fastParseYaml(text: string): unknown[] | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new Reader(text).documents();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}

const GIVE_UP = Symbol('give up');
function giveUp(): never {
  throw GIVE_UP;
}

interface Line {
  indent: number;
  /** The line without its indentation (a `- ` item's rest is re-read as a line of its own). */
  text: string;
}

/** YAML 1.1 plain scalars that are not strings (the `yaml` package's 1.1 schema; timestamps stay strings). */
const SPECIAL_WORDS = new Map<string, unknown>([
  ...['~', 'null', 'Null', 'NULL'].map((w): [string, unknown] => [w, null]),
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((w): [string, unknown] => [w, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((w): [string, unknown] => [w, false]),
]);
const DECIMAL_INT = /^[-+]?(0|[1-9][0-9]*)$/;
const SIMPLE_FLOAT = /^[-+]?(0|[1-9][0-9]*)\.[0-9]+$/;
/** Starts as a string must: a letter, `_`, `/`, or `-`/`.` then a letter (`--flag`, `./run.sh`, `.config`). */
const STRING_START = /^(?:[A-Za-z_/$(]|[-.][A-Za-z_/-])/;

function plainScalar(s: string): unknown {
  if (SPECIAL_WORDS.has(s)) return SPECIAL_WORDS.get(s);
  // `.inf`, `-.inf`, `.nan` and friends: floats that look like words.
  if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(s)) giveUp();
  if (STRING_START.test(s)) return s;
  if (DECIMAL_INT.test(s) && !/^[-+]0$/.test(s)) {
    // 1.1 reads 0-prefixed as octal; only `0` itself starts with 0 here. Big ones lose precision either way.
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : giveUp();
  }
  if (SIMPLE_FLOAT.test(s)) return Number(s);
  // A character no 1.1 number (decimal, 0x, 0o, 0b, sexagesimal, exponent, `_`) has: a string (`64Mi`, `10s`).
  if (/[^0-9a-fA-FxXoO+\-._:]/.test(s)) return s;
  return giveUp();
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };

class Reader {
  /** The text's lines as they are: block scalars need them (blank ones count). */
  private readonly raw: string[];
  /** The same lines with their indentation measured; undefined for blank and comment-only ones. */
  private readonly lines: (Line | undefined)[];
  /** The next line to read, and the end of the document being read. */
  private i = 0;
  private end = 0;

  constructor(text: string) {
    this.raw = text.split('\n');
    if (this.raw[this.raw.length - 1] === '') this.raw.pop(); // the text's final newline ends its last line, it starts none
    this.lines = this.raw.map((l) => {
      const t = l.trimStart();
      if (t === '' || t.startsWith('#')) return undefined;
      return { indent: l.length - t.length, text: t.trimEnd() };
    });
  }

  documents(): unknown[] {
    // Document boundaries: `---` lines. Text before the first one is a document only if it has content.
    const bounds: number[] = [];
    for (let k = 0; k < this.raw.length; k++) {
      const l = this.raw[k];
      if (l.startsWith('---') && (l.length === 3 || l[3] === ' ')) {
        const rest = l.slice(3).trim();
        if (rest && !rest.startsWith('#')) giveUp();
        bounds.push(k);
      } else if (l.startsWith('...') || l.startsWith('%')) giveUp();
    }
    const chunks: [number, number][] = [];
    const firstEnd = bounds.length ? bounds[0] : this.raw.length;
    if (this.hasContent(0, firstEnd)) chunks.push([0, firstEnd]);
    for (let b = 0; b < bounds.length; b++) chunks.push([bounds[b] + 1, b + 1 < bounds.length ? bounds[b + 1] : this.raw.length]);
    return chunks.map(([from, to]) => this.document(from, to));
  }

  private hasContent(from: number, to: number): boolean {
    for (let k = from; k < to; k++) if (this.lines[k]) return true;
    return false;
  }

  private document(from: number, to: number): unknown {
    this.i = from;
    this.end = to;
    const first = this.peek();
    if (!first) return null;
    if (first.indent !== 0) giveUp();
    const value = this.block(0);
    if (this.peek()) giveUp(); // something left the reader could not place
    return value;
  }

  /** The next line with content, without consuming it. */
  private peek(): Line | undefined {
    while (this.i < this.end && !this.lines[this.i]) this.i++;
    return this.i < this.end ? this.lines[this.i] : undefined;
  }

  private static isItem(t: string): boolean {
    return t === '-' || t.startsWith('- ');
  }

  /** A node made of the lines indented at least `min` (its first line sets its indentation). */
  private block(min: number): unknown {
    const line = this.peek();
    if (!line || line.indent < min) return null;
    if (Reader.isItem(line.text)) return this.sequence(line.indent);
    if (keyEnd(line.text) > 0) return this.mapping(line.indent);
    return giveUp(); // a multi-line scalar, or something else
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      const line = this.peek();
      if (!line || line.indent < indent) return out;
      if (line.indent > indent || Reader.isItem(line.text)) giveUp();
      const k = keyEnd(line.text);
      if (k <= 0) giveUp();
      const key = mapKey(line.text.slice(0, k));
      const rest = line.text.slice(k + 1).trim();
      const lineNo = this.i;
      this.i++;
      let value: unknown;
      if (rest === '' || rest.startsWith('#')) {
        const next = this.peek();
        if (next && next.indent > indent) value = this.block(next.indent);
        else if (next && next.indent === indent && Reader.isItem(next.text)) value = this.sequence(indent);
        else value = null;
      } else if (rest.startsWith('|')) value = this.blockScalar(rest, indent, lineNo);
      else {
        value = inlineValue(rest);
        this.noContinuation(indent);
      }
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      const line = this.peek();
      if (!line || line.indent < indent) return out;
      if (line.indent > indent) giveUp();
      if (!Reader.isItem(line.text)) return out; // the enclosing mapping's next key
      const after = line.text.slice(1);
      const rest = after.trimStart();
      const lineNo = this.i;
      if (rest === '' || rest.startsWith('#')) {
        this.i++;
        const next = this.peek();
        out.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (rest.startsWith('|')) {
        this.i++;
        out.push(this.blockScalar(rest, indent, lineNo));
      } else if (Reader.isItem(rest)) {
        // `- - x`: a sequence in a sequence (Argo's steps), at the inner dash's column.
        const col = indent + 1 + (after.length - rest.length);
        this.lines[this.i] = { indent: col, text: rest };
        out.push(this.sequence(col));
      } else if (rest.startsWith('? ')) {
        giveUp();
      } else if (keyEnd(rest) > 0 && !rest.startsWith('"') && !rest.startsWith("'") && !rest.startsWith('[') && !rest.startsWith('{')) {
        // `- key: value`: the rest is the first line of a mapping at its own column.
        const col = indent + 1 + (after.length - rest.length);
        this.lines[this.i] = { indent: col, text: rest };
        out.push(this.mapping(col));
      } else {
        this.i++;
        out.push(inlineValue(rest));
        this.noContinuation(indent);
      }
    }
  }

  /** After a one-line value, a deeper line would continue it (a multi-line scalar): not ours to read. */
  private noContinuation(indent: number): void {
    const next = this.peek();
    if (next && next.indent > indent) giveUp();
  }

  /** `|`, `|-` or `|+` at line `at`; content lines are indented deeper than `parent`. */
  private blockScalar(header: string, parent: number, at: number): string {
    const m = /^\|([-+]?)\s*(#.*)?$/.exec(header);
    if (!m) giveUp();
    const chomp = m[1];
    const body: string[] = [];
    let indent = -1;
    let k = at + 1;
    for (; k < this.end; k++) {
      const l = this.raw[k];
      const t = l.trimStart();
      if (t === '') {
        body.push(l);
        continue;
      }
      const ind = l.length - t.length;
      if (indent < 0) {
        if (ind <= parent) break;
        // Leading blank lines may not be deeper than the first content line.
        if (body.some((b) => b.length > ind)) giveUp();
        indent = ind;
      }
      if (ind < indent) break;
      body.push(l);
    }
    // Trailing blank lines belong to the scalar only for chomping; the reader goes on after them.
    let last = body.length;
    while (last > 0 && body[last - 1].trim() === '') last--;
    this.i = at + 1 + body.length;
    if (indent < 0) {
      // No content: an empty scalar (kept blank lines only matter for `|+`).
      if (chomp === '+' && body.length) giveUp();
      return '';
    }
    for (let b = last; b < body.length; b++) if (body[b].length > indent) giveUp(); // whitespace lines deeper than the scalar
    const content = body.slice(0, last).map((l) => (l.length >= indent ? l.slice(indent) : ''));
    const text = content.join('\n');
    if (chomp === '-') return text;
    if (chomp === '+') return text + '\n'.repeat(body.length - last + 1);
    return text + '\n';
  }
}

/** Where a line's mapping key ends (the index of its `:`), or -1 when it is not `key: ...`. */
function keyEnd(t: string): number {
  if (t.startsWith('"') || t.startsWith("'")) {
    const close = quotedEnd(t, 0);
    if (close < 0) return -1;
    let k = close + 1;
    while (t[k] === ' ') k++;
    return t[k] === ':' && (k + 1 === t.length || t[k + 1] === ' ') ? k : -1;
  }
  for (let k = 0; k < t.length; k++) {
    if (t[k] === ':' && (k + 1 === t.length || t[k + 1] === ' ')) return k;
    if (t[k] === ' ' && t[k + 1] === '#') return -1;
  }
  return -1;
}

function mapKey(raw: string): string {
  const k = raw.trimEnd();
  if (k.startsWith('"') || k.startsWith("'")) {
    const v = quoted(k, 0);
    if (v.end !== k.length) giveUp();
    return v.value;
  }
  // Keys are strings in manifests; anything that would read as another type, or starts with an indicator, is not ours.
  if (!/^[A-Za-z0-9_$/][A-Za-z0-9_$./-]*$/.test(k) || SPECIAL_WORDS.has(k) || k === '<<') giveUp();
  if (/^[-+.0-9]/.test(k) && !/^[A-Za-z_]/.test(k) && (DECIMAL_INT.test(k) || /^[0-9]/.test(k))) giveUp();
  return k;
}

/** A one-line value after `key:` or `- `. */
function inlineValue(rest: string): unknown {
  const c = rest[0];
  if (c === '"' || c === "'") {
    const v = quoted(rest, 0);
    trailer(rest, v.end);
    return v.value;
  }
  if (c === '[') {
    const { value, end } = flowSequence(rest, 0);
    trailer(rest, end);
    return value;
  }
  if (c === '{') {
    const { value, end } = flowMapping(rest, 0);
    trailer(rest, end);
    return value;
  }
  if ('&*!|>%@`#,]}?:-'.includes(c) && !(c === '-' && rest.length > 1 && rest[1] !== ' ')) giveUp();
  const hash = rest.indexOf(' #');
  const s = (hash >= 0 ? rest.slice(0, hash) : rest).trimEnd();
  if (s.includes(': ') || s.endsWith(':')) giveUp();
  return plainScalar(s);
}

/** Only spaces and a comment may follow a value on its line. */
function trailer(t: string, from: number): void {
  const rest = t.slice(from).trimStart();
  if (rest !== '' && !(rest.startsWith('#') && (from === t.length || t[from] === ' '))) giveUp();
}

function quotedEnd(t: string, at: number): number {
  const q = t[at];
  for (let k = at + 1; k < t.length; k++) {
    if (q === '"' && t[k] === '\\') {
      k++;
      continue;
    }
    if (t[k] === q) {
      if (q === "'" && t[k + 1] === "'") {
        k++;
        continue;
      }
      return k;
    }
  }
  return -1;
}

function quoted(t: string, at: number): { value: string; end: number } {
  const close = quotedEnd(t, at);
  if (close < 0) giveUp(); // continues on the next line
  const inner = t.slice(at + 1, close);
  if (t[at] === "'") return { value: inner.replace(/''/g, "'"), end: close + 1 };
  let out = '';
  for (let k = 0; k < inner.length; k++) {
    const ch = inner[k];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = inner[++k];
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'u' || e === 'x') {
      const n = e === 'u' ? 4 : 2;
      const hex = inner.slice(k + 1, k + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) giveUp();
      out += String.fromCharCode(parseInt(hex, 16));
      k += n;
    } else giveUp();
  }
  return { value: out, end: close + 1 };
}

/** `[a, "b", {k: [v]}]` starting at `at`, on one line; `end` is just past the `]`. */
function flowSequence(t: string, at: number): { value: unknown[]; end: number } {
  const out: unknown[] = [];
  let k = at + 1;
  const skip = () => {
    while (t[k] === ' ') k++;
  };
  skip();
  if (t[k] === ']') return { value: out, end: k + 1 };
  for (;;) {
    skip();
    const v = flowNode(t, k, ']');
    out.push(v.value);
    k = v.end;
    skip();
    if (t[k] === ',') {
      k++;
      skip();
      if (t[k] === ']') giveUp(); // a trailing comma
      continue;
    }
    if (t[k] === ']') return { value: out, end: k + 1 };
    return giveUp();
  }
}

function flowNode(t: string, k: number, close: string): { value: unknown; end: number } {
  if (t[k] === '[') return flowSequence(t, k);
  if (t[k] === '{') return flowMapping(t, k);
  return flowScalar(t, k, close);
}

/** `{a: 1, b: [x]}` starting at `at`, on one line; `end` is just past the `}`. */
function flowMapping(t: string, at: number): { value: Record<string, unknown>; end: number } {
  const out: Record<string, unknown> = {};
  let k = at + 1;
  const skip = () => {
    while (t[k] === ' ') k++;
  };
  skip();
  if (t[k] === '}') return { value: out, end: k + 1 };
  for (;;) {
    skip();
    let key: string;
    if (t[k] === '"' || t[k] === "'") {
      const q = quoted(t, k);
      key = q.value;
      k = q.end;
    } else {
      let e = k;
      while (e < t.length && !',[]{}#:'.includes(t[e])) e++;
      key = mapKey(t.slice(k, e));
      k = e;
    }
    skip();
    // `key: value` (a space after the colon: `a:b` is one plain scalar in YAML).
    if (t[k] !== ':' || t[k + 1] !== ' ') giveUp();
    k += 2;
    skip();
    if (t[k] === ',' || t[k] === '}') giveUp();
    const v = flowNode(t, k, '}');
    if (key === '__proto__') giveUp();
    out[key] = v.value;
    k = v.end;
    skip();
    if (t[k] === ',') {
      k++;
      skip();
      if (t[k] === '}') giveUp();
      continue;
    }
    if (t[k] === '}') return { value: out, end: k + 1 };
    return giveUp();
  }
}

/** A quoted or plain scalar inside a flow collection closed by `close`. */
function flowScalar(t: string, k: number, close: string): { value: unknown; end: number } {
  const c = t[k];
  if (c === '"' || c === "'") return quoted(t, k);
  let e = k;
  while (e < t.length && !',[]{}#'.includes(t[e])) e++;
  const s = t.slice(k, e).trimEnd();
  if (!s || s.includes(': ') || s.endsWith(':') || ('&*!|>%@`?-:'.includes(s[0]) && !(s[0] === '-' && s.length > 1 && s[1] !== ' '))) giveUp();
  if (t[e] !== ',' && t[e] !== close) giveUp();
  return { value: plainScalar(s), end: e };
}

/**
 * Argo's `{{…}}` tag substitution (util/template): simple tags `{{name}}` and expression tags `{{=expr}}`.
 */
import { ExprError, TemplateError } from './errors.js';
import { compileExpr, lex, runCompiled } from './exprlang.js';
import { isMap, toGoJSON, type GoMap } from './gotypes.js';

/** Flat map of dotted variable names to values (normally strings). */
export type TemplateVars = Readonly<Record<string, unknown>>;

export interface ReplaceOptions {
  /** Leave unresolvable tags verbatim instead of throwing (Argo's allowUnresolved). */
  allowUnresolved?: boolean;
  /** Called for a simple tag that is not in vars; return a string to use it, undefined to fall back. */
  onMissing?: (name: string) => string | undefined;
}

interface Tag {
  start: number; // index of "{{"
  end: number; // index after "}}"
  body: string; // text between the braces
}

const tagCache = new Map<string, Tag[]>();

/** fasttemplate's scanner: `{{` … first following `}}`. */
function scanTags(text: string): Tag[] {
  const hit = tagCache.get(text);
  if (hit) return hit;
  const tags: Tag[] = [];
  let i = 0;
  for (;;) {
    const s = text.indexOf('{{', i);
    if (s < 0) break;
    const e = text.indexOf('}}', s + 2);
    if (e < 0) throw new TemplateError(`cannot find end tag="}}" in the template starting from ${JSON.stringify(text.slice(s, s + 40))}`);
    tags.push({ start: s, end: e + 2, body: text.slice(s + 2, e) });
    i = e + 2;
  }
  if (text.length < 100_000) {
    if (tagCache.size > 5000) tagCache.clear();
    tagCache.set(text, tags);
  }
  return tags;
}

/** All tag bodies referenced in `text`, trimmed; expression tags keep their leading `=`. */
export function findTags(text: string): string[] {
  return scanTags(text).map((t) => (t.body.startsWith('=') ? '=' + t.body.slice(1).trim() : t.body.trim()));
}

/**
 * Argo's `expand`: turn `{"inputs.parameters.x": "1"}` into `{inputs: {parameters: {x: "1"}}}`.
 * A key that is also the parent of other keys (`a.b` and `a.b.c`) is dropped in favour of the
 * more specific keys, as Argo's removeConflicts intends.
 */
export function buildExprEnv(vars: TemplateVars): GoMap {
  const keys = Object.keys(vars);
  const set = new Set(keys);
  const parents = new Set<string>();
  for (const k of keys) {
    let idx = k.indexOf('.');
    while (idx > 0) {
      const p = k.slice(0, idx);
      if (set.has(p)) parents.add(p);
      idx = k.indexOf('.', idx + 1);
    }
  }
  const root: GoMap = {};
  for (const k of keys) {
    if (parents.has(k)) continue;
    const parts = k.split('.');
    let cur = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      let next = cur[p];
      if (!isMap(next)) {
        next = {};
        cur[p] = next;
      }
      cur = next as GoMap;
    }
    const leaf = parts[parts.length - 1]!;
    const v = vars[k];
    // merge with an already expanded map value rather than clobbering it
    if (isMap(cur[leaf]) && isMap(v)) Object.assign(cur[leaf] as GoMap, v);
    else cur[leaf] = v;
  }
  return root;
}

/** Has `variable` (e.g. `workflow.status`) as a token sequence in the expression (Argo hasVariableInExpression). */
function hasVariableInExpression(expression: string, variable: string): boolean {
  if (!expression.includes(variable)) return false;
  let toks: ReturnType<typeof lex>;
  try {
    toks = lex(expression);
  } catch {
    return false;
  }
  const needle = lex(variable).filter((t) => t.k !== 'eof');
  outer: for (let i = 0; i + needle.length <= toks.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      const a = toks[i + j]!;
      const b = needle[j]!;
      if (a.k !== b.k || a.v !== b.v) continue outer;
    }
    return true;
  }
  return false;
}

const DEFERRED_VARS = ['retries', 'lastRetry.exitCode', 'lastRetry.status', 'lastRetry.duration', 'lastRetry.message', 'workflow.status', 'workflow.failures'];

/** JSON-escape a string for insertion inside a JSON string literal (no surrounding quotes). */
function jsonEscapeBody(s: string): string {
  const q = JSON.stringify(s);
  return q.slice(1, q.length - 1);
}

/** Argo's rendering of an expression result: strings raw, everything else as JSON text. */
export function exprResultToString(result: unknown): string {
  if (typeof result === 'string') return result;
  return toGoJSON(result);
}

interface Ctx {
  vars: TemplateVars;
  opts: ReplaceOptions;
  json: boolean;
  env?: GoMap;
}

function replaceExpression(ctx: Ctx, tag: Tag): string {
  const raw = tag.body.slice(1);
  const verbatim = `{{${tag.body}}}`;
  const allow = ctx.opts.allowUnresolved ?? false;
  let expression = raw;
  if (ctx.json) {
    // The template is JSON text: undo JSON escapes inside the tag.
    try {
      expression = JSON.parse(`"${raw}"`) as string;
    } catch (e) {
      if (allow) return verbatim;
      throw new TemplateError(`failed to unmarshall JSON expression: ${(e as Error).message}`);
    }
  }
  if (allow && DEFERRED_VARS.some((v) => hasVariableInExpression(expression, v) && !Object.prototype.hasOwnProperty.call(ctx.vars, v))) {
    return verbatim;
  }
  let result: unknown;
  try {
    const compiled = compileExpr(expression);
    ctx.env ??= buildExprEnv(ctx.vars);
    result = runCompiled(compiled, ctx.env);
  } catch (e) {
    if (allow) return verbatim;
    const msg = e instanceof ExprError ? e.message : String(e);
    throw new TemplateError(`failed to evaluate expression: ${msg}`);
  }
  if (result === null || result === undefined) {
    if (allow) return verbatim;
    throw new TemplateError(`failed to evaluate expression ${JSON.stringify(raw)}`);
  }
  let text: string;
  try {
    text = exprResultToString(result);
  } catch (e) {
    if (allow) return verbatim;
    throw new TemplateError(`failed to marshal evaluated expression: ${(e as Error).message}`);
  }
  return ctx.json ? jsonEscapeBody(text) : text;
}

function replaceSimple(ctx: Ctx, tag: Tag): string {
  const name = tag.body.trim();
  let value: unknown;
  if (Object.prototype.hasOwnProperty.call(ctx.vars, name)) value = ctx.vars[name];
  else value = ctx.opts.onMissing?.(name);
  if (value === undefined) {
    if (ctx.opts.allowUnresolved) return `{{${tag.body}}}`;
    throw new TemplateError(`failed to resolve {{${tag.body}}}`);
  }
  if (typeof value !== 'string') {
    if (value === null) throw new TemplateError(`failed to resolve {{${tag.body}}} to string`);
    value = exprResultToString(value);
  }
  return ctx.json ? jsonEscapeBody(value as string) : (value as string);
}

function replaceWith(text: string, ctx: Ctx): string {
  const tags = scanTags(text);
  if (tags.length === 0) return text;
  let out = '';
  let last = 0;
  for (const tag of tags) {
    out += text.slice(last, tag.start);
    out += tag.body.startsWith('=') ? replaceExpression(ctx, tag) : replaceSimple(ctx, tag);
    last = tag.end;
  }
  return out + text.slice(last);
}

/** Substitute `{{…}}` tags in plain text (values inserted raw). */
export function replaceTags(text: string, vars: TemplateVars, opts: ReplaceOptions = {}): string {
  return replaceWith(text, { vars, opts, json: false });
}

/** Substitute in JSON text: values are JSON-string-escaped so the result stays valid JSON (Argo's template.Replace). */
export function replaceTagsInJSON(jsonText: string, vars: TemplateVars, opts: ReplaceOptions = {}): string {
  try {
    JSON.parse(jsonText);
  } catch {
    throw new TemplateError('cannot do template replacements with invalid JSON');
  }
  const out = replaceWith(jsonText, { vars, opts, json: true });
  try {
    JSON.parse(out);
  } catch {
    throw new TemplateError('cannot finish template replacement because the result was invalid JSON');
  }
  return out;
}

/** Serialise `obj` to JSON, substitute tags with JSON escaping, and parse it back. */
export function substituteObject<T>(obj: T, vars: TemplateVars, opts: ReplaceOptions = {}): T {
  const text = JSON.stringify(obj);
  if (text === undefined || !text.includes('{{')) return obj;
  return JSON.parse(replaceTagsInJSON(text, vars, opts)) as T;
}

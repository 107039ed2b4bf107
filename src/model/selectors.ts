// Label and field selectors with apimachinery's grammar: `=`, `==`, `!=`, `in`, `notin`, exists, `!key`,
// `gt`/`lt` (`>`/`<`), comma meaning AND; plus LabelSelector objects (matchLabels / matchExpressions).
import { ApiError } from './errors.js';
import { labelValue, qualifiedName } from './validation.js';

export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A parsed label selector. An empty selector matches everything. */
export class LabelSelector {
  constructor(readonly requirements: Requirement[]) {}

  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const v = l[r.key];
      switch (r.operator) {
        case '=':
        case 'in':
          if (!has || !r.values.includes(v)) return false;
          break;
        case '!=':
        case 'notin':
          if (has && r.values.includes(v)) return false;
          break;
        case 'exists':
          if (!has) return false;
          break;
        case '!':
          if (has) return false;
          break;
        case 'gt':
        case 'lt': {
          if (!has) return false;
          // As strconv.ParseInt: an optionally signed run of digits ('' and '1e3' are not integers).
          if (!/^[+-]?\d+$/.test(v)) return false;
          const n = Number(v);
          const bound = Number(r.values[0]);
          if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
          break;
        }
      }
    }
    return true;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements
      .map((r) => {
        switch (r.operator) {
          case 'exists':
            return r.key;
          case '!':
            return `!${r.key}`;
          case '=':
          case '!=':
            return `${r.key}${r.operator}${r.values[0]}`;
          case 'gt':
            return `${r.key}>${r.values[0]}`;
          case 'lt':
            return `${r.key}<${r.values[0]}`;
          default:
            return `${r.key} ${r.operator} (${r.values.join(',')})`;
        }
      })
      .join(',');
  }
}

type Tok = { t: 'id' | 'op' | '(' | ')' | ','; v: string; pos: number };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      toks.push({ t: c, v: c, pos: i });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      toks.push({ t: 'op', v: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '=' || c === '!' || c === '>' || c === '<') {
      toks.push({ t: 'op', v: c, pos: i });
      i++;
      continue;
    }
    let j = i;
    while (j < src.length && !' \t(),=!<>'.includes(src[j])) j++;
    toks.push({ t: 'id', v: src.slice(i, j), pos: i });
    i = j;
  }
  return toks;
}

function selectorError(selector: string, message: string): ApiError {
  return new ApiError('BadRequest', `unable to parse requirement: ${message} in label selector "${selector}"`);
}

function checkKey(selector: string, key: string): void {
  const errs = qualifiedName(key);
  if (errs.length) throw new ApiError('BadRequest', `invalid label key "${key}": ${errs[0]} (in label selector "${selector}")`);
}

function checkValue(selector: string, value: string): void {
  const errs = labelValue(value);
  if (errs.length) throw new ApiError('BadRequest', `invalid label value: "${value}": ${errs[0]} (in label selector "${selector}")`);
}

/** Parse a label selector string; throws a BadRequest ApiError that quotes the selector. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector || !selector.trim()) return new LabelSelector([]);
  const toks = tokenize(selector);
  const reqs: Requirement[] = [];
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  while (p < toks.length) {
    let tok = next();
    if (tok.t === 'op' && tok.v === '!') {
      const key = next();
      if (!key || key.t !== 'id') throw selectorError(selector, "expected a key after '!'");
      checkKey(selector, key.v);
      reqs.push({ key: key.v, operator: '!', values: [] });
    } else if (tok.t === 'id') {
      const key = tok.v;
      checkKey(selector, key);
      const op = peek();
      if (!op || op.t === ',') {
        reqs.push({ key, operator: 'exists', values: [] });
      } else if (op.t === 'op') {
        next();
        const val = peek() && peek().t === 'id' ? next().v : '';
        if (op.v === '>' || op.v === '<') {
          if (!/^-?\d+$/.test(val)) throw selectorError(selector, `for 'gt', 'lt' operators, exactly one integer value is required, found "${val}"`);
          reqs.push({ key, operator: op.v === '>' ? 'gt' : 'lt', values: [val] });
        } else if (op.v === '!') {
          throw selectorError(selector, `found '!', expected: '=', '!=', '==', 'in', notin'`);
        } else {
          checkValue(selector, val);
          reqs.push({ key, operator: op.v === '!=' ? '!=' : '=', values: [val] });
        }
      } else if (op.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
        next();
        const open = next();
        if (!open || open.t !== '(') throw selectorError(selector, `found '${open?.v ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          tok = next();
          if (!tok) throw selectorError(selector, "found '', expected: ')'");
          if (tok.t === ')') break;
          if (tok.t === ',') continue;
          if (tok.t !== 'id') throw selectorError(selector, `found '${tok.v}', expected: ',', ')' or identifier`);
          checkValue(selector, tok.v);
          values.push(tok.v);
        }
        if (values.length === 0 && op.v === 'in') throw selectorError(selector, "for 'in', 'notin' operators, values set can't be empty");
        reqs.push({ key, operator: op.v, values });
      } else {
        throw selectorError(selector, `found '${op.v}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      throw selectorError(selector, `found '${tok.v}', expected: !, identifier, or 'end of string'`);
    }
    const sep = peek();
    if (sep) {
      if (sep.t !== ',') throw selectorError(selector, `found '${sep.v}', expected: ',' or 'end of string'`);
      next();
    }
  }
  return new LabelSelector(reqs);
}

/** Convert a LabelSelector object (as in Deployment specs) to a parsed selector. */
export function labelSelectorFromObject(obj: LabelSelectorObject | undefined, field = 'selector'): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(obj?.matchLabels ?? {})) reqs.push({ key, operator: '=', values: [value] });
  for (const [i, e] of (obj?.matchExpressions ?? []).entries()) {
    const op = e.operator;
    const map: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
    if (!(op in map)) {
      throw new ApiError('BadRequest', `${field}.matchExpressions[${i}].operator: Unsupported value: "${op}": supported values: "In", "NotIn", "Exists", "DoesNotExist"`);
    }
    reqs.push({ key: e.key, operator: map[op], values: e.values ?? [] });
  }
  return new LabelSelector(reqs);
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export class FieldSelector {
  constructor(readonly requirements: FieldRequirement[]) {}

  matches(get: (field: string) => string | undefined): boolean {
    for (const r of this.requirements) {
      const v = get(r.field) ?? '';
      if (r.operator === '=' ? v !== r.value : v === r.value) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
}

/** Field selectors: `field=value`, `field==value`, `field!=value`, comma = AND; `\,` escapes a comma. */
export function parseFieldSelector(selector: string | undefined): FieldSelector {
  if (!selector || !selector.trim()) return new FieldSelector([]);
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '\\' && i + 1 < selector.length) {
      cur += selector[++i];
    } else if (selector[i] === ',') {
      parts.push(cur);
      cur = '';
    } else cur += selector[i];
  }
  parts.push(cur);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new ApiError('BadRequest', `invalid field selector: "${part}" is not of the form field=value, field==value or field!=value`);
    reqs.push({ field: m[1], operator: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return new FieldSelector(reqs);
}

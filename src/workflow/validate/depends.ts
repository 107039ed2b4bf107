// A small parser for DAG `depends` expressions: `A && (B.Failed || !C.Skipped)`.

export const TASK_RESULTS = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed'] as const;
const ITEM_RESULTS = new Set(['AnySucceeded', 'AllFailed']);

export interface DependsRef {
  task: string;
  result?: string;
  /** `.AnySucceeded` / `.AllFailed`: only meaningful for a looping task. */
  itemsBased: boolean;
}

export interface DependsParse {
  refs: DependsRef[];
  errors: string[];
}

type Token = { kind: 'ref'; text: string; at: number } | { kind: 'op'; text: string; at: number };

function tokenize(s: string, errors: string[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (s.startsWith('&&', i) || s.startsWith('||', i)) {
      out.push({ kind: 'op', text: s.slice(i, i + 2), at: i });
      i += 2;
    } else if (c === '!' || c === '(' || c === ')') {
      out.push({ kind: 'op', text: c, at: i });
      i++;
    } else {
      const m = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/.exec(s.slice(i));
      if (!m) {
        errors.push(`unexpected '${c}' at offset ${i} (use task names, .Succeeded/.Failed/…, &&, ||, ! and parentheses)`);
        return out;
      }
      out.push({ kind: 'ref', text: m[0], at: i });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses a depends expression, returning the task references and any syntax problems. */
export function parseDepends(expr: string): DependsParse {
  const errors: string[] = [];
  const refs: DependsRef[] = [];
  const toks = tokenize(expr, errors);
  if (errors.length) return { refs, errors };
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(msg);
  };
  const peek = (): Token | undefined => toks[pos];
  const primary = (): void => {
    const t = toks[pos++];
    if (!t) fail('unexpected end of expression');
    else if (t.kind === 'op' && t.text === '!') primary();
    else if (t.kind === 'op' && t.text === '(') {
      disjunction();
      const close = toks[pos++];
      if (!close || close.text !== ')') fail(`missing ')' for '(' at offset ${t.at}`);
    } else if (t.kind === 'ref') {
      const [task, result] = t.text.split('.');
      if (result !== undefined && !(TASK_RESULTS as readonly string[]).includes(result)) {
        errors.push(`task result '${result}' for task '${task}' is invalid (valid: ${TASK_RESULTS.join(', ')})`);
      }
      refs.push({ task, result, itemsBased: result !== undefined && ITEM_RESULTS.has(result) });
    } else fail(`unexpected '${t.text}' at offset ${t.at}`);
  };
  const conjunction = (): void => {
    primary();
    while (peek()?.text === '&&') {
      pos++;
      primary();
    }
  };
  const disjunction = (): void => {
    conjunction();
    while (peek()?.text === '||') {
      pos++;
      conjunction();
    }
  };
  try {
    if (toks.length === 0) fail('empty expression');
    disjunction();
    const rest = peek();
    if (rest) fail(`unexpected '${rest.text}' at offset ${rest.at}`);
  } catch (e) {
    errors.push((e as Error).message);
  }
  return { refs, errors };
}

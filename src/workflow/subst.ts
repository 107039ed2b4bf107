// The one place the workflow engine calls into the expression languages, so the rest of the
// engine speaks in terms of Vars and Argo's rules.
import { evalExpr } from '../expr/exprlang.js';
import { evalWhen } from '../expr/govaluate.js';
import { buildExprEnv, findTags, replaceTags, substituteObject } from '../expr/template.js';
import type { Vars } from './scope.js';

/** Substitute `{{…}}` tags through a JSON-shaped value; unknown tags stay for a later pass. */
export function substitute<T>(value: T, vars: Vars): T {
  if (value === undefined || value === null) return value;
  return substituteObject(value, vars, { allowUnresolved: true });
}

/**
 * The variables whose values decide what `substitute` makes of a value, given its JSON text: the names
 * in its simple tags; undefined when it holds an expression tag (`{{= …}}`), which may read any of them.
 */
export function referencedNames(jsonText: string): string[] | undefined {
  const tags = findTags(jsonText);
  if (tags.some((t) => t.startsWith('='))) return undefined;
  return [...new Set(tags)];
}

/** Substitute in one string; with `strict`, an unresolved tag is an error. */
export function substituteString(text: string, vars: Vars, strict = false): string {
  return replaceTags(text, vars, { allowUnresolved: !strict });
}

/** A step/task `when`: substitute first, then govaluate with Argo's bare-word rule. */
export function evaluateWhen(when: string, vars: Vars): boolean {
  const text = replaceTags(when, vars, { allowUnresolved: false });
  return evalWhen(text);
}

/** An expr-lang expression over the scope (as `{{= … }}`, `depends`, `retryStrategy.expression`). */
export function evaluateExpression(expression: string, vars: Vars, extra: Record<string, unknown> = {}): unknown {
  return evalExpr(expression, { ...buildExprEnv(vars), ...extra });
}

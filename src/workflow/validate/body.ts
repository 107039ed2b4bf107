// Validates one template completely: its own fields, then its body (steps, DAG or leaf) and the
// variables it uses.
import type { Template } from '../../model/argo.js';
import { validateDag } from './dag.js';
import { Scope, checkVariables } from './scope.js';
import { validateSteps } from './steps.js';
import { checkTemplate, isLeaf, templateScope, templateType } from './templates.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

/**
 * `outer` is the scope of the step or task that holds an inline template (its loop variables and
 * earlier steps); top-level templates start from the global scope.
 */
export function validateTemplateBody(sc: SpecContext, tmpl: Template, path: string, outer?: Scope): void {
  checkTemplate(sc, tmpl, path);
  if (!isObject(tmpl)) return;
  const scope = templateScope(tmpl, outer ?? sc.globals);
  const say = (p: string, m: string): void => report(sc, p, m);
  const t = templateType(tmpl);
  if (t === undefined) return;
  if (isLeaf(tmpl)) {
    checkVariables(tmpl, path, scope, say);
    return;
  }
  const bodyScope = t === 'steps' ? validateSteps(sc, tmpl, path, scope) : validateDag(sc, tmpl, path, scope);
  // Everything but the body itself uses the template's own scope; outputs may also use its children's.
  checkVariables(tmpl, path, scope, say, { skip: (k, p) => p === child(path, k) && (k === 'steps' || k === 'dag' || k === 'outputs') });
  checkVariables(tmpl.outputs, child(path, 'outputs'), bodyScope, say);
}

// `steps` templates: names, groups, and which earlier steps' outputs each step may use.
import type { Template, WorkflowStep } from '../../model/argo.js';
import { fieldNameErrors } from './names.js';
import { checkInvocation } from './invocation.js';
import { addNodeOutputs } from './references.js';
import { Scope, checkVariables } from './scope.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

/** Validates the step groups; returns the scope the template's outputs may use (all steps' outputs). */
export function validateSteps(sc: SpecContext, tmpl: Template, path: string, base: Scope): Scope {
  const groupsPath = child(path, 'steps');
  const groups = tmpl.steps;
  const scope = base.clone();
  if (!Array.isArray(groups)) {
    report(sc, groupsPath, 'steps must be a list of step groups (a list of lists)');
    return scope;
  }
  const seen = new Set<string>();
  const allNames = new Set(groups.flatMap((g) => (Array.isArray(g) ? g.map((st) => (isObject(st) ? st.name : undefined)) : [])));
  const earlier = new Set<string>();
  groups.forEach((group, gi) => {
    const gpath = child(groupsPath, gi);
    if (!Array.isArray(group)) {
      report(sc, gpath, 'each step group must be a list of steps (use "- - name: …")');
      return;
    }
    const finished: [string, ReturnType<typeof checkInvocation>][] = [];
    group.forEach((step: WorkflowStep, si) => {
      const spath = child(gpath, si);
      if (!isObject(step)) {
        report(sc, spath, 'step must be an object');
        return;
      }
      const name = step.name;
      if (!name) {
        report(sc, child(spath, 'name'), 'name is required');
      } else {
        const errs = fieldNameErrors(String(name));
        if (errs.length) report(sc, child(spath, 'name'), `name '${name}' is invalid: ${errs.join('; ')}`);
        if (seen.has(name)) report(sc, child(spath, 'name'), `name '${name}' is not unique`);
        seen.add(name);
      }
      const stepScope = scope.clone();
      const check = checkInvocation(sc, step, spath, stepScope);
      if (name && (step.hooks || step.onExit)) {
        // A step's exit hooks may use the step's own outputs and status.
        addNodeOutputs(sc, stepScope, `steps.${name}`, check.resolved, check.loops, true);
      }
      checkVariables(step, spath, stepScope, (p, m) => report(sc, p, m), {
        skip: (k, p) => k === 'inline' && p === child(spath, 'inline'),
        special: (tag, p) => {
          const m = /^steps\.([^.]+)\./.exec(tag);
          if (!m || stepScope.has(tag) || !allNames.has(m[1]) || earlier.has(m[1]) || m[1] === 'name') return false;
          report(sc, p, `failed to resolve {{${tag}}}: step '${m[1]}' must be in an earlier step group than '${name}'`);
          return true;
        },
      });
      if (name) finished.push([name, check]);
    });
    // Only later groups see this group's steps.
    for (const [name, check] of finished) {
      addNodeOutputs(sc, scope, `steps.${name}`, check.resolved, check.loops, true);
      earlier.add(name);
    }
  });
  return scope;
}

// Checks shared by steps and DAG tasks: loops, arguments, the called template, hooks and `when`.
import type { Template, TemplateInvocation } from '../../model/argo.js';
import { validateTemplateBody } from './body.js';
import {
  addLoopVariables,
  checkArguments,
  checkBalanced,
  checkHooks,
  checkInputsSupplied,
  resolveByName,
  resolveInvocation,
  type Resolved,
} from './references.js';
import type { Scope } from './scope.js';
import type { SpecContext } from './types.js';
import { child, isObject } from './types.js';

export interface InvocationCheck {
  resolved: Resolved;
  /** Whether the invocation loops (withItems/withParam/withSequence). */
  loops: boolean;
}

/**
 * Checks one step or task. `scope` already holds what the invocation may reference; loop variables are
 * added to it. The inline template, if any, is validated as a template of its own.
 */
export function checkInvocation(sc: SpecContext, inv: TemplateInvocation, path: string, scope: Scope): InvocationCheck {
  const loops = addLoopVariables(sc, inv, scope, path);
  checkArguments(sc, inv.arguments, child(path, 'arguments'), 'arguments', false);
  const resolved = resolveInvocation(sc, inv, path);
  if (resolved.tmpl) {
    checkInputsSupplied(sc, resolved.tmpl, inv.arguments, inv.arguments ? child(path, 'arguments') : path);
  }
  if (isObject(inv.inline)) {
    validateTemplateBody(sc, inv.inline as Template, child(path, 'inline'), scope);
  }
  checkHooks(sc, inv.hooks, child(path, 'hooks'));
  if (typeof inv.onExit === 'string' && inv.onExit) resolveByName(sc, inv.onExit, child(path, 'onExit'));
  if (typeof inv.when === 'string') checkBalanced(sc, inv.when, child(path, 'when'));
  return { resolved, loops };
}

// `dag` templates: task names, dependencies, cycles, targets, and which tasks' outputs each task may use.
import type { DAGTask, Template } from '../../model/argo.js';
import { checkNamedList } from './names.js';
import { parseDepends } from './depends.js';
import { checkInvocation, type InvocationCheck } from './invocation.js';
import { addNodeOutputs } from './references.js';
import { Scope, checkVariables, hasTag } from './scope.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

interface TaskInfo {
  task: DAGTask;
  path: string;
  deps: string[];
}

function findCycle(infos: Map<string, TaskInfo>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 1);
    stack.push(name);
    for (const d of infos.get(name)?.deps ?? []) {
      if (!infos.has(d)) continue;
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(name, 2);
    return undefined;
  };
  for (const name of infos.keys()) {
    if (!state.has(name)) {
      const c = visit(name);
      if (c) return c;
    }
  }
  return undefined;
}

function ancestors(infos: Map<string, TaskInfo>, name: string): Set<string> {
  const out = new Set<string>();
  const pending = [...(infos.get(name)?.deps ?? [])];
  while (pending.length) {
    const d = pending.pop()!;
    if (out.has(d) || !infos.has(d)) continue;
    out.add(d);
    pending.push(...infos.get(d)!.deps);
  }
  out.delete(name);
  return out;
}

/** Names the argument a path points into, for Argo's "missing dependency" wording. */
function argumentLabel(task: DAGTask, tpath: string, p: string): string {
  const m = new RegExp(`^${tpath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.arguments\\.(parameters|artifacts)\\[(\\d+)\\]`).exec(p);
  if (!m) return '';
  const list = m[1] === 'parameters' ? task.arguments?.parameters : task.arguments?.artifacts;
  const name = list?.[Number(m[2])]?.name;
  return name ? ` for ${m[1] === 'parameters' ? 'parameter' : 'artifact'} '${name}'` : '';
}

/** Validates a DAG; returns the scope its outputs may use (every task's outputs). */
export function validateDag(sc: SpecContext, tmpl: Template, path: string, base: Scope): Scope {
  const dpath = child(path, 'dag');
  const dag = tmpl.dag;
  const outScope = base.clone();
  if (!isObject(dag)) return outScope;
  const tpath = child(dpath, 'tasks');
  const tasks = Array.isArray(dag.tasks) ? dag.tasks : [];
  if (tasks.length === 0) {
    report(sc, tpath, 'must have at least one task');
    return outScope;
  }
  checkNamedList(tasks, tpath, 'field', sc.issues);
  const usingDepends = tasks.some((t) => isObject(t) && t.depends);

  const infos = new Map<string, TaskInfo>();
  tasks.forEach((task, i) => {
    if (!isObject(task) || !task.name) return;
    const p = child(tpath, i);
    if (!infos.has(task.name)) infos.set(task.name, { task, path: p, deps: [] });
  });

  tasks.forEach((task, i) => {
    if (!isObject(task) || !task.name) return;
    const p = child(tpath, i);
    const info = infos.get(task.name)!;
    if (info.path !== p) return; // duplicate name, already reported
    const usesDeps = Array.isArray(task.dependencies) && task.dependencies.length > 0;
    if ((usingDepends || usesDeps) && /^[0-9]/.test(task.name)) {
      report(sc, child(p, 'name'), `task name '${task.name}' cannot begin with a digit when using either 'depends' or 'dependencies'`);
    }
    if (usingDepends && usesDeps) {
      report(sc, child(p, 'dependencies'), "cannot use both 'depends' and 'dependencies' in the same DAG template");
    }
    if (usingDepends && task.continueOn !== undefined) {
      report(sc, child(p, 'continueOn'), "cannot use 'continueOn' when using 'depends'. Instead use 'dep-task.Failed'/'dep-task.Errored'");
    }
    if (typeof task.depends === 'string' && task.depends.trim() !== '') {
      const parsed = parseDepends(task.depends);
      for (const e of parsed.errors) report(sc, child(p, 'depends'), e);
      for (const ref of parsed.refs) {
        if (!info.deps.includes(ref.task)) info.deps.push(ref.task);
        const dep = infos.get(ref.task);
        if (!dep) {
          report(sc, child(p, 'depends'), `dependency '${ref.task}' not defined (tasks: ${[...infos.keys()].join(', ')})`);
        } else if (ref.itemsBased && !dep.task.withItems && !dep.task.withParam && !dep.task.withSequence) {
          report(sc, child(p, 'depends'), `dependency '${ref.task}' uses an items-based condition such as .AnySucceeded or .AllFailed but does not contain any items`);
        }
      }
    } else if (task.depends !== undefined && typeof task.depends !== 'string') {
      report(sc, child(p, 'depends'), 'depends must be a string such as "A && (B.Failed || C)"');
    }
    if (Array.isArray(task.dependencies)) {
      task.dependencies.forEach((d, j) => {
        if (!info.deps.includes(d)) info.deps.push(d);
        if (!infos.has(d)) report(sc, `${p}.dependencies[${j}]`, `dependency '${d}' not defined (tasks: ${[...infos.keys()].join(', ')})`);
      });
    }
  });

  const cycle = findCycle(infos);
  if (cycle) report(sc, infos.get(cycle[0])!.path, `dependency cycle detected: ${cycle.join('->')}`);

  if (typeof dag.target === 'string' && dag.target.trim() !== '') {
    for (const t of dag.target.split(' ').filter(Boolean)) {
      if (!hasTag(t) && !infos.has(t)) report(sc, child(dpath, 'target'), `target '${t}' is not defined`);
    }
  }

  // Resolve every task first, so ancestors' outputs are known when checking variables.
  const checks = new Map<string, InvocationCheck>();
  const scopes = new Map<string, Scope>();
  tasks.forEach((task, i) => {
    if (!isObject(task)) return;
    const p = child(tpath, i);
    const own = base.clone();
    const check = checkInvocation(sc, task, p, own);
    if (task.name && infos.get(task.name)?.path === p) {
      checks.set(task.name, check);
      scopes.set(task.name, own);
    }
  });

  for (const [name, info] of infos) {
    const check = checks.get(name)!;
    const scope = scopes.get(name)!;
    // Worked out only for a task that refers to other tasks: in a 900-task lattice (every task a
    // descendant of most others) all of them would be 400,000 set entries.
    let known: Set<string> | undefined;
    const anc = () => (known ??= cycle ? new Set<string>() : ancestors(infos, name));
    // Only a task that mentions `tasks` can use an ancestor's outputs (nor fill the scope with them).
    if (JSON.stringify(info.task).includes('tasks')) {
      for (const a of anc()) {
        const c = checks.get(a);
        if (c) addNodeOutputs(sc, scope, `tasks.${a}`, c.resolved, c.loops, true);
      }
    }
    const selfOk = Boolean(info.task.hooks || info.task.onExit);
    if (selfOk) addNodeOutputs(sc, scope, `tasks.${name}`, check.resolved, check.loops, true);
    checkVariables(info.task, info.path, scope, (p, m) => report(sc, p, m), {
      skip: (k, p) => k === 'inline' && p === child(info.path, 'inline'),
      special: (tag, p) => {
        const m = /^tasks\.([^.]+)\./.exec(tag);
        if (!m || !infos.has(m[1]) || anc().has(m[1]) || (selfOk && m[1] === name) || cycle) return false;
        report(sc, p, `missing dependency '${m[1]}'${argumentLabel(info.task, info.path, p)}: task '${name}' uses {{${tag}}} but does not depend on '${m[1]}'`);
        return true;
      },
    });
  }

  for (const [name, c] of checks) {
    addNodeOutputs(sc, outScope, `tasks.${name}`, c.resolved, c.loops, true);
  }
  return outScope;
}

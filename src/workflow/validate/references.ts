// What a step, task, hook or entrypoint calls: `template`, `templateRef` or `inline`; and whether the
// caller's arguments satisfy the callee's inputs.
import type { Arguments, Artifact, Template, TemplateRef, WorkflowTemplate } from '../../model/argo.js';
import { checkNamedList } from './names.js';
import { Scope, hasTag } from './scope.js';
import { artifactHasSource, hasResult, templateType } from './templates.js';
import type { SpecContext } from './types.js';
import { child, isObject, report } from './types.js';

export interface Resolved {
  /** The called template, when it could be found. */
  tmpl?: Template;
  /** False when the target cannot be known here (a templated name, or a template not in the context). */
  known: boolean;
  /** Where the template came from, for messages. */
  origin?: string;
}

const UNKNOWN: Resolved = { known: false };

export function lookupTemplateRef(sc: SpecContext, ref: TemplateRef): { holder?: WorkflowTemplate; resource: string } {
  const resource = ref.clusterScope ? 'clusterworkflowtemplates.argoproj.io' : 'workflowtemplates.argoproj.io';
  const holder = ref.clusterScope ? sc.ctx.getClusterWorkflowTemplate(ref.name) : sc.ctx.getWorkflowTemplate(ref.name, sc.namespace);
  return { holder, resource };
}

function findIn(holder: WorkflowTemplate | undefined, name: string): Template | undefined {
  return holder?.spec?.templates?.find((t) => t?.name === name);
}

/** Resolves a template name in the spec being validated. */
export function resolveByName(sc: SpecContext, name: unknown, path: string): Resolved {
  if (typeof name !== 'string' || name === '') {
    report(sc, path, 'template name is required');
    return UNKNOWN;
  }
  if (hasTag(name)) return UNKNOWN;
  const found = sc.templates.get(name);
  if (!found) {
    const names = [...sc.templates.keys()];
    report(sc, path, `template '${name}' not found${names.length ? ` (templates: ${names.join(', ')})` : ''}`);
    return UNKNOWN;
  }
  return { tmpl: found.tmpl, known: true };
}

/** Resolves a step's, task's or hook's target. `path` is the invocation's own path. */
export function resolveInvocation(
  sc: SpecContext,
  inv: { template?: unknown; templateRef?: unknown; inline?: unknown },
  path: string,
): Resolved {
  const set = (['template', 'templateRef', 'inline'] as const).filter((k) => inv[k] !== undefined && inv[k] !== null && inv[k] !== '');
  if (set.length === 0) {
    report(sc, path, 'one of template, templateRef or inline is required');
    return UNKNOWN;
  }
  if (set.includes('template') && set.includes('templateRef')) {
    report(sc, child(path, 'template'), 'template name cannot be specified with templateRef.');
    return UNKNOWN;
  }
  if (set.length > 1) {
    report(sc, path, `only one of template, templateRef or inline may be set (found ${set.join(' and ')})`);
    return UNKNOWN;
  }
  if (set[0] === 'inline') {
    return isObject(inv.inline) ? { tmpl: inv.inline as Template, known: true, origin: 'inline' } : UNKNOWN;
  }
  if (set[0] === 'template') return resolveByName(sc, inv.template, child(path, 'template'));

  const ref = inv.templateRef as TemplateRef;
  const rpath = child(path, 'templateRef');
  if (!isObject(ref)) {
    report(sc, rpath, 'templateRef must be an object with name and template');
    return UNKNOWN;
  }
  if (!ref.name) {
    report(sc, child(rpath, 'name'), 'resource name is required');
    return UNKNOWN;
  }
  if (!ref.template) {
    report(sc, child(rpath, 'template'), 'template name is required');
    return UNKNOWN;
  }
  if (hasTag(ref.name) || hasTag(ref.template)) return UNKNOWN;
  const { holder, resource } = lookupTemplateRef(sc, ref);
  if (!holder) {
    if (sc.opts.lint || sc.opts.submit) report(sc, child(rpath, 'name'), `${resource} "${ref.name}" not found`);
    return UNKNOWN;
  }
  const tmpl = findIn(holder, ref.template);
  if (!tmpl) {
    report(sc, child(rpath, 'template'), `template reference ${ref.name}.${ref.template} not found`);
    return UNKNOWN;
  }
  return { tmpl, known: true, origin: `${ref.name}.${ref.template}` };
}

/** Argo's checks of an `arguments` block (spec.arguments, a step's or a task's arguments). */
export function checkArguments(sc: SpecContext, args: Arguments | undefined, path: string, label: string, allowEmptyValues: boolean): void {
  if (args === undefined || args === null) return;
  if (!isObject(args)) {
    report(sc, path, 'arguments must be an object with parameters and artifacts');
    return;
  }
  checkNamedList(args.parameters, child(path, 'parameters'), 'param', sc.issues);
  checkNamedList(args.artifacts, child(path, 'artifacts'), 'param', sc.issues);
  (Array.isArray(args.parameters) ? args.parameters : []).forEach((p, i) => {
    if (!isObject(p) || !p.name) return;
    const at = `${path}.parameters[${i}]`;
    const name = `${label}.parameters.${p.name}`;
    const hasValue = p.value !== undefined && p.value !== null;
    if (!hasValue && p.valueFrom === undefined && p.default === undefined && !allowEmptyValues) {
      report(sc, at, `${name}.value is required`);
    }
    if (isObject(p.valueFrom)) {
      const vf = p.valueFrom;
      const allowed = vf.configMapKeyRef !== undefined || vf.event || vf.supplied !== undefined;
      const disallowed = vf.path || vf.jsonPath || vf.jqFilter || vf.parameter || vf.expression;
      if (!allowed || disallowed) report(sc, child(at, 'valueFrom'), `${name}.valueFrom only allows: default, configMapKeyRef and supplied`);
    }
    if (Array.isArray(p.enum)) {
      if (p.enum.length === 0) {
        report(sc, child(at, 'enum'), `${name}.enum should contain at least one value`);
      } else {
        const v = hasValue ? p.value : p.default;
        if (v === undefined || v === null) {
          if (!allowEmptyValues) report(sc, at, `${name}.value is required`);
        } else if (!hasTag(v) && !p.enum.map(String).includes(String(v))) {
          report(sc, child(at, hasValue ? 'value' : 'default'), `${name}.value should be present in ${name}.enum list (${p.enum.map(String).join(', ')})`);
        }
      }
    }
  });
  (Array.isArray(args.artifacts) ? args.artifacts : []).forEach((a, i) => {
    if (!isObject(a) || !a.name) return;
    const at = `${path}.artifacts[${i}]`;
    if (!a.from && !a.fromExpression && !artifactHasSource(a as Artifact) && !a.key) {
      report(sc, at, `${label}.artifacts.${a.name}.from, artifact location, or key is required`);
    }
    if (a.from && a.fromExpression) report(sc, at, `${label}.artifacts.${a.name} shouldn't have both \`from\` and \`fromExpression\` in Artifact`);
  });
}

/** Inputs of `tmpl` that have no value of their own and that `args` does not give. */
export function checkInputsSupplied(sc: SpecContext, tmpl: Template, args: Arguments | undefined, path: string, hint = ''): void {
  const given = new Set((isObject(args) && Array.isArray(args.parameters) ? args.parameters : []).map((p) => p?.name));
  const givenArts = new Set((isObject(args) && Array.isArray(args.artifacts) ? args.artifacts : []).map((a) => a?.name));
  for (const p of tmpl.inputs?.parameters ?? []) {
    if (!isObject(p) || !p.name) continue;
    if (p.value === undefined && p.default === undefined && p.valueFrom === undefined && !given.has(p.name)) {
      report(sc, path, `inputs.parameters.${p.name} was not supplied${hint}`);
    }
  }
  for (const a of tmpl.inputs?.artifacts ?? []) {
    if (!isObject(a) || !a.name) continue;
    if (!artifactHasSource(a) && !givenArts.has(a.name)) report(sc, path, `inputs.artifacts.${a.name} was not supplied${hint}`);
  }
}

/** Adds what `{{steps.X.…}}` / `{{tasks.X.…}}` may name once node X has run. */
export function addNodeOutputs(sc: SpecContext, scope: Scope, prefix: string, r: Resolved, aggregate: boolean, withStatus: boolean): void {
  scope.add(`${prefix}.id`, `${prefix}.startedAt`, `${prefix}.finishedAt`, `${prefix}.hostNodeName`);
  if (withStatus) scope.add(`${prefix}.status`);
  const tmpl = r.tmpl;
  if (!tmpl) {
    scope.addPrefix(`${prefix}.`);
    return;
  }
  if (tmpl.daemon) scope.add(`${prefix}.ip`);
  if (hasResult(tmpl)) scope.add(`${prefix}.outputs.result`, `${prefix}.exitCode`);
  for (const p of tmpl.outputs?.parameters ?? []) if (p?.name) scope.add(`${prefix}.outputs.parameters.${p.name}`);
  for (const a of tmpl.outputs?.artifacts ?? []) if (a?.name) scope.add(`${prefix}.outputs.artifacts.${a.name}`);
  if (aggregate) {
    scope.add(`${prefix}.outputs.parameters`);
    const t = templateType(tmpl);
    if (t === 'script' || t === 'containerSet') scope.add(`${prefix}.outputs.result`, `${prefix}.exitCode`);
  }
  void sc;
}

/** Adds `item` / `item.key` for a step's or task's loop; reports conflicting loop fields. */
export function addLoopVariables(
  sc: SpecContext,
  inv: { withItems?: unknown; withParam?: unknown; withSequence?: unknown },
  scope: Scope,
  path: string,
): boolean {
  const kinds = (['withItems', 'withParam', 'withSequence'] as const).filter((k) => inv[k] !== undefined && inv[k] !== null && inv[k] !== '');
  if (kinds.length > 1) {
    report(sc, child(path, kinds[1]), 'only one of withItems, withParam, withSequence can be specified');
  }
  if (kinds.length === 0) return false;
  // `{{item}}` is the whole item (a map or list is rendered as JSON), whatever the loop.
  scope.add('item');
  if (Array.isArray(inv.withItems)) {
    inv.withItems.forEach((item) => {
      if (Array.isArray(item)) item.forEach((_, i) => scope.add(`item.[${i}]`));
      else if (isObject(item)) for (const k of Object.keys(item)) scope.add(`item.${k}`);
      else scope.add('item');
    });
  } else if (inv.withItems !== undefined && inv.withItems !== null) {
    report(sc, child(path, 'withItems'), 'withItems must be a list');
  }
  if (inv.withParam !== undefined && inv.withParam !== null && inv.withParam !== '') {
    scope.add('item').addPrefix('item.');
  }
  if (isObject(inv.withSequence)) {
    const s = inv.withSequence;
    if (s.count !== undefined && s.end !== undefined) report(sc, child(path, 'withSequence'), 'only one of count or end can be defined in withSequence');
    scope.add('item');
  }
  return true;
}

/** Checks a map of lifecycle hooks (spec.hooks, a step's or task's hooks). */
export function checkHooks(sc: SpecContext, hooks: unknown, path: string): void {
  if (hooks === undefined || hooks === null) return;
  if (!isObject(hooks)) {
    report(sc, path, 'hooks must be a map of hook name to hook');
    return;
  }
  for (const [name, hook] of Object.entries(hooks)) {
    const hp = child(path, name);
    if (!isObject(hook)) continue;
    if (name !== 'exit' && !hook.expression) report(sc, child(hp, 'expression'), `hook '${name}': Expression required`);
    if (typeof hook.expression === 'string') checkBalanced(sc, hook.expression, child(hp, 'expression'));
    const r = resolveInvocation(sc, hook, hp);
    if (r.tmpl) checkInputsSupplied(sc, r.tmpl, hook.arguments as Arguments | undefined, hp);
  }
}

/** Parentheses and quotes of a `when`/`depends`/hook expression must balance. */
export function checkBalanced(sc: SpecContext, expr: string, path: string): boolean {
  // Tags are substituted before evaluation; do not count their braces or contents.
  const s = expr.replace(/\{\{[\s\S]*?\}\}/g, 'x');
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) {
        report(sc, path, `unbalanced parentheses in ${JSON.stringify(expr)}: ')' at offset ${i} has no matching '('`);
        return false;
      }
    }
  }
  if (quote) {
    report(sc, path, `unterminated ${quote} quote in ${JSON.stringify(expr)}`);
    return false;
  }
  if (depth > 0) {
    report(sc, path, `unbalanced parentheses in ${JSON.stringify(expr)}: ${depth} '(' not closed`);
    return false;
  }
  return true;
}

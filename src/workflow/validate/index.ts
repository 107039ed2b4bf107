// Argo's validation of Workflows, (Cluster)WorkflowTemplates and CronWorkflows as pure functions that
// return every problem found, each with a field path.
import type { Arguments, CronWorkflow, Parameter, Template, Workflow, WorkflowSpec, WorkflowTemplate } from '../../model/argo.js';
import type { KObject } from '../../model/object.js';
import { validateTemplateBody } from './body.js';
import { cronScheduleError, timezoneError } from './cron.js';
import { intOrTemplate } from './durations.js';
import { checkNamedList, checkObjectName } from './names.js';
import { checkPodGC } from './podgc.js';
import { checkArguments, checkHooks, checkInputsSupplied, lookupTemplateRef, resolveByName } from './references.js';
import { Scope, hasTag } from './scope.js';
import { checkRetryStrategy } from './templates.js';
import type { Located, SpecContext, ValidateContext, ValidateOptions, ValidationIssue } from './types.js';
import { child, isObject, report } from './types.js';

export type { ValidateContext, ValidateOptions, ValidationIssue } from './types.js';
export { NO_TEMPLATES } from './types.js';
export { parseDepends } from './depends.js';
export { cronScheduleError, timezoneError } from './cron.js';

const CONCURRENCY_POLICIES = ['', 'Allow', 'Forbid', 'Replace'];

interface SpecOptions {
  specPath: string;
  meta: KObject['metadata'];
  templateValidation: boolean;
  clusterScope: boolean;
  /** Extra workflow metadata whose labels/annotations become {{workflow.labels.*}}. */
  extraMeta?: { labels?: Record<string, unknown>; annotations?: Record<string, unknown>; labelsFrom?: Record<string, unknown> }[];
}

/** Every template reachable for global-output purposes: the spec's, inline ones, and templateRef targets. */
function collectGlobalOutputs(sc: SpecContext, scope: Scope): void {
  const seen = new Set<Template>();
  const visit = (t: Template | undefined): void => {
    if (!isObject(t) || seen.has(t)) return;
    seen.add(t);
    for (const [kind, list] of [['parameters', t.outputs?.parameters], ['artifacts', t.outputs?.artifacts]] as const) {
      for (const o of list ?? []) {
        const g = (o as { globalName?: unknown } | undefined)?.globalName;
        if (typeof g !== 'string' || !g) continue;
        if (hasTag(g)) scope.addPrefix(`workflow.outputs.${kind}.`);
        else scope.add(`workflow.outputs.${kind}.${g}`);
      }
    }
    const invocations = [...(Array.isArray(t.steps) ? t.steps.flat() : []), ...(Array.isArray(t.dag?.tasks) ? t.dag!.tasks : [])];
    for (const inv of invocations) {
      if (!isObject(inv)) continue;
      if (isObject(inv.inline)) visit(inv.inline as Template);
      const ref = inv.templateRef;
      if (isObject(ref) && typeof ref.name === 'string' && typeof ref.template === 'string') {
        if (hasTag(ref.name) || hasTag(ref.template)) {
          scope.addPrefix('workflow.outputs.');
          continue;
        }
        visit(lookupTemplateRef(sc, ref).holder?.spec?.templates?.find((x) => x?.name === ref.template));
      }
    }
  };
  for (const { tmpl } of sc.templates.values()) visit(tmpl);
}

function globalScope(sc: SpecContext, o: SpecOptions): Scope {
  const s = new Scope();
  s.add('workflow.name', 'workflow.namespace', 'workflow.mainEntrypoint', 'workflow.serviceAccountName', 'workflow.uid');
  s.add('workflow.status', 'workflow.failures');
  const params = sc.spec.arguments?.parameters ?? [];
  if (params.length > 0) s.add('workflow.parameters', 'workflow.parameters.json');
  for (const p of params) if (isObject(p) && p.name) s.add(`workflow.parameters.${p.name}`);
  if (o.templateValidation) s.add('workflow.parameters', 'workflow.parameters.json').addPrefix('workflow.parameters.');
  const sources = [o.meta, sc.spec.workflowMetadata, ...(o.extraMeta ?? [])];
  for (const m of sources) {
    if (!isObject(m)) continue;
    for (const k of Object.keys((m.labels as object) ?? {})) s.add(`workflow.labels.${k}`);
    for (const k of Object.keys((m.labelsFrom as object) ?? {})) s.add(`workflow.labels.${k}`);
    for (const k of Object.keys((m.annotations as object) ?? {})) s.add(`workflow.annotations.${k}`);
  }
  s.add('workflow.labels', 'workflow.labels.json', 'workflow.annotations', 'workflow.annotations.json');
  if (sc.spec.priority !== undefined) s.add('workflow.priority');
  collectGlobalOutputs(sc, s);
  return s;
}

function nonNegative(sc: SpecContext, v: unknown, path: string, what: string): void {
  if (v === undefined || v === null) return;
  const n = intOrTemplate(v);
  if (!n.ok || (n.value !== undefined && n.value < 0)) report(sc, path, `${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
}

/** Validates a workflow spec whose templates are all its own. */
function validateSpec(ctx: ValidateContext, opts: ValidateOptions, spec: WorkflowSpec, o: SpecOptions, issues: ValidationIssue[]): void {
  const sp = o.specPath;
  if (!isObject(spec)) {
    issues.push({ path: sp, message: 'spec is required' });
    return;
  }
  const templates = new Map<string, Located>();
  const sc: SpecContext = {
    ctx,
    opts,
    namespace: o.meta?.namespace,
    spec,
    specPath: sp,
    templates,
    templateValidation: o.templateValidation,
    clusterScope: o.clusterScope,
    issues,
    globals: new Scope(),
  };
  const tlist = Array.isArray(spec.templates) ? spec.templates : [];
  if (spec.templates !== undefined && !Array.isArray(spec.templates)) report(sc, child(sp, 'templates'), 'templates must be a list');
  checkNamedList(tlist, child(sp, 'templates'), 'field', issues).forEach((name, i) => {
    if (name !== undefined && !templates.has(name)) templates.set(name, { tmpl: tlist[i], path: `${sp}.templates[${i}]` });
  });
  sc.globals = globalScope(sc, o);

  const allowEmptyValues = Boolean(opts.lint) || (o.templateValidation && !opts.submit);
  checkArguments(sc, spec.arguments, child(sp, 'arguments'), 'spec.arguments', allowEmptyValues);

  const entry = spec.entrypoint;
  if (!entry) {
    if (!o.templateValidation) report(sc, child(sp, 'entrypoint'), 'spec.entrypoint is required');
  } else {
    const r = resolveByName(sc, entry, child(sp, 'entrypoint'));
    if (r.tmpl && !o.templateValidation) {
      checkInputsSupplied(sc, r.tmpl, spec.arguments, child(sp, 'arguments'), ` (the entrypoint '${entry}' needs it in spec.arguments)`);
    }
  }
  if (spec.onExit) {
    const r = resolveByName(sc, spec.onExit, child(sp, 'onExit'));
    if (r.tmpl && !o.templateValidation) {
      checkInputsSupplied(sc, r.tmpl, spec.arguments, child(sp, 'onExit'), ` (the exit handler '${spec.onExit}' gets spec.arguments)`);
    }
  }
  checkHooks(sc, spec.hooks, child(sp, 'hooks'));
  checkPodGC(sc, spec.podGC, child(sp, 'podGC'));
  nonNegative(sc, spec.activeDeadlineSeconds, child(sp, 'activeDeadlineSeconds'), 'activeDeadlineSeconds');
  nonNegative(sc, spec.parallelism, child(sp, 'parallelism'), 'parallelism');
  checkRetryStrategy(sc, spec.retryStrategy, child(sp, 'retryStrategy'));

  for (const [i, t] of tlist.entries()) validateTemplateBody(sc, t, `${sp}.templates[${i}]`);
}

function mergeParams(own: Parameter[] = [], inherited: Parameter[] = []): Parameter[] {
  const names = new Set(own.map((p) => p?.name));
  return [...own, ...inherited.filter((p) => !names.has(p?.name))];
}

function mergeArguments(own: Arguments | undefined, inherited: Arguments | undefined): Arguments {
  const out: Arguments = {};
  const params = mergeParams(own?.parameters, inherited?.parameters);
  if (params.length) out.parameters = params;
  const artNames = new Set((own?.artifacts ?? []).map((a) => a?.name));
  const arts = [...(own?.artifacts ?? []), ...(inherited?.artifacts ?? []).filter((a) => !artNames.has(a?.name))];
  if (arts.length) out.artifacts = arts;
  return out;
}

/** Whether `path` names something present in `obj` (so an issue there belongs to the workflow's own text). */
function existsIn(obj: unknown, path: string): boolean {
  const segs = path.match(/[^.[\]"]+/g) ?? [];
  let cur: unknown = obj;
  for (const s of segs) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = cur[s];
    else return false;
    if (cur === undefined) return false;
  }
  return true;
}

function validateWorkflowLike(
  obj: KObject & { spec: WorkflowSpec },
  ctx: ValidateContext,
  opts: ValidateOptions,
  specPath: string,
  meta: KObject['metadata'],
  extraMeta: SpecOptions['extraMeta'],
  issues: ValidationIssue[],
): void {
  const spec = specPath === 'spec' ? obj.spec : (obj.spec as unknown as { workflowSpec: WorkflowSpec }).workflowSpec;
  if (!isObject(spec)) {
    issues.push({ path: specPath, message: `${specPath} is required` });
    return;
  }
  const ref = spec.workflowTemplateRef;
  if (!ref) {
    validateSpec(ctx, opts, spec, { specPath, meta, templateValidation: false, clusterScope: false, extraMeta }, issues);
    return;
  }
  const refPath = child(specPath, 'workflowTemplateRef');
  if (!isObject(ref) || !ref.name) {
    issues.push({ path: child(refPath, 'name'), message: 'workflowTemplateRef.name is required' });
    return;
  }
  if (Array.isArray(spec.templates) && spec.templates.length > 0) {
    issues.push({ path: child(specPath, 'templates'), message: 'Templates is invalid field in spec if workflow referred WorkflowTemplate reference' });
  }
  const kind = ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate';
  const resource = ref.clusterScope ? 'clusterworkflowtemplates.argoproj.io' : 'workflowtemplates.argoproj.io';
  const holder: WorkflowTemplate | undefined = ref.clusterScope ? ctx.getClusterWorkflowTemplate(ref.name) : ctx.getWorkflowTemplate(ref.name, meta?.namespace);
  if (!holder || !isObject(holder.spec)) {
    if (opts.lint || opts.submit) issues.push({ path: child(refPath, 'name'), message: `${resource} "${ref.name}" not found` });
    // What can be checked without the template: the workflow's own arguments.
    const sc = { issues } as SpecContext;
    checkArguments(sc, spec.arguments, child(specPath, 'arguments'), 'spec.arguments', true);
    return;
  }
  const { workflowTemplateRef: _ref, ...own } = spec;
  void _ref;
  const merged: WorkflowSpec = {
    ...holder.spec,
    ...own,
    templates: holder.spec.templates,
    arguments: mergeArguments(spec.arguments, holder.spec.arguments),
    entrypoint: spec.entrypoint || holder.spec.entrypoint,
  };
  const inner: ValidationIssue[] = [];
  const holderMeta = holder.spec.workflowMetadata ? [holder.spec.workflowMetadata, ...(extraMeta ?? [])] : extraMeta;
  validateSpec(ctx, opts, merged, { specPath, meta, templateValidation: false, clusterScope: Boolean(ref.clusterScope), extraMeta: holderMeta }, inner);
  const ownObj = specPath === 'spec' ? { spec } : { spec: { workflowSpec: spec } };
  for (const i of inner) {
    if (existsIn(ownObj, i.path)) issues.push(i);
    else issues.push({ path: refPath, message: `${kind} "${ref.name}": ${i.path.replace(specPath, 'spec')}: ${i.message}` });
  }
}

/** Validates a Workflow; `opts.lint` lets spec.arguments lack values. */
export function validateWorkflow(wf: Workflow, ctx: ValidateContext, opts: ValidateOptions = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkObjectName(wf.metadata, 63, issues, !opts.lint);
  validateWorkflowLike(wf, ctx, opts, 'spec', wf.metadata, undefined, issues);
  return issues;
}

function validateTemplateObject(t: WorkflowTemplate, ctx: ValidateContext, opts: ValidateOptions, clusterScope: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkObjectName(t.metadata, 63, issues, !opts.lint);
  if (!isObject(t.spec)) return [...issues, { path: 'spec', message: 'spec is required' }];
  if (t.spec.workflowTemplateRef) {
    issues.push({ path: 'spec.workflowTemplateRef', message: 'workflowTemplateRef is only valid in a Workflow or CronWorkflow' });
  }
  validateSpec(ctx, opts, t.spec, { specPath: 'spec', meta: t.metadata, templateValidation: true, clusterScope }, issues);
  return issues;
}

/** Validates a WorkflowTemplate: entrypoint optional, workflow parameters may come from the caller. */
export function validateWorkflowTemplate(t: WorkflowTemplate, ctx: ValidateContext, opts: ValidateOptions = {}): ValidationIssue[] {
  return validateTemplateObject(t, ctx, opts, false);
}

export function validateClusterWorkflowTemplate(t: WorkflowTemplate, ctx: ValidateContext, opts: ValidateOptions = {}): ValidationIssue[] {
  return validateTemplateObject(t, ctx, opts, true);
}

/** Validates a CronWorkflow: schedules, timezone, policies, and the embedded workflowSpec. */
export function validateCronWorkflow(cw: CronWorkflow, ctx: ValidateContext, opts: ValidateOptions = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkObjectName(cw.metadata, 52, issues, !opts.lint);
  const spec = cw.spec;
  if (!isObject(spec)) return [...issues, { path: 'spec', message: 'spec is required' }];
  const hasSchedule = typeof spec.schedule === 'string' && spec.schedule !== '';
  const schedules = Array.isArray(spec.schedules) ? spec.schedules : [];
  if (hasSchedule && schedules.length > 0) {
    issues.push({ path: 'spec.schedules', message: 'cron workflow cant be configured with both Spec.Schedule and Spec.Schedules' });
  }
  if (!hasSchedule && schedules.length === 0) {
    issues.push({ path: 'spec.schedule', message: 'a schedule is required: set spec.schedule (e.g. "0 * * * *") or spec.schedules' });
  }
  const check = (s: unknown, path: string): void => {
    if (typeof s !== 'string') {
      issues.push({ path, message: 'schedule must be a string such as "*/5 * * * *"' });
      return;
    }
    const e = cronScheduleError(s);
    if (e) issues.push({ path, message: `cron schedule ${s} is malformed: ${e}` });
  };
  if (hasSchedule) check(spec.schedule, 'spec.schedule');
  schedules.forEach((s, i) => check(s, `spec.schedules[${i}]`));
  if (spec.timezone) {
    const e = timezoneError(spec.timezone);
    if (e) issues.push({ path: 'spec.timezone', message: e });
  }
  if (spec.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy)) {
    issues.push({ path: 'spec.concurrencyPolicy', message: `'${spec.concurrencyPolicy}' is not a valid concurrencyPolicy (one of: Allow, Forbid, Replace)` });
  }
  if (typeof spec.startingDeadlineSeconds === 'number' && spec.startingDeadlineSeconds < 0) {
    issues.push({ path: 'spec.startingDeadlineSeconds', message: 'startingDeadlineSeconds must be positive' });
  }
  for (const k of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) issues.push({ path: `spec.${k}`, message: `${k} must be a non-negative integer` });
  }
  const extra = spec.workflowMetadata ? [spec.workflowMetadata as Record<string, Record<string, unknown>>] : undefined;
  validateWorkflowLike(cw as unknown as KObject & { spec: WorkflowSpec }, ctx, opts, 'spec.workflowSpec', cw.metadata, extra, issues);
  return issues;
}

/** Validates any Argo Workflows kind; other kinds have no issues. */
export function validateObject(obj: KObject, ctx: ValidateContext, opts: ValidateOptions = {}): ValidationIssue[] {
  switch (obj.kind) {
    case 'Workflow':
      return validateWorkflow(obj as Workflow, ctx, opts);
    case 'WorkflowTemplate':
      return validateWorkflowTemplate(obj as WorkflowTemplate, ctx, opts);
    case 'ClusterWorkflowTemplate':
      return validateClusterWorkflowTemplate(obj as WorkflowTemplate, ctx, opts);
    case 'CronWorkflow':
      return validateCronWorkflow(obj as CronWorkflow, ctx, opts);
    default:
      return [];
  }
}

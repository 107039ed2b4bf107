import { describe, expect, it } from 'vitest';
import type { CronWorkflow, Template, Workflow, WorkflowSpec, WorkflowTemplate } from '../../model/argo.js';
import {
  NO_TEMPLATES,
  cronScheduleError,
  parseDepends,
  validateClusterWorkflowTemplate,
  validateCronWorkflow,
  validateWorkflow,
  validateWorkflowTemplate,
  type ValidateContext,
  type ValidationIssue,
} from './index.js';

const c = (name: string, extra: Partial<Template> = {}): Template => ({ name, container: { image: 'busybox' }, ...extra });

function wf(spec: Partial<WorkflowSpec>, metadata: Workflow['metadata'] = { generateName: 'w-' }): Workflow {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata, spec: { entrypoint: 'main', ...spec } };
}

function check(spec: Partial<WorkflowSpec>, opts = {}, ctx: ValidateContext = NO_TEMPLATES): ValidationIssue[] {
  return validateWorkflow(wf(spec), ctx, opts);
}

const issue = (path: string, message: string): ValidationIssue => ({ path, message });

function steps(groups: Template['steps'], others: Template[] = [], extra: Partial<Template> = {}): Partial<WorkflowSpec> {
  return { templates: [{ name: 'main', steps: groups, ...extra }, ...others] };
}

function dag(tasks: NonNullable<Template['dag']>['tasks'], others: Template[] = [c('a'), c('b')], extra: Partial<NonNullable<Template['dag']>> = {}): Partial<WorkflowSpec> {
  return { templates: [{ name: 'main', dag: { tasks, ...extra } }, ...others] };
}

describe('metadata', () => {
  it('requires name or generateName (outside lint)', () => {
    expect(validateWorkflow(wf({ templates: [c('main')] }, {}), NO_TEMPLATES)).toEqual([issue('metadata.name', 'name or generateName is required')]);
    expect(validateWorkflow(wf({ templates: [c('main')] }, {}), NO_TEMPLATES, { lint: true })).toEqual([]);
  });
  it('limits names to 63 characters', () => {
    const name = 'a'.repeat(64);
    expect(validateWorkflow(wf({ templates: [c('main')] }, { name }), NO_TEMPLATES)).toEqual([
      issue('metadata.name', 'must be no more than 63 characters (currently 64)'),
    ]);
  });
  it('rejects names that are not DNS subdomains', () => {
    const got = validateWorkflow(wf({ templates: [c('main')] }, { name: 'Bad_Name' }), NO_TEMPLATES);
    expect(got).toHaveLength(1);
    expect(got[0].path).toBe('metadata.name');
    expect(got[0].message).toMatch(/^Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });
  it('accepts a valid workflow', () => {
    expect(check({ templates: [c('main')] })).toEqual([]);
  });
});

describe('entrypoint and templates', () => {
  it('requires an entrypoint', () => {
    expect(check({ entrypoint: undefined, templates: [c('main')] })).toEqual([issue('spec.entrypoint', 'spec.entrypoint is required')]);
  });
  it('entrypoint must name a template', () => {
    expect(check({ entrypoint: 'x', templates: [c('main')] })).toEqual([issue('spec.entrypoint', "template 'x' not found (templates: main)")]);
  });
  it('needs exactly one template type', () => {
    expect(check({ templates: [{ name: 'main' }] })).toEqual([
      issue('spec.templates[0]', 'template type unspecified. choose one of: container, containerSet, steps, script, resource, dag, suspend, data, http, plugin'),
    ]);
    expect(check({ templates: [c('main', { suspend: {} })] })).toEqual([
      issue('spec.templates[0]', 'multiple template types specified (container, suspend). choose one of: container, containerSet, steps, script, resource, dag, suspend, data, http, plugin'),
    ]);
  });
  it('rejects duplicate and invalid template names', () => {
    expect(check({ templates: [c('main'), c('main')] })).toEqual([issue('spec.templates[1].name', "name 'main' is not unique")]);
    expect(check({ templates: [c('main'), c('bad_name')] })).toEqual([
      issue('spec.templates[1].name', "name 'bad_name' is invalid: name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)"),
    ]);
  });
  it('requires a container image', () => {
    expect(check({ templates: [{ name: 'main', container: { command: ['x'] } }] })).toEqual([
      issue('spec.templates[0].container.image', 'container.image may not be empty'),
    ]);
    expect(check({ templateDefaults: { container: { image: 'x' } }, templates: [{ name: 'main', container: { command: ['x'] } }] })).toEqual([]);
  });
  it('checks onExit and spec hooks templates', () => {
    expect(check({ onExit: 'gone', templates: [c('main')] })).toEqual([issue('spec.onExit', "template 'gone' not found (templates: main)")]);
    expect(check({ hooks: { running: { template: 'main' } }, templates: [c('main')] })).toEqual([
      issue('spec.hooks.running.expression', "hook 'running': Expression required"),
    ]);
    expect(check({ hooks: { exit: { template: 'gone' } }, templates: [c('main')] })).toEqual([
      issue('spec.hooks.exit.template', "template 'gone' not found (templates: main)"),
    ]);
  });
  it('checks activeDeadlineSeconds, parallelism and podGC', () => {
    expect(check({ activeDeadlineSeconds: -1, parallelism: -2, podGC: { strategy: 'Never' }, templates: [c('main')] })).toEqual([
      issue('spec.podGC.strategy', "podGC.strategy unknown strategy 'Never' (one of: OnPodCompletion, OnPodSuccess, OnWorkflowCompletion, OnWorkflowSuccess)"),
      issue('spec.activeDeadlineSeconds', 'activeDeadlineSeconds must be a non-negative integer, got -1'),
      issue('spec.parallelism', 'parallelism must be a non-negative integer, got -2'),
    ]);
    expect(check({ templates: [c('main', { activeDeadlineSeconds: -5 })] })).toEqual([
      issue('spec.templates[0].activeDeadlineSeconds', 'activeDeadlineSeconds must be a positive integer > 0 or an argo variable'),
    ]);
    expect(check({ templates: [c('main', { parallelism: 2 })] })).toEqual([
      issue('spec.templates[0].parallelism', 'parallelism is only valid for steps and dag templates'),
    ]);
  });
});

describe('podGC', () => {
  const gc = (podGC: unknown) => check({ podGC: podGC as WorkflowSpec['podGC'], templates: [c('main')] });
  it('accepts every strategy, seconds or Go durations, and well-formed label selectors', () => {
    for (const strategy of ['OnPodCompletion', 'OnPodSuccess', 'OnWorkflowCompletion', 'OnWorkflowSuccess', '']) expect(gc({ strategy })).toEqual([]);
    for (const d of ['30s', '1h30m', '500ms', '0', '20']) expect(gc({ strategy: 'OnPodCompletion', deleteDelayDuration: d })).toEqual([]);
    expect(gc({ strategy: 'OnWorkflowSuccess', labelSelector: { matchLabels: { 'app.example.com/gc': 'yes' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['keep'] }, { key: 'x', operator: 'Exists' }] } })).toEqual([]);
  });
  it('reports a bad strategy, a bad deleteDelayDuration and a bad labelSelector with their paths', () => {
    expect(gc({ strategy: 'OnPodFailure', deleteDelayDuration: '2d' })).toEqual([
      issue('spec.podGC.strategy', "podGC.strategy unknown strategy 'OnPodFailure' (one of: OnPodCompletion, OnPodSuccess, OnWorkflowCompletion, OnWorkflowSuccess)"),
      issue('spec.podGC.deleteDelayDuration', `podGC.deleteDelayDuration "2d" is not a duration: use a number of seconds or a Go duration such as 30s, 10m or 1h30m (units ns, us, ms, s, m, h; 'd' is not supported)`),
    ]);
    expect(gc({ strategy: 'OnPodCompletion', deleteDelayDuration: 30 })).toEqual([
      issue('spec.podGC.deleteDelayDuration', expect.stringMatching(/^podGC.deleteDelayDuration 30 is not a duration/) as unknown as string),
    ]);
    expect(
      gc({
        strategy: 'OnPodCompletion',
        labelSelector: {
          matchLabels: { 'bad key!': 'v', ok: 'not ok!' },
          matchExpressions: [{ key: 'environment', operator: 'InvalidOperator', values: ['dev'] }, { key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }],
        },
      }).map((i) => i.path),
    ).toEqual([
      'spec.podGC.labelSelector.matchLabels["bad key!"]',
      'spec.podGC.labelSelector.matchLabels.ok',
      'spec.podGC.labelSelector.matchExpressions[0].operator',
      'spec.podGC.labelSelector.matchExpressions[1].values',
      'spec.podGC.labelSelector.matchExpressions[2].values',
    ]);
    const [op] = gc({ labelSelector: { matchExpressions: [{ key: 'environment', operator: 'InvalidOperator', values: ['dev'] }] } });
    expect(op.message).toBe('podGC.labelSelector invalid: "InvalidOperator" is not a valid label selector operator (one of: In, NotIn, Exists, DoesNotExist)');
  });
  it('checks the podGC a WorkflowTemplate brings through workflowTemplateRef', () => {
    const tmpl: WorkflowTemplate = { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 't', namespace: 'argo' }, spec: { entrypoint: 'main', podGC: { strategy: 'Sometimes' }, templates: [c('main')] } };
    const ctx: ValidateContext = { getWorkflowTemplate: () => tmpl, getClusterWorkflowTemplate: () => undefined };
    expect(validateWorkflowTemplate(tmpl, NO_TEMPLATES)).toEqual([issue('spec.podGC.strategy', expect.stringMatching(/unknown strategy 'Sometimes'/) as unknown as string)]);
    const w = wf({ workflowTemplateRef: { name: 't' } }, { name: 'w', namespace: 'argo' });
    expect(validateWorkflow(w, ctx)).toEqual([issue('spec.workflowTemplateRef', expect.stringMatching(/^WorkflowTemplate "t": spec.podGC.strategy: podGC.strategy unknown strategy 'Sometimes'/) as unknown as string)]);
  });
});

describe('arguments and inputs', () => {
  it('requires workflow argument values unless linting', () => {
    const spec = { arguments: { parameters: [{ name: 'p' }] }, templates: [c('main')] };
    expect(check(spec)).toEqual([issue('spec.arguments.parameters[0]', 'spec.arguments.parameters.p.value is required')]);
    expect(check(spec, { lint: true })).toEqual([]);
  });
  it('checks enum membership', () => {
    expect(check({ arguments: { parameters: [{ name: 'p', value: 'c', enum: ['a', 'b'] }] }, templates: [c('main')] })).toEqual([
      issue('spec.arguments.parameters[0].value', 'spec.arguments.parameters.p.value should be present in spec.arguments.parameters.p.enum list (a, b)'),
    ]);
    expect(check({ templates: [c('main', { inputs: { parameters: [{ name: 'p', default: 'z', enum: ['a'] }] } })] })).toEqual([
      issue('spec.templates[0].inputs.parameters[0].default', "default 'z' should be present in the enum list (a)"),
    ]);
  });
  it('requires entrypoint inputs from spec.arguments', () => {
    expect(check({ templates: [c('main', { inputs: { parameters: [{ name: 'x' }] } })] })).toEqual([
      issue('spec.arguments', "inputs.parameters.x was not supplied (the entrypoint 'main' needs it in spec.arguments)"),
    ]);
  });
  it('requires step arguments for inputs without defaults', () => {
    const got = check(steps([[{ name: 's', template: 'needs' }]], [c('needs', { inputs: { parameters: [{ name: 'x' }, { name: 'y', default: '1' }], artifacts: [{ name: 'a', path: '/a' }] } })]));
    expect(got).toEqual([issue('spec.templates[0].steps[0][0]', 'inputs.parameters.x was not supplied'), issue('spec.templates[0].steps[0][0]', 'inputs.artifacts.a was not supplied')]);
  });
  it('rejects invalid parameter names', () => {
    expect(check({ templates: [c('main', { inputs: { parameters: [{ name: 'a b', value: '1' }] } })] })).toEqual([
      issue('spec.templates[0].inputs.parameters[0].name', "name 'a b' is invalid: Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1"),
    ]);
  });
  it('checks output parameters', () => {
    expect(check({ templates: [c('main', { outputs: { parameters: [{ name: 'o' }] } })] })).toEqual([
      issue('spec.templates[0].outputs.parameters[0]', "output parameter 'o' does not have valueFrom or value specified"),
    ]);
    expect(check({ templates: [c('main', { outputs: { parameters: [{ name: 'o', valueFrom: { jsonPath: '{.x}' } }] } })] })).toEqual([
      issue('spec.templates[0].outputs.parameters[0].valueFrom.path', 'valueFrom.path must be specified for container templates'),
    ]);
    expect(check({ templates: [c('main', { outputs: { parameters: [{ name: 'o', globalName: 'bad name', valueFrom: { path: '/o' } }] } })] })).toEqual([
      issue('spec.templates[0].outputs.parameters[0].globalName', "globalName 'bad name' is invalid: Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1"),
    ]);
  });
});

describe('variables', () => {
  it('rejects undeclared inputs', () => {
    expect(check({ templates: [c('main', { container: { image: 'x', args: ['{{inputs.parameters.nope}}', '{{inputs.artifacts.a.path}}'] } })] })).toEqual([
      issue('spec.templates[0].container.args[0]', 'failed to resolve {{inputs.parameters.nope}}'),
      issue('spec.templates[0].container.args[1]', 'failed to resolve {{inputs.artifacts.a.path}}'),
    ]);
  });
  it('allows declared inputs, artifacts paths and catalogue variables', () => {
    const t = c('main', {
      inputs: { parameters: [{ name: 'p', value: 'v' }], artifacts: [{ name: 'a', path: '/a', raw: { data: 'x' } }] },
      container: { image: 'x', args: ['{{inputs.parameters.p}} {{inputs.artifacts.a.path}} {{workflow.name}} {{pod.name}} {{= sprig.upper("x") }} {{.Go.Template}} {{workflow.creationTimestamp.Y}}'] },
    });
    expect(check({ templates: [t] })).toEqual([]);
  });
  it('rejects undeclared workflow parameters', () => {
    expect(check({ arguments: { parameters: [{ name: 'a', value: '1' }] }, templates: [c('main', { container: { image: 'x', args: ['{{workflow.parameters.a}}', '{{workflow.parameters.b}}'] } })] })).toEqual([
      issue('spec.templates[0].container.args[1]', 'failed to resolve {{workflow.parameters.b}}'),
    ]);
  });
  it('rejects {{item}} without a loop', () => {
    expect(check(steps([[{ name: 's', template: 'p', arguments: { parameters: [{ name: 'x', value: '{{item}}' }] } }]], [c('p', { inputs: { parameters: [{ name: 'x' }] } })]))).toEqual([
      issue('spec.templates[0].steps[0][0].arguments.parameters[0].value', 'failed to resolve {{item}}'),
    ]);
  });
  it('allows item keys of withItems maps', () => {
    const s = steps([[{ name: 's', template: 'p', withItems: [{ k: 1 }], arguments: { parameters: [{ name: 'x', value: '{{item.k}} {{item}}' }] } }]], [c('p', { inputs: { parameters: [{ name: 'x' }] } })]);
    expect(check(s)).toEqual([]);
  });
  it('rejects several loop kinds at once', () => {
    expect(check(steps([[{ name: 's', template: 'p', withItems: [1], withParam: '[]' }]], [c('p')]))).toEqual([
      issue('spec.templates[0].steps[0][0].withParam', 'only one of withItems, withParam, withSequence can be specified'),
    ]);
  });
});

describe('steps', () => {
  it('step names must be valid and unique', () => {
    expect(check(steps([[{ name: 'a', template: 'p' }], [{ name: 'a', template: 'p' }, { name: '-x', template: 'p' }]], [c('p')]))).toEqual([
      issue('spec.templates[0].steps[1][0].name', "name 'a' is not unique"),
      issue('spec.templates[0].steps[1][1].name', "name '-x' is invalid: name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)"),
    ]);
  });
  it('step templates must exist', () => {
    expect(check(steps([[{ name: 'a', template: 'nope' }]]))).toEqual([issue('spec.templates[0].steps[0][0].template', "template 'nope' not found (templates: main)")]);
  });
  it('references only steps of earlier groups', () => {
    const s = steps(
      [
        [{ name: 'a', template: 'p' }, { name: 'b', template: 'p', when: '{{steps.a.outputs.result}} == x' }],
        [{ name: 'c', template: 'p', when: '{{steps.a.outputs.result}} == x && {{steps.zz.status}} == y' }],
      ],
      [c('p')],
    );
    expect(check(s)).toEqual([
      issue('spec.templates[0].steps[0][1].when', "failed to resolve {{steps.a.outputs.result}}: step 'a' must be in an earlier step group than 'b'"),
      issue('spec.templates[0].steps[1][0].when', 'failed to resolve {{steps.zz.status}}'),
    ]);
  });
  it('checks output names of earlier steps', () => {
    const s = steps([[{ name: 'a', template: 'p' }], [{ name: 'b', template: 'p', when: '{{steps.a.outputs.parameters.x}} == 1' }]], [c('p')]);
    expect(check(s)).toEqual([issue('spec.templates[0].steps[1][0].when', 'failed to resolve {{steps.a.outputs.parameters.x}}')]);
  });
  it('validates inline templates recursively', () => {
    expect(check(steps([[{ name: 'a', inline: { container: { image: 'x', args: ['{{inputs.parameters.q}}'] } } }]]))).toEqual([
      issue('spec.templates[0].steps[0][0].inline.container.args[0]', 'failed to resolve {{inputs.parameters.q}}'),
    ]);
  });
  it('checks when parentheses', () => {
    expect(check(steps([[{ name: 'a', template: 'p', when: '(1 == 1' }]], [c('p')]))).toEqual([
      issue('spec.templates[0].steps[0][0].when', 'unbalanced parentheses in "(1 == 1": 1 \'(\' not closed'),
    ]);
  });
  it('rejects template together with templateRef', () => {
    expect(check(steps([[{ name: 'a', template: 'p', templateRef: { name: 'x', template: 'y' } }]], [c('p')]))).toEqual([
      issue('spec.templates[0].steps[0][0].template', 'template name cannot be specified with templateRef.'),
    ]);
  });
});

describe('dag', () => {
  it('reports unknown dependencies', () => {
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', dependencies: ['zz'] }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].dependencies[0]', "dependency 'zz' not defined (tasks: a, b)"),
    ]);
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: 'a.Succeeded && (zz || !a.Failed)' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].depends', "dependency 'zz' not defined (tasks: a, b)"),
    ]);
  });
  it('reports invalid task results and bad syntax', () => {
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: 'a.Done' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].depends', "task result 'Done' for task 'a' is invalid (valid: Succeeded, Failed, Errored, Skipped, Omitted, Daemoned, AnySucceeded, AllFailed)"),
    ]);
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: '(a && a' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].depends', "missing ')' for '(' at offset 0"),
    ]);
  });
  it('requires items for items-based results', () => {
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: 'a.AnySucceeded' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].depends', "dependency 'a' uses an items-based condition such as .AnySucceeded or .AllFailed but does not contain any items"),
    ]);
  });
  it('detects cycles', () => {
    expect(check(dag([{ name: 'a', template: 'a', depends: 'b' }, { name: 'b', template: 'b', depends: 'a' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[0]', 'dependency cycle detected: a->b->a'),
    ]);
  });
  it('rejects continueOn with depends, mixing depends and dependencies, digit names', () => {
    expect(check(dag([{ name: 'a', template: 'a', continueOn: { failed: true } }, { name: 'b', template: 'b', depends: 'a' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[0].continueOn', "cannot use 'continueOn' when using 'depends'. Instead use 'dep-task.Failed'/'dep-task.Errored'"),
    ]);
    expect(check(dag([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: 'a' }, { name: 'c', template: 'b', dependencies: ['a'] }]))).toEqual([
      issue('spec.templates[0].dag.tasks[2].dependencies', "cannot use both 'depends' and 'dependencies' in the same DAG template"),
    ]);
    expect(check(dag([{ name: 'a', template: 'a' }, { name: '1b', template: 'b', depends: 'a' }]))).toEqual([
      issue('spec.templates[0].dag.tasks[1].name', "task name '1b' cannot begin with a digit when using either 'depends' or 'dependencies'"),
    ]);
  });
  it('checks targets', () => {
    expect(check(dag([{ name: 'a', template: 'a' }], undefined, { target: 'a zz' }))).toEqual([issue('spec.templates[0].dag.target', "target 'zz' is not defined")]);
  });
  it('requires tasks referenced by variables to be ancestors', () => {
    const others = [c('a', { outputs: { parameters: [{ name: 'o', valueFrom: { path: '/o' } }] } }), c('b', { inputs: { parameters: [{ name: 'p' }] } })];
    const got = check(dag([{ name: 'a', template: 'a' }, { name: 'x', template: 'a' }, { name: 'b', template: 'b', depends: 'x', arguments: { parameters: [{ name: 'p', value: '{{tasks.a.outputs.parameters.o}}' }] } }], others));
    expect(got).toEqual([
      issue('spec.templates[0].dag.tasks[2].arguments.parameters[0].value', "missing dependency 'a' for parameter 'p': task 'b' uses {{tasks.a.outputs.parameters.o}} but does not depend on 'a'"),
    ]);
    const ok = check(dag([{ name: 'a', template: 'a' }, { name: 'x', template: 'a', depends: 'a' }, { name: 'b', template: 'b', depends: 'x', arguments: { parameters: [{ name: 'p', value: '{{tasks.a.outputs.parameters.o}}' }] } }], others));
    expect(ok).toEqual([]);
  });
  it('requires at least one task', () => {
    expect(check(dag([]))).toEqual([issue('spec.templates[0].dag.tasks', 'must have at least one task')]);
  });
});

describe('template fields', () => {
  it('checks volume mounts', () => {
    const t = c('main', { container: { image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'work', mountPath: '/w' }] } });
    expect(check({ volumes: [{ name: 'data', emptyDir: {} }], templates: [t] })).toEqual([
      issue('spec.templates[0].container.volumeMounts[1].name', "volume 'work' not found: declare it in spec.volumes, the template's volumes or spec.volumeClaimTemplates (declared: data)"),
    ]);
    expect(check({ volumeClaimTemplates: [{ metadata: { name: 'work' }, spec: {} }], volumes: [{ name: 'data' }], templates: [t] })).toEqual([]);
  });
  it('checks retryStrategy', () => {
    expect(check({ templates: [c('main', { retryStrategy: { limit: -1, retryPolicy: 'Sometimes' as never, backoff: { factor: 2 } } })] })).toEqual([
      issue('spec.templates[0].retryStrategy.retryPolicy', 'Sometimes is not a valid RetryPolicy (one of: Always, OnFailure, OnError, OnTransientError)'),
      issue('spec.templates[0].retryStrategy.limit', 'limit must be a non-negative integer or a {{…}} variable, got -1'),
      issue('spec.templates[0].retryStrategy.backoff', 'no base duration specified for retryStrategy'),
    ]);
    expect(check({ templates: [c('main', { retryStrategy: { limit: '{{inputs.parameters.n}}', backoff: { duration: '1d' } }, inputs: { parameters: [{ name: 'n', value: '1' }] } })] })).toEqual([
      issue('spec.templates[0].retryStrategy.backoff.duration', `invalid duration "1d": use a number of seconds or a Go duration such as 30s, 10m or 1h30m (units ns, us, ms, s, m, h; 'd' is not supported)`),
    ]);
  });
  it('checks suspend durations', () => {
    expect(check({ templates: [{ name: 'main', suspend: { duration: '2d' } }] })).toEqual([
      issue('spec.templates[0].suspend.duration', `invalid duration "2d": use a number of seconds or a Go duration such as 30s, 10m or 1h30m (units ns, us, ms, s, m, h; 'd' is not supported)`),
    ]);
    expect(check({ templates: [{ name: 'main', suspend: { duration: '20' } }] })).toEqual([]);
    expect(check({ templates: [{ name: 'main', suspend: { duration: '1h30m' } }] })).toEqual([]);
  });
  it('checks resource templates', () => {
    expect(check({ templates: [{ name: 'main', resource: { action: 'explode', manifest: 'a: b' } }] })).toEqual([
      issue('spec.templates[0].resource.action', 'action must be one of: get, create, apply, delete, replace, patch'),
    ]);
    expect(check({ templates: [{ name: 'main', resource: { action: 'create' } }] })).toEqual([
      issue('spec.templates[0].resource', 'either resource.manifest or resource.manifestFrom must be specified'),
    ]);
    expect(check({ templates: [{ name: 'main', resource: { action: 'create', manifest: 'metadata:\n  name: {{workflow.name}}\n' } }] })).toEqual([]);
  });
  it('rejects timeouts on non-leaf templates and integer timeouts', () => {
    expect(check(steps([[{ name: 'a', template: 'p' }]], [c('p', { timeout: '30' })], { timeout: '1m' }))).toEqual([
      issue('spec.templates[0].timeout', "steps template doesn't support timeout field."),
      issue('spec.templates[1].timeout', "p has invalid duration format in timeout: use a Go duration such as 30s, 10m or 1h30m (units ns, us, ms, s, m, h; 'd' is not supported)"),
    ]);
  });
});

describe('template references', () => {
  const lib: WorkflowTemplate = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: { name: 'lib' },
    spec: { entrypoint: 'hello', arguments: { parameters: [{ name: 'msg', value: 'hi' }] }, templates: [c('hello', { inputs: { parameters: [{ name: 'm' }] } })] },
  };
  const ctx: ValidateContext = { getWorkflowTemplate: (n) => (n === 'lib' ? lib : undefined), getClusterWorkflowTemplate: () => undefined };

  it('reports missing WorkflowTemplates when linting', () => {
    const s = steps([[{ name: 'a', templateRef: { name: 'nope', template: 'x' } }]]);
    expect(check(s, { lint: true })).toEqual([issue('spec.templates[0].steps[0][0].templateRef.name', 'workflowtemplates.argoproj.io "nope" not found')]);
    expect(check(s)).toEqual([]);
    const cs = steps([[{ name: 'a', templateRef: { name: 'nope', template: 'x', clusterScope: true } }]]);
    expect(check(cs, { lint: true })).toEqual([issue('spec.templates[0].steps[0][0].templateRef.name', 'clusterworkflowtemplates.argoproj.io "nope" not found')]);
  });
  it('reports templates missing from a found WorkflowTemplate', () => {
    expect(check(steps([[{ name: 'a', templateRef: { name: 'lib', template: 'x' } }]]), {}, ctx)).toEqual([
      issue('spec.templates[0].steps[0][0].templateRef.template', 'template reference lib.x not found'),
    ]);
  });
  it('checks arguments against referenced templates', () => {
    expect(check(steps([[{ name: 'a', templateRef: { name: 'lib', template: 'hello' } }]]), {}, ctx)).toEqual([
      issue('spec.templates[0].steps[0][0]', 'inputs.parameters.m was not supplied'),
    ]);
  });
  it('validates the merged spec of a workflowTemplateRef', () => {
    const w = wf({ entrypoint: undefined, workflowTemplateRef: { name: 'lib' } });
    expect(validateWorkflow(w, ctx, {})).toEqual([
      issue('spec.workflowTemplateRef', 'WorkflowTemplate "lib": spec.arguments: inputs.parameters.m was not supplied (the entrypoint \'hello\' needs it in spec.arguments)'),
    ]);
    const ok = wf({ entrypoint: undefined, workflowTemplateRef: { name: 'lib' }, arguments: { parameters: [{ name: 'm', value: 'x' }] } });
    expect(validateWorkflow(ok, ctx, {})).toEqual([]);
    expect(validateWorkflow(wf({ workflowTemplateRef: { name: 'zz' } }), ctx, { lint: true })).toEqual([
      issue('spec.workflowTemplateRef.name', 'workflowtemplates.argoproj.io "zz" not found'),
    ]);
    expect(validateWorkflow(wf({ workflowTemplateRef: { name: 'lib' }, templates: [c('x')] }), ctx, { lint: true })[0]).toEqual(
      issue('spec.templates', 'Templates is invalid field in spec if workflow referred WorkflowTemplate reference'),
    );
  });
});

describe('WorkflowTemplates', () => {
  const wt = (spec: WorkflowSpec): WorkflowTemplate => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 't' }, spec });
  it('does not require an entrypoint or argument values, and allows workflow parameters from the caller', () => {
    const t = wt({ arguments: { parameters: [{ name: 'p' }] }, templates: [c('x', { container: { image: 'i', args: ['{{workflow.parameters.anything}}'] } })] });
    expect(validateWorkflowTemplate(t, NO_TEMPLATES)).toEqual([]);
    expect(validateClusterWorkflowTemplate(t, NO_TEMPLATES)).toEqual([]);
  });
  it('requires argument values at submit', () => {
    const t = wt({ arguments: { parameters: [{ name: 'p' }] }, templates: [c('x')] });
    expect(validateWorkflowTemplate(t, NO_TEMPLATES, { submit: true })).toEqual([issue('spec.arguments.parameters[0]', 'spec.arguments.parameters.p.value is required')]);
  });
  it('still checks templates', () => {
    expect(validateWorkflowTemplate(wt({ templates: [{ name: 'x' }] }), NO_TEMPLATES)).toEqual([
      issue('spec.templates[0]', 'template type unspecified. choose one of: container, containerSet, steps, script, resource, dag, suspend, data, http, plugin'),
    ]);
  });
});

describe('CronWorkflows', () => {
  const cron = (spec: Partial<CronWorkflow['spec']>, name = 'cron'): CronWorkflow => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name },
    spec: { schedule: '* * * * *', workflowSpec: { entrypoint: 'main', templates: [c('main')] }, ...spec },
  });
  it('accepts valid schedules', () => {
    for (const s of ['*/5 * * * *', '0 0 * * MON-FRI', '@hourly', '@every 90s', '0 30 2 * * *', 'CRON_TZ=UTC 0 2 * * *']) {
      expect(cronScheduleError(s)).toBeUndefined();
    }
    expect(validateCronWorkflow(cron({ timezone: 'America/Los_Angeles' }), NO_TEMPLATES)).toEqual([]);
  });
  it('rejects bad schedules, timezones and policies', () => {
    expect(validateCronWorkflow(cron({ schedule: '* * *', timezone: 'Mars/Olympus', concurrencyPolicy: 'Sometimes' as never, startingDeadlineSeconds: -1 }), NO_TEMPLATES)).toEqual([
      issue('spec.schedule', 'cron schedule * * * is malformed: expected exactly 5 fields (minute hour day-of-month month day-of-week), found 3: "* * *"'),
      issue('spec.timezone', 'unknown time zone "Mars/Olympus": use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC'),
      issue('spec.concurrencyPolicy', "'Sometimes' is not a valid concurrencyPolicy (one of: Allow, Forbid, Replace)"),
      issue('spec.startingDeadlineSeconds', 'startingDeadlineSeconds must be positive'),
    ]);
    expect(validateCronWorkflow(cron({ schedule: '61 * * * *' }), NO_TEMPLATES)).toEqual([
      issue('spec.schedule', 'cron schedule 61 * * * * is malformed: minute 61 out of range [0-59]'),
    ]);
    expect(validateCronWorkflow(cron({ schedule: undefined }), NO_TEMPLATES)).toEqual([
      issue('spec.schedule', 'a schedule is required: set spec.schedule (e.g. "0 * * * *") or spec.schedules'),
    ]);
    expect(validateCronWorkflow(cron({ schedules: ['@daily'] }), NO_TEMPLATES)).toEqual([
      issue('spec.schedules', 'cron workflow cant be configured with both Spec.Schedule and Spec.Schedules'),
    ]);
  });
  it('limits names to 52 characters and validates the workflowSpec', () => {
    expect(validateCronWorkflow(cron({}, 'c'.repeat(53)), NO_TEMPLATES)).toEqual([issue('metadata.name', 'must be no more than 52 characters (currently 53)')]);
    expect(validateCronWorkflow(cron({ workflowSpec: { entrypoint: 'x', templates: [c('main')] } }), NO_TEMPLATES)).toEqual([
      issue('spec.workflowSpec.entrypoint', "template 'x' not found (templates: main)"),
    ]);
  });
});

describe('parseDepends', () => {
  it('extracts task names', () => {
    expect(parseDepends('(A.Succeeded || B-2.Failed) && !C').refs.map((r) => r.task)).toEqual(['A', 'B-2', 'C']);
    expect(parseDepends('A &&').errors).toEqual(['unexpected end of expression']);
  });
});

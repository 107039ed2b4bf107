// Argo's semantics, checked against the deterministic operator (no processes, fixed clock).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Workflow } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { fnv32a } from './names.js';
import { simulate } from './simulate.js';

const wf = (yaml: string): Workflow => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf' }, spec: parse(yaml) });

const echo = (pod: KObject) => {
  const c = (pod.spec as { containers: { args?: string[]; command?: string[] }[] }).containers[0];
  return { stdout: `${(c.args ?? []).join(' ')}\n` };
};

describe('steps', () => {
  const steps = wf(`
entrypoint: main
templates:
- name: main
  steps:
  - - name: hello1
      template: say
      arguments: {parameters: [{name: msg, value: one}]}
  - - name: hello2a
      template: say
      arguments: {parameters: [{name: msg, value: "{{steps.hello1.outputs.result}}-two"}]}
    - name: hello2b
      template: say
      arguments: {parameters: [{name: msg, value: three}]}
- name: say
  inputs: {parameters: [{name: msg}]}
  container: {image: alpine, command: [echo], args: ["{{inputs.parameters.msg}}"]}
`);

  it('names, IDs and links nodes as Argo does', () => {
    const r = simulate(steps, { run: (p) => echo(p) });
    expect(r.workflow.status?.phase).toBe('Succeeded');
    const root = r.byDisplayName('wf');
    expect(root.id).toBe('wf');
    expect(root.type).toBe('Steps');
    const g0 = r.byDisplayName('[0]');
    expect(g0.type).toBe('StepGroup');
    expect(g0.id).toBe(`wf-${fnv32a('wf[0]')}`);
    const h1 = r.byDisplayName('hello1');
    expect(h1.name).toBe('wf[0].hello1');
    expect(h1.type).toBe('Pod');
    expect(h1.boundaryID).toBe('wf');
    expect(root.children).toEqual([g0.id]);
    expect(h1.children).toEqual([r.byDisplayName('[1]').id]);
    expect([...(root.outboundNodes ?? [])].sort()).toEqual([r.byDisplayName('hello2a').id, r.byDisplayName('hello2b').id].sort());
    expect(r.podsCreated).toContain(`wf-say-${fnv32a('wf[0].hello1')}`);
  });

  it('passes outputs.result of an earlier step to a later one', () => {
    const r = simulate(steps, { run: (p) => echo(p) });
    expect(r.byDisplayName('hello2a').inputs?.parameters?.[0].value).toBe('one-two');
    expect(r.byDisplayName('hello2a').outputs?.result).toBe('one-two');
  });

  it('fails the group and the workflow with "child \'<id>\' failed"', () => {
    const r = simulate(steps, { run: (p) => ((p.metadata.name ?? '').endsWith(String(fnv32a('wf[1].hello2b'))) ? { exitCode: 1 } : echo(p)) });
    const failed = r.byDisplayName('hello2b');
    expect(failed.phase).toBe('Failed');
    expect(failed.message).toBe('Error (exit code 1)');
    expect(r.byDisplayName('[1]').message).toBe(`child '${failed.id}' failed`);
    expect(r.workflow.status?.phase).toBe('Failed');
    expect(r.workflow.status?.message).toBe(`child '${failed.id}' failed`);
  });
});

describe('conditionals and loops', () => {
  it('skips a step whose when is false with Argo\'s message', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  steps:
  - - {name: flip, template: flip}
  - - {name: heads, template: ok, when: "{{steps.flip.outputs.result}} == heads"}
    - {name: tails, template: ok, when: "{{steps.flip.outputs.result}} == tails"}
- name: flip
  container: {image: alpine, command: [echo, heads]}
- name: ok
  container: {image: alpine, command: ["true"]}
`),
      { run: (p) => ((p.metadata.name ?? '').includes('flip') ? { stdout: 'heads\n' } : {}) },
    );
    expect(r.byDisplayName('heads').phase).toBe('Succeeded');
    const tails = r.byDisplayName('tails');
    expect(tails.phase).toBe('Skipped');
    expect(tails.type).toBe('Skipped');
    expect(tails.message).toBe("when 'heads == tails' evaluated false");
    expect(r.workflow.status?.phase).toBe('Succeeded');
  });

  it('names loop iterations and aggregates their outputs', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  steps:
  - - name: gen
      template: say
      arguments: {parameters: [{name: m, value: "{{item}}"}]}
      withItems: [a, b]
    - name: maps
      template: say
      arguments: {parameters: [{name: m, value: "{{item.os}}"}]}
      withItems: [{os: debian, v: 9}]
    - name: seq
      template: say
      arguments: {parameters: [{name: m, value: "{{item}}"}]}
      withSequence: {start: "3", end: "1"}
  - - name: all
      template: say
      arguments: {parameters: [{name: m, value: "{{steps.gen.outputs.result}}"}]}
- name: say
  inputs: {parameters: [{name: m}]}
  container: {image: alpine, command: [echo], args: ['"{{inputs.parameters.m}}"']}
`),
      { run: (p) => echo(p) },
    );
    expect(r.workflow.status?.phase).toBe('Succeeded');
    expect(r.byDisplayName('gen(0:a)').name).toBe('wf[0].gen(0:a)');
    expect(r.byDisplayName('gen(1:b)').phase).toBe('Succeeded');
    expect(r.byDisplayName('maps(0:os:debian,v:9)').phase).toBe('Succeeded');
    expect(r.nodes.filter((n) => n.name.startsWith('wf[0].seq(')).map((n) => n.displayName)).toEqual(['seq(0:3)', 'seq(1:2)', 'seq(2:1)']);
    expect(r.byDisplayName('all').inputs?.parameters?.[0].value).toBe('["a","b"]');
  });

  it('marks an empty loop Skipped', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  steps:
  - - {name: none, template: ok, withParam: "[]"}
- name: ok
  container: {image: alpine}
`),
    );
    expect(r.byDisplayName('none').message).toBe('Skipped, empty params');
    expect(r.workflow.status?.phase).toBe('Succeeded');
  });
});

describe('dag', () => {
  const diamond = (extra = '') =>
    wf(`
entrypoint: main
templates:
- name: main
  dag:
    tasks:
    - {name: A, template: t}
    - {name: B, template: t, depends: A}
    - {name: C, template: t, depends: A}
    - {name: D, template: t, depends: B && C}
${extra}
- name: t
  container: {image: alpine}
`);

  it('runs a diamond and links tasks through their dependencies', () => {
    const r = simulate(diamond());
    expect(r.workflow.status?.phase).toBe('Succeeded');
    const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((n) => r.byDisplayName(n));
    expect(a.name).toBe('wf.A');
    expect(r.byDisplayName('wf').children).toEqual([a.id]);
    expect([...(a.children ?? [])].sort()).toEqual([b.id, c.id].sort());
    expect(b.children).toEqual([d.id]);
    expect(r.byDisplayName('wf').outboundNodes).toEqual([d.id]);
  });

  it('links a task under dependencies that finished passes earlier (their stored nodes are shared, frozen)', () => {
    // C takes longer: B is done and frozen, as the store keeps it, when D is linked under it.
    const r = simulate(diamond(), { run: (p) => ((p.metadata.name ?? '').endsWith(String(fnv32a('wf.C'))) ? { seconds: 5 } : {}) });
    expect(r.workflow.status?.phase).toBe('Succeeded');
    const [b, c, d] = ['B', 'C', 'D'].map((n) => r.byDisplayName(n));
    expect(b.children).toEqual([d.id]);
    expect(c.children).toEqual([d.id]);
    expect(r.byDisplayName('wf').outboundNodes).toEqual([d.id]);
  });

  it('omits a task whose depends is not met and fails the DAG through the omitted branch', () => {
    const r = simulate(diamond(), { run: (p) => ((p.metadata.name ?? '').endsWith(String(fnv32a('wf.B'))) ? { exitCode: 1 } : {}) });
    const d = r.byDisplayName('D');
    expect(d.phase).toBe('Omitted');
    expect(d.message).toBe('omitted: depends condition not met');
    expect(r.workflow.status?.phase).toBe('Failed');
  });

  it('succeeds when a failure is consumed by X.Failed', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  dag:
    tasks:
    - {name: A, template: t}
    - {name: B, template: t, depends: A.Failed}
    - {name: C, template: t, depends: A.Succeeded}
- name: t
  container: {image: alpine}
`),
      { run: (p) => ((p.metadata.name ?? '').endsWith(String(fnv32a('wf.A'))) ? { exitCode: 2 } : {}) },
    );
    expect(r.byDisplayName('B').phase).toBe('Succeeded');
    expect(r.byDisplayName('C').phase).toBe('Omitted');
    expect(r.workflow.status?.phase).toBe('Succeeded');
  });

  it('groups loop tasks under a TaskGroup node', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  dag:
    tasks:
    - {name: fan, template: t, withItems: [1, 2, 3]}
- name: t
  container: {image: alpine}
`),
    );
    const g = r.byDisplayName('fan');
    expect(g.type).toBe('TaskGroup');
    expect(g.children).toHaveLength(3);
    expect(r.byDisplayName('fan(2:3)').name).toBe('wf.fan(2:3)');
  });
});

describe('retries', () => {
  const retry = (strategy: string) =>
    wf(`
entrypoint: main
templates:
- name: main
  retryStrategy: ${strategy}
  container: {image: alpine}
`);

  it('with limit 1 and a failing pod has a Retry node and 2 attempts, "No more retries left"', () => {
    const r = simulate(retry('{limit: 1}'), { run: () => ({ exitCode: 1 }) });
    expect(r.nodes).toHaveLength(3);
    const root = r.byDisplayName('wf');
    expect(root.type).toBe('Retry');
    expect(root.phase).toBe('Failed');
    expect(root.message).toBe('No more retries left');
    expect(r.byDisplayName('wf(0)').nodeFlag?.retried).toBe(true);
    expect(r.byDisplayName('wf(1)').phase).toBe('Failed');
    expect(r.workflow.status?.phase).toBe('Failed');
  });

  it('stops retrying once an attempt succeeds, and waits out the backoff', () => {
    let n = 0;
    const r = simulate(retry('{limit: 5, backoff: {duration: "10s", factor: 2}}'), { run: () => ({ exitCode: n++ < 2 ? 1 : 0 }) });
    expect(r.workflow.status?.phase).toBe('Succeeded');
    const attempts = r.nodes.filter((x) => /^wf\(\d\)$/.test(x.name));
    expect(attempts).toHaveLength(3);
    const gap = (a: string, b: string) => (new Date(r.byDisplayName(b).startedAt!).getTime() - new Date(r.byDisplayName(a).finishedAt!).getTime()) / 1000;
    expect(gap('wf(0)', 'wf(1)')).toBe(10);
    expect(gap('wf(1)', 'wf(2)')).toBe(20);
  });

  it('does not retry an Error under the default OnFailure policy... but retries Failed', () => {
    const r = simulate(retry('{limit: 2, retryPolicy: OnError}'), { run: () => ({ exitCode: 1 }) });
    expect(r.nodes.filter((x) => /^wf\(\d\)$/.test(x.name))).toHaveLength(1);
  });
});

describe('exit handlers and hooks', () => {
  it('runs onExit after the entry node, with workflow.status and workflow.failures', () => {
    const r = simulate(
      wf(`
entrypoint: main
onExit: bye
templates:
- name: main
  container: {image: alpine}
- name: bye
  container: {image: alpine, command: [echo], args: ["{{workflow.status}} {{workflow.failures}}"]}
`),
      { run: (p) => ((p.metadata.name ?? '') === 'wf' ? { exitCode: 1 } : echo(p)) },
    );
    const exit = r.byDisplayName('wf.onExit');
    expect(exit.phase).toBe('Succeeded');
    expect(exit.nodeFlag?.hooked).toBe(true);
    expect(exit.outputs?.result).toMatch(/^Failed \[\{"displayName":"wf","message":"Error \(exit code 1\)"/);
    expect(r.workflow.status?.phase).toBe('Failed');
  });

  it('fails a succeeded workflow whose exit handler fails', () => {
    const r = simulate(
      wf(`
entrypoint: main
onExit: bye
templates:
- name: main
  container: {image: alpine}
- name: bye
  container: {image: alpine}
`),
      { run: (p) => ((p.metadata.name ?? '') === 'wf' ? {} : { exitCode: 3 }) },
    );
    expect(r.workflow.status?.phase).toBe('Failed');
  });
});

describe('deadlines, suspend and shutdown', () => {
  it('fails running steps past the workflow deadline with "Step exceeded its deadline", still running onExit', () => {
    const r = simulate(
      wf(`
entrypoint: main
activeDeadlineSeconds: 5
onExit: bye
templates:
- name: main
  container: {image: alpine}
- name: bye
  container: {image: alpine}
`),
      { run: (p) => ((p.metadata.name ?? '') === 'wf' ? { seconds: 60 } : {}) },
    );
    expect(r.byDisplayName('wf').message).toBe('Step exceeded its deadline');
    expect(r.byDisplayName('wf.onExit').phase).toBe('Succeeded');
    expect(r.workflow.status?.phase).toBe('Failed');
  });

  it('resumes a timed suspend and takes supplied defaults', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  steps:
  - - {name: wait, template: wait}
- name: wait
  suspend: {duration: "20"}
  outputs:
    parameters:
    - name: answer
      valueFrom: {supplied: {}, default: "42"}
`),
    );
    const w = r.byDisplayName('wait');
    expect(w.type).toBe('Suspend');
    expect(w.outputs?.parameters?.[0]).toEqual({ name: 'answer', value: '42' });
    expect((new Date(w.finishedAt!).getTime() - new Date(w.startedAt!).getTime()) / 1000).toBe(20);
  });

  it('terminate fails running pods and skips the exit handler', () => {
    const r = simulate(
      wf(`
entrypoint: main
onExit: bye
templates:
- name: main
  container: {image: alpine}
- name: bye
  container: {image: alpine}
`),
      {
        run: () => ({ seconds: 100 }),
        onPass: (w, pass) => (pass === 0 ? { ...w, spec: { ...w.spec, shutdown: 'Terminate' } } : undefined),
      },
    );
    expect(r.workflow.status?.phase).toBe('Failed');
    expect(r.workflow.status?.message).toBe("Stopped with strategy 'Terminate'");
    expect(r.nodes.find((n) => n.name === 'wf.onExit')).toBeUndefined();
  });
});

describe('inputs', () => {
  it('errors with Argo\'s message when a required input is missing', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  inputs: {parameters: [{name: x}]}
  container: {image: alpine}
`),
    );
    expect(r.workflow.status?.phase).toBe('Error');
    expect(r.byDisplayName('wf').message).toBe('inputs.parameters.x was not supplied');
  });

  it('reads a parameter from a ConfigMap', () => {
    const r = simulate(
      wf(`
entrypoint: main
templates:
- name: main
  inputs:
    parameters:
    - name: msg
      valueFrom: {configMapKeyRef: {name: cm, key: k}}
  container: {image: alpine, command: [echo], args: ["{{inputs.parameters.msg}}"]}
`),
      { configMaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { k: 'from-cm' } }], run: (p) => echo(p) },
    );
    expect(r.byDisplayName('wf').outputs?.result).toBe('from-cm');
  });
});

describe('synchronization', () => {
  it('lets one workflow hold a mutex while another waits with Argo\'s message, then hands it over', async () => {
    const { operate } = await import('./operator.js');
    const { SyncManager } = await import('./sync.js');
    const sync = new SyncManager();
    const mk = (name: string) => ({ ...wf(`
entrypoint: main
synchronization: {mutex: {name: test}}
templates:
- name: main
  container: {image: alpine}
`), metadata: { name, namespace: 'default', uid: name } }) as Workflow;
    const env = { now: new Date(), pods: new Map(), taskResults: new Map(), getWorkflowTemplate: () => undefined, getClusterWorkflowTemplate: () => undefined, getConfigMap: () => undefined, sync };
    const a = operate(mk('a'), env).workflow;
    expect(a.status?.phase).toBe('Running');
    const b = operate(mk('b'), env).workflow;
    expect(b.status?.phase).toBe('Pending');
    expect(b.status?.message).toBe('Waiting for default/Mutex/test lock. Lock status: 1/1');
    // a finishes: its pod succeeded
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0 } } }] } };
    const done = operate(a, { ...env, pods: new Map([['a', pod]]), taskResults: new Map([['a', { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTaskResult', metadata: { name: 'a' }, outputs: {} }]]) }).workflow;
    expect(done.status?.phase).toBe('Succeeded');
    expect(operate(b, env).workflow.status?.phase).toBe('Running');
  });
});

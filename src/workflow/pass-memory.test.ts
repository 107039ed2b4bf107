// What a pass carries over to the next (pass-memory.ts, the DAG frontier in dag.ts) must never change
// an outcome: every upstream example, run in simulated time with it and without it, ends with the same
// status and the same Pods; and every pass of the run with it checks its memory against a full look.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Workflow, WorkflowTemplate } from '../model/argo.js';
import { loadManifestFiles } from '../model/manifest.js';
import type { KObject } from '../model/object.js';
import { fnv32a } from './names.js';
import { configurePassMemory, recall } from './pass-memory.js';
import { type SimOptions, simulate } from './simulate.js';

const EXAMPLES = '/work/shared/conformance/argo-workflows/examples';

beforeAll(() => configurePassMemory({ verify: true }));
afterAll(() => configurePassMemory({ enabled: true }));

/** The same run twice, with and without the memory: status and Pods must be identical. */
function both(wf: Workflow, opts: SimOptions = {}) {
  configurePassMemory({ enabled: true });
  const withMemory = simulate(wf, opts);
  configurePassMemory({ enabled: false });
  const without = simulate(wf, opts);
  configurePassMemory({ enabled: true });
  expect(JSON.stringify(withMemory.workflow.status)).toBe(JSON.stringify(without.workflow.status));
  expect(withMemory.podsCreated).toEqual(without.podsCreated);
  return withMemory;
}

/** Pods fail or succeed by their name (deterministic), so failure paths are taken too. */
const someFail = (pod: KObject) => ({ exitCode: fnv32a(pod.metadata.name!) % 3 === 0 ? 1 : 0, stdout: '1\n' });

describe.skipIf(!existsSync(EXAMPLES))('every upstream example', () => {
  it('ends the same with the pass memory as without it, with every pod succeeding or some failing', async () => {
    const files = (await readdir(EXAMPLES, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
    const manifests = (await Promise.all(files.map((f) => loadManifestFiles([`${EXAMPLES}/${f}`]).catch(() => [])))).flat();
    const objects = manifests.map((m) => m.object);
    const templates = objects.filter((o) => o.kind === 'WorkflowTemplate') as WorkflowTemplate[];
    const clusterTemplates = objects.filter((o) => o.kind === 'ClusterWorkflowTemplate') as WorkflowTemplate[];
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
    const workflows = objects.filter((o) => o.kind === 'Workflow') as Workflow[];
    expect(workflows.length).toBeGreaterThan(150);
    for (const wf of workflows) {
      wf.metadata.name ??= `${wf.metadata.generateName ?? 'wf-'}abcde`;
      for (const run of [undefined, someFail]) both(wf, { templates, clusterTemplates, configMaps, run, maxSteps: 300 });
    }
  });
});

describe('the DAG frontier', () => {
  const dag = (yaml: string): Workflow => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf' }, spec: parse(yaml) });
  const chain = (n: number) =>
    dag(`
entrypoint: main
templates:
- name: main
  dag:
    tasks:
${Array.from({ length: n }, (_, i) => `    - {name: t${i}, template: ok${i ? `, dependencies: [t${i - 1}]` : ''}}`).join('\n')}
- name: ok
  container: {image: alpine, command: ["true"]}
`);

  it('is handed from pass to pass: mid-chain, one node is open besides the DAG', () => {
    let open: string[] | undefined;
    both(chain(30), {
      onPass: (wf, pass) => {
        if (pass === 10) open ??= recall(wf.status?.nodes)?.open;
      },
    });
    expect(open).toHaveLength(2);
  });

  it('keeps failFast, parallelism, depends, continueOn and targets as a full look does', () => {
    const cases = [
      // failFast: a failure stops new tasks; with failFast false the others go on.
      ...[true, false].map(
        (failFast) => `entrypoint: main
templates:
- name: main
  dag:
    failFast: ${failFast}
    tasks:
    - {name: a, template: fail}
    - {name: b, template: ok}
    - {name: c, template: ok, dependencies: [b]}
    - {name: d, template: ok, dependencies: [c]}
- {name: ok, container: {image: alpine, command: ["true"]}}
- {name: fail, container: {image: alpine, command: ["false"]}}`,
      ),
      // parallelism 2 over six independent tasks, then a sink; a task declared before its dependency.
      `entrypoint: main
templates:
- name: main
  parallelism: 2
  dag:
    tasks:
    - {name: sink, template: ok, dependencies: [a, b, c, d, e, f]}
${['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `    - {name: ${n}, template: ok}`).join('\n')}
- {name: ok, container: {image: alpine, command: ["true"]}}`,
      // depends with Failed/Omitted branches, continueOn, and a target.
      `entrypoint: main
templates:
- name: main
  dag:
    target: "e f"
    tasks:
    - {name: a, template: fail, continueOn: {failed: true}}
    - {name: b, template: ok, depends: "a.Failed"}
    - {name: c, template: ok, depends: "a.Succeeded"}
    - {name: d, template: ok, depends: "c || b"}
    - {name: e, template: ok, dependencies: [d]}
    - {name: f, template: ok, depends: "a"}
    - {name: unwanted, template: ok}
- {name: ok, container: {image: alpine, command: ["true"]}}
- {name: fail, container: {image: alpine, command: ["false"]}}`,
      // a loop task, retries and a nested DAG.
      `entrypoint: main
templates:
- name: main
  dag:
    tasks:
    - {name: fan, template: flaky, withItems: [1, 2, 3]}
    - {name: inner, template: inner, dependencies: [fan]}
- name: inner
  dag:
    tasks:
    - {name: x, template: flaky}
    - {name: y, template: flaky, dependencies: [x]}
- name: flaky
  retryStrategy: {limit: 2}
  container: {image: alpine, command: ["true"]}`,
    ];
    for (const yaml of cases) {
      for (const run of [undefined, someFail]) both(dag(yaml), { run });
    }
  });
});

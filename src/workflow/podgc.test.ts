// spec.podGC: the decision table (Argo's determinePodCleanupAction), the controller over a MemoryStore
// with hand-made Workflows and Pods (each strategy, labelSelector, delays, a retried workflow), and one
// end-to-end run on the embedded runtime with real pod processes.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import { ANNOTATION_NODE_ID, LABEL_WORKFLOW, type Workflow } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { labelSelectorFromObject } from '../model/selectors.js';
import { podDirOf, readPodLogs } from '../node/index.js';
import { MemoryStore } from '../store/memory.js';
import { startEmbedded } from '../cli/runtime.js';
import { DEFAULT_POD_GC_DELAY_MS, PodGCController, effectivePodGC, podGCDelayMs, shouldDeletePod } from './podgc.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
  return Date.now() - t0;
}

describe('shouldDeletePod (Argo’s decision table)', () => {
  const all = labelSelectorFromObject(undefined);
  const cases: [string | undefined, string, string, boolean][] = [
    // strategy, workflow phase, pod phase, delete?
    [undefined, 'Succeeded', 'Succeeded', false],
    ['', 'Succeeded', 'Succeeded', false],
    ['OnPodCompletion', 'Running', 'Succeeded', true],
    ['OnPodCompletion', 'Running', 'Failed', true],
    ['OnPodSuccess', 'Running', 'Succeeded', true],
    ['OnPodSuccess', 'Running', 'Failed', false],
    ['OnPodSuccess', 'Failed', 'Failed', false],
    ['OnWorkflowCompletion', 'Running', 'Succeeded', false],
    ['OnWorkflowCompletion', 'Succeeded', 'Succeeded', true],
    ['OnWorkflowCompletion', 'Failed', 'Failed', true],
    ['OnWorkflowCompletion', 'Error', 'Succeeded', true],
    ['OnWorkflowSuccess', 'Running', 'Succeeded', false],
    ['OnWorkflowSuccess', 'Succeeded', 'Succeeded', true],
    ['OnWorkflowSuccess', 'Failed', 'Succeeded', false],
    ['OnWorkflowSuccess', 'Error', 'Succeeded', false],
  ];
  it.each(cases)('%s, workflow %s, pod %s → delete %s', (strategy, wfPhase, podPhase, expected) => {
    expect(shouldDeletePod(strategy, all, {}, wfPhase, podPhase)).toBe(expected);
  });
  it('keeps pods the label selector does not match', () => {
    const sel = labelSelectorFromObject({ matchLabels: { gc: 'yes' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['keep'] }] });
    expect(shouldDeletePod('OnPodCompletion', sel, { gc: 'yes' }, 'Running', 'Succeeded')).toBe(true);
    expect(shouldDeletePod('OnPodCompletion', sel, { gc: 'no' }, 'Running', 'Succeeded')).toBe(false);
    expect(shouldDeletePod('OnPodCompletion', sel, { gc: 'yes', tier: 'keep' }, 'Running', 'Succeeded')).toBe(false);
  });
  it('reads the delay as seconds or a Go duration, defaulting to 5 s', () => {
    expect(podGCDelayMs(undefined)).toBe(DEFAULT_POD_GC_DELAY_MS);
    expect(podGCDelayMs({ strategy: 'OnPodCompletion' })).toBe(5000);
    expect(podGCDelayMs({ deleteDelayDuration: '30s' })).toBe(30_000);
    expect(podGCDelayMs({ deleteDelayDuration: '1m30s' })).toBe(90_000);
    expect(podGCDelayMs({ deleteDelayDuration: '20' })).toBe(20_000);
    expect(podGCDelayMs({ deleteDelayDuration: '0' })).toBe(0);
    expect(podGCDelayMs({ deleteDelayDuration: '-5s' })).toBe(0);
    expect(() => podGCDelayMs({ deleteDelayDuration: '2d' })).toThrow(/podGC.deleteDelayDuration: invalid duration "2d"/);
  });
  it('takes podGC from the referenced WorkflowTemplate when the workflow has none', () => {
    const wf = { spec: {}, status: { storedWorkflowTemplateSpec: { podGC: { strategy: 'OnPodSuccess' } } } } as unknown as Workflow;
    expect(effectivePodGC(wf)).toEqual({ strategy: 'OnPodSuccess' });
    wf.spec.podGC = { strategy: 'OnWorkflowCompletion' };
    expect(effectivePodGC(wf)).toEqual({ strategy: 'OnWorkflowCompletion' });
  });
});

// ------------------------------------------------------------------ the controller, over a MemoryStore

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';

async function setup(opts: { defaultDeleteDelayMs?: number } = {}) {
  const store = new MemoryStore();
  const client = new EmbeddedClient(store);
  const gc = new PodGCController({ client, defaultDeleteDelayMs: opts.defaultDeleteDelayMs ?? 0 });
  await gc.start();
  cleanups.push(() => gc.stop(), () => store.close());

  /** A workflow with one Pod node per entry of `steps`, each with its Pod. */
  const workflow = async (name: string, podGC: Record<string, unknown> | undefined, steps: { id: string; labels?: Record<string, string> }[], extra: Partial<Workflow['spec']> = {}) => {
    const wf = await client.create<Workflow>({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name, namespace: 'argo' },
      spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine' } }], ...(podGC ? { podGC } : {}), ...extra },
    } as Workflow);
    for (const s of steps) {
      await client.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${s.id}`,
          namespace: 'argo',
          labels: { [LABEL_WORKFLOW]: name, ...(s.labels ?? {}) },
          annotations: { [ANNOTATION_NODE_ID]: `${name}-${s.id}` },
          ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name, uid: wf.metadata.uid!, controller: true }],
        },
        spec: { containers: [{ name: 'main', image: 'alpine' }] },
      });
    }
    return wf;
  };
  const podPhase = async (pod: string, phase: Phase) => {
    const cur = await client.get(Kinds.Pod, pod, 'argo');
    await client.update({ ...cur, status: { phase } }, { subresource: 'status' });
  };
  /** Set the workflow's phase and its nodes' phases (node id → phase). */
  const status = async (name: string, phase: Phase, nodes: Record<string, Phase>) => {
    const cur = await client.get<Workflow>(Kinds.Workflow, name, 'argo');
    const n: Record<string, unknown> = {};
    for (const [id, p] of Object.entries(nodes)) n[`${name}-${id}`] = { id: `${name}-${id}`, name: id, displayName: id, type: 'Pod', phase: p };
    await client.update<Workflow>({ ...cur, status: { ...(cur.status ?? {}), phase, nodes: n } } as Workflow);
  };
  const pods = async (name: string) =>
    (await client.list(Kinds.Pod, { namespace: 'argo', labelSelector: `${LABEL_WORKFLOW}=${name}` })).items.map((p) => p.metadata.name!.slice(name.length + 1)).sort();
  /** Wait until the pods of `name` are exactly `expected`, then make sure they stay so for `settleMs`. */
  const expectPods = async (name: string, expected: string[], settleMs = 150) => {
    await until(`pods of ${name} to be [${expected}]`, async () => JSON.stringify(await pods(name)) === JSON.stringify(expected));
    await sleep(settleMs);
    expect(await pods(name)).toEqual(expected);
  };
  return { store, client, gc, workflow, podPhase, status, pods, expectPods };
}

describe('PodGCController', () => {
  it('keeps every pod when there is no podGC (the default)', async () => {
    const t = await setup();
    await t.workflow('keep', undefined, [{ id: 'a' }, { id: 'b' }]);
    await t.podPhase('keep-a', 'Succeeded');
    await t.podPhase('keep-b', 'Failed');
    await t.status('keep', 'Failed', { a: 'Succeeded', b: 'Failed' });
    await t.expectPods('keep', ['a', 'b'], 300);
    expect(t.gc.pendingDeletions).toBe(0);
  });

  it('OnPodCompletion: deletes each pod once its node has finished, whatever the outcome, while the workflow runs', async () => {
    const t = await setup();
    await t.workflow('opc', { strategy: 'OnPodCompletion' }, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    await t.podPhase('opc-a', 'Succeeded');
    await t.podPhase('opc-b', 'Failed');
    await t.podPhase('opc-c', 'Running');
    // A finished Pod whose node the workflow has not recorded as finished yet is left alone.
    await t.status('opc', 'Running', { a: 'Running', b: 'Running', c: 'Running' });
    await t.expectPods('opc', ['a', 'b', 'c']);
    await t.status('opc', 'Running', { a: 'Succeeded', b: 'Failed', c: 'Running' });
    await t.expectPods('opc', ['c']);
    await t.podPhase('opc-c', 'Succeeded');
    await t.status('opc', 'Failed', { a: 'Succeeded', b: 'Failed', c: 'Succeeded' });
    await t.expectPods('opc', []);
  });

  it('OnPodSuccess: deletes the pods that succeeded and keeps the failed ones', async () => {
    const t = await setup();
    await t.workflow('ops', { strategy: 'OnPodSuccess' }, [{ id: 'ok' }, { id: 'bad' }]);
    await t.podPhase('ops-ok', 'Succeeded');
    await t.podPhase('ops-bad', 'Failed');
    await t.status('ops', 'Running', { ok: 'Succeeded', bad: 'Failed' });
    await t.expectPods('ops', ['bad']);
    await t.status('ops', 'Failed', { ok: 'Succeeded', bad: 'Failed' });
    await t.expectPods('ops', ['bad'], 300);
  });

  it('OnWorkflowCompletion: deletes nothing while the workflow runs, everything once it has finished (even Failed)', async () => {
    const t = await setup();
    await t.workflow('owc', { strategy: 'OnWorkflowCompletion' }, [{ id: 'a' }, { id: 'b' }]);
    await t.podPhase('owc-a', 'Succeeded');
    await t.podPhase('owc-b', 'Failed');
    await t.status('owc', 'Running', { a: 'Succeeded', b: 'Failed' });
    await t.expectPods('owc', ['a', 'b'], 300);
    await t.status('owc', 'Failed', { a: 'Succeeded', b: 'Failed' });
    await t.expectPods('owc', []);
  });

  it('OnWorkflowSuccess: keeps every pod of a failed workflow, deletes those of a succeeded one', async () => {
    const t = await setup();
    await t.workflow('failed', { strategy: 'OnWorkflowSuccess' }, [{ id: 'a' }, { id: 'b' }]);
    await t.workflow('passed', { strategy: 'OnWorkflowSuccess' }, [{ id: 'a' }, { id: 'b' }]);
    for (const w of ['failed', 'passed']) {
      await t.podPhase(`${w}-a`, 'Succeeded');
      await t.podPhase(`${w}-b`, w === 'failed' ? 'Failed' : 'Succeeded');
    }
    await t.status('failed', 'Failed', { a: 'Succeeded', b: 'Failed' });
    await t.status('passed', 'Running', { a: 'Succeeded', b: 'Succeeded' });
    await t.expectPods('passed', ['a', 'b']);
    await t.status('passed', 'Succeeded', { a: 'Succeeded', b: 'Succeeded' });
    await t.expectPods('passed', []);
    await t.expectPods('failed', ['a', 'b'], 300);
  });

  it('labelSelector: deletes only the pods that match it', async () => {
    const t = await setup();
    await t.workflow(
      'sel',
      { strategy: 'OnWorkflowCompletion', labelSelector: { matchLabels: { cleanup: 'true' }, matchExpressions: [{ key: 'size', operator: 'In', values: ['s', 'm'] }] } },
      [
        { id: 'small', labels: { cleanup: 'true', size: 's' } },
        { id: 'medium', labels: { cleanup: 'true', size: 'm' } },
        { id: 'large', labels: { cleanup: 'true', size: 'l' } },
        { id: 'nolabel' },
        { id: 'optout', labels: { cleanup: 'false', size: 's' } },
      ],
    );
    const ids = ['small', 'medium', 'large', 'nolabel', 'optout'];
    for (const id of ids) await t.podPhase(`sel-${id}`, 'Succeeded');
    await t.status('sel', 'Succeeded', Object.fromEntries(ids.map((id) => [id, 'Succeeded' as Phase])));
    await t.expectPods('sel', ['large', 'nolabel', 'optout'], 300);
  });

  it('deleteDelayDuration: deletes the pod that long after it qualified; an unset one uses the default', async () => {
    const t = await setup({ defaultDeleteDelayMs: 600 });
    await t.workflow('late', { strategy: 'OnPodCompletion', deleteDelayDuration: '1s' }, [{ id: 'a' }]);
    await t.workflow('dflt', { strategy: 'OnPodCompletion' }, [{ id: 'a' }]);
    await t.podPhase('late-a', 'Succeeded');
    await t.podPhase('dflt-a', 'Succeeded');
    const t0 = Date.now();
    await t.status('late', 'Running', { a: 'Succeeded' });
    await t.status('dflt', 'Running', { a: 'Succeeded' });
    await until('both deletions to be scheduled', () => t.gc.pendingDeletions === 2);
    await sleep(300);
    expect(await t.pods('late')).toEqual(['a']);
    expect(await t.pods('dflt')).toEqual(['a']);
    await until('the default-delay pod to go', async () => (await t.pods('dflt')).length === 0, 5000);
    const dflt = Date.now() - t0;
    await until('the 1s-delay pod to go', async () => (await t.pods('late')).length === 0, 5000);
    const late = Date.now() - t0;
    expect(dflt).toBeGreaterThanOrEqual(550);
    expect(late).toBeGreaterThanOrEqual(950);
    expect(late).toBeLessThan(4000);
  });

  it('keeps the pods of a workflow that is retried before the delay is over', async () => {
    const t = await setup();
    await t.workflow('retried', { strategy: 'OnWorkflowCompletion', deleteDelayDuration: '700ms' }, [{ id: 'a' }, { id: 'b' }]);
    await t.podPhase('retried-a', 'Succeeded');
    await t.podPhase('retried-b', 'Failed');
    await t.status('retried', 'Failed', { a: 'Succeeded', b: 'Failed' });
    await until('both deletions to be scheduled', () => t.gc.pendingDeletions === 2);
    await t.status('retried', 'Running', { a: 'Succeeded', b: 'Running' });
    await until('the deletions to be called off', () => t.gc.pendingDeletions === 0);
    await t.expectPods('retried', ['a', 'b'], 1000);
  });

  it('uses the podGC of the referenced WorkflowTemplate (status.storedWorkflowTemplateSpec)', async () => {
    const t = await setup();
    await t.workflow('fromtmpl', undefined, [{ id: 'a' }], { workflowTemplateRef: { name: 'tmpl' } });
    await t.podPhase('fromtmpl-a', 'Succeeded');
    const cur = await t.client.get<Workflow>(Kinds.Workflow, 'fromtmpl', 'argo');
    await t.client.update<Workflow>({
      ...cur,
      status: { phase: 'Succeeded', storedWorkflowTemplateSpec: { podGC: { strategy: 'OnWorkflowSuccess' } }, nodes: { 'fromtmpl-a': { id: 'fromtmpl-a', name: 'a', displayName: 'a', type: 'Pod', phase: 'Succeeded' } } },
    } as Workflow);
    await t.expectPods('fromtmpl', []);
  });

  it('leaves pods of another workflow that had the same name alone, and skips component pods', async () => {
    const t = await setup();
    await t.workflow('same', { strategy: 'OnPodCompletion' }, [{ id: 'a' }, { id: 'agent', labels: { 'workflows.argoproj.io/component': 'agent' } }]);
    const stale: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'same-old',
        namespace: 'argo',
        labels: { [LABEL_WORKFLOW]: 'same' },
        annotations: { [ANNOTATION_NODE_ID]: 'same-a' },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'same', uid: 'an-older-uid' }],
      },
      spec: { containers: [{ name: 'main', image: 'alpine' }] },
    };
    await t.client.create(stale);
    for (const p of ['same-a', 'same-agent', 'same-old']) await t.podPhase(p, 'Succeeded');
    await t.status('same', 'Succeeded', { a: 'Succeeded', agent: 'Succeeded' });
    await t.expectPods('same', ['agent', 'old']);
  });
});

// ------------------------------------------------------------------ end to end

describe('podGC end to end (embedded runtime, real pod processes)', () => {
  it('deletes the pods that qualify after the workflow completes; the node statuses and outputs stay', async () => {
    const rt = await startEmbedded({ sandbox: 'none' });
    cleanups.push(() => rt.stop());
    const spec = (podGC: Record<string, unknown>, fail = false) => ({
      entrypoint: 'main',
      podGC,
      templates: [
        {
          name: 'main',
          steps: [[{ name: 'one', template: 'say', arguments: { parameters: [{ name: 'msg', value: 'one' }] } }], [{ name: 'two', template: fail ? 'fail' : 'keep' }]],
        },
        { name: 'say', inputs: { parameters: [{ name: 'msg' }] }, metadata: { labels: { gc: 'yes' } }, container: { image: 'alpine', command: ['sh', '-c', 'echo {{inputs.parameters.msg}}'] } },
        { name: 'keep', container: { image: 'alpine', command: ['sh', '-c', 'echo kept'] } },
        { name: 'fail', metadata: { labels: { gc: 'yes' } }, container: { image: 'alpine', command: ['sh', '-c', 'echo failing; exit 3'] } },
      ],
    });
    const submit = (name: string, podGC: Record<string, unknown>, fail = false) =>
      rt.client.create<Workflow>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name, namespace: 'default' }, spec: spec(podGC, fail) } as Workflow);
    const wfPods = async (name: string) => (await rt.client.list(Kinds.Pod, { namespace: 'default', labelSelector: `${LABEL_WORKFLOW}=${name}` })).items;
    const phase = async (name: string) => (await rt.client.get<Workflow>(Kinds.Workflow, name, 'default')).status?.phase;

    const seen = new Map<string, KObject>();
    const w = await rt.client.watch(Kinds.Pod, { namespace: 'default' }, { onEvent: (ev) => ev.type !== 'DELETED' && seen.set(ev.object.metadata.name!, ev.object) });
    cleanups.push(() => w.stop());
    await submit('gc-selected', { strategy: 'OnWorkflowCompletion', labelSelector: { matchLabels: { gc: 'yes' } }, deleteDelayDuration: '0s' });
    await submit('gc-success-failed', { strategy: 'OnWorkflowSuccess', deleteDelayDuration: '0s' }, true);
    await until('both workflows to finish', async () => (await phase('gc-selected')) === 'Succeeded' && (await phase('gc-success-failed')) === 'Failed', 30_000);

    // gc-selected: the `one` pod (labelled gc=yes) goes; the unlabelled `two` pod stays.
    await until('the labelled pod to be deleted', async () => (await wfPods('gc-selected')).length === 1, 10_000);
    const [kept] = await wfPods('gc-selected');
    expect(kept.metadata.labels?.gc).toBeUndefined();
    const wf = await rt.client.get<Workflow>(Kinds.Workflow, 'gc-selected', 'default');
    expect(wf.status?.phase).toBe('Succeeded');
    const one = Object.values(wf.status!.nodes!).find((n) => n.displayName === 'one')!;
    expect(one.phase).toBe('Succeeded');
    expect(one.outputs?.result).toBe('one');

    // The node agent removes a deleted pod's directory, logs included (as the kubelet does): its logs
    // read as empty from now on, while the kept pod's are still there.
    const deleted = [...seen.values()].find((p) => p.metadata.labels?.[LABEL_WORKFLOW] === 'gc-selected' && p.metadata.labels?.gc === 'yes')!;
    expect(deleted).toBeDefined();
    await until('the deleted pod’s directory to be removed', () => !existsSync(podDirOf(rt.dataDir, deleted)), 5000);
    const logsOf = async (pod: KObject) => {
      let text = '';
      await readPodLogs(rt.dataDir, pod, { container: 'main' }, (t) => (text += t));
      return text;
    };
    expect(await logsOf(deleted)).toBe('');
    expect(await logsOf(kept)).toBe('kept\n');

    // OnWorkflowSuccess on a failed workflow: both pods stay, with their logs.
    await sleep(500);
    const failedPods = await wfPods('gc-success-failed');
    expect(failedPods).toHaveLength(2);
    expect(await logsOf(failedPods.find((p) => p.metadata.labels?.gc === 'yes')!)).toBe('failing\n');
  }, 60_000);
});

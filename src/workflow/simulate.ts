// A deterministic harness for the operator: no processes, no store, a fixed clock. Each Pod the
// operator asks for is "run" by a script that decides its exit code and stdout; the harness turns
// that into Pod status and a task result exactly as the node agent and executor would.
import { ANNOTATION_NODE_ID } from '../model/argo.js';
import type { NodeStatus, Outputs, Template, Workflow, WorkflowTaskResult, WorkflowTemplate } from '../model/argo.js';
import { type KObject, clone, deepFreeze, rfc3339 } from '../model/object.js';
import { trimOneNewline } from './executor.js';
import { type OperatorEnv, type OperatorResult, operate } from './operator.js';
import { ANNOTATION_TEMPLATE } from './pod.js';

export interface PodOutcome {
  exitCode?: number;
  stdout?: string;
  /** Output parameter values by name (as if read from their files). */
  params?: Record<string, string>;
  /** Seconds the pod runs (advances the clock); default 1. */
  seconds?: number;
}

export interface SimOptions {
  run?: (pod: KObject, template: Template, node: NodeStatus) => PodOutcome;
  templates?: WorkflowTemplate[];
  clusterTemplates?: WorkflowTemplate[];
  configMaps?: KObject[];
  /** Stop after this many reconcile passes. */
  maxSteps?: number;
  start?: Date;
  /** Called after every pass; may change the workflow (e.g. resume, stop). */
  onPass?: (wf: Workflow, pass: number, result: OperatorResult) => Workflow | void;
}

export interface SimResult {
  workflow: Workflow;
  nodes: NodeStatus[];
  byDisplayName(name: string): NodeStatus;
  podsCreated: string[];
  passes: number;
}

/** Run a workflow to completion (or maxSteps) in simulated time. */
export function simulate(input: Workflow, opts: SimOptions = {}): SimResult {
  let now = (opts.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  let wf: Workflow = clone(input);
  wf.metadata.name ??= 'wf';
  wf.metadata.namespace ??= 'default';
  wf.metadata.uid ??= 'uid-1';
  wf.metadata.creationTimestamp ??= rfc3339(now);
  const pods = new Map<string, KObject>();
  const results = new Map<string, WorkflowTaskResult>();
  const pending: { pod: KObject; doneAt: number; outcome: PodOutcome }[] = [];
  const created: string[] = [];
  const configMaps = new Map((opts.configMaps ?? []).map((c) => [`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, clone(c)]));
  const run = opts.run ?? ((): PodOutcome => ({ exitCode: 0 }));
  let passes = 0;
  for (; passes < (opts.maxSteps ?? 500); passes++) {
    const env: OperatorEnv = {
      now: new Date(now),
      pods,
      taskResults: results,
      getWorkflowTemplate: (name) => opts.templates?.find((t) => t.metadata.name === name),
      getClusterWorkflowTemplate: (name) => opts.clusterTemplates?.find((t) => t.metadata.name === name),
      getConfigMap: (ns, name) => configMaps.get(`${ns}/${name}`),
    };
    const r = operate(wf, env);
    wf = r.workflow;
    // As the controller hands it to the store: the next pass shares the nodes that are done.
    deepFreeze(wf.status);
    for (const w of r.configMapWrites) {
      const k = `${w.namespace}/${w.name}`;
      const cm = configMaps.get(k) ?? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: w.name, namespace: w.namespace }, data: {} };
      (cm.data as Record<string, string>)[w.key] = w.value;
      configMaps.set(k, cm);
    }
    for (const p of r.createPods) {
      const id = p.metadata.annotations![ANNOTATION_NODE_ID];
      if (pods.has(id)) continue;
      const tmpl = JSON.parse(p.metadata.annotations![ANNOTATION_TEMPLATE]) as Template;
      const outcome = run(p, tmpl, wf.status!.nodes![id]);
      created.push(p.metadata.name!);
      pods.set(id, { ...p, status: { phase: 'Running', podIP: '127.0.0.1' } });
      pending.push({ pod: p, doneAt: now + (outcome.seconds ?? 1) * 1000, outcome });
    }
    for (const name of r.deletePods) {
      for (const [id, p] of pods) {
        if (p.metadata.name !== name) continue;
        const i = pending.findIndex((x) => x.pod.metadata.name === name);
        if (i >= 0) pending.splice(i, 1);
        if ((p.status as { phase: string }).phase === 'Running') pods.set(id, { ...p, status: { phase: 'Failed', message: 'deleted' } });
      }
    }
    const phase = wf.status?.phase;
    const after = opts.onPass?.(wf, passes, r);
    if (after) wf = after;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') break;
    // Advance time to the next event: a pod finishing, or a requeue timer.
    pending.sort((a, b) => a.doneAt - b.doneAt);
    const nextPod = pending[0]?.doneAt;
    const nextTimer = r.requeueAfterMs !== undefined ? now + r.requeueAfterMs : undefined;
    const next = [nextPod, nextTimer].filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
    if (next === undefined) {
      if (!r.createPods.length && !r.deletePods.length && !after) break; // nothing will change
      continue;
    }
    now = Math.max(now, next);
    while (pending.length && pending[0].doneAt <= now) {
      const { pod, outcome } = pending.shift()!;
      finishPod(pod, outcome, now, pods, results);
    }
  }
  const nodes = Object.values(wf.status?.nodes ?? {});
  return {
    workflow: wf,
    nodes,
    passes,
    podsCreated: created,
    byDisplayName(name: string) {
      const n = nodes.find((x) => x.displayName === name);
      if (!n) throw new Error(`no node "${name}"; nodes: ${nodes.map((x) => x.displayName).join(', ')}`);
      return n;
    },
  };
}

function finishPod(pod: KObject, outcome: PodOutcome, now: number, pods: Map<string, KObject>, results: Map<string, WorkflowTaskResult>): void {
  const id = pod.metadata.annotations![ANNOTATION_NODE_ID];
  const tmpl = JSON.parse(pod.metadata.annotations![ANNOTATION_TEMPLATE]) as Template;
  const code = outcome.exitCode ?? 0;
  const outputs: Outputs = { result: trimOneNewline(outcome.stdout ?? '') };
  const params = (tmpl.outputs?.parameters ?? []).filter((p) => p.valueFrom?.path);
  if (params.length) {
    outputs.parameters = params.map((p) => ({ name: p.name, value: outcome.params?.[p.name] ?? p.valueFrom?.default ?? '' }));
  }
  results.set(id, { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTaskResult', metadata: { name: id }, outputs });
  const terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', finishedAt: rfc3339(now) };
  pods.set(id, { ...pod, status: { phase: code === 0 ? 'Succeeded' : 'Failed', podIP: '127.0.0.1', containerStatuses: [{ name: 'main', state: { terminated } }] } });
}

// Build the Pod a template runs in, as Argo's controller would: main container (`main`), script
// source, sidecars, init containers, volumes, labels tying it to its workflow and node.
// Argo's init/wait containers are not added: the node agent's executor hook does their work.
import { parseYaml } from '../model/yaml-lib.js';
import { ANNOTATION_NODE_ID, ANNOTATION_NODE_NAME, LABEL_COMPLETED, LABEL_WORKFLOW } from '../model/argo.js';
import type { Container, NodeStatus, Template, UserContainer, Workflow, WorkflowSpec } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import type { Vars } from './scope.js';

export const ANNOTATION_TEMPLATE = 'workflows.argoproj.io/template';
export const ANNOTATION_MAIN_CONTAINERS = 'argosy.io/main-containers';
export const SCRIPT_PATH = '/argo/staging/script';

export interface BuildPodArgs {
  workflow: Workflow;
  spec: WorkflowSpec;
  template: Template;
  node: NodeStatus;
  podName: string;
  nodeName?: string;
  deadlineSeconds?: number;
  vars: Vars;
}

export function buildPod(a: BuildPodArgs): KObject {
  const { workflow: wf, template: t, spec } = a;
  const env = [
    { name: 'ARGO_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'ARGO_NODE_ID', value: a.node.id },
    { name: 'ARGO_WORKFLOW_NAME', value: wf.metadata.name },
  ];
  const withEnv = (c: Container, name: string): Record<string, unknown> => {
    const { mirrorVolumeMounts: _m, dependencies: _d, ...rest } = c as UserContainer;
    return { ...rest, name, env: [...env, { name: 'ARGO_CONTAINER_NAME', value: name }, ...(c.env ?? [])] };
  };
  const containers: Record<string, unknown>[] = [];
  const initContainers: Record<string, unknown>[] = [];
  let mainNames = ['main'];
  if (t.container) containers.push(withEnv(t.container, 'main'));
  else if (t.script) {
    const { source: _s, ...c } = t.script;
    containers.push({ ...withEnv(c, 'main'), command: c.command ?? ['sh'], args: [...(c.args ?? []), SCRIPT_PATH] });
  } else if (t.containerSet) {
    // containerSet dependencies run in topological order: all but the last layer as init containers.
    const layers = topoLayers(t.containerSet.containers);
    const mounts = t.containerSet.volumeMounts ?? [];
    const last = layers.pop() ?? [];
    for (const layer of layers) for (const c of layer) initContainers.push({ ...withEnv(c, c.name!), volumeMounts: [...mounts, ...(c.volumeMounts ?? [])] });
    for (const c of last) containers.push({ ...withEnv(c, c.name!), volumeMounts: [...mounts, ...(c.volumeMounts ?? [])] });
    mainNames = last.map((c) => c.name!);
  }
  const mainMounts = (containers[0]?.volumeMounts as Container['volumeMounts']) ?? [];
  for (const s of t.sidecars ?? []) {
    containers.push({ ...withEnv(s, s.name ?? 'sidecar'), ...(s.mirrorVolumeMounts ? { volumeMounts: [...mainMounts, ...(s.volumeMounts ?? [])] } : {}) });
  }
  for (const c of t.initContainers ?? []) {
    initContainers.unshift({ ...withEnv(c, c.name ?? 'init'), ...(c.mirrorVolumeMounts ? { volumeMounts: [...mainMounts, ...(c.volumeMounts ?? [])] } : {}) });
  }
  const volumes = [...(spec.volumes ?? []), ...(t.volumes ?? [])] as Record<string, unknown>[];
  for (const vct of spec.volumeClaimTemplates ?? []) {
    volumes.push({ name: vct.metadata.name, persistentVolumeClaim: { claimName: `${wf.metadata.name}-${vct.metadata.name}` } });
  }
  const podSpec: Record<string, unknown> = {
    restartPolicy: 'Never',
    containers,
    ...(initContainers.length ? { initContainers } : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
    ...(a.deadlineSeconds !== undefined ? { activeDeadlineSeconds: a.deadlineSeconds } : {}),
    terminationGracePeriodSeconds: 5,
    serviceAccountName: t.serviceAccountName ?? spec.serviceAccountName ?? 'default',
  };
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: a.podName,
      namespace: wf.metadata.namespace ?? 'default',
      labels: {
        ...(spec.podMetadata?.labels ?? {}),
        ...(t.metadata?.labels ?? {}),
        [LABEL_WORKFLOW]: wf.metadata.name!,
        [LABEL_COMPLETED]: 'false',
      },
      annotations: {
        ...(spec.podMetadata?.annotations ?? {}),
        ...(t.metadata?.annotations ?? {}),
        [ANNOTATION_NODE_ID]: a.node.id,
        [ANNOTATION_NODE_NAME]: a.node.name,
        [ANNOTATION_TEMPLATE]: JSON.stringify(t),
        [ANNOTATION_MAIN_CONTAINERS]: mainNames.join(','),
      },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata.name!, uid: wf.metadata.uid!, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: podSpec,
  };
  for (const patch of [spec.podSpecPatch, t.podSpecPatch]) {
    if (patch) pod.spec = applyPodSpecPatch(pod.spec as Record<string, unknown>, patch);
  }
  return pod;
}

/** podSpecPatch: YAML or JSON merged onto the pod spec; containers merge by name, as a strategic patch would. */
export function applyPodSpecPatch(spec: Record<string, unknown>, patchText: string): Record<string, unknown> {
  const patch = parseYaml(patchText) as Record<string, unknown>;
  if (!patch || typeof patch !== 'object') return spec;
  const merge = (base: unknown, p: unknown): unknown => {
    if (Array.isArray(p)) {
      if (Array.isArray(base) && p.every((x) => x && typeof x === 'object' && 'name' in x)) {
        const out = (base as Record<string, unknown>[]).map((x) => ({ ...x }));
        for (const item of p as Record<string, unknown>[]) {
          const i = out.findIndex((x) => x.name === item.name);
          if (i >= 0) out[i] = merge(out[i], item) as Record<string, unknown>;
          else out.push(item);
        }
        return out;
      }
      return p;
    }
    if (p && typeof p === 'object') {
      const out: Record<string, unknown> = { ...((base as Record<string, unknown>) ?? {}) };
      for (const [k, v] of Object.entries(p)) out[k] = v === null ? undefined : merge(out[k], v);
      return out;
    }
    return p;
  };
  return merge(spec, patch) as Record<string, unknown>;
}

function topoLayers(containers: UserContainer[]): UserContainer[][] {
  const byName = new Map(containers.map((c) => [c.name!, c]));
  const depth = new Map<string, number>();
  const visit = (name: string, stack: Set<string>): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (stack.has(name)) return 0;
    stack.add(name);
    const c = byName.get(name);
    const d = Math.max(-1, ...(c?.dependencies ?? []).filter((x) => byName.has(x)).map((x) => visit(x, stack))) + 1;
    depth.set(name, d);
    return d;
  };
  for (const c of containers) visit(c.name!, new Set());
  const layers: UserContainer[][] = [];
  for (const c of containers) (layers[depth.get(c.name!)!] ??= []).push(c);
  return layers.filter(Boolean);
}

// Workflow actions as Argo Server performs them: suspend, resume, stop, terminate, retry, resubmit,
// set, and submit from a template. Plain async functions over a Client, so the server and the CLI's
// embedded paths share them. Each write is a read-modify-write retried on Conflict (the controller
// writes the same object all the time).
import { type Client, Kinds } from '../client/types.js';
import {
  ANNOTATION_NODE_ID,
  LABEL_COMPLETED,
  LABEL_WORKFLOW,
  type CronWorkflow,
  type NodeStatus,
  type Parameter,
  type Template,
  type Workflow,
  type WorkflowTemplate,
} from '../model/argo.js';
import { ApiError, badRequest, isApiError } from '../model/errors.js';
import { type KObject, clone, rfc3339 } from '../model/object.js';
import { type ValidateContext, validateObject } from '../workflow/validate/index.js';

const LABEL_PHASE = 'workflows.argoproj.io/phase';
export const LABEL_RESUBMITTED_FROM = 'workflows.argoproj.io/resubmitted-from-workflow';
export const LABEL_WORKFLOW_TEMPLATE = 'workflows.argoproj.io/workflow-template';
export const LABEL_CLUSTER_WORKFLOW_TEMPLATE = 'workflows.argoproj.io/cluster-workflow-template';
export const LABEL_CRON_WORKFLOW = 'workflows.argoproj.io/cron-workflow';

const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);
const isCompleted = (wf: Workflow) => COMPLETED.has(wf.status?.phase ?? '');
const nodeDone = (n: NodeStatus) => ['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'].includes(n.phase);

/** A precondition failure: the workflow is not in a state that allows the action (400, as Argo's FailedPrecondition). */
function precondition(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

/** Get, change, update — retried when the controller wrote in between. `change` may throw to refuse. */
export async function mutateWorkflow(client: Client, namespace: string, name: string, change: (wf: Workflow) => void | Promise<void>): Promise<Workflow> {
  for (let attempt = 0; ; attempt++) {
    const wf = clone(await client.get<Workflow>(Kinds.Workflow, name, namespace));
    await change(wf);
    try {
      return await client.update(wf);
    } catch (err) {
      if (!isApiError(err, 'Conflict') || attempt >= 20) throw err;
    }
  }
}

// ------------------------------------------------------------------ node field selectors

/** `displayName=approve,templateName!=x,inputs.parameters.tag.value=v1` → a node predicate. */
export function parseNodeFieldSelector(selector: string | undefined): (n: NodeStatus) => boolean {
  if (!selector || !selector.trim()) return () => true;
  const reqs = selector.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.\-]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`node field selector "${selector}": cannot parse "${part}"; use field=value, e.g. displayName=approve`);
    return { field: m[1], not: m[2] === '!=', value: m[3] };
  });
  return (n) =>
    reqs.every((r) => {
      const actual = nodeField(n, r.field);
      return r.not ? actual !== r.value : actual === r.value;
    });
}

function nodeField(n: NodeStatus, field: string): string | undefined {
  const m = /^(inputs|outputs)\.parameters\.(.+)\.value$/.exec(field);
  if (m) {
    const p = (n[m[1] as 'inputs' | 'outputs']?.parameters ?? []).find((x) => x.name === m[2]);
    return p?.value === undefined ? undefined : String(p.value);
  }
  let v: unknown = n;
  for (const k of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

function templateOf(wf: Workflow, node: NodeStatus): Template | undefined {
  const name = node.templateName;
  if (!name) return undefined;
  const own = (wf.spec.templates ?? []).find((t) => t.name === name);
  if (own) return own;
  for (const t of Object.values(wf.status?.storedTemplates ?? {})) if (t.name === name) return t;
  return (wf.status?.storedWorkflowTemplateSpec?.templates ?? []).find((t) => t.name === name);
}

/** `["a=b", "c=d"]` or `{a: "b"}` → a map. */
export function parameterMap(params: string[] | Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!params) return out;
  if (Array.isArray(params)) {
    for (const p of params) {
      const i = String(p).indexOf('=');
      if (i <= 0) throw badRequest(`parameter "${p}": expected name=value`);
      out.set(String(p).slice(0, i), String(p).slice(i + 1));
    }
  } else for (const [k, v] of Object.entries(params)) out.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return out;
}

function applyArguments(spec: { arguments?: { parameters?: Parameter[] } }, values: Map<string, string>): void {
  if (!values.size) return;
  const list: Parameter[] = [...(spec.arguments?.parameters ?? [])].map((p) => ({ ...p }));
  for (const [name, value] of values) {
    const existing = list.find((p) => p.name === name);
    if (existing) {
      existing.value = value;
      delete existing.valueFrom;
    } else list.push({ name, value });
  }
  spec.arguments = { ...(spec.arguments ?? {}), parameters: list };
}

// ------------------------------------------------------------------ suspend / resume / stop / terminate

export async function suspendWorkflow(client: Client, namespace: string, name: string): Promise<Workflow> {
  return mutateWorkflow(client, namespace, name, (wf) => {
    if (isCompleted(wf)) throw precondition(`cannot suspend completed workflow ${name} (phase ${wf.status?.phase})`);
    wf.spec.suspend = true;
  });
}

export interface ResumeOptions {
  nodeFieldSelector?: string;
  /** Values for Suspend nodes' supplied output parameters (`name=value` or a map). */
  parameters?: string[] | Record<string, unknown>;
  now?: () => Date;
}

export async function resumeWorkflow(client: Client, namespace: string, name: string, opts: ResumeOptions = {}): Promise<Workflow> {
  const match = parseNodeFieldSelector(opts.nodeFieldSelector);
  const supplied = parameterMap(opts.parameters);
  const now = rfc3339(opts.now?.() ?? new Date());
  return mutateWorkflow(client, namespace, name, (wf) => {
    if (isCompleted(wf)) throw precondition(`cannot resume completed workflow ${name} (phase ${wf.status?.phase})`);
    let resumed = 0;
    if (!opts.nodeFieldSelector) delete wf.spec.suspend;
    for (const node of Object.values(wf.status?.nodes ?? {})) {
      if (node.type !== 'Suspend' || node.phase !== 'Running' || !match(node)) continue;
      const outputs = suppliedOutputs(wf, node, supplied);
      if (outputs) node.outputs = { ...(node.outputs ?? {}), parameters: outputs };
      node.phase = 'Succeeded';
      node.finishedAt = now;
      resumed++;
    }
    if (opts.nodeFieldSelector && !resumed) throw precondition(`no running suspend node of workflow ${name} matches the node field selector "${opts.nodeFieldSelector}"`);
  });
}

/** Output parameters of a Suspend node with `valueFrom.supplied`: given value, set value, or default. */
function suppliedOutputs(wf: Workflow, node: NodeStatus, given: Map<string, string>): Parameter[] | undefined {
  const tmpl = templateOf(wf, node);
  const params = tmpl?.outputs?.parameters?.filter((p) => p.valueFrom?.supplied !== undefined) ?? [];
  if (!params.length) return undefined;
  return params.map((p) => {
    const already = node.outputs?.parameters?.find((o) => o.name === p.name)?.value;
    const input = tmpl?.inputs?.parameters?.find((i) => i.name === p.name);
    const value = given.get(p.name) ?? already ?? p.valueFrom?.default ?? (input?.default !== undefined ? String(input.default) : undefined);
    if (value === undefined) throw precondition(`raw output parameter '${p.name}' has not been set and does not have a default value`);
    return { name: p.name, value: String(value) };
  });
}

export async function stopWorkflow(client: Client, namespace: string, name: string, opts: { message?: string } = {}): Promise<Workflow> {
  return shutdown(client, namespace, name, 'Stop', opts.message);
}

export async function terminateWorkflow(client: Client, namespace: string, name: string): Promise<Workflow> {
  return shutdown(client, namespace, name, 'Terminate');
}

async function shutdown(client: Client, namespace: string, name: string, strategy: 'Stop' | 'Terminate', message?: string): Promise<Workflow> {
  return mutateWorkflow(client, namespace, name, (wf) => {
    if (isCompleted(wf)) throw precondition(`cannot shutdown a completed workflow: ${name} is ${wf.status?.phase}`);
    wf.spec.shutdown = strategy;
    if (message && wf.status) wf.status.message = message;
  });
}

// ------------------------------------------------------------------ set

export interface SetOptions {
  nodeFieldSelector?: string;
  phase?: string;
  message?: string;
  /** JSON object text, as Argo's API takes it: `{"approve":"yes"}` (or an object). */
  outputParameters?: string | Record<string, unknown>;
  now?: () => Date;
}

export async function setWorkflow(client: Client, namespace: string, name: string, opts: SetOptions): Promise<Workflow> {
  if (!opts.nodeFieldSelector) throw badRequest('nodeFieldSelector is required: say which node to set, e.g. displayName=approve');
  if (opts.phase && !['Succeeded', 'Failed', 'Error', 'Running', 'Pending', 'Skipped', 'Omitted'].includes(opts.phase)) {
    throw badRequest(`phase "${opts.phase}" is not a node phase (Succeeded, Failed, Error, Running, Pending, Skipped, Omitted)`);
  }
  let outputs: Map<string, string> | undefined;
  if (opts.outputParameters !== undefined && opts.outputParameters !== '') {
    let parsed: unknown = opts.outputParameters;
    if (typeof parsed === 'string') {
      try {
        parsed = JSON.parse(parsed);
      } catch (err) {
        throw badRequest(`outputParameters is not a JSON object: ${(err as Error).message}`);
      }
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('outputParameters must be a JSON object of name to value');
    outputs = parameterMap(parsed as Record<string, unknown>);
  }
  const match = parseNodeFieldSelector(opts.nodeFieldSelector);
  const now = rfc3339(opts.now?.() ?? new Date());
  return mutateWorkflow(client, namespace, name, (wf) => {
    const nodes = Object.values(wf.status?.nodes ?? {}).filter(match);
    if (!nodes.length) throw precondition(`no node of workflow ${name} matches the node field selector "${opts.nodeFieldSelector}"`);
    for (const node of nodes) {
      if (outputs) {
        if (node.type !== 'Suspend') throw precondition(`cannot set output parameters because node ${node.displayName} is not expecting any raw parameters (it is a ${node.type} node, not Suspend)`);
        const list = [...(node.outputs?.parameters ?? [])];
        for (const [k, v] of outputs) {
          const existing = list.find((p) => p.name === k);
          if (existing) existing.value = v;
          else list.push({ name: k, value: v });
        }
        node.outputs = { ...(node.outputs ?? {}), parameters: list };
      }
      if (opts.message !== undefined && opts.message !== '') node.message = opts.message;
      if (opts.phase) {
        node.phase = opts.phase as NodeStatus['phase'];
        if (nodeDone(node)) node.finishedAt ??= now;
        else delete node.finishedAt;
      }
    }
  });
}

// ------------------------------------------------------------------ retry

export interface RetryOptions {
  restartSuccessful?: boolean;
  nodeFieldSelector?: string;
  parameters?: string[] | Record<string, unknown>;
}

export async function retryWorkflow(client: Client, namespace: string, name: string, opts: RetryOptions = {}): Promise<Workflow> {
  const current = await client.get<Workflow>(Kinds.Workflow, name, namespace);
  const phase = current.status?.phase;
  if (phase !== 'Failed' && phase !== 'Error') throw precondition(`workflow ${name} must be Failed/Error to retry (it is ${phase || 'Pending'})`);
  const params = parameterMap(opts.parameters);
  const selected = parseNodeFieldSelector(opts.nodeFieldSelector);
  const plan = planRetry(current, opts.restartSuccessful ? (n) => n.phase === 'Succeeded' && !!opts.nodeFieldSelector && selected(n) : () => false);

  // Remove what must run again before the workflow changes, so the controller never sees the old pods.
  const pods = await client.list(Kinds.Pod, { namespace, labelSelector: `${LABEL_WORKFLOW}=${name}` });
  for (const pod of pods.items) {
    const id = pod.metadata.annotations?.[ANNOTATION_NODE_ID];
    if (id && plan.deleted.has(id)) await deleteQuietly(client, Kinds.Pod, pod.metadata.name!, namespace);
  }
  for (const id of plan.deleted) await deleteQuietly(client, Kinds.WorkflowTaskResult, id, namespace);

  return mutateWorkflow(client, namespace, name, (wf) => {
    const again = planRetry(wf, opts.restartSuccessful ? (n) => n.phase === 'Succeeded' && !!opts.nodeFieldSelector && selected(n) : () => false);
    const nodes = wf.status?.nodes ?? {};
    for (const id of again.deleted) delete nodes[id];
    for (const id of again.reset) {
      const n = nodes[id];
      if (!n) continue;
      n.phase = 'Running';
      delete n.finishedAt;
      delete n.message;
      delete n.daemoned;
      if (n.type === 'Retry') n.children = (n.children ?? []).filter((c) => !again.deleted.has(c));
    }
    for (const n of Object.values(nodes)) {
      if (n.children) n.children = n.children.filter((c) => !again.deleted.has(c));
      if (n.outboundNodes) n.outboundNodes = n.outboundNodes.filter((c) => !again.deleted.has(c));
    }
    wf.status = { ...(wf.status ?? {}), phase: 'Running', nodes };
    delete wf.status.finishedAt;
    delete wf.status.message;
    delete wf.spec.shutdown;
    wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [LABEL_COMPLETED]: 'false', [LABEL_PHASE]: 'Running' };
    applyArguments(wf.spec, params);
  });
}

/**
 * Which nodes go (pods and nodes that must be evaluated afresh: failed pods, omitted/skipped-after-failure
 * nodes, exit handlers) and which are reset to Running (failed non-pod nodes and every ancestor of a
 * deleted or reset node).
 */
export function planRetry(wf: Workflow, restart: (n: NodeStatus) => boolean): { deleted: Set<string>; reset: Set<string> } {
  const nodes = wf.status?.nodes ?? {};
  const parent = new Map<string, string>();
  for (const n of Object.values(nodes)) for (const c of n.children ?? []) if (!parent.has(c)) parent.set(c, n.id);
  const deleted = new Set<string>();
  const reset = new Set<string>();
  const descendants = (id: string, out: Set<string>) => {
    for (const c of nodes[id]?.children ?? []) {
      if (out.has(c)) continue;
      out.add(c);
      descendants(c, out);
    }
  };
  const isLeaf = (n: NodeStatus) => n.type === 'Pod' || n.type === 'Suspend' || n.type === 'Skipped' || n.type === 'Container' || (n.type as string) === 'HTTP' || (n.type as string) === 'Plugin';
  const root = nodes[wf.metadata.name!];
  for (const n of Object.values(nodes)) {
    const failed = n.phase === 'Failed' || n.phase === 'Error';
    if (n.name.endsWith('.onExit') || n.name === `${wf.metadata.name}.onExit`) {
      deleted.add(n.id);
      descendants(n.id, deleted);
      continue;
    }
    if (restart(n)) {
      if (isLeaf(n)) deleted.add(n.id);
      else {
        reset.add(n.id);
        const below = new Set<string>();
        descendants(n.id, below);
        for (const d of below) (isLeaf(nodes[d]) ? deleted : reset).add(d);
      }
      continue;
    }
    if (failed) (isLeaf(n) ? deleted : reset).add(n.id);
    else if (n.phase === 'Omitted') deleted.add(n.id);
  }
  // Children of a Retry node that failed all go; the Retry node starts over.
  for (const id of [...reset]) if (nodes[id]?.type === 'Retry') for (const c of nodes[id].children ?? []) if (nodes[c] && nodes[c].phase !== 'Succeeded') deleted.add(c);
  for (const id of [...deleted, ...reset]) {
    let p = parent.get(id);
    while (p && !reset.has(p)) {
      if (!deleted.has(p)) reset.add(p);
      p = parent.get(p);
    }
  }
  if (root && !deleted.has(root.id)) reset.add(root.id);
  for (const id of deleted) reset.delete(id);
  return { deleted, reset };
}

async function deleteQuietly(client: Client, ref: { apiVersion: string; kind: string }, name: string, namespace: string): Promise<void> {
  try {
    await client.delete(ref, name, namespace);
  } catch (err) {
    if (!isApiError(err, 'NotFound')) throw err;
  }
}

// ------------------------------------------------------------------ resubmit and submit

export async function resubmitWorkflow(client: Client, namespace: string, name: string, opts: { parameters?: string[] | Record<string, unknown>; memoized?: boolean } = {}): Promise<Workflow> {
  const old = await client.get<Workflow>(Kinds.Workflow, name, namespace);
  const labels = { ...(old.metadata.labels ?? {}) };
  for (const k of [LABEL_COMPLETED, LABEL_PHASE, 'workflows.argoproj.io/workflow-archiving-status']) delete labels[k];
  labels[LABEL_RESUBMITTED_FROM] = name;
  const spec = clone(old.spec);
  delete spec.shutdown;
  delete spec.suspend;
  applyArguments(spec, parameterMap(opts.parameters));
  const wf: Workflow = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${name}-`, namespace, labels, ...(old.metadata.annotations ? { annotations: { ...old.metadata.annotations } } : {}) },
    spec,
  };
  delete wf.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
  return client.create(wf);
}

export interface SubmitOptions {
  parameters?: string[];
  entryPoint?: string;
  /** `a=b,c=d` */
  labels?: string;
  annotations?: string;
  generateName?: string;
  name?: string;
  serviceAccount?: string;
  dryRun?: boolean;
  serverDryRun?: boolean;
}

function parseLabelList(s: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw badRequest(`${what} "${part}": expected key=value`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** Build (not create) a Workflow from a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow. */
export async function workflowFrom(client: Client, namespace: string, resourceKind: string, resourceName: string, opts: SubmitOptions = {}): Promise<Workflow> {
  const kind = resourceKind.toLowerCase().replace(/s$/, '');
  const labels = parseLabelList(opts.labels, 'label');
  const annotations = parseLabelList(opts.annotations, 'annotation');
  const params = parameterMap(opts.parameters);
  let wf: Workflow;
  if (['workflowtemplate', 'wftmpl'].includes(kind)) {
    await client.get<WorkflowTemplate>(Kinds.WorkflowTemplate, resourceName, namespace);
    wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: `${resourceName}-`, namespace, labels: { ...labels, [LABEL_WORKFLOW_TEMPLATE]: resourceName } },
      spec: { workflowTemplateRef: { name: resourceName } },
    };
  } else if (['clusterworkflowtemplate', 'cwft', 'clusterwftmpl'].includes(kind)) {
    await client.get<WorkflowTemplate>(Kinds.ClusterWorkflowTemplate, resourceName);
    wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: `${resourceName}-`, namespace, labels: { ...labels, [LABEL_CLUSTER_WORKFLOW_TEMPLATE]: resourceName } },
      spec: { workflowTemplateRef: { name: resourceName, clusterScope: true } },
    };
  } else if (['cronworkflow', 'cronwf', 'cwf'].includes(kind)) {
    const cron = await client.get<CronWorkflow>(Kinds.CronWorkflow, resourceName, namespace);
    const meta = cron.spec.workflowMetadata ?? {};
    wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        generateName: `${resourceName}-`,
        namespace,
        labels: { ...(meta.labels ?? {}), ...labels, [LABEL_CRON_WORKFLOW]: resourceName },
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', name: resourceName, uid: cron.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: clone(cron.spec.workflowSpec),
    };
  } else {
    throw badRequest(`resourceKind "${resourceKind}" cannot be submitted: use WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow`);
  }
  if (Object.keys(annotations).length) wf.metadata.annotations = { ...(wf.metadata.annotations ?? {}), ...annotations };
  if (opts.generateName) wf.metadata.generateName = opts.generateName;
  if (opts.name) {
    wf.metadata.name = opts.name;
    delete wf.metadata.generateName;
  }
  if (opts.entryPoint) wf.spec.entrypoint = opts.entryPoint;
  if (opts.serviceAccount) wf.spec.serviceAccountName = opts.serviceAccount;
  applyArguments(wf.spec, params);
  return wf;
}

/** A validation context that reads (Cluster)WorkflowTemplates from the client (loaded up front). */
export async function templateContext(client: Client, namespace: string | undefined): Promise<ValidateContext> {
  const [wts, cwts] = await Promise.all([
    client.list<WorkflowTemplate>(Kinds.WorkflowTemplate, namespace ? { namespace } : {}),
    client.list<WorkflowTemplate>(Kinds.ClusterWorkflowTemplate),
  ]);
  return {
    getWorkflowTemplate: (name, ns) => wts.items.find((t) => t.metadata.name === name && (!ns || !namespace || t.metadata.namespace === (ns ?? namespace))),
    getClusterWorkflowTemplate: (name) => cwts.items.find((t) => t.metadata.name === name),
  };
}

/** Argo's validation of an object; issues become one 400 message `path: message; path: message`. */
export async function validateOrThrow(client: Client, obj: KObject, opts: { lint?: boolean; submit?: boolean } = {}): Promise<void> {
  const ctx = await templateContext(client, obj.metadata?.namespace);
  const issues = validateObject(obj, ctx, opts);
  if (issues.length) {
    const kind = obj.kind;
    const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
    throw badRequest(`${kind} "${name}" is invalid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

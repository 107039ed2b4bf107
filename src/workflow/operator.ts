// The workflow operator: one deterministic reconcile step. Given a Workflow, the Pods and task
// results observed for it, the templates and ConfigMaps it may refer to, and the time, it returns
// the new Workflow status and the actions to take (create or delete Pods, record events…).
// It walks the template tree from the entry node on every pass, as Argo does, so a controller that
// restarts needs nothing but the stored objects to carry on.
import type {
  Arguments,
  Artifact,
  DAGTask,
  NodePhase,
  NodeStatus,
  NodeType,
  Outputs,
  Parameter,
  Template,
  TemplateInvocation,
  TemplateRef,
  Workflow,
  WorkflowSpec,
  WorkflowStatus,
  WorkflowTaskResult,
  WorkflowTemplate,
} from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { clone, deepFreeze, rfc3339 } from '../model/object.js';
import { DurationError, humanDuration, parseArgoDuration, secondsString } from './duration.js';
import { displayName, nodeId, podName } from './names.js';
import { type DagShape, DagFrontier, compileDepends, dagShape } from './dag.js';
import { type PassMemory, recall, remember, verifyingPassMemory } from './pass-memory.js';
import { buildPod } from './pod.js';
import { type Vars, addAggregateVars, addNodeVars, addOutputVars } from './scope.js';
import { SyncManager } from './sync.js';
import { evaluateExpression, evaluateWhen, referencedNames, substitute, substituteString } from './subst.js';

export interface OperatorEnv {
  now: Date;
  /** Pods of this workflow by node ID. */
  pods: ReadonlyMap<string, KObject>;
  /** Task results of this workflow by node ID. */
  taskResults: ReadonlyMap<string, WorkflowTaskResult>;
  getWorkflowTemplate(name: string, namespace: string): WorkflowTemplate | undefined;
  getClusterWorkflowTemplate(name: string): WorkflowTemplate | undefined;
  getConfigMap(namespace: string, name: string): KObject | undefined;
  /** Bind new Pods to this node (embedded mode); unset leaves them for a scheduler. */
  nodeName?: string;
  /** Mutexes and semaphores shared with other workflows; a private one is used when omitted. */
  sync?: SyncManager;
}

export interface WorkflowEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  node?: NodeStatus;
}

export interface OperatorResult {
  workflow: Workflow;
  createPods: KObject[];
  /** Names of Pods to stop (deadline, shutdown, finished daemons). */
  deletePods: string[];
  events: WorkflowEvent[];
  configMapWrites: { namespace: string; name: string; key: string; value: string; labels: Record<string, string> }[];
  /** HTTP templates to perform; their outcome comes back as a task result named after the node. */
  httpRequests: { nodeId: string; template: Template }[];
  /** Resource templates to perform, likewise. */
  resourceActions: { nodeId: string; template: Template }[];
  /** Data templates to perform, likewise. */
  dataActions: { nodeId: string; template: Template }[];
  /** Reconcile again after this many ms even if nothing changes (timers: backoff, suspend, deadlines). */
  requeueAfterMs?: number;
}

/** A template to run and where its own template references resolve. */
interface TmplCtx {
  templates: Map<string, Template>;
  /** `local/` or `namespaced/<wt>` or `cluster/<cwt>`, as Argo's templateScope. */
  scope: string;
}

interface ExecOpts {
  boundaryId: string;
  /** Exit handlers and hooks run even while the workflow is shutting down. */
  onExit?: boolean;
  hooked?: boolean;
  /** The retry attempt index when this node is an attempt. */
  retries?: number;
  /** Extra variables from the caller's scope visible to this template (e.g. `lastRetry.*`). */
  extraVars?: Vars;
}

const FULFILLED: ReadonlySet<NodePhase> = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);
export const isFulfilled = (n: NodeStatus | undefined): boolean => !!n && FULFILLED.has(n.phase);
const failedOrError = (p: NodePhase) => p === 'Failed' || p === 'Error';
/** The nodes `status.progress` counts. */
const isProgressNode = (n: NodeStatus | undefined) => !!n && (n.type === 'Pod' || n.type === 'HTTP');

/** Adds to a tally the open nodes among `ids`, and the done ones `status.progress` counts. */
function tallyNodes<T extends Pick<PassMemory, 'open' | 'donePods' | 'goodPods'>>(nodes: Record<string, NodeStatus>, ids: Iterable<string>, into: T): T {
  for (const id of ids) {
    const n = nodes[id];
    if (!n) continue;
    if (!isFulfilled(n)) into.open.push(id);
    else if (isProgressNode(n)) {
      into.donePods++;
      if (n.phase === 'Succeeded' || n.phase === 'Skipped') into.goodPods++;
    }
  }
  return into;
}

/** Substituted steps/DAG template bodies, by the template they came from (see substituteBody). */
const bodyCache = new WeakMap<Template, { key: string; body: Template }>();
/** The variables each such template's body refers to (undefined: it holds an expression: all of them). */
const bodyRefs = new WeakMap<Template, { names: string[] | undefined }>();

/** A problem with the workflow itself (bad reference, missing input): the node or workflow ends Error. */
export class WorkflowSpecError extends Error {}

interface ContainerStatus {
  name: string;
  state?: { running?: object; terminated?: { exitCode: number; reason?: string }; waiting?: { reason?: string } };
}

/**
 * The status a pass works on. Nodes that are done (fulfilled) and frozen, as a store hands them out,
 * are shared with the stored copy, not copied: a pass does not change them (a write would throw), and
 * in a big workflow they are almost all of the status, which used to be copied, frozen and serialised
 * whole on every pass; the controller now only freezes what is new, and compares the status with the
 * stored one without serialising it (sameJson: shared nodes are equal by identity). Nodes still in
 * progress are copied, so a pass can change them in place.
 */
function workingStatus(status: WorkflowStatus | undefined, memory: PassMemory | undefined): WorkflowStatus | undefined {
  if (!status || typeof status !== 'object') return clone(status);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) {
    if (k === 'nodes' && v && typeof v === 'object' && memory) {
      // The pass that made this (frozen) map said which nodes are open: copy those, share the rest.
      // (A for-in copy: twice as fast as Object.assign or a spread on a map of hundreds of keys.)
      const from = v as Record<string, NodeStatus>;
      const nodes: Record<string, NodeStatus> = {};
      for (const id in from) nodes[id] = from[id];
      for (const id of memory.open) if (nodes[id]) nodes[id] = clone(nodes[id]);
      out[k] = nodes;
    } else if (k === 'nodes' && v && typeof v === 'object') {
      const nodes: Record<string, NodeStatus> = {};
      for (const [id, n] of Object.entries(v as Record<string, NodeStatus>)) nodes[id] = Object.isFrozen(n) && isFulfilled(n) ? n : clone(n);
      out[k] = nodes;
    } else if (k === 'storedWorkflowTemplateSpec' && Object.isFrozen(v)) out[k] = v; // only ever read
    else out[k] = clone(v);
  }
  return out as WorkflowStatus;
}

export function operate(input: Workflow, env: OperatorEnv): OperatorResult {
  const op = new Operator(input, env);
  const result = op.run();
  op.remember();
  op.freeze();
  return result;
}

class Operator {
  private wf: Workflow;
  private spec!: WorkflowSpec;
  private nodes!: Record<string, NodeStatus>;
  private globals: Vars = {};
  private result: OperatorResult;
  private rootCtx!: TmplCtx;
  private shutdown: '' | 'Stop' | 'Terminate' = '';
  private deadlineExceeded = false;
  private runningPods = 0;
  private now: string;
  private sync!: SyncManager;
  /** What the pass that made the input's node map knew (pass-memory.ts), and what this one knows. */
  private readonly prev: PassMemory | undefined;
  private memory: PassMemory | undefined;
  /** Set when a node that was done changes or goes: then this pass leaves no memory. */
  private memoryBroken = false;
  /** Nodes this pass created, done nodes it copied to change (editable), and the frontiers of the DAGs it went through. */
  private created: string[] = [];
  private edited: string[] = [];
  private frontiers = new Map<string, DagFrontier>();
  private frontierChecks = new Map<string, () => DagFrontier>();

  constructor(
    input: Workflow,
    private readonly env: OperatorEnv,
  ) {
    // The spec is shared, not copied: the operator never writes it (stored objects are frozen, so a
    // write would throw), and copying a big spec on every pass was a large part of a reconcile. So are
    // the nodes that are done (see workingStatus).
    this.prev = recall(input.status?.nodes);
    const wf = {} as Record<string, unknown>;
    for (const [k, v] of Object.entries(input)) wf[k] = k === 'spec' ? v : k === 'status' ? workingStatus(v as WorkflowStatus | undefined, this.prev) : clone(v);
    this.wf = wf as unknown as Workflow;
    this.now = rfc3339(env.now);
    this.result = { workflow: this.wf, createPods: [], deletePods: [], events: [], configMapWrites: [], httpRequests: [], resourceActions: [], dataActions: [] };
  }

  run(): OperatorResult {
    const wf = this.wf;
    wf.status ??= {};
    const status = wf.status;
    if (status.phase === 'Succeeded' || status.phase === 'Failed' || status.phase === 'Error') return this.result;
    try {
      if (!status.phase || status.phase === 'Pending') this.initialize();
      this.spec = status.storedWorkflowTemplateSpec ? mergeSpecs(status.storedWorkflowTemplateSpec, wf.spec) : wf.spec;
      this.rootCtx = { templates: indexTemplates(this.spec.templates), scope: 'local/' };
      this.nodes = (status.nodes ??= {});
      this.setGlobals();
    } catch (err) {
      this.finish('Error', (err as Error).message);
      return this.result;
    }
    this.sync = this.env.sync ?? new SyncManager();
    if (!this.acquireWorkflowLocks()) return this.result;
    this.shutdown = (wf.spec.shutdown as '' | 'Stop' | 'Terminate') || '';
    const open = this.prev ? this.prev.open.map((id) => this.nodes[id]).filter(Boolean) : Object.values(this.nodes);
    this.runningPods = open.filter((n) => n.type === 'Pod' && !isFulfilled(n)).length;
    this.checkDeadline();
    if (this.shutdown || this.deadlineExceeded) this.stopActiveWork();

    const entry = this.spec.entrypoint!;
    let node: NodeStatus | undefined;
    try {
      node = this.executeTemplate(wf.metadata.name!, { name: entry, template: entry }, this.rootCtx, this.spec.arguments ?? {}, { boundaryId: '' });
    } catch (err) {
      this.finish('Error', (err as Error).message);
      return this.result;
    }
    this.runWorkflowHooks();
    if (!node || !isFulfilled(node)) {
      this.updateProgress();
      return this.result;
    }
    const mainPhase: NodePhase = node.phase === 'Skipped' || node.phase === 'Omitted' ? 'Succeeded' : node.phase;
    this.globals['workflow.status'] = mainPhase;
    this.globals['workflow.failures'] = this.failuresJson();
    const exitTemplate = this.spec.onExit ?? this.spec.hooks?.exit?.template;
    const exitRef = this.spec.hooks?.exit?.templateRef;
    if ((exitTemplate || exitRef) && this.shutdown !== 'Terminate') {
      let exitNode: NodeStatus | undefined;
      try {
        exitNode = this.executeTemplate(
          `${wf.metadata.name}.onExit`,
          { name: 'onExit', template: exitTemplate, templateRef: exitRef, arguments: this.spec.hooks?.exit?.arguments },
          this.rootCtx,
          this.spec.hooks?.exit?.arguments ?? {},
          { boundaryId: '', onExit: true, hooked: true },
        );
      } catch (err) {
        this.finish('Error', (err as Error).message);
        return this.result;
      }
      if (!exitNode || !isFulfilled(exitNode)) {
        this.updateProgress();
        return this.result;
      }
      if (mainPhase === 'Succeeded' && failedOrError(exitNode.phase)) {
        this.finish(exitNode.phase === 'Error' ? 'Error' : 'Failed', exitNode.message ?? node.message);
        return this.result;
      }
    }
    let message = node.message;
    if (this.shutdown) message = `Stopped with strategy '${this.shutdown}'`;
    this.finish(mainPhase === 'Succeeded' ? 'Succeeded' : mainPhase === 'Error' ? 'Error' : 'Failed', mainPhase === 'Succeeded' ? undefined : message);
    return this.result;
  }

  // ---------------------------------------------------------------- synchronization

  private get wfKey(): string {
    return `${this.wf.metadata.namespace ?? 'default'}/${this.wf.metadata.name}`;
  }

  /** The locks a synchronization block asks for, with their limits. */
  private lockRequests(sync: Template['synchronization'], holder: string, priority: number) {
    const ns = this.wf.metadata.namespace ?? 'default';
    const out: { key: string; limit: number; holder: string; priority: number; workflowKey: string; label: string }[] = [];
    const mutexes = [...(sync?.mutexes ?? []), ...(sync?.mutex ? [sync.mutex] : [])];
    for (const m of mutexes) {
      const name = substituteString(m.name ?? '', this.globals);
      out.push({ key: `${m.namespace ?? ns}/Mutex/${name}`, limit: 1, holder, priority, workflowKey: this.wfKey, label: `${m.namespace ?? ns}/Mutex/${name}` });
    }
    const sems = [...(sync?.semaphores ?? []), ...(sync?.semaphore ? [sync.semaphore] : [])];
    for (const sem of sems) {
      const ref = sem.configMapKeyRef;
      if (ref) {
        const semNs = sem.namespace ?? ns;
        const cm = this.env.getConfigMap(semNs, ref.name);
        const raw = (cm?.data as Record<string, string> | undefined)?.[ref.key];
        const limit = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw) : 1;
        out.push({ key: `${semNs}/ConfigMap/${ref.name}/${ref.key}`, limit, holder, priority, workflowKey: this.wfKey, label: `${semNs}/ConfigMap/${ref.name}/${ref.key}` });
      } else if (sem.database?.key) {
        const key = substituteString(sem.database.key, this.globals);
        out.push({ key: `${ns}/Database/${key}`, limit: 1, holder, priority, workflowKey: this.wfKey, label: `${ns}/Database/${key}` });
      }
    }
    return out;
  }

  /** Try every lock; returns the first one still busy (after queueing for all of them). */
  private acquire(reqs: ReturnType<Operator['lockRequests']>): { label: string; limit: number; key: string } | undefined {
    let blocked: { label: string; limit: number; key: string } | undefined;
    for (const r of reqs) if (!this.sync.tryAcquire(r) && !blocked) blocked = r;
    if (blocked) for (const r of reqs) if (r !== blocked) this.sync.release(r.key, r.holder);
    return blocked;
  }

  private acquireWorkflowLocks(): boolean {
    const sync = this.spec.synchronization;
    if (!sync) return true;
    const reqs = this.lockRequests(sync, this.wfKey, this.spec.priority ?? 0);
    const blocked = this.acquire(reqs);
    const status = this.wf.status!;
    if (blocked) {
      status.phase = 'Pending';
      status.message = `Waiting for ${blocked.label} lock. Lock status: ${this.sync.status(blocked.key).held}/${blocked.limit}`;
      return false;
    }
    if (status.phase === 'Pending') status.phase = 'Running';
    if (status.message?.startsWith('Waiting for ')) delete status.message;
    this.recordHolding(reqs, true);
    return true;
  }

  /** Keep status.synchronization.holding in step, so a restarted controller knows who holds what. */
  private recordHolding(reqs: { key: string; holder: string }[], held: boolean): void {
    const status = this.wf.status!;
    const cur = ((status.synchronization as { holding?: { lock: string; holder: string }[] } | undefined)?.holding ?? []).filter(
      (h) => !reqs.some((r) => r.key === h.lock && r.holder === h.holder),
    );
    if (held) cur.push(...reqs.map((r) => ({ lock: r.key, holder: r.holder })));
    if (cur.length) status.synchronization = { holding: cur };
    else delete status.synchronization;
  }

  // ---------------------------------------------------------------- workflow-level set-up

  private initialize(): void {
    const wf = this.wf;
    const status = wf.status!;
    if (wf.spec.workflowTemplateRef) {
      const ref = wf.spec.workflowTemplateRef;
      const tmpl = ref.clusterScope
        ? this.env.getClusterWorkflowTemplate(ref.name)
        : this.env.getWorkflowTemplate(ref.name, wf.metadata.namespace!);
      if (!tmpl) {
        throw new WorkflowSpecError(
          `${ref.clusterScope ? 'clusterworkflowtemplates' : 'workflowtemplates'}.argoproj.io "${ref.name}" not found`,
        );
      }
      status.storedWorkflowTemplateSpec = clone(tmpl.spec);
    }
    const spec = status.storedWorkflowTemplateSpec ? mergeSpecs(status.storedWorkflowTemplateSpec, wf.spec) : wf.spec;
    if (!spec.entrypoint) throw new WorkflowSpecError('spec.entrypoint is required');
    status.phase = 'Running';
    status.startedAt ??= this.now;
    status.nodes ??= {};
    this.applyWorkflowMetadata(spec);
    this.result.events.push({ type: 'Normal', reason: 'WorkflowRunning', message: 'Workflow Running' });
  }

  private applyWorkflowMetadata(spec: WorkflowSpec): void {
    const md = spec.workflowMetadata;
    if (!md) return;
    const meta = this.wf.metadata;
    if (md.labels) meta.labels = { ...(meta.labels ?? {}), ...md.labels };
    if (md.annotations) meta.annotations = { ...(meta.annotations ?? {}), ...md.annotations };
    if (md.labelsFrom) {
      this.spec = spec;
      this.setGlobals();
      for (const [key, from] of Object.entries(md.labelsFrom)) {
        const v = evaluateExpression(from.expression, this.globals);
        meta.labels = { ...(meta.labels ?? {}), [key]: String(v) };
      }
    }
  }

  private setGlobals(): void {
    const wf = this.wf;
    const meta = wf.metadata;
    const g: Vars = {};
    g['workflow.name'] = meta.name!;
    g['workflow.namespace'] = meta.namespace ?? 'default';
    g['workflow.uid'] = meta.uid ?? '';
    g['workflow.mainEntrypoint'] = this.spec.entrypoint ?? '';
    g['workflow.serviceAccountName'] = this.spec.serviceAccountName ?? 'default';
    if (this.spec.priority !== undefined) g['workflow.priority'] = String(this.spec.priority);
    for (const [k, v] of creationTimestampVars(meta.creationTimestamp ?? this.now)) g[k] = v;
    const params = (this.spec.arguments?.parameters ?? []).map((p) => ({ name: p.name, value: paramValue(p) }));
    for (const p of params) if (p.value !== undefined) g[`workflow.parameters.${p.name}`] = p.value;
    g['workflow.parameters'] = JSON.stringify(params);
    g['workflow.parameters.json'] = g['workflow.parameters'];
    for (const [k, v] of Object.entries(meta.labels ?? {})) g[`workflow.labels.${k}`] = v;
    g['workflow.labels'] = JSON.stringify(meta.labels ?? {});
    g['workflow.labels.json'] = g['workflow.labels'];
    for (const [k, v] of Object.entries(meta.annotations ?? {})) g[`workflow.annotations.${k}`] = v;
    g['workflow.annotations'] = JSON.stringify(meta.annotations ?? {});
    g['workflow.annotations.json'] = g['workflow.annotations'];
    const scheduled = meta.annotations?.['workflows.argoproj.io/scheduled-time'];
    if (scheduled) g['workflow.scheduledTime'] = scheduled;
    const started = wf.status?.startedAt ? new Date(wf.status.startedAt).getTime() : this.env.now.getTime();
    g['workflow.duration'] = secondsString(this.env.now.getTime() - started);
    g['workflow.status'] = wf.status?.phase || 'Running';
    for (const p of wf.status?.outputs?.parameters ?? []) if (p.value !== undefined) g[`workflow.outputs.parameters.${p.name}`] = String(p.value);
    for (const a of wf.status?.outputs?.artifacts ?? []) g[`workflow.outputs.artifacts.${a.name}`] = JSON.stringify(a);
    this.globals = g;
  }

  private checkDeadline(): void {
    const ads = this.spec.activeDeadlineSeconds;
    if (ads === undefined || ads === null) return;
    const start = new Date(this.wf.status!.startedAt!).getTime();
    const deadline = start + Number(ads) * 1000;
    if (this.env.now.getTime() >= deadline) this.deadlineExceeded = true;
    else this.requeue(deadline - this.env.now.getTime());
  }

  /** Deadline or stop/terminate: end running Pods and fail unfinished leaf nodes. */
  private stopActiveWork(): void {
    const message = this.deadlineExceeded && !this.shutdown ? 'Step exceeded its deadline' : `Stopped with strategy '${this.shutdown}'`;
    for (const node of Object.values(this.nodes)) {
      if (isFulfilled(node)) continue;
      if (node.nodeFlag?.hooked && this.shutdown !== 'Terminate') continue; // exit handlers keep running
      if (node.type === 'Pod' || node.type === 'Suspend' || node.type === 'Container') {
        const pod = this.env.pods.get(node.id);
        if (pod) this.result.deletePods.push(pod.metadata.name!);
        this.markNode(node, 'Failed', message);
        if (node.type === 'Pod') this.runningPods--;
      }
    }
  }

  private get stopping(): boolean {
    return !!this.shutdown || this.deadlineExceeded || !!this.wf.spec.suspend;
  }

  private requeue(ms: number): void {
    const v = Math.max(ms, 10);
    if (this.result.requeueAfterMs === undefined || v < this.result.requeueAfterMs) this.result.requeueAfterMs = v;
  }

  private finish(phase: 'Succeeded' | 'Failed' | 'Error', message?: string): void {
    const status = this.wf.status!;
    this.sync?.releaseWorkflow(this.wfKey);
    delete status.synchronization;
    status.phase = phase;
    status.finishedAt = this.now;
    if (message) status.message = message;
    else delete status.message;
    status.startedAt ??= this.now;
    for (const n of Object.values(status.nodes ?? {})) {
      // Anything still open when the workflow ends (e.g. daemons) is closed off.
      if (!isFulfilled(n)) {
        if (n.daemoned || n.type === 'Pod') {
          const pod = this.env.pods.get(n.id);
          if (pod) this.result.deletePods.push(pod.metadata.name!);
        }
        this.markNode(n, n.daemoned ? 'Succeeded' : 'Failed', n.daemoned ? undefined : message ?? 'workflow ended');
      }
    }
    this.updateProgress();
    this.result.events.push(
      phase === 'Succeeded'
        ? { type: 'Normal', reason: 'WorkflowSucceeded', message: 'Workflow completed' }
        : { type: 'Warning', reason: phase === 'Error' ? 'WorkflowError' : 'WorkflowFailed', message: message ?? `Workflow ${phase}` },
    );
  }

  private updateProgress(): void {
    const m = this.closeMemory();
    let pods = m.donePods;
    for (const id of m.open) if (isProgressNode(this.nodes[id])) pods++;
    this.wf.status!.progress = `${m.goodPods}/${pods}`;
  }

  // ---------------------------------------------------------------- pass memory (pass-memory.ts)

  /** A node that was done is about to change (or be replaced): this pass's memory would be wrong. */
  private noteChange(node: NodeStatus | undefined): void {
    if (this.memory || (node && isFulfilled(node))) this.memoryBroken = true;
  }

  /**
   * What this pass leaves for the next: the open nodes and progress counts, from the last pass's
   * memory and the nodes this pass made (or from every node when there is none), and the DAG frontiers.
   */
  private closeMemory(): PassMemory {
    if (this.memory && !this.memoryBroken) return this.memory;
    const nodes = this.wf.status?.nodes ?? {};
    const m: PassMemory = { open: [], donePods: 0, goodPods: 0, dags: new Map() };
    if (this.prev && !this.memoryBroken) {
      // Only the nodes that were open and those made since can have changed.
      m.donePods = this.prev.donePods;
      m.goodPods = this.prev.goodPods;
      tallyNodes(nodes, new Set([...this.prev.open, ...this.created]), m);
      for (const [id, f] of this.prev.dags) if (!isFulfilled(nodes[id])) m.dags.set(id, f);
    } else tallyNodes(nodes, Object.keys(nodes), m);
    for (const [id, f] of this.frontiers) if (nodes[id] && !isFulfilled(nodes[id])) m.dags.set(id, f);
    this.memory = m;
    return m;
  }

  /** Hand this pass's memory to the next pass, which will get this node map back (once frozen). */
  remember(): void {
    const phase = this.wf.status?.phase;
    if (!this.nodes || this.memoryBroken || phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') return;
    const m = this.closeMemory();
    if (verifyingPassMemory()) this.verifyMemory(m);
    remember(this.nodes, m);
  }

  /**
   * Freeze the new status, as the store keeps it. When this pass started from a memory, every node
   * is a stored, frozen one except those it copied (the open ones, done ones it changed) or made:
   * only those are frozen here, not all of a big workflow's nodes on every pass.
   */
  freeze(): void {
    const status = this.wf.status;
    const nodes = status?.nodes;
    if (!status || !nodes || !this.prev) return void deepFreeze(status);
    for (const [k, v] of Object.entries(status)) if (k !== 'nodes') deepFreeze(v);
    for (const ids of [this.prev.open, this.created, this.edited]) for (const id of ids) if (nodes[id]) deepFreeze(nodes[id]);
    Object.freeze(nodes);
    Object.freeze(status);
    if (verifyingPassMemory()) {
      for (const [id, n] of Object.entries(nodes)) if (!Object.isFrozen(n)) throw new Error(`pass memory of ${this.wf.metadata.name}: node ${id} was left unfrozen`);
    }
  }

  /** The memory against a full look at the nodes (tests; see verifyPassMemory). */
  private verifyMemory(m: PassMemory): void {
    const { open: full, donePods, goodPods } = tallyNodes(this.nodes, Object.keys(this.nodes), { open: [], donePods: 0, goodPods: 0 });
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const problem = (what: string, mine: unknown, truth: unknown) => {
      throw new Error(`pass memory of ${this.wf.metadata.name}: ${what} is ${JSON.stringify(mine)}, a full look says ${JSON.stringify(truth)}`);
    };
    if (!same([...m.open].sort(), full.sort())) problem('the open nodes', [...m.open].sort(), full);
    if (m.donePods !== donePods || m.goodPods !== goodPods) problem('progress', [m.goodPods, m.donePods], [goodPods, donePods]);
    for (const [id, f] of m.dags) {
      const check = this.frontierChecks.get(id);
      if (!check) continue;
      const truth = check();
      const view = (x: DagFrontier) => ({ settled: [...x.settled], released: [...x.released], waiting: [...x.waiting], candidates: x.candidates, failed: x.failed, settledWanted: x.settledWanted });
      if (!same(view(f), view(truth))) problem(`the frontier of DAG node ${id}`, view(f), view(truth));
    }
  }

  private failuresJson(): string {
    const failures = Object.values(this.nodes)
      .filter((n) => failedOrError(n.phase))
      .map((n) => ({
        displayName: n.displayName,
        message: n.message ?? '',
        templateName: n.templateName ?? '',
        phase: n.phase,
        podName: n.type === 'Pod' ? podName(this.wf.metadata.name!, n.name, n.templateName) : '',
        finishedAt: n.finishedAt ?? '',
      }));
    return JSON.stringify(failures);
  }

  private runWorkflowHooks(): void {
    for (const [name, hook] of Object.entries(this.spec.hooks ?? {})) {
      if (name === 'exit' || !hook.expression) continue;
      const hookName = `${this.wf.metadata.name}.hooks.${name}`;
      if (!this.nodes[nodeId(this.wf.metadata.name!, hookName)]) {
        let fire = false;
        try {
          fire = evaluateExpression(substituteString(hook.expression, this.globals), this.globals) === true;
        } catch {
          fire = false;
        }
        if (!fire) continue;
      }
      this.executeTemplate(hookName, { name, template: hook.template, templateRef: hook.templateRef }, this.rootCtx, hook.arguments ?? {}, {
        boundaryId: '',
        hooked: true,
        onExit: true,
      });
    }
  }

  // ---------------------------------------------------------------- nodes

  private nodeByName(name: string): NodeStatus | undefined {
    return this.nodes[nodeId(this.wf.metadata.name!, name)];
  }

  private initNode(name: string, type: NodeType, tmpl: Template | undefined, opts: ExecOpts, phase: NodePhase = 'Running', message?: string): NodeStatus {
    const id = nodeId(this.wf.metadata.name!, name);
    const boundary = opts.boundaryId ? this.nodes[opts.boundaryId] : undefined;
    const node: NodeStatus = {
      id,
      name,
      displayName: (tmpl?.metadata?.annotations?.['workflows.argoproj.io/display-name'] as string) ?? displayName(name, boundary?.name),
      type,
      phase,
      startedAt: this.now,
    };
    if (tmpl?.name) node.templateName = tmpl.name;
    if (opts.boundaryId) node.boundaryID = opts.boundaryId;
    if (message) node.message = message;
    if (opts.hooked) node.nodeFlag = { ...(node.nodeFlag ?? {}), hooked: true };
    if (opts.retries !== undefined) node.nodeFlag = { ...(node.nodeFlag ?? {}), retried: true };
    if (FULFILLED.has(phase)) node.finishedAt = this.now;
    this.noteChange(this.nodes[id]);
    this.nodes[id] = node;
    this.created.push(id);
    return node;
  }

  private markNode(node: NodeStatus, phase: NodePhase, message?: string): NodeStatus {
    if (node.phase === phase && (message === undefined || node.message === message)) return node;
    const was = node.phase;
    if (phase !== was) this.noteChange(node);
    node.phase = phase;
    if (message !== undefined) node.message = message;
    if (phase === 'Running' && was !== 'Running' && node.type === 'Pod') {
      this.result.events.push({ type: 'Normal', reason: 'WorkflowNodeRunning', message: `Running node ${node.name}`, node });
    }
    if (FULFILLED.has(phase)) {
      node.finishedAt ??= this.now;
      if (node.type === 'Pod' && was !== phase) {
        const reason = phase === 'Succeeded' ? 'WorkflowNodeSucceeded' : phase === 'Failed' ? 'WorkflowNodeFailed' : phase === 'Error' ? 'WorkflowNodeError' : '';
        if (reason) this.result.events.push({ type: phase === 'Succeeded' ? 'Normal' : 'Warning', reason, message: `${phase} node ${node.name}${message ? `: ${message}` : ''}`, node });
      }
    } else delete node.finishedAt;
    return node;
  }

  /** Link child under parent; returns the parent as it now is (a node that was done is copied first). */
  private addChild(parent: NodeStatus, child: NodeStatus): NodeStatus {
    if (parent.children?.includes(child.id)) return parent;
    const p = this.editable(parent);
    (p.children ??= []).push(child.id);
    return p;
  }

  /**
   * A node this pass may change: nodes that were done when the pass began are the stored, frozen
   * objects (workingStatus), so one of those is replaced by a copy first. Only for the changes a
   * finished node still takes (a later task linked under it); anything else is a bug, and throws.
   */
  private editable(node: NodeStatus): NodeStatus {
    if (!Object.isFrozen(node)) return node;
    const copy = clone(node);
    this.nodes[node.id] = copy;
    this.edited.push(node.id);
    return copy;
  }

  // ---------------------------------------------------------------- templates

  /** Find the template an invocation names, and the context its own references resolve in. */
  private resolveTemplate(holder: TemplateInvocation, ctx: TmplCtx): { tmpl: Template; ctx: TmplCtx; ref?: TemplateRef } {
    if (holder.inline) return { tmpl: { ...holder.inline, name: holder.inline.name ?? '' }, ctx };
    if (holder.templateRef) {
      const ref = holder.templateRef;
      const ns = this.wf.metadata.namespace ?? 'default';
      const obj = ref.clusterScope ? this.env.getClusterWorkflowTemplate(ref.name) : this.env.getWorkflowTemplate(ref.name, ns);
      if (!obj) {
        throw new WorkflowSpecError(`${ref.clusterScope ? 'clusterworkflowtemplates' : 'workflowtemplates'}.argoproj.io "${ref.name}" not found`);
      }
      const templates = indexTemplates(obj.spec.templates);
      const tmpl = templates.get(ref.template);
      if (!tmpl) throw new WorkflowSpecError(`template ${ref.template} not found in workflow template ${ref.name}`);
      return { tmpl, ctx: { templates, scope: `${ref.clusterScope ? 'cluster' : 'namespaced'}/${ref.name}` }, ref };
    }
    const name = holder.template;
    if (!name) throw new WorkflowSpecError(`step or task "${holder.name}" names no template`);
    const tmpl = ctx.templates.get(name);
    if (!tmpl) throw new WorkflowSpecError(`template ${name} not found`);
    return { tmpl, ctx };
  }

  private templateDefaults(tmpl: Template): Template {
    const defaults = this.spec.templateDefaults;
    if (!defaults) return tmpl;
    return deepMergeDefaults(clone(defaults), tmpl);
  }

  /**
   * Run (or continue) the template an invocation names, as the node called `nodeName`.
   * Returns the node, or undefined when it cannot start yet (parallelism, stopping).
   */
  private executeTemplate(nodeName: string, holder: TemplateInvocation, parentCtx: TmplCtx, args: Arguments, opts: ExecOpts): NodeStatus | undefined {
    const existing = this.nodeByName(nodeName);
    if (existing && isFulfilled(existing)) return existing;
    if (this.podUnchanged(existing)) return existing!;

    let resolved: { tmpl: Template; ctx: TmplCtx; ref?: TemplateRef };
    try {
      resolved = this.resolveTemplate(holder, parentCtx);
    } catch (err) {
      if (!(err instanceof WorkflowSpecError)) throw err;
      const node = existing ?? this.initNode(nodeName, 'Skipped', undefined, opts, 'Error', err.message);
      return this.markNode(node, 'Error', err.message);
    }
    const tmpl = this.templateDefaults(resolved.tmpl);
    const ctx = resolved.ctx;

    if (!existing && this.stopping && !opts.onExit) {
      if (this.wf.spec.suspend && !this.shutdown && !this.deadlineExceeded) return undefined;
      const message = this.deadlineExceeded && !this.shutdown ? 'Step exceeded its deadline' : `Stopped with strategy '${this.shutdown}'`;
      return this.initNode(nodeName, 'Skipped', tmpl, opts, 'Failed', message);
    }

    // Inputs: arguments merged into the template's declared inputs, then substituted into the body.
    let body: Template;
    let inputs: { parameters?: Parameter[]; artifacts?: Artifact[] };
    const localVars: Vars = { ...this.globals, ...(opts.extraVars ?? {}) };
    try {
      inputs = this.processInputs(tmpl, args);
      for (const p of inputs.parameters ?? []) localVars[`inputs.parameters.${p.name}`] = String(p.value ?? '');
      localVars['inputs.parameters'] = JSON.stringify(inputs.parameters ?? []);
      for (const a of inputs.artifacts ?? []) if (a.path) localVars[`inputs.artifacts.${a.name}.path`] = a.path;
      for (const p of tmpl.outputs?.parameters ?? []) if (p.valueFrom?.path) localVars[`outputs.parameters.${p.name}.path`] = p.valueFrom.path;
      for (const a of tmpl.outputs?.artifacts ?? []) if (a.path) localVars[`outputs.artifacts.${a.name}.path`] = a.path;
      localVars['node.name'] = nodeName;
      localVars['pod.name'] = podName(this.wf.metadata.name!, nodeName, tmpl.name);
      if (opts.retries !== undefined) localVars['retries'] = String(opts.retries);
      body = this.substituteBody(resolved.tmpl, tmpl, inputs, localVars);
    } catch (err) {
      const node = existing ?? this.initNode(nodeName, nodeTypeOf(tmpl), tmpl, opts, 'Error', (err as Error).message);
      return this.markNode(node, 'Error', (err as Error).message);
    }

    // Retries wrap the template in a Retry node whose children are attempts `name(0)`, `name(1)`…
    const retry = tmpl.retryStrategy ?? this.spec.retryStrategy;
    if (retry && opts.retries === undefined) return this.executeRetry(nodeName, holder, parentCtx, args, opts, tmpl, retry);

    if (!existing && body.memoize) {
      const hit = this.memoLookup(body);
      if (hit) {
        const node = this.initNode(nodeName, nodeTypeOf(tmpl), tmpl, opts, 'Succeeded');
        node.outputs = hit.outputs;
        node.memoizationStatus = { hit: true, key: hit.key, cacheName: body.memoize.cache.configMap.name };
        return node;
      }
    }

    let fresh = existing;
    if (body.synchronization && (!existing || existing.synchronizationStatus?.waiting)) {
      const holder = `${this.wfKey}/${nodeId(this.wf.metadata.name!, nodeName)}`;
      const blocked = this.acquire(this.lockRequests(body.synchronization, holder, Number(tmpl.priority ?? this.spec.priority ?? 0)));
      if (blocked) {
        const waiting = existing ?? this.initNode(nodeName, nodeTypeOf(tmpl), tmpl, opts, 'Pending');
        waiting.phase = 'Pending';
        waiting.message = `Waiting for ${blocked.label} lock. Lock status: ${this.sync.status(blocked.key).held}/${blocked.limit}`;
        waiting.synchronizationStatus = { waiting: blocked.label };
        return waiting;
      }
      this.recordHolding(this.lockRequests(body.synchronization, holder, 0), true);
      if (existing) {
        // The lock is ours now: start the template as if the node were new.
        this.memoryBroken = true;
        delete this.nodes[existing.id];
        fresh = undefined;
      }
    }
    let node: NodeStatus | undefined;
    if (body.steps) node = this.executeSteps(nodeName, body, ctx, localVars, opts, fresh);
    else if (body.dag) node = this.executeDag(nodeName, body, ctx, localVars, opts, fresh);
    else if (body.suspend) node = this.executeSuspend(nodeName, body, opts, fresh);
    else if (body.container || body.script || body.containerSet) node = this.executePod(nodeName, body, opts, fresh, localVars);
    else if (body.http) node = this.executeHttp(nodeName, body, opts, fresh);
    else if (body.resource) node = this.executeAgentTask(nodeName, body, opts, fresh, 'Pod', this.result.resourceActions);
    else if (body.data) node = this.executeAgentTask(nodeName, body, opts, fresh, 'Pod', this.result.dataActions);
    else if (body.plugin) {
      const kind = 'plugin';
      node = existing ?? this.initNode(nodeName, 'Pod', tmpl, opts, 'Error', `${kind} templates are not supported yet by Argosy`);
      this.markNode(node, 'Error', `${kind} templates are not supported yet by Argosy`);
    } else {
      node = existing ?? this.initNode(nodeName, 'Skipped', tmpl, opts, 'Error', `template ${tmpl.name ?? ''} has no type: set one of container, script, steps, dag, suspend, resource, data, http, containerSet`);
    }
    if (!node) return undefined;
    if (body.synchronization && isFulfilled(node)) {
      const reqs = this.lockRequests(body.synchronization, `${this.wfKey}/${node.id}`, 0);
      for (const r of reqs) this.sync.release(r.key, r.holder);
      this.recordHolding(reqs, false);
    }
    if (resolved.ref) node.templateRef = resolved.ref;
    if (ctx.scope !== 'local/') node.templateScope = ctx.scope;
    if (inputs.parameters?.length || inputs.artifacts?.length) node.inputs = body.inputs;
    if (node.phase === 'Succeeded' && body.memoize && !node.memoizationStatus) this.memoStore(body, node);
    if (node.phase === 'Succeeded') this.promoteGlobalOutputs(body, node);
    return node;
  }

  /**
   * The template with its inputs and variables substituted. A steps or DAG template is revisited on
   * every pass while it runs, and substituting a body of hundreds of tasks each time dominated a
   * reconcile; the result depends only on the template and the variables, so it is kept (frozen, so
   * nothing can change the shared copy) and reused while both stay the same.
   */
  private substituteBody(original: Template, tmpl: Template, inputs: Template['inputs'], localVars: Vars): Template {
    const { inputs: _i, ...rest } = tmpl;
    const build = () => ({ ...substitute(rest, localVars), inputs: substitute(inputs, localVars) }) as Template;
    if (original !== tmpl || (!tmpl.dag && !tmpl.steps)) return build();
    // Keyed by the values of the variables the body refers to: the others (workflow.duration changes
    // every pass) cannot change what substituting it makes.
    let refs = bodyRefs.get(original);
    if (!refs) bodyRefs.set(original, (refs = { names: referencedNames(JSON.stringify(rest)) }));
    const inputsText = JSON.stringify(inputs) ?? '';
    const inInputs = referencedNames(inputsText);
    const used = refs.names && inInputs ? [...refs.names, ...inInputs].map((n) => localVars[n]) : localVars;
    const key = JSON.stringify(used) + inputsText;
    const hit = bodyCache.get(original);
    if (hit?.key === key) return hit.body;
    const body = deepFreeze(build());
    bodyCache.set(original, { key, body });
    return body;
  }

  private processInputs(tmpl: Template, args: Arguments): { parameters?: Parameter[]; artifacts?: Artifact[] } {
    const out: { parameters?: Parameter[]; artifacts?: Artifact[] } = {};
    if (tmpl.inputs?.parameters) {
      out.parameters = tmpl.inputs.parameters.map((p) => {
        const arg = args.parameters?.find((a) => a.name === p.name);
        let value: string | undefined = p.default !== undefined ? anyString(p.default) : undefined;
        if (p.value !== undefined) value = anyString(p.value);
        if (arg && arg.value !== undefined) value = anyString(arg.value);
        else if (arg?.valueFrom?.configMapKeyRef) value = this.configMapValue(arg.valueFrom.configMapKeyRef, p.name);
        if (value === undefined && p.valueFrom?.configMapKeyRef) value = this.configMapValue(p.valueFrom.configMapKeyRef, p.name, p.valueFrom.default);
        if (value === undefined && arg?.default !== undefined) value = anyString(arg.default);
        if (value === undefined && !p.valueFrom?.supplied) throw new WorkflowSpecError(`inputs.parameters.${p.name} was not supplied`);
        if (p.enum && value !== undefined && !p.enum.map(anyString).includes(value)) {
          throw new WorkflowSpecError(`value '${value}' is not in the enum of inputs.parameters.${p.name}: ${p.enum.map(anyString).join(', ')}`);
        }
        const { valueFrom: _vf, ...rest } = p;
        return { ...rest, ...(value !== undefined ? { value } : {}) };
      });
    }
    if (tmpl.inputs?.artifacts) {
      out.artifacts = tmpl.inputs.artifacts.map((a) => {
        const arg = args.artifacts?.find((x) => x.name === a.name);
        const merged: Artifact = { ...a };
        if (arg) {
          const source = arg.from !== undefined ? parseArtifactRef(arg.from) : arg;
          for (const k of ['raw', 'http', 's3', 'git', 'gcs', 'oss', 'azure', 'hdfs', 'artifactory'] as const) if (source?.[k]) (merged as Record<string, unknown>)[k] = source[k];
          if (arg.subPath) merged.subPath = arg.subPath;
          if (source === undefined && !a.optional && !arg.optional) throw new WorkflowSpecError(`inputs.artifacts.${a.name} was not supplied`);
        }
        const hasSource = ['raw', 'http', 's3', 'git', 'gcs', 'oss', 'azure', 'hdfs', 'artifactory'].some((k) => merged[k]);
        if (!hasSource && !a.optional) throw new WorkflowSpecError(`inputs.artifacts.${a.name} was not supplied`);
        return merged;
      });
    }
    return out;
  }

  private configMapValue(ref: { name: string; key: string; optional?: boolean }, param: string, fallback?: string): string | undefined {
    const cm = this.env.getConfigMap(this.wf.metadata.namespace ?? 'default', ref.name);
    const value = (cm?.data as Record<string, string> | undefined)?.[ref.key];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    if (ref.optional) return undefined;
    throw new WorkflowSpecError(`unable to retrieve parameter ${param} from ConfigMap ${ref.name}, key ${ref.key}: ${cm ? `key "${ref.key}" not found` : `configmaps "${ref.name}" not found`}`);
  }

  private promoteGlobalOutputs(tmpl: Template, node: NodeStatus): void {
    const status = this.wf.status!;
    for (const p of tmpl.outputs?.parameters ?? []) {
      if (!p.globalName) continue;
      const value = node.outputs?.parameters?.find((o) => o.name === p.name)?.value;
      if (value === undefined) continue;
      status.outputs ??= {};
      status.outputs.parameters = [...(status.outputs.parameters ?? []).filter((o) => o.name !== p.globalName), { name: p.globalName, value }];
      this.globals[`workflow.outputs.parameters.${p.globalName}`] = String(value);
    }
    for (const a of tmpl.outputs?.artifacts ?? []) {
      if (!a.globalName) continue;
      const art = node.outputs?.artifacts?.find((o) => o.name === a.name);
      if (!art) continue;
      status.outputs ??= {};
      status.outputs.artifacts = [...(status.outputs.artifacts ?? []).filter((o) => o.name !== a.globalName), { ...art, name: a.globalName }];
      this.globals[`workflow.outputs.artifacts.${a.globalName}`] = JSON.stringify(art);
    }
  }

  // ---------------------------------------------------------------- retries

  private executeRetry(
    nodeName: string,
    holder: TemplateInvocation,
    parentCtx: TmplCtx,
    args: Arguments,
    opts: ExecOpts,
    tmpl: Template,
    strategy: NonNullable<Template['retryStrategy']>,
  ): NodeStatus {
    const retryNode = this.nodeByName(nodeName) ?? this.initNode(nodeName, 'Retry', tmpl, opts);
    const attempts = (retryNode.children ?? []).map((id) => this.nodes[id]).filter(Boolean);
    let last: NodeStatus | undefined = attempts[attempts.length - 1];
    const lastRetryVars = (n: NodeStatus | undefined, forExpression: boolean): Vars => {
      const started = n?.startedAt ? new Date(n.startedAt).getTime() : 0;
      const finished = n?.finishedAt ? new Date(n.finishedAt).getTime() : started;
      return {
        'lastRetry.exitCode': n?.outputs?.exitCode ?? (forExpression ? '-1' : '0'),
        'lastRetry.status': n?.phase ?? '',
        'lastRetry.duration': n ? String(Math.round((finished - started) / 1000)) : '0',
        'lastRetry.message': n?.message ?? '',
      };
    };
    const runAttempt = (i: number): NodeStatus | undefined => {
      const child = this.executeTemplate(`${nodeName}(${i})`, holder, parentCtx, args, {
        ...opts,
        boundaryId: opts.boundaryId,
        retries: i,
        extraVars: { ...(opts.extraVars ?? {}), ...lastRetryVars(attempts[i - 1], false) },
      });
      if (child) this.addChild(retryNode, child);
      return child;
    };
    if (!last) {
      last = runAttempt(0);
      if (!last) return retryNode;
    } else if (!isFulfilled(last)) {
      last = runAttempt(attempts.length - 1) ?? last;
    }
    if (!last) return retryNode;
    if (!isFulfilled(last)) {
      if (last.phase === 'Running' || last.phase === 'Pending') this.markNode(retryNode, 'Running');
      return retryNode;
    }
    if (last.phase === 'Succeeded' || last.phase === 'Skipped' || last.phase === 'Omitted') {
      retryNode.outputs = last.outputs;
      return this.markNode(retryNode, last.phase);
    }
    // The last attempt failed: decide whether to try again.
    const count = (retryNode.children ?? []).length;
    const limit = strategy.limit === undefined ? Infinity : Number(substituteString(String(strategy.limit), this.globals));
    const policy = strategy.retryPolicy ?? (strategy.expression ? 'Always' : 'OnFailure');
    const policyAllows =
      policy === 'Always' ||
      (policy === 'OnFailure' && last.phase === 'Failed') ||
      ((policy === 'OnError' || policy === 'OnTransientError') && last.phase === 'Error');
    const finishRetry = (message: string) => {
      retryNode.outputs = last!.outputs;
      return this.markNode(retryNode, last!.phase, message);
    };
    if (this.stopping) return finishRetry(last.message ?? '');
    if (!policyAllows) return finishRetry(last.message ?? '');
    if (count > limit) return finishRetry('No more retries left');
    if (strategy.expression) {
      const vars = { ...this.globals, ...lastRetryVars(last, true) };
      let ok = false;
      try {
        ok = evaluateExpression(strategy.expression, vars) === true;
      } catch {
        ok = false;
      }
      if (!ok) return finishRetry('retryStrategy.expression evaluated to false');
    }
    if (strategy.backoff) {
      const b = strategy.backoff;
      let base: number;
      try {
        if (b.duration === undefined) throw new WorkflowSpecError('no base duration specified for retryStrategy');
        base = parseArgoDuration(String(b.duration), 'retryStrategy.backoff.duration');
      } catch (err) {
        return this.markNode(retryNode, 'Error', (err as Error).message);
      }
      const factor = b.factor === undefined ? 1 : Number(b.factor) || 1;
      let wait = base * factor ** (count - 1);
      if (b.cap !== undefined) wait = Math.min(wait, parseArgoDuration(String(b.cap), 'retryStrategy.backoff.cap'));
      const firstStart = new Date(attempts[0]?.startedAt ?? this.now).getTime();
      if (b.maxDuration !== undefined) {
        const max = parseArgoDuration(String(b.maxDuration), 'retryStrategy.backoff.maxDuration');
        if (this.env.now.getTime() - firstStart >= max) return finishRetry('Max duration limit exceeded');
        if (new Date(last.finishedAt ?? this.now).getTime() + wait - firstStart > max) return finishRetry('Backoff would exceed max duration limit');
      }
      const due = new Date(last.finishedAt ?? this.now).getTime() + wait;
      if (this.env.now.getTime() < due) {
        this.markNode(retryNode, 'Running', `Backoff for ${humanDuration(wait)}`);
        this.requeue(due - this.env.now.getTime());
        return retryNode;
      }
    }
    delete retryNode.message;
    this.markNode(retryNode, 'Running', '');
    delete retryNode.message;
    const next = runAttempt(count);
    if (next && isFulfilled(next)) return this.executeRetryAgain(nodeName, holder, parentCtx, args, opts, tmpl, strategy);
    return retryNode;
  }

  /** An attempt that finished at once (e.g. skipped or errored on inputs): assess again in this pass. */
  private executeRetryAgain(...a: Parameters<Operator['executeRetry']>): NodeStatus {
    return this.executeRetry(...a);
  }

  // ---------------------------------------------------------------- pods

  private executePod(nodeName: string, tmpl: Template, opts: ExecOpts, existing: NodeStatus | undefined, vars: Vars): NodeStatus | undefined {
    const wfName = this.wf.metadata.name!;
    let node = existing;
    if (!node) {
      const limit = this.spec.parallelism;
      if (limit !== undefined && limit > 0 && this.runningPods >= limit && !opts.onExit) return undefined;
      node = this.initNode(nodeName, 'Pod', tmpl, opts, 'Pending');
      // Bound to our node agent at creation (no scheduler): say so now rather than in another write.
      if (this.env.nodeName) node.hostNodeName = this.env.nodeName;
      this.runningPods++;
      const pod = buildPod({
        workflow: this.wf,
        spec: this.spec,
        template: tmpl,
        node,
        podName: podName(wfName, nodeName, tmpl.name),
        nodeName: this.env.nodeName,
        deadlineSeconds: this.podDeadline(tmpl),
        vars,
      });
      this.result.createPods.push(pod);
      return node;
    }
    this.assessPod(node, tmpl);
    if (tmpl.containerSet) this.assessContainers(node, tmpl);
    return node;
  }

  /**
   * A Pod node whose pod is still pending, or running and already shown Running, has nothing to take
   * from its template this pass: returning early skips substituting arguments and body again, which
   * for a wide DAG (a thousand pods in flight) was most of every pass, and a pass that starts a
   * thousand pods walks them twice. Pods with several containers (containerSet, sidecars) and nodes
   * waiting on a lock take the full path.
   */
  private podUnchanged(node: NodeStatus | undefined): boolean {
    if (!node || node.type !== 'Pod' || isFulfilled(node) || node.synchronizationStatus) return false;
    const pod = this.env.pods.get(node.id);
    // Created in this pass, or not seen yet: nothing to assess until it shows up.
    if (!pod) return node.phase === 'Pending';
    if (((pod.spec as { containers?: unknown[] } | undefined)?.containers?.length ?? 0) > 1) return false;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === undefined || phase === 'Pending') {
      this.assessPod(node, {});
      return node.phase === 'Pending';
    }
    return phase === 'Running' && node.phase === 'Running';
  }

  /** A containerSet pod shows each of its containers as a `Container` child node. */
  private assessContainers(node: NodeStatus, tmpl: Template): void {
    const pod = this.env.pods.get(node.id);
    const st = (pod?.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
    const statuses = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])];
    for (const c of tmpl.containerSet!.containers) {
      const name = `${node.name}.${c.name}`;
      let child = this.nodeByName(name);
      if (!child) {
        child = this.initNode(name, 'Container', tmpl, { boundaryId: node.boundaryID ?? '' }, 'Pending');
        child.displayName = c.name!;
      }
      this.addChild(node, child);
      const s = statuses.find((x) => x.name === c.name)?.state;
      if (s?.terminated) this.markNode(child, s.terminated.exitCode === 0 ? 'Succeeded' : 'Failed', s.terminated.exitCode === 0 ? undefined : `${s.terminated.reason ?? 'Error'} (exit code ${s.terminated.exitCode})`);
      else if (s?.running) this.markNode(child, 'Running');
      else if (isFulfilled(node)) this.markNode(child, node.phase === 'Succeeded' ? 'Succeeded' : 'Failed');
    }
  }

  /** Seconds left for a pod: the template's activeDeadlineSeconds, capped by the workflow deadline. */
  private podDeadline(tmpl: Template): number | undefined {
    let ads: number | undefined = tmpl.activeDeadlineSeconds !== undefined ? Number(tmpl.activeDeadlineSeconds) : undefined;
    if (tmpl.timeout) {
      try {
        const t = Math.ceil(parseArgoDuration(tmpl.timeout, 'timeout') / 1000);
        ads = ads === undefined ? t : Math.min(ads, t);
      } catch {
        /* lint reports bad durations */
      }
    }
    const wfAds = this.spec.activeDeadlineSeconds;
    if (wfAds !== undefined) {
      const left = Math.ceil((new Date(this.wf.status!.startedAt!).getTime() + Number(wfAds) * 1000 - this.env.now.getTime()) / 1000);
      ads = ads === undefined ? Math.max(left, 1) : Math.min(ads, Math.max(left, 1));
    }
    return ads;
  }

  private assessPod(node: NodeStatus, tmpl: Template): void {
    const pod = this.env.pods.get(node.id);
    if (!pod) {
      if (node.phase === 'Running') this.markNode(node, 'Error', 'pod deleted');
      return; // Pending and not seen yet: the create may still be on its way.
    }
    const status = (pod.status ?? {}) as {
      phase?: string;
      message?: string;
      reason?: string;
      podIP?: string;
      containerStatuses?: { name: string; state?: { terminated?: { exitCode: number; reason?: string; message?: string }; waiting?: { reason?: string; message?: string } } }[];
    };
    if (status.podIP) node.podIP = status.podIP;
    node.hostNodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? node.hostNodeName;
    const main = status.containerStatuses?.find((c) => c.name === 'main') ?? status.containerStatuses?.[0];
    const term = main?.state?.terminated;
    const result = this.env.taskResults.get(node.id);
    switch (status.phase) {
      case 'Pending': {
        const waiting = main?.state?.waiting;
        if (waiting?.message) node.message = waiting.message;
        return;
      }
      case 'Running':
        if (tmpl.daemon) {
          node.daemoned = true;
          this.markNode(node, 'Running');
          return;
        }
        this.markNode(node, 'Running');
        return;
      case 'Succeeded':
      case 'Failed': {
        if (!result && term && !this.waitedLongEnough(pod)) return; // outputs are on their way
        const outputs: Outputs = { ...(result?.outputs ?? {}) };
        if (term) outputs.exitCode = String(term.exitCode);
        if (Object.keys(outputs).length) node.outputs = outputs;
        this.runningPods--;
        if (result?.phase === 'Error' || result?.phase === 'Failed') {
          this.markNode(node, result.phase, result.message);
          return;
        }
        if (status.phase === 'Succeeded') {
          this.markNode(node, 'Succeeded');
          return;
        }
        let message = status.message;
        if (!message) {
          const failedCtr = status.containerStatuses?.find((c) => c.state?.terminated && c.state.terminated.exitCode !== 0);
          const t = failedCtr?.state?.terminated;
          if (t) message = `${failedCtr!.name === 'main' ? '' : `${failedCtr!.name}: `}${t.reason ?? 'Error'} (exit code ${t.exitCode})${t.message ? `: ${t.message}` : ''}`;
          else if (main?.state?.waiting?.message) message = main.state.waiting.message;
        }
        this.markNode(node, 'Failed', message ?? 'pod failed');
        return;
      }
      default:
        return;
    }
  }

  /** A pod that finished without a task result gets a short grace period before outputs are given up on. */
  private waitedLongEnough(pod: KObject): boolean {
    const finished = (pod.status as { containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[] } | undefined)?.containerStatuses
      ?.map((c) => c.state?.terminated?.finishedAt)
      .filter(Boolean)
      .sort()
      .pop();
    const at = finished ? new Date(finished).getTime() : 0;
    if (this.env.now.getTime() - at > 5000) return true;
    this.requeue(5000);
    return false;
  }

  // ---------------------------------------------------------------- http

  private executeHttp(nodeName: string, tmpl: Template, opts: ExecOpts, existing: NodeStatus | undefined): NodeStatus {
    return this.executeAgentTask(nodeName, tmpl, opts, existing, 'HTTP', this.result.httpRequests);
  }

  /** Work the controller does itself (HTTP requests, resource actions): asked for until a task result answers. */
  private executeAgentTask(
    nodeName: string,
    tmpl: Template,
    opts: ExecOpts,
    existing: NodeStatus | undefined,
    type: NodeType,
    queue: { nodeId: string; template: Template }[],
  ): NodeStatus {
    const node = existing ?? this.initNode(nodeName, type, tmpl, opts, 'Running');
    const result = this.env.taskResults.get(node.id);
    if (!result) {
      // Not answered yet (or the controller restarted mid-request): ask again; the controller dedups.
      queue.push({ nodeId: node.id, template: tmpl });
      return node;
    }
    if (result.outputs && Object.keys(result.outputs).length) node.outputs = result.outputs;
    if (result.phase === 'Failed' || result.phase === 'Error') return this.markNode(node, result.phase, result.message);
    return this.markNode(node, 'Succeeded');
  }

  // ---------------------------------------------------------------- suspend

  private executeSuspend(nodeName: string, tmpl: Template, opts: ExecOpts, existing: NodeStatus | undefined): NodeStatus {
    const node = existing ?? this.initNode(nodeName, 'Suspend', tmpl, opts, 'Running');
    if (isFulfilled(node)) return node;
    const duration = tmpl.suspend?.duration;
    if (duration !== undefined && duration !== '') {
      let ms: number;
      try {
        ms = parseArgoDuration(String(duration), 'suspend.duration');
      } catch (err) {
        return this.markNode(node, 'Error', (err as DurationError).message);
      }
      const due = new Date(node.startedAt!).getTime() + ms;
      if (this.env.now.getTime() >= due) {
        const outputs = this.suppliedOutputs(tmpl, node);
        if (outputs instanceof Error) return this.markNode(node, 'Failed', outputs.message);
        if (outputs) node.outputs = outputs;
        return this.markNode(node, 'Succeeded');
      }
      this.requeue(due - this.env.now.getTime());
    }
    return node;
  }

  /** On auto-resume, supplied outputs take their defaults (or a same-named input's default). */
  private suppliedOutputs(tmpl: Template, node: NodeStatus): Outputs | undefined | Error {
    const params = tmpl.outputs?.parameters?.filter((p) => p.valueFrom?.supplied !== undefined);
    if (!params?.length) return undefined;
    const out: Parameter[] = [];
    for (const p of params) {
      const already = node.outputs?.parameters?.find((o) => o.name === p.name)?.value;
      const input = tmpl.inputs?.parameters?.find((i) => i.name === p.name);
      const value = already ?? p.valueFrom?.default ?? (input?.default !== undefined ? anyString(input.default) : undefined);
      if (value === undefined) return new Error(`raw output parameter '${p.name}' has not been set and does not have a default value`);
      out.push({ name: p.name, value: String(value) });
    }
    return { ...(node.outputs ?? {}), parameters: out };
  }

  // ---------------------------------------------------------------- steps

  private executeSteps(nodeName: string, tmpl: Template, ctx: TmplCtx, vars: Vars, opts: ExecOpts, existing: NodeStatus | undefined): NodeStatus {
    const node = existing ?? this.initNode(nodeName, 'Steps', tmpl, opts);
    const scope: Vars = { ...vars };
    const groups = tmpl.steps ?? [];
    let prevOutbound: string[] = [];
    for (let i = 0; i < groups.length; i++) {
      const groupName = `${nodeName}[${i}]`;
      let group = this.nodeByName(groupName);
      if (!group) {
        group = this.initNode(groupName, 'StepGroup', tmpl, { boundaryId: node.id }, 'Running');
        if (i === 0) this.addChild(node, group);
        else for (const id of prevOutbound) if (this.nodes[id]) this.addChild(this.nodes[id], group);
      }
      if (!isFulfilled(group)) this.executeStepGroup(group, groups[i] ?? [], tmpl, ctx, scope, node);
      if (!isFulfilled(group)) return node;
      if (failedOrError(group.phase)) {
        this.markNode(node, 'Failed', group.message);
        this.finishScope(node);
        return node;
      }
      // Outputs of this group's steps become visible to later groups.
      for (const step of groups[i] ?? []) this.addStepVars(scope, 'steps', step, groupName, ctx);
      prevOutbound = this.outboundOf(group);
      if (!prevOutbound.length) prevOutbound = [group.id];
    }
    node.outboundNodes = prevOutbound.filter((id) => id !== this.nodeByName(`${nodeName}[${groups.length - 1}]`)?.id || this.nodes[id]?.type !== 'StepGroup');
    if (!node.outboundNodes.length) delete node.outboundNodes;
    const outputs = this.templateOutputs(tmpl, scope);
    if (outputs instanceof Error) {
      this.markNode(node, 'Error', outputs.message);
      return node;
    }
    if (outputs) node.outputs = outputs;
    this.markNode(node, 'Succeeded');
    this.finishScope(node);
    return node;
  }

  private executeStepGroup(group: NodeStatus, steps: TemplateInvocation[], tmpl: Template, ctx: TmplCtx, scope: Vars, stepsNode: NodeStatus): void {
    const boundaryId = stepsNode.id;
    const children: NodeStatus[] = [];
    let pending = false;
    let running = 0;
    const limit = tmpl.parallelism !== undefined ? Number(tmpl.parallelism) : undefined;
    for (const step of steps) {
      const expanded = this.expandLoop(step, scope);
      if (expanded instanceof Error) {
        const n = this.nodeByName(`${group.name}.${step.name}`) ?? this.initNode(`${group.name}.${step.name}`, 'Skipped', undefined, { boundaryId }, 'Error', expanded.message);
        this.addChild(group, n);
        children.push(n);
        continue;
      }
      if (expanded.length === 0) {
        const n = this.nodeByName(`${group.name}.${step.name}`) ?? this.initNode(`${group.name}.${step.name}`, 'Skipped', undefined, { boundaryId }, 'Skipped', 'Skipped, empty params');
        this.addChild(group, n);
        children.push(n);
        continue;
      }
      for (const { name, item, vars: itemVars } of expanded) {
        const childName = `${group.name}.${name}`;
        let child = this.nodeByName(childName);
        if (!child) {
          if (limit !== undefined && limit > 0 && running >= limit) {
            pending = true;
            continue;
          }
          const local = { ...scope, ...itemVars };
          if (step.when) {
            let run: boolean;
            try {
              run = evaluateWhen(step.when, local);
            } catch (err) {
              child = this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
              this.addChild(group, child);
              children.push(child);
              continue;
            }
            if (!run) {
              const text = substituteString(step.when, local);
              child = this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Skipped', `when '${text}' evaluated false`);
              this.addChild(group, child);
              children.push(child);
              continue;
            }
          }
        }
        const local = { ...scope, ...itemVars };
        void item;
        let args: Arguments;
        try {
          args = this.substituteArgs(step.arguments, local);
        } catch (err) {
          child = child ?? this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
          this.addChild(group, child);
          children.push(child);
          continue;
        }
        const invocation = substitute({ ...step, arguments: undefined, when: undefined, withItems: undefined, withParam: undefined, withSequence: undefined }, local);
        child = this.executeTemplate(childName, invocation, ctx, args, { boundaryId, extraVars: itemVars });
        if (!child) {
          pending = true;
          continue;
        }
        this.addChild(group, child);
        child = this.runStepHooks(child, step, ctx, local, boundaryId);
        children.push(child);
        if (!isFulfilled(child) && !(child.daemoned && child.phase === 'Running')) running++;
      }
    }
    if (pending || children.some((c) => !isFulfilled(c) && !(c.daemoned && c.phase === 'Running'))) return;
    const stepByChild = (c: NodeStatus) => steps.find((s) => c.name === `${group.name}.${s.name}` || c.name.startsWith(`${group.name}.${s.name}(`));
    const failed = children.find((c) => failedOrError(c.phase) && !continues(stepByChild(c), c.phase));
    if (failed) this.markNode(group, 'Failed', `child '${failed.id}' failed`);
    else this.markNode(group, 'Succeeded');
  }

  /** Step or task exit hook (`hooks.exit` / `onExit`) and expression hooks. Returns the node to wait on. */
  private runStepHooks(child: NodeStatus, inv: TemplateInvocation, ctx: TmplCtx, scope: Vars, boundaryId: string): NodeStatus {
    for (const [name, hook] of Object.entries(inv.hooks ?? {})) {
      if (name === 'exit' || !hook.expression) continue;
      const hookName = `${child.name}.hooks.${name}`;
      if (!this.nodeByName(hookName)) {
        const local = { ...scope };
        addNodeVars(local, inv.name.includes('.') ? `tasks.${inv.name}` : `steps.${inv.name}`, child);
        let fire = false;
        try {
          fire = evaluateExpression(substituteString(hook.expression, local), local) === true;
        } catch {
          fire = false;
        }
        if (!fire) continue;
      }
      const h = this.executeTemplate(hookName, { name, template: hook.template, templateRef: hook.templateRef }, ctx, this.substituteArgs(hook.arguments, scope), { boundaryId, hooked: true, onExit: true });
      if (h) child = this.addChild(child, h);
    }
    const exitTemplate = inv.hooks?.exit?.template ?? inv.onExit;
    const exitRef = inv.hooks?.exit?.templateRef;
    if (!exitTemplate && !exitRef) return child;
    if (!isFulfilled(child)) return child;
    const local = { ...scope };
    const prefix = this.isDagScope(boundaryId) ? 'tasks' : 'steps';
    addNodeVars(local, `${prefix}.${inv.name}`, child);
    const exitNode = this.executeTemplate(
      `${child.name}.onExit`,
      { name: `${inv.name}.onExit`, template: exitTemplate, templateRef: exitRef },
      ctx,
      this.substituteArgs(inv.hooks?.exit?.arguments, local),
      { boundaryId, onExit: true, hooked: true },
    );
    if (!exitNode) return { ...child, phase: 'Running' };
    child = this.addChild(child, exitNode);
    if (!isFulfilled(exitNode)) return { ...child, phase: 'Running' };
    return child;
  }

  private isDagScope(boundaryId: string): boolean {
    return this.nodes[boundaryId]?.type === 'DAG';
  }

  private substituteArgs(args: Arguments | undefined, vars: Vars): Arguments {
    if (!args) return {};
    const out: Arguments = {};
    if (args.parameters) {
      out.parameters = args.parameters.flatMap((p) => {
        const copy = { ...p };
        if (p.value !== undefined) {
          const text = anyString(p.value);
          const whole = /^\s*\{\{\s*((?:steps|tasks)\.[^{}]+?)\s*\}\}\s*$/.exec(text);
          if (whole && !(whole[1] in vars) && (vars[`${whole[1].split('.').slice(0, 2).join('.')}.status`] === 'Skipped' || vars[`${whole[1].split('.').slice(0, 2).join('.')}.status`] === 'Omitted')) {
            // An absent output of a skipped producer: the consumer's own input default applies.
            return [];
          }
          copy.value = substituteString(text, vars, true);
        }
        return [copy];
      });
    }
    if (args.artifacts) {
      out.artifacts = args.artifacts.map((a) => {
        const copy = { ...a };
        if (a.from) {
          copy.from = substituteString(a.from, vars, !a.optional);
          if (copy.from.startsWith('{{')) {
            if (a.optional) delete copy.from;
            else throw new WorkflowSpecError(`Unable to resolve: ${a.from}`);
          }
        }
        if (a.fromExpression) {
          const v = evaluateExpression(a.fromExpression, vars);
          if (v && typeof v === 'object') Object.assign(copy, v);
          else if (typeof v === 'string') copy.from = v;
          delete copy.fromExpression;
        }
        return substitute(copy, vars);
      });
    }
    return out;
  }

  /** Expand withItems / withParam / withSequence into named iterations; no loop → one iteration. */
  private expandLoop(inv: TemplateInvocation, scope: Vars): { name: string; item?: unknown; vars: Vars }[] | Error {
    let items: unknown[] | undefined;
    try {
      if (inv.withItems) items = substitute(inv.withItems, scope);
      else if (inv.withParam !== undefined) {
        const text = substituteString(inv.withParam, scope, true);
        const parsed = JSON.parse(text);
        if (!Array.isArray(parsed)) return new Error(`withParam value could not be parsed as a JSON list: ${text}`);
        items = parsed;
      } else if (inv.withSequence) items = expandSequence(substitute(inv.withSequence, scope));
    } catch (err) {
      if (err instanceof SyntaxError) return new Error(`withParam value could not be parsed as a JSON list: ${substituteString(inv.withParam ?? '', scope)}`);
      return err as Error;
    }
    if (!items) return [{ name: inv.name, vars: {} }];
    return items.map((item, i) => ({ name: `${inv.name}(${i}:${itemDescription(item)})`, item, vars: itemVars(item) }));
  }

  private addStepVars(scope: Vars, prefix: 'steps' | 'tasks', inv: TemplateInvocation, parentName: string, ctx: TmplCtx): void {
    const base = `${parentName}.${inv.name}`;
    const direct = this.nodeByName(base);
    if (direct && (direct.phase === 'Skipped' || direct.phase === 'Omitted') && direct.type === 'Skipped') {
      // A skipped producer's outputs are absent, except those with a valueFrom.default.
      scope[`${prefix}.${inv.name}.status`] = direct.phase;
      scope[`${prefix}.${inv.name}.id`] = direct.id;
      let tmpl: Template | undefined;
      try {
        tmpl = this.resolveTemplate(inv, ctx).tmpl;
      } catch {
        tmpl = undefined;
      }
      for (const p of tmpl?.outputs?.parameters ?? []) {
        if (p.valueFrom?.default !== undefined) scope[`${prefix}.${inv.name}.outputs.parameters.${p.name}`] = p.valueFrom.default;
      }
      return;
    }
    if (direct && direct.type !== 'TaskGroup') {
      addNodeVars(scope, `${prefix}.${inv.name}`, this.lastAttempt(direct));
      if (direct.type === 'Retry') addNodeVars(scope, `${prefix}.${inv.name}`, direct);
      return;
    }
    // A loop: children named base(i:desc), in index order.
    const parent = direct; // DAG TaskGroup, or undefined for steps (children live in the group)
    const candidates = parent
      ? (parent.children ?? []).map((id) => this.nodes[id])
      : Object.values(this.nodes).filter((n) => n.name.startsWith(`${base}(`) && !n.name.slice(base.length).includes('.'));
    const kids = candidates
      .filter((n): n is NodeStatus => !!n && !n.nodeFlag?.hooked)
      .sort((a, b) => loopIndex(a.name) - loopIndex(b.name))
      .map((n) => this.lastAttempt(n));
    addAggregateVars(scope, `${prefix}.${inv.name}`, kids);
    if (parent) {
      scope[`${prefix}.${inv.name}.status`] = parent.phase;
      scope[`${prefix}.${inv.name}.id`] = parent.id;
    }
  }

  private lastAttempt(n: NodeStatus): NodeStatus {
    if (n.type !== 'Retry' || !n.children?.length) return n;
    return { ...this.nodes[n.children[n.children.length - 1]], phase: n.phase, outputs: n.outputs ?? this.nodes[n.children[n.children.length - 1]]?.outputs };
  }

  private outboundOf(node: NodeStatus): string[] {
    const out: string[] = [];
    for (const id of node.children ?? []) {
      const c = this.nodes[id];
      if (!c) continue;
      if (c.outboundNodes?.length) out.push(...c.outboundNodes);
      else if (c.type === 'Retry' && c.children?.length) out.push(c.children[c.children.length - 1]);
      else out.push(c.id);
    }
    return out;
  }

  /** Steps and DAG templates' declared outputs, from `valueFrom.parameter` / `expression` and artifact `from`. */
  private templateOutputs(tmpl: Template, scope: Vars): Outputs | undefined | Error {
    const decl = tmpl.outputs;
    if (!decl?.parameters?.length && !decl?.artifacts?.length) return undefined;
    const out: Outputs = {};
    try {
      for (const p of decl.parameters ?? []) {
        let value: string | undefined;
        if (p.valueFrom?.parameter) {
          const v = substituteString(p.valueFrom.parameter, scope);
          value = v.includes('{{') ? p.valueFrom.default : v;
        } else if (p.valueFrom?.expression) {
          const v = evaluateExpression(p.valueFrom.expression, scope);
          value = v === null || v === undefined ? p.valueFrom.default : typeof v === 'string' ? v : JSON.stringify(v);
        } else if (p.value !== undefined) value = substituteString(anyString(p.value), scope);
        if (value === undefined) {
          if (p.valueFrom?.default !== undefined) value = p.valueFrom.default;
          else return new Error(`unable to resolve outputs.parameters.${p.name}: the referenced output is absent and no default is set`);
        }
        (out.parameters ??= []).push({ name: p.name, value, ...(p.globalName ? { globalName: p.globalName } : {}) });
      }
      for (const a of decl.artifacts ?? []) {
        let source: Artifact | undefined;
        if (a.from) {
          const v = substituteString(a.from, scope);
          source = v.includes('{{') ? undefined : parseArtifactRef(v);
        } else if (a.fromExpression) {
          const v = evaluateExpression(a.fromExpression, scope);
          source = typeof v === 'string' ? parseArtifactRef(v) : (v as Artifact | undefined);
        }
        if (!source) {
          if (a.optional) continue;
          return new Error(`unable to resolve outputs.artifacts.${a.name}`);
        }
        (out.artifacts ??= []).push({ ...source, name: a.name, ...(a.globalName ? { globalName: a.globalName } : {}) });
      }
    } catch (err) {
      return err as Error;
    }
    return out;
  }

  /** When a steps/DAG scope ends, its daemoned children are stopped. */
  private finishScope(scopeNode: NodeStatus): void {
    for (const n of Object.values(this.nodes)) {
      if (n.boundaryID === scopeNode.id && n.daemoned && !isFulfilled(n)) {
        const pod = this.env.pods.get(n.id);
        if (pod) this.result.deletePods.push(pod.metadata.name!);
        this.markNode(n, 'Succeeded');
      }
    }
  }

  // ---------------------------------------------------------------- DAG

  private executeDag(nodeName: string, tmpl: Template, ctx: TmplCtx, vars: Vars, opts: ExecOpts, existing: NodeStatus | undefined): NodeStatus {
    const node = existing ?? this.initNode(nodeName, 'DAG', tmpl, opts);
    const dag = tmpl.dag!;
    const shape = dagShape(dag, dag.target ? substituteString(dag.target, vars) : undefined);
    const { taskList, tasks, deps, targets, handled, referenced } = shape;
    const failFast = dag.failFast !== false;
    // The caller's variables, copied once a task's are added (in a chain with no references, never).
    let scope: Vars = vars;
    const scoped = new Map<string, string>();
    const addTaskVars = (t: DAGTask) => {
      if (scope === vars) scope = { ...vars };
      this.addStepVars(scope, 'tasks', t, nodeName, ctx);
    };
    const taskIds = shape.ids(this.wf.metadata.name!, nodeName);
    const taskNode = (name: string): NodeStatus | undefined => {
      const id = taskIds.get(name);
      return id === undefined ? undefined : this.nodes[id];
    };
    const failsDag = (t: DAGTask, n: NodeStatus) => failedOrError(n.phase) && !continues(t, n.phase) && !handled.has(t.name);
    // Only the frontier's candidates can move: tasks not done whose dependencies are (see dag.ts).
    const frontier = this.frontierOf(node.id, shape, taskNode, failsDag);
    let anyFailed = false;
    let progressed = true;
    const limit = tmpl.parallelism !== undefined ? Number(tmpl.parallelism) : undefined;
    // Loop until no task changes state in this pass (tasks that finish at once unblock others).
    while (progressed) {
      progressed = false;
      // Outputs of finished tasks are visible to the tasks that start in this pass (added once per phase).
      for (const t of referenced ?? taskList) {
        const n = taskNode(t.name);
        if (n && scoped.get(t.name) !== n.phase) {
          scoped.set(t.name, n.phase);
          addTaskVars(t);
        }
      }
      let running = 0;
      if (limit !== undefined) {
        for (const i of frontier.candidates) {
          const n = taskNode(taskList[i].name);
          if (n && !isFulfilled(n) && !(n.daemoned && n.phase === 'Running')) running++;
        }
      }
      // In the order of dag.tasks; a task a settling one releases is visited in this round when it
      // comes later in that order, in the next round when it came earlier.
      for (let i = frontier.nextCandidate(-1); i >= 0; i = frontier.nextCandidate(i)) {
        const t = taskList[i];
        const current = taskNode(t.name);
        if (current && isFulfilled(current)) {
          frontier.settle(i, failsDag(t, current));
          continue;
        }
        if (!shape.wantedAt[i]) continue;
        const taskDeps = deps.get(t.name) ?? [];
        if (!current && !taskDeps.every((dep) => {
          const d = taskNode(dep);
          return isFulfilled(d) || (d?.daemoned && d.phase === 'Running');
        })) continue;
        if (!current) {
          if (anyFailed && failFast) continue;
          if (limit !== undefined && limit > 0 && running >= limit) continue;
          // depends / dependencies decide whether the task runs or is omitted.
          const ok = this.dependsSatisfied(t, tasks, (d) => taskNode(d));
          const name = `${nodeName}.${t.name}`;
          if (ok instanceof Error) {
            const errNode = this.initNode(name, 'Skipped', undefined, { boundaryId: node.id }, 'Error', ok.message);
            this.linkTask(node, errNode, taskDeps, (d) => taskNode(d));
            frontier.settle(i, failsDag(t, errNode));
            progressed = true;
            continue;
          }
          if (!ok) {
            const omitted = this.initNode(name, 'Skipped', undefined, { boundaryId: node.id }, 'Omitted', 'omitted: depends condition not met');
            this.linkTask(node, omitted, taskDeps, (d) => taskNode(d));
            frontier.settle(i, false);
            progressed = true;
            continue;
          }
        }
        const before = current?.phase;
        // Dependencies may have finished earlier in this same pass: bring their outputs into scope.
        if (shape.refDepAt[i]) for (const d of taskDeps) {
          if (referenced && !shape.referencedNames.has(d)) continue;
          const dn = taskNode(d);
          if (dn && scoped.get(d) !== dn.phase) {
            scoped.set(d, dn.phase);
            addTaskVars(tasks.get(d)!);
          }
        }
        // A running task whose Pod has not changed: executeTask would give it back as it is (the
        // 1,000 tasks of a wide fan, on every pass).
        if (current && shape.plainAt[i] && this.podUnchanged(current)) {
          if (current.daemoned && current.phase === 'Running') frontier.release(i);
          continue;
        }
        const n = this.executeTask(t, nodeName, ctx, scope, node, taskDeps, (d) => taskNode(d));
        if (n && (!current || n.phase !== before)) progressed = true;
        if (n && !current && !isFulfilled(n)) running++;
        if (n && isFulfilled(n)) frontier.settle(i, failsDag(t, n));
        else if (n?.daemoned && n.phase === 'Running') frontier.release(i);
      }
      frontier.compact();
      anyFailed = frontier.failed;
    }
    // Done when every wanted task is fulfilled, or (failFast) nothing more will start. The wanted
    // tasks that are not candidates and not done wait on a dependency and have no node.
    const stopping = anyFailed && failFast;
    const blocked = frontier.blocked > 0;
    let open = blocked && !stopping;
    let unstarted = blocked;
    for (const i of frontier.candidates) {
      if (!shape.wantedAt[i]) continue;
      const x = taskNode(taskList[i].name);
      if (!x) unstarted = true;
      if (x ? !isFulfilled(x) && !(x.daemoned && x.phase === 'Running') : !stopping) open = true;
    }
    if (open) return node;
    if (stopping && unstarted) {
      this.markNode(node, 'Failed');
      this.finishScope(node);
      return node;
    }
    if (tmpl.outputs) for (const t of taskList) if (taskNode(t.name)) addTaskVars(t);
    const phase = this.assessDag(targets, tasks, deps, (d) => taskNode(d), handled);
    node.outboundNodes = targets.flatMap((t) => {
      const n = taskNode(t);
      if (!n) return [];
      const ob = n.outboundNodes?.length ? n.outboundNodes : n.type === 'Retry' && n.children?.length ? [n.children[n.children.length - 1]] : [n.id];
      return ob;
    });
    if (phase === 'Succeeded') {
      const outputs = this.templateOutputs(tmpl, scope);
      if (outputs instanceof Error) {
        this.markNode(node, 'Error', outputs.message);
        this.finishScope(node);
        return node;
      }
      if (outputs) node.outputs = outputs;
    }
    this.markNode(node, phase);
    this.finishScope(node);
    return node;
  }

  /** This pass's frontier of a DAG node: the last pass's, copied, or one built from the nodes. */
  private frontierOf(
    dagId: string,
    shape: DagShape,
    taskNode: (n: string) => NodeStatus | undefined,
    failsDag: (t: DAGTask, n: NodeStatus) => boolean,
  ): DagFrontier {
    const build = () => DagFrontier.build(shape, taskNode, isFulfilled, failsDag);
    if (verifyingPassMemory()) this.frontierChecks.set(dagId, build);
    let f = this.frontiers.get(dagId);
    if (f?.shape === shape) return f;
    const prev = this.memoryBroken ? undefined : this.prev?.dags.get(dagId);
    f = prev?.shape === shape ? prev.clone() : build();
    this.frontiers.set(dagId, f);
    return f;
  }

  private linkTask(dagNode: NodeStatus, child: NodeStatus, deps: string[], taskNode: (n: string) => NodeStatus | undefined): void {
    if (!deps.length) {
      this.addChild(dagNode, child);
      return;
    }
    for (const d of deps) {
      const dn = taskNode(d);
      if (!dn) continue;
      const outbound = dn.outboundNodes?.length ? dn.outboundNodes : dn.type === 'Retry' && dn.children?.length ? [dn.children[dn.children.length - 1]] : [dn.id];
      for (const id of outbound) if (this.nodes[id]) this.addChild(this.nodes[id], child);
    }
  }

  private executeTask(
    t: DAGTask,
    dagName: string,
    ctx: TmplCtx,
    scope: Vars,
    dagNode: NodeStatus,
    deps: string[],
    taskNode: (n: string) => NodeStatus | undefined,
  ): NodeStatus | undefined {
    const name = `${dagName}.${t.name}`;
    const existing = this.nodeByName(name);
    const boundaryId = dagNode.id;
    const loop = t.withItems || t.withParam !== undefined || t.withSequence;
    if (!loop && !t.hooks && this.podUnchanged(existing)) return existing!;
    if (!loop) {
      if (!existing && t.when) {
        let run: boolean;
        try {
          run = evaluateWhen(t.when, scope);
        } catch (err) {
          const n = this.initNode(name, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
          this.linkTask(dagNode, n, deps, taskNode);
          return n;
        }
        if (!run) {
          const n = this.initNode(name, 'Skipped', undefined, { boundaryId }, 'Skipped', `when '${substituteString(t.when, scope)}' evaluated false`);
          this.linkTask(dagNode, n, deps, taskNode);
          return n;
        }
      }
      let args: Arguments;
      try {
        args = this.substituteArgs(t.arguments, scope);
      } catch (err) {
        const n = existing ?? this.initNode(name, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
        if (!existing) this.linkTask(dagNode, n, deps, taskNode);
        return n;
      }
      const inv = substitute({ ...t, arguments: undefined, when: undefined, depends: undefined, dependencies: undefined }, scope);
      const n = this.executeTemplate(name, inv, ctx, args, { boundaryId });
      if (!n) return undefined;
      if (!existing) this.linkTask(dagNode, n, deps, taskNode);
      return this.runStepHooks(n, t, ctx, scope, boundaryId);
    }
    // A loop task: a TaskGroup node with one child per item.
    let group = existing;
    const expanded = this.expandLoop(t, scope);
    if (!group) {
      if (expanded instanceof Error) {
        const n = this.initNode(name, 'Skipped', undefined, { boundaryId }, 'Error', expanded.message);
        this.linkTask(dagNode, n, deps, taskNode);
        return n;
      }
      if (expanded.length === 0) {
        const n = this.initNode(name, 'Skipped', undefined, { boundaryId }, 'Skipped', 'Skipped, empty params');
        this.linkTask(dagNode, n, deps, taskNode);
        return n;
      }
      group = this.initNode(name, 'TaskGroup', undefined, { boundaryId }, 'Running');
      this.linkTask(dagNode, group, deps, taskNode);
    }
    if (expanded instanceof Error) return this.markNode(group, 'Error', expanded.message);
    const kids: NodeStatus[] = [];
    let pending = false;
    for (const { name: iterName, vars: iv } of expanded) {
      const childName = `${dagName}.${iterName}`;
      const local = { ...scope, ...iv };
      let child = this.nodeByName(childName);
      if (!child && t.when) {
        let run = true;
        try {
          run = evaluateWhen(t.when, local);
        } catch (err) {
          child = this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
          this.addChild(group, child);
          kids.push(child);
          continue;
        }
        if (!run) {
          child = this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Skipped', `when '${substituteString(t.when, local)}' evaluated false`);
          this.addChild(group, child);
          kids.push(child);
          continue;
        }
      }
      let args: Arguments;
      try {
        args = this.substituteArgs(t.arguments, local);
      } catch (err) {
        child = child ?? this.initNode(childName, 'Skipped', undefined, { boundaryId }, 'Error', (err as Error).message);
        this.addChild(group, child);
        kids.push(child);
        continue;
      }
      const inv = substitute({ ...t, arguments: undefined, when: undefined, depends: undefined, dependencies: undefined, withItems: undefined, withParam: undefined, withSequence: undefined }, local);
      child = this.executeTemplate(childName, inv, ctx, args, { boundaryId, extraVars: iv });
      if (!child) {
        pending = true;
        continue;
      }
      this.addChild(group, child);
      child = this.runStepHooks(child, t, ctx, local, boundaryId);
      kids.push(child);
    }
    if (pending || kids.some((k) => !isFulfilled(k))) return group;
    const failed = kids.find((k) => failedOrError(k.phase));
    if (failed) return this.markNode(group, failed.phase === 'Error' ? 'Error' : 'Failed', `child '${failed.id}' failed`);
    group.outboundNodes = kids.flatMap((k) => (k.outboundNodes?.length ? k.outboundNodes : [k.id]));
    return this.markNode(group, 'Succeeded');
  }

  /** Evaluate `depends` (or `dependencies`) once every dependency is done. */
  private dependsSatisfied(t: DAGTask, tasks: Map<string, DAGTask>, taskNode: (n: string) => NodeStatus | undefined): boolean | Error {
    const expr = t.depends;
    if (!expr) {
      // Plain `dependencies`: each must have finished well (or failed under continueOn). No
      // expression needed, which also keeps a task with thousands of dependencies cheap.
      return (t.dependencies ?? []).every((d) => {
        const n = taskNode(d);
        const dep = tasks.get(d);
        if (!n) return false;
        if (n.phase === 'Succeeded' || n.phase === 'Skipped' || (n.daemoned && !failedOrError(n.phase))) return true;
        return (n.phase === 'Failed' && !!dep?.continueOn?.failed) || (n.phase === 'Error' && !!dep?.continueOn?.error);
      });
    }
    const compiled = compileDepends(expr, tasks);
    const env: Record<string, unknown> = {};
    for (const [n, id] of compiled.names) {
      const node = taskNode(n);
      const phase = node?.phase;
      const children = node?.type === 'TaskGroup' ? (node.children ?? []).map((c) => this.nodes[c]).filter(Boolean) : [];
      env[id] = {
        Succeeded: phase === 'Succeeded',
        Failed: phase === 'Failed',
        Errored: phase === 'Error',
        Skipped: phase === 'Skipped',
        Omitted: phase === 'Omitted',
        Daemoned: !!node?.daemoned && phase !== 'Failed' && phase !== 'Error',
        AnySucceeded: children.some((c) => c.phase === 'Succeeded'),
        AllFailed: children.length > 0 && children.every((c) => c.phase === 'Failed'),
      };
    }
    try {
      return evaluateExpression(compiled.text, {}, env) === true;
    } catch (err) {
      return new Error(`invalid depends '${expr}': ${(err as Error).message}`);
    }
  }

  /** A DAG's phase from its target tasks; an Omitted target inherits a failure from its branch. */
  private assessDag(
    targets: string[],
    tasks: Map<string, DAGTask>,
    deps: Map<string, string[]>,
    taskNode: (n: string) => NodeStatus | undefined,
    handled: Set<string>,
  ): NodePhase {
    const branchPhase = (name: string, seen: Set<string>): NodePhase => {
      const n = taskNode(name);
      if (!n) return 'Succeeded';
      if (failedOrError(n.phase)) return continues(tasks.get(name), n.phase) || (handled.has(name) && !targets.includes(name)) ? 'Succeeded' : n.phase;
      if (n.phase === 'Omitted') {
        for (const d of deps.get(name) ?? []) {
          if (seen.has(d)) continue;
          seen.add(d);
          const p = branchPhase(d, seen);
          if (failedOrError(p)) return p;
        }
      }
      return 'Succeeded';
    };
    let result: NodePhase = 'Succeeded';
    for (const t of targets) {
      const p = branchPhase(t, new Set());
      if (p === 'Error') return 'Error';
      if (p === 'Failed') result = 'Failed';
    }
    return result;
  }

  // ---------------------------------------------------------------- memoization

  private memoLookup(tmpl: Template): { key: string; outputs: Outputs } | undefined {
    const m = tmpl.memoize!;
    const cm = this.env.getConfigMap(this.wf.metadata.namespace ?? 'default', m.cache.configMap.name);
    const raw = (cm?.data as Record<string, string> | undefined)?.[m.key];
    if (!raw) return undefined;
    try {
      const entry = JSON.parse(raw) as { outputs?: Outputs; creationTimestamp?: string };
      if (m.maxAge) {
        const age = this.env.now.getTime() - new Date(entry.creationTimestamp ?? 0).getTime();
        if (age > parseArgoDuration(m.maxAge, 'memoize.maxAge')) return undefined;
      }
      return { key: m.key, outputs: entry.outputs ?? {} };
    } catch {
      return undefined;
    }
  }

  private memoStore(tmpl: Template, node: NodeStatus): void {
    const m = tmpl.memoize!;
    node.memoizationStatus = { hit: false, key: m.key, cacheName: m.cache.configMap.name };
    this.result.configMapWrites.push({
      namespace: this.wf.metadata.namespace ?? 'default',
      name: m.cache.configMap.name,
      key: m.key,
      value: JSON.stringify({ nodeID: node.id, outputs: node.outputs ?? {}, creationTimestamp: this.now, lastHitTimestamp: this.now }),
      labels: { 'workflows.argoproj.io/configmap-type': 'Cache' },
    });
  }
}

// ---------------------------------------------------------------- helpers

function continues(inv: TemplateInvocation | undefined, phase: NodePhase): boolean {
  if (!inv?.continueOn) return false;
  return (phase === 'Failed' && !!inv.continueOn.failed) || (phase === 'Error' && !!inv.continueOn.error);
}

function nodeTypeOf(tmpl: Template): NodeType {
  if (tmpl.steps) return 'Steps';
  if (tmpl.dag) return 'DAG';
  if (tmpl.suspend) return 'Suspend';
  return 'Pod';
}

export function indexTemplates(templates: Template[] | undefined): Map<string, Template> {
  const m = new Map<string, Template>();
  for (const t of templates ?? []) if (t.name) m.set(t.name, t);
  return m;
}

/** The effective spec of a workflow that references a WorkflowTemplate: the workflow's fields win. */
export function mergeSpecs(base: WorkflowSpec, overlay: WorkflowSpec): WorkflowSpec {
  const merged: WorkflowSpec = { ...clone(base) };
  for (const [k, v] of Object.entries(overlay)) {
    if (k === 'workflowTemplateRef' || v === undefined) continue;
    if (k === 'arguments') {
      const params = new Map((base.arguments?.parameters ?? []).map((p) => [p.name, p]));
      for (const p of (v as Arguments).parameters ?? []) params.set(p.name, { ...(params.get(p.name) ?? {}), ...p });
      const arts = new Map((base.arguments?.artifacts ?? []).map((a) => [a.name, a]));
      for (const a of (v as Arguments).artifacts ?? []) arts.set(a.name, a);
      merged.arguments = { ...(params.size ? { parameters: [...params.values()] } : {}), ...(arts.size ? { artifacts: [...arts.values()] } : {}) };
    } else if (k === 'templates') {
      const t = indexTemplates(base.templates);
      for (const tt of v as Template[]) if (tt.name) t.set(tt.name, tt);
      merged.templates = [...t.values()];
    } else merged[k] = clone(v);
  }
  return merged;
}

function deepMergeDefaults<T>(defaults: T, value: T): T {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value === undefined ? defaults : value;
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults)) return value;
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = deepMergeDefaults(out[k], v);
  return out as T;
}

/** Argo's AnyString: numbers and booleans keep their JSON text. */
export function anyString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function paramValue(p: Parameter): string | undefined {
  if (p.value !== undefined) return anyString(p.value);
  if (p.default !== undefined) return anyString(p.default);
  return p.valueFrom?.default;
}

/** `{{steps.x.outputs.artifacts.y}}` substitutes to the artifact's JSON; turn it back into an object. */
function parseArtifactRef(text: string): Artifact | undefined {
  try {
    const v = JSON.parse(text) as Artifact;
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

function expandSequence(seq: { count?: string | number; start?: string | number; end?: string | number; format?: string }): string[] {
  const start = seq.start !== undefined && seq.start !== '' ? Number(seq.start) : 0;
  let values: number[] = [];
  if (seq.count !== undefined && seq.count !== '') {
    const count = Number(seq.count);
    if (!Number.isInteger(count)) throw new WorkflowSpecError(`withSequence.count must be an integer, got "${seq.count}"`);
    for (let i = 0; i < count; i++) values.push(start + i);
  } else if (seq.end !== undefined && seq.end !== '') {
    const end = Number(seq.end);
    if (!Number.isInteger(end) || !Number.isInteger(start)) throw new WorkflowSpecError(`withSequence start and end must be integers, got "${seq.start}" and "${seq.end}"`);
    if (start <= end) for (let i = start; i <= end; i++) values.push(i);
    else for (let i = start; i >= end; i--) values.push(i);
  } else throw new WorkflowSpecError('withSequence needs count or end');
  values = values.filter((v) => Number.isFinite(v));
  return values.map((v) => (seq.format ? sprintfInt(seq.format, v) : String(v)));
}

/** printf with integer verbs (%d, %02d, %X, %x, %o), enough for withSequence formats. */
function sprintfInt(format: string, v: number): string {
  return format.replace(/%(0?)(\d*)([dxXo])/g, (_m, zero: string, width: string, verb: string) => {
    let s = verb === 'd' ? String(Math.abs(v)) : Math.abs(v).toString(verb === 'o' ? 8 : 16);
    if (verb === 'X') s = s.toUpperCase();
    const w = Number(width || 0);
    while (s.length < w - (v < 0 ? 1 : 0)) s = (zero ? '0' : ' ') + s;
    return (v < 0 ? '-' : '') + s;
  });
}

/** How Argo names a loop iteration: strings as is, maps as sorted `k:v` pairs, lists Go-style. */
export function itemDescription(item: unknown): string {
  const text = describe(item);
  return text.replace(/[()]/g, '');
}

function describe(item: unknown): string {
  if (item === null || item === undefined) return '';
  if (typeof item === 'string') return item;
  if (typeof item === 'number' || typeof item === 'boolean') return String(item);
  if (Array.isArray(item)) return `[${item.map(describe).join(' ')}]`;
  const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.map(([k, v]) => `${k}:${typeof v === 'object' && v !== null ? JSON.stringify(v) : describe(v)}`).join(',');
}

function itemVars(item: unknown): Vars {
  const vars: Vars = {};
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    vars['item'] = JSON.stringify(item);
    const walk = (prefix: string, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          vars[`${prefix}.${k}`] = typeof x === 'string' ? x : JSON.stringify(x);
          walk(`${prefix}.${k}`, x);
        }
      }
    };
    walk('item', item);
  } else vars['item'] = typeof item === 'string' ? item : JSON.stringify(item);
  return vars;
}

function loopIndex(name: string): number {
  const m = /\((\d+):[^()]*\)$/.exec(name) ?? /\((\d+):/.exec(name);
  return m ? Number(m[1]) : 0;
}

/**
 * The `workflow.creationTimestamp…` variables, for the timestamp asked last: the same on every pass
 * of a workflow, and working them out was half of setting the globals.
 */
let creationVars: { stamp: string; vars: [string, string][] } | undefined;

function creationTimestampVars(stamp: string): [string, string][] {
  if (creationVars?.stamp === stamp) return creationVars.vars;
  const created = new Date(stamp);
  const vars: [string, string][] = [
    ['workflow.creationTimestamp', rfc3339(created)],
    ['workflow.creationTimestamp.RFC3339', rfc3339(created)],
    ['workflow.creationTimestamp.s', String(Math.floor(created.getTime() / 1000))],
  ];
  for (const [c, v] of Object.entries(strftimeParts(created))) vars.push([`workflow.creationTimestamp.${c}`, v]);
  creationVars = { stamp, vars };
  return vars;
}

/** strftime-style parts of workflow.creationTimestamp (`.Y`, `.m`, `.d`, `.H`, `.M`, `.S`, …), in UTC. */
function strftimeParts(d: Date): Record<string, string> {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const yday = Math.floor((d.getTime() - start) / 86_400_000) + 1;
  return {
    Y: String(d.getUTCFullYear()),
    y: p(d.getUTCFullYear() % 100),
    C: p(Math.floor(d.getUTCFullYear() / 100)),
    m: p(d.getUTCMonth() + 1),
    b: months[d.getUTCMonth()].slice(0, 3),
    B: months[d.getUTCMonth()],
    h: months[d.getUTCMonth()].slice(0, 3),
    d: p(d.getUTCDate()),
    e: String(d.getUTCDate()).padStart(2, ' '),
    j: p(yday, 3),
    H: p(d.getUTCHours()),
    I: p(d.getUTCHours() % 12 || 12),
    M: p(d.getUTCMinutes()),
    S: p(d.getUTCSeconds()),
    p: d.getUTCHours() < 12 ? 'AM' : 'PM',
    a: days[d.getUTCDay()].slice(0, 3),
    A: days[d.getUTCDay()],
    u: String(d.getUTCDay() || 7),
    w: String(d.getUTCDay()),
    Z: 'UTC',
    z: '+0000',
    s: String(Math.floor(d.getTime() / 1000)),
    n: '\n',
    t: '\t',
    '%': '%',
  };
}

// The workflow controller: keeps informers on Workflows and their Pods and task results, and runs
// the operator for a workflow whenever something it depends on changes. Work is coalesced per
// workflow: a burst of Pod updates leads to one reconcile and one Workflow write.
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import { ANNOTATION_NODE_ID, LABEL_COMPLETED, LABEL_WORKFLOW } from '../model/argo.js';
import type { Workflow, WorkflowTaskResult, WorkflowTemplate } from '../model/argo.js';
import { isApiError } from '../model/errors.js';
import { type KObject, clone, deepFreeze, jsonOf, randomSuffix, rfc3339, sameJson } from '../model/object.js';
import type { ArtifactRepository } from './artifacts.js';
import { performData } from './data.js';
import { performHttp } from './http.js';
import { performResource } from './resource.js';
import { type OperatorEnv, type OperatorResult, operate } from './operator.js';
import { recall } from './pass-memory.js';
import { SyncManager } from './sync.js';

export interface Logger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface WorkflowControllerOptions {
  client: Client;
  /** Watch only this namespace; all when omitted. */
  namespace?: string;
  /** Bind Pods to this node agent directly (embedded mode), saving a scheduling write per Pod. */
  nodeName?: string;
  logger?: Logger;
  now?: () => Date;
  /** Workflows reconciled at the same time. */
  workers?: number;
  /** Record Kubernetes Events for workflow and node transitions. */
  events?: boolean;
  /** Where data templates list artifacts. */
  artifacts?: ArtifactRepository;
}

const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * How much time a costly reconcile leaves to everything else before the next (see pump), when the
 * workflow has many Pods in flight. 3 was best on the 1,000-task fan and the 5,000-task fan-out on 2
 * cores (1: fan-out 21.6 s, 3: 18.5 s and a third less memory), 2026-12-06.
 */
const PACING = 3;
/**
 * Pacing only pays while the workflow has this many Pods pending or running: the CPUs are busy with
 * them, and each pass then covers more of their news. With fewer, a pause leaves the CPUs idle while
 * the next tasks wait to be created: the 30-wide lattice took 6.0–6.5 s paced, 4.0–4.2 s unpaced.
 */
const PACE_FROM_PODS = 64;

export class WorkflowController {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly now: () => Date;
  private workflows: Informer<Workflow>;
  private pods: Informer;
  private results: Informer<WorkflowTaskResult>;
  private templates: Informer<WorkflowTemplate>;
  private clusterTemplates: Informer<WorkflowTemplate>;
  private configMaps: Informer;
  /** workflow key → node ID → object; kept in step with the informers for O(1) lookups. */
  private podIndex = new Map<string, Map<string, KObject>>();
  private resultIndex = new Map<string, Map<string, WorkflowTaskResult>>();
  /** The last version this controller wrote, in case the informer has not caught up yet. */
  private written = new Map<string, Workflow>();
  private specs = new Map<string, { text: string; spec: Workflow['spec'] }>();
  /** Workflow versions seen while this controller's write of that workflow was in flight. */
  private writing = new Map<string, Set<string>>();
  private queue = new Set<string>();
  private active = new Set<string>();
  private dirty = new Set<string>();
  private timers = new Map<string, NodeJS.Timeout>();
  private running = 0;
  private stopped = false;
  /** HTTP template requests in flight, by node ID, so a reconcile does not send one twice. */
  private httpInFlight = new Set<string>();
  /** Mutexes and semaphores across every workflow; a freed lock wakes its waiters. */
  private sync = new SyncManager((wfKey) => this.enqueue(wfKey));
  /** Resource templates waiting on a condition; aborted when the controller stops. */
  private aborts = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];
  /** Each workflow as its last reconcile left it: how many Pods it has in flight decides pacing. */
  private lastPass = new Map<string, Workflow>();

  constructor(private readonly opts: WorkflowControllerOptions) {
    this.client = opts.client;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
    const ns = opts.namespace ? { namespace: opts.namespace } : {};
    this.workflows = new Informer<Workflow>(this.client, Kinds.Workflow, ns);
    this.pods = new Informer(this.client, Kinds.Pod, { ...ns, labelSelector: LABEL_WORKFLOW });
    this.results = new Informer<WorkflowTaskResult>(this.client, Kinds.WorkflowTaskResult, { ...ns, labelSelector: LABEL_WORKFLOW });
    this.templates = new Informer<WorkflowTemplate>(this.client, Kinds.WorkflowTemplate, ns);
    this.clusterTemplates = new Informer<WorkflowTemplate>(this.client, Kinds.ClusterWorkflowTemplate);
    this.configMaps = new Informer(this.client, Kinds.ConfigMap, ns);
  }

  async start(): Promise<void> {
    const index = <T extends KObject>(map: Map<string, Map<string, T>>) => ({
      // A Pod we just created (Pending, no container statuses yet) tells the operator nothing new.
      add: (o: T) => this.indexChild(map, o, false, o.kind === 'Pod' && isFreshPod(o)),
      update: (_: T, o: T) => this.indexChild(map, o, false),
      delete: (o: T) => this.indexChild(map, o, true),
    });
    this.pods.on(index(this.podIndex));
    this.results.on(index(this.resultIndex));
    this.workflows.on({
      add: (wf) => this.enqueue(key(wf)),
      update: (_o, wf) => {
        const k = key(wf);
        // While our write is in flight its own event may arrive before the write returns: note the
        // version and let apply() decide once it knows which version it wrote.
        const seen = this.writing.get(k);
        if (seen && !wf.metadata.deletionTimestamp) {
          seen.add(wf.metadata.resourceVersion!);
          return;
        }
        // Our own write coming back: nothing new to act on.
        if (this.written.get(k)?.metadata.resourceVersion === wf.metadata.resourceVersion && !wf.metadata.deletionTimestamp) return;
        this.enqueue(k);
      },
      delete: (wf) => {
        this.sync.releaseWorkflow(key(wf));
        this.written.delete(key(wf));
        this.specs.delete(key(wf));
        this.podIndex.delete(key(wf));
        this.resultIndex.delete(key(wf));
        this.lastPass.delete(key(wf));
      },
    });
    await Promise.all([this.templates.start(), this.clusterTemplates.start(), this.configMaps.start()]);
    await Promise.all([this.pods.start(), this.results.start()]);
    await this.workflows.start();
    // Locks held before a restart are held again before anyone else can take them.
    for (const wf of this.workflows.list()) {
      const holding = (wf.status?.synchronization as { holding?: { lock: string; holder: string }[] } | undefined)?.holding ?? [];
      for (const h of holding) this.sync.restore(h.lock, h.holder);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const inf of [this.workflows, this.pods, this.results, this.templates, this.clusterTemplates, this.configMaps]) inf.stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const ac of this.aborts) ac.abort();
  }

  /** Resolves when no reconcile is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (!this.running && !this.queue.size) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private indexChild<T extends KObject>(map: Map<string, Map<string, T>>, o: T, removed: boolean, quiet = false): void {
    const wfName = o.metadata.labels?.[LABEL_WORKFLOW];
    if (!wfName) return;
    const wfKey = `${o.metadata.namespace ?? ''}/${wfName}`;
    const id = o.kind === 'Pod' ? o.metadata.annotations?.[ANNOTATION_NODE_ID] : o.metadata.name;
    if (!id) return;
    let m = map.get(wfKey);
    if (!m) map.set(wfKey, (m = new Map()));
    if (removed) m.delete(id);
    else m.set(id, o);
    if (o.kind === 'WorkflowTaskResult') {
      // A Pod's outputs land just before its terminal status; wake up for that, not for this.
      const pod = this.podIndex.get(wfKey)?.get(id);
      const phase = (pod?.status as { phase?: string } | undefined)?.phase;
      if (pod && phase !== 'Succeeded' && phase !== 'Failed') return;
    }
    if (!quiet) this.enqueue(wfKey);
  }

  enqueue(k: string): void {
    if (this.stopped) return;
    if (this.active.has(k)) {
      this.dirty.add(k);
      return;
    }
    if (this.queue.has(k)) return;
    this.queue.add(k);
    this.pump();
  }

  private pump(): void {
    const workers = this.opts.workers ?? 8;
    while (this.running < workers && this.queue.size) {
      const k = this.queue.values().next().value as string;
      this.queue.delete(k);
      this.active.add(k);
      this.running++;
      // Let a burst of events land before reconciling: they coalesce into this one pass.
      setImmediate(() => {
        const started = performance.now();
        this.reconcile(k)
          .catch((err) => this.log.error('reconcile failed', { workflow: k, error: String((err as Error).stack ?? err) }))
          .finally(() => {
            this.running--;
            // A workflow whose reconcile is expensive (hundreds of nodes and more), with many Pods in
            // flight, is paced by that cost: the controller leaves the Pods (and the node agent in this
            // process) PACING times as much time as it takes for itself, and each pass then covers more
            // of their news.
            const cost = performance.now() - started;
            if (this.dirty.delete(k)) {
              const last = cost > 5 ? this.lastPass.get(k) : undefined;
              if (last && podsInFlight(last) >= PACE_FROM_PODS) setTimeout(() => {
                this.active.delete(k);
                this.enqueue(k);
              }, PACING * cost);
              else {
                this.active.delete(k);
                this.enqueue(k);
              }
            } else this.active.delete(k);
            this.pump();
            if (!this.running && !this.queue.size) for (const w of this.idleWaiters.splice(0)) w();
          });
      });
    }
  }

  private current(k: string): Workflow | undefined {
    const [ns, name] = splitKey(k);
    const cached = this.workflows.get(name, ns || undefined);
    const mine = this.written.get(k);
    if (!cached) return undefined;
    if (mine && mine.metadata.uid === cached.metadata.uid && Number(mine.metadata.resourceVersion) > Number(cached.metadata.resourceVersion)) return mine;
    return cached;
  }

  /**
   * The spec object from the last pass when the spec has not changed, so the operator's caches
   * (keyed by template object) stay warm across the many writes a running workflow makes.
   */
  private stableSpec(k: string, wf: Workflow): Workflow {
    const text = jsonOf(wf.spec);
    const prev = this.specs.get(k);
    if (prev && prev.text === text) return prev.spec === wf.spec ? wf : { ...wf, spec: prev.spec };
    this.specs.set(k, { text, spec: Object.isFrozen(wf.spec) ? wf.spec : deepFreeze(clone(wf.spec)) });
    return this.stableSpec(k, wf);
  }

  private async reconcile(k: string): Promise<void> {
    if (this.stopped) return;
    const cur = this.current(k);
    if (!cur) return;
    const wf = this.stableSpec(k, cur);
    const phase = wf.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') return;
    const env: OperatorEnv = {
      now: this.now(),
      pods: this.podIndex.get(k) ?? new Map(),
      taskResults: this.resultIndex.get(k) ?? new Map(),
      getWorkflowTemplate: (name, ns) => this.templates.get(name, ns),
      getClusterWorkflowTemplate: (name) => this.clusterTemplates.get(name),
      getConfigMap: (ns, name) => this.configMaps.get(name, ns),
      nodeName: this.opts.nodeName,
      sync: this.sync,
    };
    const result = operate(wf, env);
    await this.apply(k, cur, result);
  }

  private async apply(k: string, before: Workflow, r: OperatorResult): Promise<void> {
    const wf = r.workflow;
    const ns = wf.metadata.namespace;
    await Promise.all(
      // Frozen: the store shares the spec instead of copying it (it would freeze its copy anyway).
      r.createPods.map((pod) =>
        this.client.create(deepFreeze(pod)).catch((err) => {
          if (!isApiError(err, 'AlreadyExists')) throw err;
        }),
      ),
    );
    // Let the node agent (in this process) start the new Pods before this pass writes the Workflow:
    // their processes then run on another core while the write is made (a chain step 0.25 ms faster).
    if (r.createPods.length) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      [...new Set(r.deletePods)].map((name) =>
        this.client.delete(Kinds.Pod, name, ns).catch((err) => {
          if (!isApiError(err, 'NotFound')) throw err;
        }),
      ),
    );
    for (const w of r.configMapWrites) await this.writeConfigMap(w);
    for (const h of r.dataActions) {
      if (this.httpInFlight.has(h.nodeId) || !this.opts.artifacts) continue;
      this.httpInFlight.add(h.nodeId);
      performData(this.client, this.opts.artifacts, { workflow: wf, nodeId: h.nodeId, template: h.template })
        .catch((err) => this.log.error('data template failed', { workflow: k, error: String(err) }))
        .finally(() => this.httpInFlight.delete(h.nodeId));
    }
    for (const h of r.resourceActions) {
      if (this.httpInFlight.has(h.nodeId)) continue;
      this.httpInFlight.add(h.nodeId);
      const ac = new AbortController();
      this.aborts.add(ac);
      performResource(this.client, { workflow: wf, nodeId: h.nodeId, template: h.template }, ac.signal)
        .catch((err) => this.log.error('resource template failed', { workflow: k, error: String(err) }))
        .finally(() => {
          this.aborts.delete(ac);
          this.httpInFlight.delete(h.nodeId);
        });
    }
    for (const h of r.httpRequests) {
      if (this.httpInFlight.has(h.nodeId)) continue;
      this.httpInFlight.add(h.nodeId);
      performHttp(this.client, { workflow: wf, nodeId: h.nodeId, template: h.template })
        .catch((err) => this.log.error('http template failed', { workflow: k, error: String(err) }))
        .finally(() => this.httpInFlight.delete(h.nodeId));
    }
    const phase = wf.status?.phase ?? '';
    const done = phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
    if (done) this.lastPass.delete(k);
    else this.lastPass.set(k, wf);
    wf.metadata.labels = { ...(wf.metadata.labels ?? {}), 'workflows.argoproj.io/phase': phase || 'Pending', [LABEL_COMPLETED]: String(done) };
    // The operator never changes the spec (it is shared, frozen), so status and metadata decide,
    // compared without serialising: the nodes this pass left alone are the stored objects (sameJson).
    // Frozen, so the store shares the status instead of copying it (cloneForWrite).
    deepFreeze(wf.status);
    if (!sameJson(wf.status, before.status) || !sameJson(wf.metadata, before.metadata)) {
      const seen = new Set<string>();
      this.writing.set(k, seen);
      try {
        const saved = await this.client.update(wf);
        this.written.set(k, saved);
        this.writing.delete(k);
        // Versions other than ours arrived meanwhile: someone else changed the workflow too.
        if ([...seen].some((rv) => rv !== saved.metadata.resourceVersion)) this.enqueue(k);
      } catch (err) {
        this.writing.delete(k);
        if (seen.size) this.enqueue(k);
        if (isApiError(err, 'Conflict')) {
          this.dirty.add(k);
          return;
        }
        if (isApiError(err, 'NotFound')) return;
        throw err;
      }
    }
    if (this.opts.events !== false) for (const ev of r.events) this.recordEvent(wf, ev);
    if (r.requeueAfterMs !== undefined && !done && !this.stopped) {
      clearTimeout(this.timers.get(k));
      this.timers.set(
        k,
        setTimeout(() => {
          this.timers.delete(k);
          this.enqueue(k);
        }, r.requeueAfterMs),
      );
    }
  }

  private async writeConfigMap(w: OperatorResult['configMapWrites'][number]): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const cm = await this.client.get(Kinds.ConfigMap, w.name, w.namespace).catch((err) => {
          if (isApiError(err, 'NotFound')) return undefined;
          throw err;
        });
        if (!cm) {
          await this.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: w.name, namespace: w.namespace, labels: w.labels }, data: { [w.key]: w.value } });
        } else {
          await this.client.update({ ...cm, data: { ...((cm.data as Record<string, string>) ?? {}), [w.key]: w.value } });
        }
        return;
      } catch (err) {
        if (!isApiError(err, 'Conflict') && !isApiError(err, 'AlreadyExists')) throw err;
      }
    }
  }

  private recordEvent(wf: Workflow, ev: OperatorResult['events'][number]): void {
    const now = rfc3339(this.now());
    const event: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${wf.metadata.name}.${randomSuffix(10)}`,
        namespace: wf.metadata.namespace,
        ...(ev.node ? { annotations: { 'workflows.argoproj.io/node-name': ev.node.name, 'workflows.argoproj.io/node-type': ev.node.type } } : {}),
      },
      involvedObject: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata.name, namespace: wf.metadata.namespace, uid: wf.metadata.uid },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'workflow-controller' },
      reportingComponent: 'workflow-controller',
    };
    this.client.create(event).catch((err) => this.log.warn('could not record event', { error: String(err) }));
  }
}

function podsInFlight(wf: Workflow): number {
  const nodes = wf.status?.nodes ?? {};
  // Only the open nodes can be in flight: the pass that made this map knew which (pass-memory.ts).
  const ids = recall(nodes)?.open ?? Object.keys(nodes);
  let n = 0;
  for (const id of ids) {
    const node = nodes[id];
    if (node?.type === 'Pod' && (node.phase === 'Pending' || node.phase === 'Running')) n++;
  }
  return n;
}

function isFreshPod(pod: KObject): boolean {
  const st = pod.status as { phase?: string; containerStatuses?: unknown[] } | undefined;
  return (!st?.phase || st.phase === 'Pending') && !st?.containerStatuses;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
}

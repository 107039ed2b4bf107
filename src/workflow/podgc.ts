// spec.podGC, as Argo's controller does it: once a Pod's node is done, decide by the strategy whether
// the Pod is deleted, and delete it `deleteDelayDuration` later (default 5 s, Argo's
// podGCDeleteDelayDuration). Pods that do not match `labelSelector` are always kept.
//
//   strategy               a Pod is deleted when…
//   (unset)                never (the default: Pods are kept)
//   OnPodCompletion        its node has finished, whatever the outcome
//   OnPodSuccess           its node has finished and the Pod Succeeded (failed Pods are kept)
//   OnWorkflowCompletion   the workflow has finished (Succeeded, Failed or Error)
//   OnWorkflowSuccess      the workflow has Succeeded (after a failed workflow every Pod is kept)
//
// A Pod is only ever considered once the workflow's stored status records its node as finished, so
// the operator has read everything it needs from it. The effective podGC is the Workflow's own, else
// that of the WorkflowTemplate it references (status.storedWorkflowTemplateSpec). The decision is
// checked again when the delay is over, so a workflow that is retried in the meantime keeps its Pods.
// Deleting a Pod makes the node agent remove its directory, logs included (see docs/architecture.md).
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import { ANNOTATION_NODE_ID, LABEL_WORKFLOW, type PodGC, type Workflow } from '../model/argo.js';
import { isApiError } from '../model/errors.js';
import type { KObject } from '../model/object.js';
import { type LabelSelector, labelSelectorFromObject } from '../model/selectors.js';
import { type Logger, silentLogger } from './controller.js';
import { parseArgoDuration } from './duration.js';

export type PodGCStrategy = 'OnPodCompletion' | 'OnPodSuccess' | 'OnWorkflowCompletion' | 'OnWorkflowSuccess';
export const POD_GC_STRATEGIES: readonly PodGCStrategy[] = ['OnPodCompletion', 'OnPodSuccess', 'OnWorkflowCompletion', 'OnWorkflowSuccess'];

export type { PodGC };

/** Argo's default podGCDeleteDelayDuration (controller configuration). */
export const DEFAULT_POD_GC_DELAY_MS = 5000;
/** Pods Argo never garbage-collects (agent and artifact-GC pods carry this label). */
const LABEL_COMPONENT = 'workflows.argoproj.io/component';

const WORKFLOW_DONE = new Set(['Succeeded', 'Failed', 'Error']);
const NODE_DONE = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);

/** The podGC in effect: the workflow's own, else the referenced WorkflowTemplate's. */
export function effectivePodGC(wf: Workflow): PodGC | undefined {
  const own = wf.spec?.podGC;
  if (own) return own;
  return (wf.status?.storedWorkflowTemplateSpec as { podGC?: PodGC } | undefined)?.podGC;
}

/** Argo's determinePodCleanupAction: whether a Pod whose node has finished is deleted. */
export function shouldDeletePod(strategy: string | undefined, selector: LabelSelector, podLabels: Record<string, string> | undefined, workflowPhase: string | undefined, podPhase: string | undefined): boolean {
  if (!selector.matches(podLabels)) return false;
  switch (strategy) {
    case 'OnPodCompletion':
      return true;
    case 'OnPodSuccess':
      return podPhase === 'Succeeded';
    case 'OnWorkflowCompletion':
      return WORKFLOW_DONE.has(workflowPhase ?? '');
    case 'OnWorkflowSuccess':
      return workflowPhase === 'Succeeded';
    default:
      return false;
  }
}

/** The delay before a Pod is deleted, in ms: deleteDelayDuration (seconds or a Go duration), else the default. */
export function podGCDelayMs(podGC: PodGC | undefined, defaultMs = DEFAULT_POD_GC_DELAY_MS): number {
  const d = podGC?.deleteDelayDuration;
  if (d === undefined || d === null || d === '') return defaultMs;
  return Math.max(0, parseArgoDuration(d, 'podGC.deleteDelayDuration'));
}

export interface PodGCControllerOptions {
  client: Client;
  namespace?: string;
  logger?: Logger;
  /** The delay when a workflow sets no deleteDelayDuration. Default 5000 ms (Argo's). */
  defaultDeleteDelayMs?: number;
}

interface Pending {
  timer: NodeJS.Timeout;
  name: string;
  namespace?: string;
  wfKey: string;
  attempts: number;
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class PodGCController {
  private readonly workflows: Informer<Workflow>;
  private readonly pods: Informer;
  private readonly log: Logger;
  /** Pods by workflow key (`ns/name`), then by Pod name. */
  private readonly podsByWorkflow = new Map<string, Map<string, KObject>>();
  /** Deletions waiting out their delay, by Pod uid, and their uids by workflow key. */
  private readonly pending = new Map<string, Pending>();
  private readonly pendingByWorkflow = new Map<string, Set<string>>();
  /** Workflows whose podGC could not be read, so the warning is given once per workflow (uid). */
  private readonly warned = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: PodGCControllerOptions) {
    this.log = opts.logger ?? silentLogger;
    const ns = opts.namespace ? { namespace: opts.namespace } : {};
    this.workflows = new Informer<Workflow>(opts.client, Kinds.Workflow, ns);
    this.pods = new Informer(opts.client, Kinds.Pod, { ...ns, labelSelector: LABEL_WORKFLOW });
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.pods.on({
      add: (p) => this.indexPod(p, false),
      update: (_o, p) => this.indexPod(p, false),
      delete: (p) => this.indexPod(p, true),
    });
    this.workflows.on({
      add: (wf) => this.consider(keyOf(wf.metadata.namespace, wf.metadata.name!)),
      update: (_o, wf) => this.consider(keyOf(wf.metadata.namespace, wf.metadata.name!)),
      delete: (wf) => {
        // Its Pods go with it (ownerReferences); nothing is left to wait for.
        this.cancelWorkflow(keyOf(wf.metadata.namespace, wf.metadata.name!));
        this.warned.delete(wf.metadata.uid ?? '');
      },
    });
    await this.pods.start();
    await this.workflows.start();
  }

  stop(): void {
    this.stopped = true;
    this.workflows.stop();
    this.pods.stop();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.pendingByWorkflow.clear();
  }

  /** Pod uids waiting out their delay (for tests and metrics). */
  get pendingDeletions(): number {
    return this.pending.size;
  }

  private indexPod(pod: KObject, removed: boolean): void {
    const wfName = pod.metadata.labels?.[LABEL_WORKFLOW];
    if (!wfName) return;
    const k = keyOf(pod.metadata.namespace, wfName);
    let m = this.podsByWorkflow.get(k);
    if (removed) {
      m?.delete(pod.metadata.name!);
      if (m && !m.size) this.podsByWorkflow.delete(k);
      this.cancel(pod.metadata.uid ?? '');
      return;
    }
    if (!m) this.podsByWorkflow.set(k, (m = new Map()));
    m.set(pod.metadata.name!, pod);
    this.considerPod(k, pod);
  }

  /** A workflow changed: look at its Pods. Called on every status write, so the common cases return early. */
  private consider(wfKey: string): void {
    const wf = this.workflowOf(wfKey);
    const strategy = wf ? effectivePodGC(wf)?.strategy : undefined;
    const waitsForWorkflow = strategy === 'OnWorkflowCompletion' || strategy === 'OnWorkflowSuccess';
    if (!strategy || (waitsForWorkflow && !WORKFLOW_DONE.has(wf?.status?.phase ?? ''))) {
      this.cancelWorkflow(wfKey);
      return;
    }
    for (const pod of this.podsByWorkflow.get(wfKey)?.values() ?? []) {
      // Already counting down: fire() checks the decision again when the delay is over.
      if (!waitsForWorkflow && this.pending.has(pod.metadata.uid ?? '')) continue;
      this.considerPod(wfKey, pod);
    }
  }

  private cancelWorkflow(wfKey: string): void {
    for (const uid of [...(this.pendingByWorkflow.get(wfKey) ?? [])]) this.cancel(uid);
  }

  private workflowOf(wfKey: string): Workflow | undefined {
    const i = wfKey.indexOf('/');
    return this.workflows.get(wfKey.slice(i + 1), wfKey.slice(0, i) || undefined);
  }

  /** Whether the Pod is to be deleted now (given the current caches), and after how long. */
  private decide(wfKey: string, pod: KObject): { delete: false } | { delete: true; delayMs: number } {
    const no = { delete: false } as const;
    if (pod.metadata.deletionTimestamp || pod.metadata.labels?.[LABEL_COMPONENT] !== undefined) return no;
    const wf = this.workflowOf(wfKey);
    if (!wf || wf.metadata.deletionTimestamp) return no;
    // A Pod of an earlier workflow that had the same name: not this workflow's business.
    const owner = pod.metadata.ownerReferences?.find((r) => r.kind === 'Workflow');
    if (owner && owner.uid !== wf.metadata.uid) return no;
    const podGC = effectivePodGC(wf);
    if (!podGC?.strategy) return no;
    const nodeId = pod.metadata.annotations?.[ANNOTATION_NODE_ID];
    const node = nodeId ? wf.status?.nodes?.[nodeId] : undefined;
    if (!node || !NODE_DONE.has(node.phase)) return no;
    let selector: LabelSelector;
    let delayMs: number;
    try {
      selector = labelSelectorFromObject(podGC.labelSelector, 'podGC.labelSelector');
      delayMs = podGCDelayMs(podGC, this.opts.defaultDeleteDelayMs);
    } catch (err) {
      const uid = wf.metadata.uid ?? wfKey;
      if (!this.warned.has(uid)) {
        this.warned.add(uid);
        this.log.warn(`podGC of workflow ${wfKey} is invalid; its pods are kept: ${(err as Error).message}`);
      }
      return no;
    }
    const podPhase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!shouldDeletePod(podGC.strategy, selector, pod.metadata.labels, wf.status?.phase, podPhase)) return no;
    return { delete: true, delayMs };
  }

  private considerPod(wfKey: string, pod: KObject): void {
    if (this.stopped) return;
    const uid = pod.metadata.uid ?? '';
    const d = this.decide(wfKey, pod);
    if (!d.delete) {
      this.cancel(uid);
      return;
    }
    if (this.pending.has(uid)) return; // already counting down from when it first qualified
    this.schedule(uid, { name: pod.metadata.name!, namespace: pod.metadata.namespace, wfKey, attempts: 0 }, d.delayMs);
  }

  private schedule(uid: string, p: Omit<Pending, 'timer'>, delayMs: number): void {
    // setTimeout overflows past ~24.8 days: wake up daily and look again.
    const timer = setTimeout(() => this.fire(uid), Math.min(delayMs, 86_400_000));
    timer.unref?.();
    this.pending.set(uid, { ...p, timer });
    let set = this.pendingByWorkflow.get(p.wfKey);
    if (!set) this.pendingByWorkflow.set(p.wfKey, (set = new Set()));
    set.add(uid);
  }

  private cancel(uid: string): void {
    const p = this.pending.get(uid);
    if (!p) return;
    clearTimeout(p.timer);
    this.done(uid);
  }

  /** Forget a pending deletion (carried out, called off or moot). */
  private done(uid: string): void {
    const p = this.pending.get(uid);
    if (!p) return;
    this.pending.delete(uid);
    const set = this.pendingByWorkflow.get(p.wfKey);
    set?.delete(uid);
    if (set && !set.size) this.pendingByWorkflow.delete(p.wfKey);
  }

  private fire(uid: string): void {
    const p = this.pending.get(uid);
    if (!p || this.stopped) return;
    const pod = this.podsByWorkflow.get(p.wfKey)?.get(p.name);
    if (!pod || pod.metadata.uid !== uid || !this.decide(p.wfKey, pod).delete) {
      this.done(uid);
      return;
    }
    this.opts.client
      .delete(Kinds.Pod, p.name, p.namespace, { preconditions: { uid } })
      .then(() => {
        this.done(uid);
        this.log.info('deleted pod: podGC', { workflow: p.wfKey, pod: p.name });
      })
      .catch((err) => {
        if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) {
          this.done(uid); // gone already, or a different Pod now has the name
          return;
        }
        if (this.stopped || !this.pending.has(uid)) return;
        const attempts = p.attempts + 1;
        this.log.warn(`podGC: could not delete pod ${p.namespace}/${p.name}; retrying: ${(err as Error).message}`);
        this.schedule(uid, { ...p, attempts }, Math.min(1000 * 2 ** Math.min(attempts - 1, 5), 30_000));
      });
  }
}

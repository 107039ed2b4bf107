// The Client contract: how controllers, the CLI and the server talk to objects. Two implementations:
// embedded (straight to a Store) and remote (HTTP to an Argosy server or a Kubernetes cluster).
import type { KindRegistry } from '../model/kinds.js';
import type { KObject, ObjectList } from '../model/object.js';
import type { DeleteOptions, ListOptions, PatchType, Watch, WatchEvent, WatchOptions, WriteOptions } from '../store/types.js';

export type { DeleteOptions, ListOptions, PatchType, Watch, WatchEvent, WatchOptions, WriteOptions };

/** Which kind: `{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' }`. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface WatchHandlers<T extends KObject> {
  onEvent(ev: WatchEvent<T>): void;
  /** The watch ended: `err` is set when it failed (an `Expired` ApiError means: relist). */
  onClose?(err?: Error): void;
}

export interface Client {
  readonly kinds: KindRegistry;
  get<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string): Promise<T>;
  list<T extends KObject = KObject>(ref: KindRef, opts?: ListOptions): Promise<ObjectList<T>>;
  watch<T extends KObject = KObject>(ref: KindRef, opts: WatchOptions, handlers: WatchHandlers<T>): Promise<Watch>;
  create<T extends KObject>(obj: T, opts?: WriteOptions): Promise<T>;
  update<T extends KObject>(obj: T, opts?: WriteOptions): Promise<T>;
  patch<T extends KObject = KObject>(
    ref: KindRef,
    name: string,
    namespace: string | undefined,
    type: PatchType,
    patch: unknown,
    opts?: WriteOptions,
  ): Promise<T>;
  delete<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string, opts?: DeleteOptions): Promise<T>;
}

export const Kinds = {
  Pod: { apiVersion: 'v1', kind: 'Pod' },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap' },
  Secret: { apiVersion: 'v1', kind: 'Secret' },
  Event: { apiVersion: 'v1', kind: 'Event' },
  Namespace: { apiVersion: 'v1', kind: 'Namespace' },
  PersistentVolumeClaim: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  Workflow: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' },
  WorkflowTemplate: { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate' },
  ClusterWorkflowTemplate: { apiVersion: 'argoproj.io/v1alpha1', kind: 'ClusterWorkflowTemplate' },
  CronWorkflow: { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow' },
  WorkflowTaskResult: { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTaskResult' },
} as const satisfies Record<string, KindRef>;

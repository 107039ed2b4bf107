// The Store contract. Every backend (memory, SQLite, PostgreSQL) passes the same contract test suite.
import type { KindInfo, KindRegistry } from '../model/kinds.js';
import type { KObject, ObjectList } from '../model/object.js';
import type { FieldSelector, LabelSelector } from '../model/selectors.js';

export interface ListOptions {
  /** Only this namespace; omitted lists every namespace. */
  namespace?: string;
  labelSelector?: string | LabelSelector;
  fieldSelector?: string | FieldSelector;
  /** At most this many items; `metadata.continue` is set when more remain. */
  limit?: number;
  /** The `metadata.continue` token of the previous page. */
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string | LabelSelector;
  fieldSelector?: string | FieldSelector;
  /**
   * Where to start. Omitted or "0": an ADDED event for every existing object, then changes.
   * A resourceVersion from a list or an earlier event: every change after it, none skipped.
   * Older than the retained history: the watch fails with an `Expired` (410) error.
   */
  resourceVersion?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KObject = KObject> {
  type: WatchEventType;
  object: T;
}

export interface Watch {
  /** Stop delivering events. Idempotent. */
  stop(): void;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export interface WriteOptions {
  /** Write only the status subresource (kinds with `statusSubresource`). */
  subresource?: 'status';
  dryRun?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface Store {
  readonly kinds: KindRegistry;
  create<T extends KObject>(obj: T, opts?: WriteOptions): Promise<T>;
  get<T extends KObject = KObject>(kind: KindInfo, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KObject = KObject>(kind: KindInfo, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Replace an object. A set `metadata.resourceVersion` must match the stored one, else `Conflict`. */
  update<T extends KObject>(obj: T, opts?: WriteOptions): Promise<T>;
  patch<T extends KObject = KObject>(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts?: WriteOptions,
  ): Promise<T>;
  /**
   * Delete. With finalizers the object only gets `deletionTimestamp` and is removed when the last
   * finalizer goes. Dependents (by ownerReferences) are collected as the propagation policy says.
   * Returns the object as it was last stored.
   */
  delete<T extends KObject = KObject>(kind: KindInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<T>;
  /** Start a watch. Throws an `Expired` ApiError at once when `resourceVersion` is too old. */
  watch<T extends KObject = KObject>(kind: KindInfo, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): Promise<Watch>;
  /** The latest resourceVersion the store has issued. */
  currentResourceVersion(): Promise<string>;
  close(): Promise<void>;
}

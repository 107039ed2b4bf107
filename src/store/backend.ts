// The small persistence interface each backend implements. All API semantics (validation,
// optimistic concurrency, finalizers, garbage collection, watch) live once, in base-store.ts.
import type { KObject } from '../model/object.js';
import type { ChangeEvent } from './watch-hub.js';

export interface Tx {
  get(resource: string, namespace: string, name: string): Promise<KObject | undefined>;
  getByUid(uid: string): Promise<{ resource: string; object: KObject } | undefined>;
  /** Objects of one resource ordered by (namespace, name); `namespace` undefined means all. */
  list(resource: string, namespace: string | undefined): Promise<KObject[]>;
  /** Insert or replace. The object is already validated and carries its new resourceVersion. */
  put(resource: string, obj: KObject, previous: KObject | undefined): Promise<void>;
  remove(resource: string, obj: KObject): Promise<void>;
  /** Objects of any resource that list `ownerUid` in their ownerReferences. */
  dependents(ownerUid: string): Promise<{ resource: string; object: KObject }[]>;
  /** Issue the next resourceVersion (strictly increasing across every resource). */
  nextResourceVersion(): Promise<number>;
  /** Persist the change in the backend's event log, if it keeps one. */
  recordEvent(ev: ChangeEvent): Promise<void>;
}

export interface Backend {
  /** Run `fn` atomically: every write inside lands, or none does. Transactions never interleave. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  currentResourceVersion(): Promise<number>;
  /** Recent events kept durably, to let watchers resume across a restart. */
  recentEvents?(): { events: ChangeEvent[]; oldestRetainedRv: number };
  /**
   * Backends shared by several processes feed the watch hub themselves, from their event log, so
   * remote and local events reach watchers in resourceVersion order. BaseStore calls this once, then
   * never publishes events itself.
   */
  attachHub?(publish: (ev: ChangeEvent) => void): void;
  close(): Promise<void>;
}

/** Serialises async critical sections for backends whose storage is in-process. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

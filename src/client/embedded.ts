// The embedded Client: calls a Store in the same process, no HTTP.
import type { KObject } from '../model/object.js';
import type { Store } from '../store/types.js';
import type { Client, DeleteOptions, KindRef, ListOptions, PatchType, WatchHandlers, WatchOptions, WriteOptions } from './types.js';

export class EmbeddedClient implements Client {
  constructor(readonly store: Store) {}

  get kinds() {
    return this.store.kinds;
  }

  private info(ref: KindRef) {
    return this.store.kinds.forApiVersionKind(ref.apiVersion, ref.kind);
  }

  get<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string) {
    return this.store.get<T>(this.info(ref), namespace, name);
  }

  list<T extends KObject = KObject>(ref: KindRef, opts?: ListOptions) {
    return this.store.list<T>(this.info(ref), opts);
  }

  watch<T extends KObject = KObject>(ref: KindRef, opts: WatchOptions, handlers: WatchHandlers<T>) {
    // An in-process watch never drops, so onClose is only called when the caller stops it.
    return this.store.watch<T>(this.info(ref), opts, (ev) => handlers.onEvent(ev));
  }

  create<T extends KObject>(obj: T, opts?: WriteOptions) {
    return this.store.create(obj, opts);
  }

  update<T extends KObject>(obj: T, opts?: WriteOptions) {
    return this.store.update(obj, opts);
  }

  patch<T extends KObject = KObject>(ref: KindRef, name: string, namespace: string | undefined, type: PatchType, patch: unknown, opts?: WriteOptions) {
    return this.store.patch<T>(this.info(ref), namespace, name, type, patch, opts);
  }

  delete<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string, opts?: DeleteOptions) {
    return this.store.delete<T>(this.info(ref), namespace, name, opts);
  }
}

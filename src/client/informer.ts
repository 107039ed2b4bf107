// An informer: list, then watch from the list's resourceVersion, keep a local cache, call handlers,
// relist when the watch says the version is too old, and re-watch (with capped backoff) when it drops.
import { isApiError } from '../model/errors.js';
import type { KObject } from '../model/object.js';
import type { Client, KindRef, Watch, WatchEvent } from './types.js';

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerHandlers<T extends KObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

const cacheKey = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends KObject = KObject> {
  private cache = new Map<string, T>();
  private handlers: InformerHandlers<T>[] = [];
  private watch?: Watch;
  private lastRv = '0';
  private stopped = false;
  private synced = false;
  private backoffMs = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: Client,
    private readonly ref: KindRef,
    private readonly opts: InformerOptions = {},
  ) {}

  on(handlers: InformerHandlers<T>): this {
    this.handlers.push(handlers);
    return this;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the initial list is in the cache and its handlers have run. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.relist();
    this.synced = true;
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.watch = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private emit(fn: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        fn(h);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** List everything, reconcile the cache against it (synthesising add/update/delete), then watch. */
  private async relist(): Promise<void> {
    this.watch?.stop();
    const listed = await this.client.list<T>(this.ref, this.opts);
    const seen = new Set<string>();
    for (const obj of listed.items) {
      const key = cacheKey(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit((h) => h.add?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit((h) => h.update?.(old, obj));
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit((h) => h.delete?.(old));
      }
    }
    this.lastRv = listed.metadata.resourceVersion;
    await this.startWatch();
  }

  private async startWatch(): Promise<void> {
    if (this.stopped) return;
    try {
      this.watch = await this.client.watch<T>(
        this.ref,
        { ...this.opts, resourceVersion: this.lastRv },
        { onEvent: (ev) => this.handle(ev), onClose: (err) => this.onWatchClosed(err) },
      );
      this.backoffMs = 0;
    } catch (err) {
      this.onWatchClosed(err as Error);
    }
  }

  private handle(ev: WatchEvent<T>): void {
    const obj = ev.object;
    const key = cacheKey(obj);
    this.lastRv = obj.metadata.resourceVersion ?? this.lastRv;
    const old = this.cache.get(key);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.emit((h) => h.delete?.(obj));
    } else {
      this.cache.set(key, obj);
      if (old) this.emit((h) => h.update?.(old, obj));
      else this.emit((h) => h.add?.(obj));
    }
  }

  private onWatchClosed(err?: Error): void {
    if (this.stopped) return;
    const tooOld = err && (isApiError(err, 'Expired') || isApiError(err, 'Gone'));
    this.backoffMs = tooOld ? 0 : Math.min(Math.max(this.backoffMs * 2, 1000), 30_000);
    this.retryTimer = setTimeout(() => {
      const next = tooOld ? this.relist() : this.startWatch();
      next.catch((e: Error) => this.onWatchClosed(e));
    }, this.backoffMs);
  }
}

// In-process fan-out of committed changes to watchers, in resourceVersion order, with a bounded
// history so a watcher can resume from a recent resourceVersion (older ones get "too old").
import { gone } from '../model/errors.js';
import type { KObject } from '../model/object.js';
import type { WatchEventType } from './types.js';

export interface ChangeEvent {
  rv: number;
  type: WatchEventType;
  /** `group/plural` of the kind. */
  resource: string;
  object: KObject;
  /** The object before the change (MODIFIED only): lets filtered watchers see objects leave their selection. */
  previous?: KObject;
}

export interface Subscriber {
  resource: string;
  /** Deliver events with rv greater than this. */
  cursor: number;
  deliver(ev: ChangeEvent): void;
  stopped: boolean;
}

export class WatchHub {
  private history: ChangeEvent[] = [];
  private head = 0; // index of the oldest retained event in `history`
  private subscribers = new Set<Subscriber>();
  private flushing = false;
  private scheduled = false;
  /** The rv below which history is gone. A watch from an rv < compactedBefore is too old. */
  private compactedBefore = 0;

  constructor(private readonly capacity = 2_000) {}

  /** Seed history after a restart (events loaded from durable storage), oldest first. */
  seed(events: ChangeEvent[], oldestRetainedRv: number): void {
    this.history = events.slice();
    this.head = 0;
    this.compactedBefore = oldestRetainedRv;
  }

  publish(ev: ChangeEvent): void {
    this.history.push(ev);
    if (this.history.length - this.head > this.capacity) {
      this.head++;
      this.compactedBefore = this.history[this.head].rv - 1;
      if (this.head > this.capacity) {
        this.history = this.history.slice(this.head);
        this.head = 0;
      }
    }
    this.schedule();
  }

  /** Add a subscriber that receives every retained event after `fromRv`. */
  subscribe(sub: Subscriber): () => void {
    if (sub.cursor < this.compactedBefore) {
      throw gone(`too old resource version: ${sub.cursor} (${this.compactedBefore + 1})`);
    }
    this.subscribers.add(sub);
    this.schedule();
    return () => {
      sub.stopped = true;
      this.subscribers.delete(sub);
    };
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    this.flushing = true;
    try {
      const last = this.history.length ? this.history[this.history.length - 1].rv : 0;
      for (const sub of this.subscribers) {
        if (sub.cursor >= last) continue;
        let i = this.indexAfter(sub.cursor);
        while (i < this.history.length && !sub.stopped) {
          const ev = this.history[i++];
          sub.cursor = ev.rv;
          if (ev.resource === sub.resource) {
            try {
              sub.deliver(ev);
            } catch (err) {
              // A faulty handler must not stop delivery to everyone else.
              queueMicrotask(() => {
                throw err;
              });
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
    // Handlers may have published more while we were flushing.
    const last = this.history.length ? this.history[this.history.length - 1].rv : 0;
    for (const sub of this.subscribers) if (sub.cursor < last) return this.schedule();
  }

  /** Index of the first retained event with rv > cursor (binary search: rvs are increasing). */
  private indexAfter(cursor: number): number {
    let lo = this.head;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].rv <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

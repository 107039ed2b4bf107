// Synchronization: mutexes and semaphores shared by every workflow the controller runs. A lock has
// a limit (1 for a mutex; a ConfigMap value for a semaphore), holders, and a queue ordered by
// priority (higher first) then by when the request was first made.
export interface LockRequest {
  /** `<namespace>/Mutex/<name>` or `<namespace>/ConfigMap/<name>/<key>`. */
  key: string;
  /** Who holds it: `<ns>/<workflow>` or `<ns>/<workflow>/<node id>`. */
  holder: string;
  limit: number;
  priority: number;
  /** Workflow key to wake up when the lock frees. */
  workflowKey: string;
}

interface Lock {
  holders: Set<string>;
  waiting: Map<string, { priority: number; since: number; workflowKey: string }>;
}

export class SyncManager {
  private locks = new Map<string, Lock>();
  private seq = 0;

  constructor(private readonly wake: (workflowKey: string) => void = () => {}) {}

  private lock(key: string): Lock {
    let l = this.locks.get(key);
    if (!l) this.locks.set(key, (l = { holders: new Set(), waiting: new Map() }));
    return l;
  }

  /** Take the lock if it is free for this holder's place in the queue; otherwise queue the request. */
  tryAcquire(r: LockRequest): boolean {
    const l = this.lock(r.key);
    if (l.holders.has(r.holder)) return true;
    if (!l.waiting.has(r.holder)) l.waiting.set(r.holder, { priority: r.priority, since: this.seq++, workflowKey: r.workflowKey });
    const free = r.limit - l.holders.size;
    if (free <= 0) return false;
    const order = [...l.waiting.entries()].sort(([, a], [, b]) => b.priority - a.priority || a.since - b.since).map(([h]) => h);
    if (order.indexOf(r.holder) >= free) return false;
    l.waiting.delete(r.holder);
    l.holders.add(r.holder);
    return true;
  }

  /** Restore a holder recorded in a workflow's status (after a restart). */
  restore(key: string, holder: string): void {
    this.lock(key).holders.add(holder);
  }

  release(key: string, holder: string): void {
    const l = this.locks.get(key);
    if (!l) return;
    l.waiting.delete(holder);
    if (!l.holders.delete(holder)) return;
    for (const w of new Set([...l.waiting.values()].map((x) => x.workflowKey))) this.wake(w);
  }

  /** Drop everything held or awaited by a workflow (it finished or was deleted). */
  releaseWorkflow(workflowHolderPrefix: string): void {
    for (const [key, l] of this.locks) {
      for (const h of [...l.holders]) if (h === workflowHolderPrefix || h.startsWith(`${workflowHolderPrefix}/`)) this.release(key, h);
      for (const h of [...l.waiting.keys()]) if (h === workflowHolderPrefix || h.startsWith(`${workflowHolderPrefix}/`)) l.waiting.delete(h);
    }
  }

  status(key: string): { held: number } {
    return { held: this.locks.get(key)?.holders.size ?? 0 };
  }
}

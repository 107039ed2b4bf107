// What a reconcile pass knew about the node map it produced, for the pass that gets that same map
// back. The operator is a function of the stored objects (a restarted controller needs nothing else),
// yet a pass that starts from the very map the last pass made, frozen and stored unchanged, need not
// rediscover what that pass knew by looking at every node again: which nodes are still open, the
// progress counts, where each DAG's tasks stand. Keyed by the map object itself, so any other version
// of the status (another writer's, a restart, a copy) simply has no memory, and a pass then looks at
// everything, as it always may.
import type { DagFrontier } from './dag.js';

export interface PassMemory {
  /** IDs of the nodes that are not done, in no particular order. */
  open: string[];
  /** Pod and HTTP nodes that are done, and those of them that Succeeded or were Skipped (progress). */
  donePods: number;
  goodPods: number;
  /** DAG node ID → its frontier as the pass left it. Never changed again: a later pass clones it. */
  dags: Map<string, DagFrontier>;
}

const memories = new WeakMap<object, PassMemory>();

/**
 * The memory of the pass that made this node map. Only for a frozen map (as the controller stores it):
 * a pass shares such a map's done nodes instead of copying them, which is safe only when they cannot change.
 */
export function recall(nodes: unknown): PassMemory | undefined {
  if (!settings.enabled || nodes === null || typeof nodes !== 'object' || !Object.isFrozen(nodes)) return undefined;
  return memories.get(nodes);
}

export function remember(nodes: object, memory: PassMemory): void {
  memories.set(nodes, memory);
}

/**
 * `verify`: every pass checks its memory against a full look at the nodes and throws on a difference,
 * for the tests (and `ARGOSY_VERIFY_PASS_MEMORY=1`): the memory must never decide anything a full look
 * would not. `enabled: false` makes every pass look at everything, to compare the outcomes.
 */
const settings = { enabled: true, verify: process.env.ARGOSY_VERIFY_PASS_MEMORY === '1' };

export function configurePassMemory(change: Partial<typeof settings>): void {
  Object.assign(settings, change);
}

export function verifyingPassMemory(): boolean {
  return settings.verify;
}

// A DAG template's shape (what its text alone decides) and its frontier (where its tasks stand, kept
// from one reconcile pass to the next), so a pass looks at the tasks that can move, not at all of them.
import type { DAGTask, NodeStatus, Template } from '../model/argo.js';
import { nodeId } from './names.js';

export interface DagShape {
  /** `dag.tasks`, whose positions the arrays below use. */
  taskList: DAGTask[];
  tasks: Map<string, DAGTask>;
  deps: Map<string, string[]>;
  targets: string[];
  /** Tasks whose failure another task's `depends` asks about (A.Failed, A.Errored…): expected, not fatal. */
  handled: Set<string>;
  /** The tasks whose variables the DAG mentions (`tasks.X…`); undefined when it may mention any. */
  referenced?: DAGTask[];
  referencedNames: Set<string>;
  /**
   * By position: each task's dependencies, the tasks that depend on it, and whether it is wanted (a
   * target or one of their ancestors: the tasks that run).
   */
  depIndex: number[][];
  dependents: number[][];
  wantedAt: Uint8Array;
  wantedCount: number;
  /** Tasks with no loop and no hooks: one node, which a Pod that has not changed leaves as it is. */
  plainAt: Uint8Array;
  /** Tasks with a dependency whose variables the DAG mentions (all, when it may mention any). */
  refDepAt: Uint8Array;
  /** Task name → node ID under a given DAG node. */
  ids(workflowName: string, dagNodeName: string): Map<string, string>;
}

/** What a DAG's text alone decides, computed once per (frozen, reused) DAG template and target. */
const dagShapes = new WeakMap<object, Map<string, DagShape>>();

export function dagShape(dag: NonNullable<Template['dag']>, target: string | undefined): DagShape {
  let byTarget = dagShapes.get(dag);
  if (!byTarget) dagShapes.set(dag, (byTarget = new Map()));
  const cached = byTarget.get(target ?? '');
  if (cached) return cached;
  const tasks = new Map(dag.tasks.map((t) => [t.name, t]));
  const deps = new Map<string, string[]>();
  for (const t of dag.tasks) deps.set(t.name, taskDependencies(t, tasks));
  const targets = target !== undefined ? target.split(/[\s,]+/).filter(Boolean) : leafTasks(dag.tasks, deps);
  const wanted = new Set<string>();
  const want = (n: string) => {
    if (wanted.has(n) || !tasks.has(n)) return;
    wanted.add(n);
    for (const d of deps.get(n) ?? []) want(d);
  };
  for (const t of targets) want(t);
  const handled = new Set<string>();
  for (const t of dag.tasks) {
    for (const m of (t.depends ?? '').matchAll(/([A-Za-z0-9_-]+)\.(Failed|Errored|AllFailed|AnySucceeded|Completed)\b/g)) handled.add(m[1]);
  }
  // `tasks.NAME` and `tasks['NAME']` name a task; any other use of `tasks` (an expression indexing it
  // with a variable, say) could reach every task, so then all of them are kept in scope.
  const text = JSON.stringify(dag);
  const referencedNames = new Set<string>();
  let any = false;
  for (const m of text.matchAll(/\btasks\b(?!":)(\.([A-Za-z0-9_-]+)|\[\s*\\?['"]([^'"\\]+)\\?['"]\s*\])?/g)) {
    const name = m[2] ?? m[3];
    if (name === undefined) any = true;
    else referencedNames.add(name);
  }
  // By position (names are unique in a valid DAG; validation says so before a workflow runs).
  const position = new Map<string, number>();
  dag.tasks.forEach((t, i) => position.set(t.name, i));
  const depIndex = dag.tasks.map((t) => [...new Set((deps.get(t.name) ?? []).map((d) => position.get(d)!))]);
  const dependents: number[][] = dag.tasks.map(() => []);
  depIndex.forEach((ds, i) => {
    for (const d of ds) dependents[d].push(i);
  });
  const wantedAt = Uint8Array.from(dag.tasks, (t) => (wanted.has(t.name) ? 1 : 0));
  const idCache = new Map<string, Map<string, string>>();
  const shape: DagShape = {
    taskList: dag.tasks,
    tasks,
    deps,
    targets,
    handled,
    referenced: any ? undefined : dag.tasks.filter((t) => referencedNames.has(t.name)),
    referencedNames,
    depIndex,
    dependents,
    wantedAt,
    wantedCount: wantedAt.reduce((a, b) => a + b, 0),
    plainAt: Uint8Array.from(dag.tasks, (t) => (!t.withItems && t.withParam === undefined && !t.withSequence && !t.hooks ? 1 : 0)),
    refDepAt: Uint8Array.from(dag.tasks, (t) => (any || (deps.get(t.name) ?? []).some((d) => referencedNames.has(d)) ? 1 : 0)),
    ids(workflowName, dagNodeName) {
      const k = `${workflowName}\u0000${dagNodeName}`;
      let m = idCache.get(k);
      if (!m) {
        m = new Map(dag.tasks.map((t) => [t.name, nodeId(workflowName, `${dagNodeName}.${t.name}`)]));
        if (idCache.size > 64) idCache.clear();
        idCache.set(k, m);
      }
      return m;
    },
  };
  byTarget.set(target ?? '', shape);
  return shape;
}

function taskDependencies(t: DAGTask, tasks: Map<string, DAGTask>): string[] {
  if (t.dependencies?.length) return t.dependencies.filter((d) => tasks.has(d));
  if (!t.depends) return [];
  return [...compileDepends(t.depends, tasks).names.keys()];
}

/** A `depends` expression rewritten for expr-lang: task names (which may hold `-`) become
 * identifiers, and a bare name means "finished well". Cached: a DAG asks for the same ones often. */
const dependsCache = new Map<string, { text: string; names: Map<string, string> }>();
const DEPENDS_TOKEN = /[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z]+)?/g;

export function compileDepends(expr: string, tasks: Map<string, DAGTask>): { text: string; names: Map<string, string> } {
  const cached = dependsCache.get(expr);
  if (cached && [...cached.names.keys()].every((n) => tasks.has(n))) return cached;
  const names = new Map<string, string>();
  const ident = (n: string) => {
    let id = names.get(n);
    if (!id) names.set(n, (id = `__t${names.size}`));
    return id;
  };
  const text = expr.replace(DEPENDS_TOKEN, (tok) => {
    const dot = tok.indexOf('.');
    const base = dot < 0 ? tok : tok.slice(0, dot);
    if (!tasks.has(base)) return tok;
    const id = ident(base);
    return dot < 0 ? `(${id}.Succeeded || ${id}.Skipped || ${id}.Daemoned)` : `${id}${tok.slice(dot)}`;
  });
  const out = { text, names };
  if (dependsCache.size > 5000) dependsCache.clear();
  dependsCache.set(expr, out);
  return out;
}

function leafTasks(tasks: DAGTask[], deps: Map<string, string[]>): string[] {
  const used = new Set<string>();
  for (const d of deps.values()) for (const x of d) used.add(x);
  return tasks.map((t) => t.name).filter((n) => !used.has(n));
}

/**
 * Where a DAG's tasks stand, by position in `dag.tasks`. A task is *settled* once its node is done
 * (Succeeded, Failed, Error, Skipped, Omitted: it never changes again) and *released* once the tasks
 * that depend on it may start (done, or a daemon that is up). The *candidates* are the wanted tasks
 * not settled whose dependencies are all released, and any task that has a node but is not settled:
 * the only tasks a pass can move. In a 200-step chain that is one task instead of 200.
 *
 * A pass works on its own copy (clone) of the frontier the previous pass left (see pass-memory.ts),
 * or builds one from the nodes when there is none.
 */
export class DagFrontier {
  private constructor(
    readonly shape: DagShape,
    readonly settled: Uint8Array,
    readonly released: Uint8Array,
    /** Per task: dependencies not yet released. */
    readonly waiting: Int32Array,
    /** Candidate positions, ascending. */
    public candidates: number[],
    /** Settled tasks whose failure fails the DAG (not continued, not handled by a `depends`). */
    public failed: boolean,
    public settledWanted: number,
  ) {}

  static build(shape: DagShape, nodeOf: (name: string) => NodeStatus | undefined, isDone: (n: NodeStatus) => boolean, failsDag: (t: DAGTask, n: NodeStatus) => boolean): DagFrontier {
    const taskList = shape.taskList;
    const n = taskList.length;
    const f = new DagFrontier(shape, new Uint8Array(n), new Uint8Array(n), new Int32Array(n), [], false, 0);
    const nodes = taskList.map((t) => nodeOf(t.name));
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      if (!node) continue;
      if (isDone(node)) {
        f.settled[i] = 1;
        f.released[i] = 1;
        if (shape.wantedAt[i]) f.settledWanted++;
        if (failsDag(taskList[i], node)) f.failed = true;
      } else if (node.daemoned && node.phase === 'Running') f.released[i] = 1;
    }
    for (let i = 0; i < n; i++) {
      let w = 0;
      for (const d of shape.depIndex[i]) if (!f.released[d]) w++;
      f.waiting[i] = w;
      if (!f.settled[i] && (nodes[i] || (shape.wantedAt[i] && w === 0))) f.candidates.push(i);
    }
    return f;
  }

  clone(): DagFrontier {
    return new DagFrontier(this.shape, this.settled.slice(), this.released.slice(), this.waiting.slice(), this.candidates.slice(), this.failed, this.settledWanted);
  }

  /** The first candidate after position `after` (-1 for the first), or -1. */
  nextCandidate(after: number): number {
    const at = firstAtLeast(this.candidates, after + 1);
    return at < this.candidates.length ? this.candidates[at] : -1;
  }

  /** Task i's node is done: it leaves the candidates (at the next compact) and releases its dependents. */
  settle(i: number, failsDag: boolean): void {
    if (this.settled[i]) return;
    this.settled[i] = 1;
    if (this.shape.wantedAt[i]) this.settledWanted++;
    if (failsDag) this.failed = true;
    this.release(i);
  }

  /** Task i lets its dependents start (done, or a daemon that is up). */
  release(i: number): void {
    if (this.released[i]) return;
    this.released[i] = 1;
    for (const j of this.shape.dependents[i]) {
      if (--this.waiting[j] === 0 && this.shape.wantedAt[j] && !this.settled[j]) this.addCandidate(j);
    }
  }

  private addCandidate(j: number): void {
    const at = firstAtLeast(this.candidates, j);
    if (this.candidates[at] !== j) this.candidates.splice(at, 0, j);
  }

  /** Drop the settled tasks from the candidates. */
  compact(): void {
    if (this.candidates.some((i) => this.settled[i])) this.candidates = this.candidates.filter((i) => !this.settled[i]);
  }

  /** Wanted tasks neither settled nor candidates: waiting on a dependency, with no node yet. */
  get blocked(): number {
    let wantedCandidates = 0;
    for (const i of this.candidates) if (this.shape.wantedAt[i] && !this.settled[i]) wantedCandidates++;
    return this.shape.wantedCount - this.settledWanted - wantedCandidates;
  }
}

/** Where x is, or would go, in an ascending array (binary search). */
function firstAtLeast(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// From a workflow's status.nodes to the graph that is drawn: nodes, edges from `children`, and
// collapsed groups. Collapsing a retry or loop parent replaces its children (and everything inside
// their boundaries) with one placeholder node that carries the group's worst phase.
import type { NodeStatus } from '../api';

export interface GNode {
  id: string;
  label: string;
  phase: string;
  type: string;
  /** Small round connector nodes (step and task groups). */
  small: boolean;
  collapsible: boolean;
  collapsed: boolean;
  /** For a placeholder: the parent it stands in for and how many nodes it hides. */
  placeholderOf?: string;
  hidden?: number;
  /** A DAG task from the spec that has no node yet (drawn dashed). */
  pending?: boolean;
}
/** A planned DAG task not yet run: its id, label, and the graph ids it hangs from. */
export interface PendingTask {
  id: string;
  label: string;
  from: string[];
}
export interface GraphModel {
  nodes: GNode[];
  index: Map<string, number>;
  edges: Int32Array;
  /** A key that changes only when the shape (nodes or edges) changes, not on a phase change. */
  shape: string;
}

const SMALL = new Set(['StepGroup', 'TaskGroup']);
const PHASE_RANK: Record<string, number> = { Error: 6, Failed: 5, Running: 4, Pending: 3, Succeeded: 2, Skipped: 1, Omitted: 0 };

export function isCollapsible(n: NodeStatus): boolean {
  const kids = n.children?.length ?? 0;
  return (n.type === 'Retry' && kids > 0) || (SMALL.has(n.type) && kids > 1);
}

export function buildGraph(nodes: Record<string, NodeStatus>, collapsed: Set<string> | 'all', pendingTasks: PendingTask[] = []): GraphModel {
  const all = Object.values(nodes);
  const collapsedSet = new Set<string>();
  for (const n of all) if (isCollapsible(n) && (collapsed === 'all' || collapsed.has(n.id))) collapsedSet.add(n.id);

  // Which placeholder (if any) hides each node: a collapsed parent's children, and every node whose
  // boundary chain passes through one of them.
  const hiddenBy = new Map<string, string>();
  for (const pid of collapsedSet) {
    if (hiddenBy.has(pid)) continue;
    for (const c of nodes[pid].children ?? []) if (!hiddenBy.has(c) && c !== pid) hiddenBy.set(c, pid);
  }
  const boundaryMemo = new Map<string, string | null>();
  const hiderOf = (id: string, depth = 0): string | null => {
    if (hiddenBy.has(id)) return hiddenBy.get(id)!;
    if (boundaryMemo.has(id)) return boundaryMemo.get(id)!;
    const b = nodes[id]?.boundaryID;
    const r = b && b !== id && depth < 200 ? hiderOf(b, depth + 1) : null;
    boundaryMemo.set(id, r);
    return r;
  };
  // A collapsed parent that is itself hidden does not get a placeholder of its own.
  const rep = new Map<string, string>();
  const placeholderStats = new Map<string, { count: number; phase: string }>();
  for (const n of all) {
    let h = hiderOf(n.id);
    // Walk up to the outermost visible placeholder.
    let guard = 0;
    while (h && hiderOf(h) && guard++ < 100) h = hiderOf(h);
    if (h) {
      const key = `${h}::collapsed`;
      rep.set(n.id, key);
      const st = placeholderStats.get(key) ?? { count: 0, phase: 'Omitted' };
      st.count++;
      if ((PHASE_RANK[n.phase] ?? 0) > (PHASE_RANK[st.phase] ?? 0)) st.phase = n.phase;
      placeholderStats.set(key, st);
    }
  }

  const out: GNode[] = [];
  const index = new Map<string, number>();
  const add = (g: GNode) => {
    index.set(g.id, out.length);
    out.push(g);
  };
  // Stable order: by start time then name keeps siblings in their natural order.
  const sorted = all.slice().sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const n of sorted) {
    if (rep.has(n.id)) continue;
    add({ id: n.id, label: n.displayName || n.name, phase: n.phase || 'Pending', type: n.type, small: SMALL.has(n.type), collapsible: isCollapsible(n), collapsed: collapsedSet.has(n.id) });
    const key = `${n.id}::collapsed`;
    const st = placeholderStats.get(key);
    if (st) add({ id: key, label: `${st.count} hidden node${st.count === 1 ? '' : 's'}`, phase: st.phase, type: 'Collapsed', small: false, collapsible: false, collapsed: false, placeholderOf: n.id, hidden: st.count });
  }
  for (const p of pendingTasks) add({ id: p.id, label: p.label, phase: 'Pending', type: 'Pending', small: false, collapsible: false, collapsed: false, pending: true });
  const edgeList: number[] = [];
  const seen = new Set<number>();
  const N = out.length;
  const link = (a: string, b: string) => {
    const ia = index.get(rep.get(a) ?? a);
    const ib = index.get(rep.get(b) ?? b);
    if (ia === undefined || ib === undefined || ia === ib) return;
    const k = ia * N + ib;
    if (seen.has(k)) return;
    seen.add(k);
    edgeList.push(ia, ib);
  };
  for (const n of all) for (const c of n.children ?? []) link(n.id, c);
  for (const p of pendingTasks) for (const f of p.from) link(f, p.id);
  const shape = `${out.length}:${edgeList.length}:${pendingTasks.map((p) => p.id).join(',')}:${[...collapsedSet].sort().join(',')}:${out.map((g) => g.id).join('|').length}`;
  return { nodes: out, index, edges: Int32Array.from(edgeList), shape };
}

interface DagTask {
  name: string;
  dependencies?: string[];
  depends?: string;
}
interface TemplateLike {
  name: string;
  dag?: { tasks?: DagTask[] };
}

/** Task names referenced by a `depends` expression ("A && (B.Succeeded || !C.Failed)"). */
export function dependsTasks(expr: string): string[] {
  return [...new Set(expr.split(/[&|()!\s]+/).filter(Boolean).map((t) => t.replace(/\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed)$/, '')))];
}

/**
 * DAG tasks of running DAG nodes that have no node yet, from the workflow's templates: each hangs
 * from its dependencies (existing task nodes, or other pending tasks), or from the DAG node itself.
 */
export function pendingDagTasks(nodes: Record<string, NodeStatus>, templates: TemplateLike[] | undefined): PendingTask[] {
  if (!templates?.length) return [];
  const byName = new Map<string, string>();
  for (const n of Object.values(nodes)) if (!byName.has(n.name) || n.type !== 'Retry') byName.set(n.name, n.id);
  const out: PendingTask[] = [];
  for (const dag of Object.values(nodes)) {
    if (dag.type !== 'DAG' || dag.phase !== 'Running' || !dag.templateName) continue;
    const tasks = templates.find((t) => t.name === dag.templateName)?.dag?.tasks;
    if (!tasks?.length) continue;
    const names = new Set(tasks.map((t) => t.name));
    const idOf = (task: string) => byName.get(`${dag.name}.${task}`) ?? `${dag.id}::pending::${task}`;
    for (const t of tasks) {
      if (byName.has(`${dag.name}.${t.name}`)) continue;
      const deps = (t.dependencies ?? (t.depends ? dependsTasks(t.depends) : [])).filter((d) => names.has(d));
      out.push({ id: `${dag.id}::pending::${t.name}`, label: t.name, from: deps.length ? deps.map(idOf) : [dag.id] });
    }
  }
  return out;
}

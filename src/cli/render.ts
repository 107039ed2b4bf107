// Terminal output in `argo`'s shapes: the `argo get` summary and node tree, and borderless tables.
import type { NodeStatus, Workflow } from '../model/argo.js';

const ICONS: Record<string, string> = {
  Succeeded: '✔',
  Failed: '✖',
  Error: '⚠',
  Running: '●',
  Pending: '◷',
  Skipped: '○',
  Omitted: '○',
};

const color = (code: number, s: string, on: boolean) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function icon(n: NodeStatus, colors: boolean): string {
  const i = n.type === 'Suspend' && n.phase === 'Running' ? 'ǁ' : ICONS[n.phase] ?? '?';
  const code = n.phase === 'Succeeded' ? 32 : n.phase === 'Failed' || n.phase === 'Error' ? 31 : n.phase === 'Running' ? 36 : 33;
  return color(code, i, colors);
}

export function humanDuration(ms: number): string {
  if (ms < 0) ms = 0;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

export function nodeDuration(n: { startedAt?: string; finishedAt?: string }, now = Date.now()): string {
  if (!n.startedAt) return '';
  return humanDuration((n.finishedAt ? new Date(n.finishedAt).getTime() : now) - new Date(n.startedAt).getTime());
}

/** Borderless, tab-aligned table with upper-case headers, as kubectl and argo print. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i] - stripAnsi(c).length))))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

function podNameOf(wf: Workflow, n: NodeStatus): string {
  if (n.type !== 'Pod') return '';
  const wfName = wf.metadata.name!;
  if (n.name === wfName) return wfName;
  const hash = n.id.slice(wfName.length + 1);
  return n.templateName ? `${wfName}-${n.templateName}-${hash}` : `${wfName}-${hash}`;
}

/** The `argo get` node tree: STEP, TEMPLATE, PODNAME, DURATION, MESSAGE. Step groups are folded into the lines. */
export function nodeTree(wf: Workflow, opts: { colors?: boolean; now?: number } = {}): string {
  const nodes = wf.status?.nodes ?? {};
  const root = nodes[wf.metadata.name!];
  if (!root) return '';
  const rows: string[][] = [];
  const colors = !!opts.colors;
  const seen = new Set<string>();
  const visit = (n: NodeStatus, prefix: string, childPrefix: string) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    rows.push([`${prefix}${icon(n, colors)} ${n.displayName}`, n.templateRef ? `${n.templateRef.name}/${n.templateRef.template}` : n.templateName ?? '', podNameOf(wf, n), nodeDuration(n, opts.now), n.message ?? '']);
    const kids = childrenOf(n, nodes, wf);
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      visit(k, `${childPrefix}${last ? '└─' : '├─'}`, `${childPrefix}${last ? '  ' : '│ '}`);
    });
  };
  visit(root, ' ', ' ');
  const onExit = nodes[`${wf.metadata.name}-${0}`];
  void onExit;
  for (const n of Object.values(nodes)) {
    if (!seen.has(n.id) && n.name === `${wf.metadata.name}.onExit`) visit(n, ' ', ' ');
  }
  return table(['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE'], rows);
}

/** Children to draw under a node: step groups are replaced by their members, and nodes reached
 * through a previous group's outbound edges are not repeated. */
function childrenOf(n: NodeStatus, nodes: Record<string, NodeStatus>, wf: Workflow): NodeStatus[] {
  const out: NodeStatus[] = [];
  for (const id of n.children ?? []) {
    const c = nodes[id];
    if (!c) continue;
    if (c.type === 'StepGroup') {
      out.push(...(c.children ?? []).map((x) => nodes[x]).filter(Boolean));
      // Later groups hang off this group's members; flatten them into the same list.
      let next = nextGroup(c, nodes);
      while (next) {
        out.push(...(next.children ?? []).map((x) => nodes[x]).filter(Boolean));
        next = nextGroup(next, nodes);
      }
    } else if (n.type === 'DAG' || n.type === 'TaskGroup' || n.type === 'Retry' || n.type === 'Steps' || c.boundaryID === n.id || c.boundaryID === n.boundaryID || !c.boundaryID) {
      if (n.type !== 'StepGroup' && c.boundaryID && c.boundaryID !== n.id && n.type !== 'Retry' && n.type !== 'TaskGroup' && !c.name.startsWith(n.name)) {
        // A DAG edge from a sibling task: drawn under the DAG, not here.
        continue;
      }
      out.push(c);
    }
  }
  void wf;
  if (n.type === 'DAG') {
    // DAG tasks hang off their dependencies; list every task of this DAG once, directly under it.
    const tasks = Object.values(nodes).filter((x) => x.boundaryID === n.id && x.name.startsWith(`${n.name}.`) && !x.name.slice(n.name.length + 1).includes('.') && !/\(\d+/.test(x.name.slice(n.name.length + 1)));
    return tasks.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
  }
  return out;
}

function nextGroup(group: NodeStatus, nodes: Record<string, NodeStatus>): NodeStatus | undefined {
  for (const id of group.children ?? []) {
    const member = nodes[id];
    const stack = [member];
    while (stack.length) {
      const x = stack.pop();
      if (!x) continue;
      for (const cid of x.children ?? []) {
        const c = nodes[cid];
        if (c?.type === 'StepGroup' && c.boundaryID === group.boundaryID) return c;
        if (c && (x.type === 'Retry' || x.type === 'TaskGroup' || c.boundaryID !== group.boundaryID)) stack.push(c);
      }
    }
  }
  return undefined;
}

export function workflowSummary(wf: Workflow, opts: { colors?: boolean; now?: number } = {}): string {
  const s = wf.status ?? {};
  const lines: [string, string][] = [
    ['Name:', wf.metadata.name ?? ''],
    ['Namespace:', wf.metadata.namespace ?? ''],
    ['ServiceAccount:', wf.spec.serviceAccountName ?? 'unset (will run with the default ServiceAccount)'],
    ['Status:', s.phase || 'Pending'],
  ];
  if (s.message) lines.push(['Message:', s.message]);
  if (wf.metadata.creationTimestamp) lines.push(['Created:', new Date(wf.metadata.creationTimestamp).toString().replace(/ \(.*\)$/, '')]);
  if (s.startedAt) lines.push(['Started:', new Date(s.startedAt).toString().replace(/ \(.*\)$/, '')]);
  if (s.finishedAt) lines.push(['Finished:', new Date(s.finishedAt).toString().replace(/ \(.*\)$/, '')]);
  if (s.startedAt) lines.push(['Duration:', nodeDuration(s, opts.now)]);
  if (s.progress) lines.push(['Progress:', s.progress]);
  const params = wf.spec.arguments?.parameters ?? [];
  let out = lines.map(([k, v]) => `${k.padEnd(20)} ${v}`).join('\n');
  if (params.length) out += `\nParameters:\n${params.map((p) => `  ${p.name}: ${String(p.value ?? p.default ?? '')}`).join('\n')}`;
  const outputs = s.outputs?.parameters ?? [];
  if (outputs.length) out += `\nOutput Parameters:\n${outputs.map((p) => `  ${p.name}: ${String(p.value ?? '')}`).join('\n')}`;
  const tree = nodeTree(wf, opts);
  return tree ? `${out}\n\n${tree}` : out;
}

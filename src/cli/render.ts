// Terminal output in `argo`'s shapes: the `argo get` summary and node tree, and borderless tables.
import { toYaml } from '../model/yaml-lib.js';
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

/** The `argo get` node tree: STEP, TEMPLATE, PODNAME, DURATION, MESSAGE, drawn as argo draws it —
 * step groups as siblings (`├───✔ a`, `└─┬─✔ b` / `  └─✔ c`), DAG tasks, retries and loops nested. */
export function nodeTree(wf: Workflow, opts: { colors?: boolean; now?: number } = {}): string {
  const nodes = wf.status?.nodes ?? {};
  const root = nodes[wf.metadata.name!];
  if (!root) return '';
  const rows: string[][] = [];
  const colors = !!opts.colors;
  const row = (n: NodeStatus, prefix: string) =>
    rows.push([
      `${prefix}${icon(n, colors)} ${n.displayName}`,
      n.templateRef ? `${n.templateRef.name}/${n.templateRef.template}` : n.templateName ?? '',
      podNameOf(wf, n),
      nodeDuration(n, opts.now),
      n.message ?? '',
    ]);
  const seen = new Set<string>();
  // Draw `n` on a line starting with `lead`, and its children under `indent`.
  const draw = (n: NodeStatus, lead: string, indent: string) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    row(n, lead);
    drawChildren(n, indent);
  };
  const drawChildren = (n: NodeStatus, indent: string) => {
    if (n.type === 'Steps') {
      const groups = Object.values(nodes)
        .filter((g) => g.type === 'StepGroup' && g.boundaryID === n.id && g.name.startsWith(`${n.name}[`))
        .sort((a, b) => groupIndex(a.name) - groupIndex(b.name));
      const exits = (n.children ?? []).map((id) => nodes[id]).filter((c) => c && c.type !== 'StepGroup');
      groups.forEach((g, gi) => {
        const lastGroup = gi === groups.length - 1 && !exits.length;
        const members = (g.children ?? []).map((id) => nodes[id]).filter(Boolean);
        seen.add(g.id);
        members.forEach((m, mi) => {
          const first = mi === 0;
          const lastMember = mi === members.length - 1;
          let lead: string;
          if (members.length === 1) lead = `${indent}${lastGroup ? '└' : '├'}───`;
          else if (first) lead = `${indent}${lastGroup ? '└' : '├'}─┬─`;
          else lead = `${indent}${lastGroup ? ' ' : '│'} ${lastMember ? '└' : '├'}─`;
          const under = members.length === 1 ? `${indent}${lastGroup ? ' ' : '│'}   ` : `${indent}${lastGroup ? ' ' : '│'} ${lastMember ? ' ' : '│'} `;
          draw(m, lead, under);
        });
      });
      exits.forEach((c, i) => draw(c, `${indent}${i === exits.length - 1 ? '└' : '├'}───`, `${indent}${i === exits.length - 1 ? ' ' : '│'}   `));
      return;
    }
    let kids: NodeStatus[];
    if (n.type === 'DAG') {
      kids = Object.values(nodes).filter((x) => x.boundaryID === n.id && x.name.startsWith(`${n.name}.`) && !x.name.slice(n.name.length + 1).includes('.') && !/\(\d+:/.test(x.name.slice(n.name.length + 1)));
      kids.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
      kids.push(...(n.children ?? []).map((id) => nodes[id]).filter((c) => c && c.name.startsWith(`${n.name}.onExit`)));
    } else {
      // Retry attempts, loop iterations, containers, hooks: the node's own children.
      kids = (n.children ?? []).map((id) => nodes[id]).filter((c) => c && c.type !== 'StepGroup' && (c.name.startsWith(n.name) || n.type === 'Retry' || n.type === 'TaskGroup'));
    }
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      draw(k, `${indent}${last ? '└' : '├'}─`, `${indent}${last ? ' ' : '│'} `);
    });
  };
  draw(root, ' ', ' ');
  for (const n of Object.values(nodes)) if (!seen.has(n.id) && !n.boundaryID && n.id !== root.id && n.type !== 'StepGroup') draw(n, ' ', ' ');
  return table(['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE'], rows);
}

function groupIndex(name: string): number {
  const m = /\[(\d+)\]$/.exec(name);
  return m ? Number(m[1]) : 0;
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

/** A workflow as `-o json|yaml|name` asks, or the `argo get`-style summary. */
export function printWorkflow(wf: Workflow, output: string | undefined): void {
  switch (output) {
    case 'json':
      process.stdout.write(JSON.stringify(wf, null, 2) + '\n');
      return;
    case 'yaml':
      process.stdout.write(toYaml(wf));
      return;
    case 'name':
      process.stdout.write(`${wf.metadata.name}\n`);
      return;
    default:
      process.stdout.write(workflowSummary(wf, { colors: !!process.stdout.isTTY }) + '\n');
  }
}

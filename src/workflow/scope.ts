// Variable scopes for `{{…}}` substitution: a flat map of dotted names to string values, as Argo
// keeps them. Loop aggregates and JSON forms are stored as JSON text.
import type { NodeStatus, Outputs } from '../model/argo.js';

export type Vars = Record<string, string>;

/** Add the variables a finished (or running) step/task exposes under `prefix` (`steps.x` / `tasks.x`). */
export function addNodeVars(vars: Vars, prefix: string, node: NodeStatus | undefined): void {
  if (!node) return;
  vars[`${prefix}.id`] = node.id;
  vars[`${prefix}.status`] = node.phase;
  if (node.startedAt) vars[`${prefix}.startedAt`] = node.startedAt;
  if (node.finishedAt) vars[`${prefix}.finishedAt`] = node.finishedAt;
  if (node.podIP) vars[`${prefix}.ip`] = node.podIP;
  if (node.hostNodeName) vars[`${prefix}.hostNodeName`] = node.hostNodeName;
  addOutputVars(vars, prefix, node.outputs);
}

export function addOutputVars(vars: Vars, prefix: string, outputs: Outputs | undefined): void {
  if (!outputs) return;
  if (outputs.result !== undefined) vars[`${prefix}.outputs.result`] = outputs.result;
  if (outputs.exitCode !== undefined) vars[`${prefix}.exitCode`] = outputs.exitCode;
  for (const p of outputs.parameters ?? []) {
    if (p.value !== undefined) vars[`${prefix}.outputs.parameters.${p.name}`] = String(p.value);
  }
  for (const a of outputs.artifacts ?? []) {
    vars[`${prefix}.outputs.artifacts.${a.name}`] = JSON.stringify(a);
    if (a.path) vars[`${prefix}.outputs.artifacts.${a.name}.path`] = a.path;
  }
}

/** Loop aggregates: `X.outputs.result` (JSON list), `X.outputs.parameters` and `X.outputs.parameters.p`. */
export function addAggregateVars(vars: Vars, prefix: string, children: NodeStatus[]): void {
  const ok = children.filter((c) => c.phase === 'Succeeded');
  const results: unknown[] = [];
  let anyResult = false;
  const paramMaps: Record<string, string>[] = [];
  const byName = new Map<string, string[]>();
  for (const c of ok) {
    const out = c.outputs;
    if (out?.result !== undefined) {
      anyResult = true;
      results.push(parseJsonOr(out.result));
    }
    const m: Record<string, string> = {};
    for (const p of out?.parameters ?? []) {
      if (p.value === undefined) continue;
      m[p.name] = String(p.value);
      const list = byName.get(p.name) ?? [];
      list.push(String(p.value));
      byName.set(p.name, list);
    }
    if (Object.keys(m).length) paramMaps.push(m);
  }
  if (anyResult) vars[`${prefix}.outputs.result`] = JSON.stringify(results);
  if (paramMaps.length) vars[`${prefix}.outputs.parameters`] = JSON.stringify(paramMaps);
  for (const [name, values] of byName) {
    const parsed = values.map(parseJsonOr);
    const allStructured = parsed.every((v) => v !== null && typeof v === 'object');
    vars[`${prefix}.outputs.parameters.${name}`] = JSON.stringify(allStructured ? parsed : values);
  }
}

function parseJsonOr(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

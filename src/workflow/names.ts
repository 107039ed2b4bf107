// Deterministic node IDs, pod names and display names, computed exactly as Argo does so that
// `argo get`-style output and tooling that looks nodes up by name behave the same.

/** FNV-1a 32-bit over the UTF-8 bytes of `s`, as Go's hash/fnv New32a. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const idCache = new Map<string, string>();

/** The root node is ID'd as the workflow; every other node as `<workflow>-<fnv32a(node name)>`. */
export function nodeId(workflowName: string, nodeName: string): string {
  if (nodeName === workflowName) return workflowName;
  const key = `${workflowName}\u0000${nodeName}`;
  let id = idCache.get(key);
  if (id === undefined) {
    id = `${workflowName}-${fnv32a(nodeName)}`;
    if (idCache.size > 100_000) idCache.clear();
    idCache.set(key, id);
  }
  return id;
}

const MAX_POD_PREFIX = 253 - 10 - 1;

/** POD_NAMES=v2: `<workflow>-<template>-<fnv32a(node name)>`, or the workflow name for a root pod. */
export function podName(workflowName: string, nodeName: string, templateName: string | undefined): string {
  if (workflowName === nodeName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  if (prefix.length > MAX_POD_PREFIX) prefix = prefix.slice(0, MAX_POD_PREFIX);
  return `${prefix}-${fnv32a(nodeName)}`;
}

/** The node name without its boundary's name and a leading `[N].` or `.`. */
export function displayName(nodeName: string, boundaryName: string | undefined): string {
  if (!boundaryName || !nodeName.startsWith(boundaryName) || nodeName === boundaryName) return nodeName;
  let rest = nodeName.slice(boundaryName.length);
  const m = /^\[\d+\]\./.exec(rest);
  if (m) rest = rest.slice(m[0].length);
  else if (rest.startsWith('.')) rest = rest.slice(1);
  return rest || nodeName;
}

// Metadata checks applied by every store on create and update.
import { invalid, type StatusCause } from './errors.js';
import type { KindInfo } from './kinds.js';
import type { KObject } from './object.js';
import { dns1123Label, dns1123Subdomain, invalidValue, required, validateAnnotations, validateLabels } from './validation.js';

/** Kinds whose names must be DNS labels (63 characters, no dots) rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service', 'Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow']);

export function validateMetadata(info: KindInfo, obj: KObject, op: 'create' | 'update'): void {
  const causes: StatusCause[] = [];
  const meta = obj.metadata;
  const name = meta?.name ?? '';
  if (!meta || typeof meta !== 'object') {
    throw invalid(info.kind, '', [required('metadata')], info.group);
  }
  if (!name && !(op === 'create' && meta.generateName)) {
    causes.push(required('metadata.name', 'name or generateName is required'));
  } else if (name) {
    const check = LABEL_NAMED.has(info.kind) ? dns1123Label : dns1123Subdomain;
    for (const e of check(name)) causes.push(invalidValue('metadata.name', name, e));
  }
  if (meta.generateName && !name) {
    // The prefix itself may end in '-'; check it with a placeholder suffix.
    const check = LABEL_NAMED.has(info.kind) ? dns1123Label : dns1123Subdomain;
    for (const e of check(meta.generateName.slice(0, 58) + 'x')) causes.push(invalidValue('metadata.generateName', meta.generateName, e));
  }
  if (info.namespaced) {
    if (!meta.namespace) causes.push(required('metadata.namespace'));
    else for (const e of dns1123Label(meta.namespace)) causes.push(invalidValue('metadata.namespace', meta.namespace, e));
  } else if (meta.namespace) {
    causes.push(invalidValue('metadata.namespace', meta.namespace, `not allowed on cluster-scoped resource ${info.kind}`));
  }
  causes.push(...validateLabels(meta.labels), ...validateAnnotations(meta.annotations));
  for (const [i, ref] of (meta.ownerReferences ?? []).entries()) {
    for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (!ref[f]) causes.push(required(`metadata.ownerReferences[${i}].${f}`));
    }
  }
  for (const [i, f] of (meta.finalizers ?? []).entries()) {
    if (typeof f !== 'string' || !f) causes.push(invalidValue(`metadata.finalizers[${i}]`, f, 'must be a non-empty string'));
  }
  if (causes.length) throw invalid(info.kind, name || meta.generateName || '', causes, info.group);
}

// Resource templates: what Argo's executor does with kubectl, done by the controller against the
// store through the Client: create, apply, replace, patch, delete or get a manifest, then wait for
// its successCondition / failureCondition, and report outputs (jsonPath) as a task result.
import { parseYaml } from '../model/yaml-lib.js';
import type { Client } from '../client/types.js';
import type { Outputs, Template, Workflow } from '../model/argo.js';
import { ApiError, isApiError } from '../model/errors.js';
import type { KObject } from '../model/object.js';
import { recordTaskResult } from './task-result.js';

export interface ResourceAction {
  workflow: Workflow;
  nodeId: string;
  template: Template;
}

/** Read a dotted field path (`status.phase`, `status.conditions.0.type`) from an object. */
function field(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Argo's resource conditions: label-selector-like requirements over object fields, comma = AND. */
export function conditionHolds(obj: KObject, condition: string): boolean {
  // Commas separate requirements, except inside `in (a, b)` sets.
  for (const req of condition.split(/,(?![^()]*\))/).map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\S+?)\s*(==|!=|=|>=|<=|>|<|\s+in\s+|\s+notin\s+)\s*(.*)$/.exec(req);
    if (!m) {
      if (field(obj, req) === undefined) return false;
      continue;
    }
    const [, path, rawOp, rawValue] = m;
    const op = rawOp.trim();
    const actual = field(obj, path);
    const text = actual === undefined || actual === null ? '' : typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
    const value = rawValue.trim();
    switch (op) {
      case '=':
      case '==':
        if (text !== value) return false;
        break;
      case '!=':
        if (text === value) return false;
        break;
      case '>':
      case '<':
      case '>=':
      case '<=': {
        const a = Number(text);
        const b = Number(value);
        if (Number.isNaN(a) || Number.isNaN(b)) return false;
        if (!(op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : a <= b)) return false;
        break;
      }
      case 'in':
      case 'notin': {
        const set = value.replace(/^\(|\)$/g, '').split(',').map((x) => x.trim());
        if ((op === 'in') !== set.includes(text)) return false;
        break;
      }
    }
  }
  return true;
}

/** kubectl-style `{.metadata.name}` JSONPath, enough for outputs. */
export function kubectlJsonPath(obj: unknown, expr: string): string {
  const inner = expr.trim().replace(/^\{/, '').replace(/\}$/, '').replace(/^\$?\.?/, '');
  const parts = inner.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let v: unknown = obj;
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return '';
    v = p.startsWith('[') ? (v as unknown[])[Number(p.slice(1, -1))] : (v as Record<string, unknown>)[p.replace(/^['"]|['"]$/g, '')];
  }
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export async function performResource(client: Client, req: ResourceAction, signal: AbortSignal): Promise<void> {
  const r = req.template.resource!;
  const wf = req.workflow;
  let phase: 'Failed' | 'Error' | undefined;
  let message: string | undefined;
  const outputs: Outputs = {};
  try {
    const manifest = parseYaml(r.manifest ?? '') as KObject;
    if (!manifest || typeof manifest !== 'object' || !manifest.kind) throw new ApiError('BadRequest', 'resource.manifest is not a Kubernetes object (it needs apiVersion and kind)');
    manifest.metadata ??= {};
    const info = client.kinds.forObject(manifest);
    if (info.namespaced) manifest.metadata.namespace ??= wf.metadata.namespace;
    if (r.setOwnerReference) {
      manifest.metadata.ownerReferences = [...(manifest.metadata.ownerReferences ?? []), { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata.name!, uid: wf.metadata.uid!, blockOwnerDeletion: true }];
    }
    const ns = manifest.metadata.namespace;
    let obj: KObject;
    switch (r.action) {
      case 'create':
        obj = await client.create(manifest);
        break;
      case 'apply':
      case 'replace': {
        const cur = manifest.metadata.name ? await client.get(manifest, manifest.metadata.name, ns).catch((e) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e))) : undefined;
        obj = cur ? await client.update({ ...(r.action === 'apply' ? { ...cur, ...manifest } : manifest), metadata: { ...cur.metadata, ...manifest.metadata, resourceVersion: cur.metadata.resourceVersion } }) : await client.create(manifest);
        break;
      }
      case 'patch': {
        const type = r.mergeStrategy === 'json' ? 'json' : 'merge';
        const body = type === 'json' ? parseYaml(r.manifest ?? '[]') : manifest;
        obj = await client.patch(manifest, manifest.metadata.name!, ns, type, body);
        break;
      }
      case 'delete':
        try {
          obj = await client.delete(manifest, manifest.metadata.name!, ns);
        } catch (err) {
          if (!(isApiError(err, 'NotFound') && (r.flags ?? []).includes('--ignore-not-found'))) throw err;
          obj = manifest;
        }
        break;
      case 'get':
        obj = await client.get(manifest, manifest.metadata.name!, ns);
        break;
      default:
        throw new ApiError('BadRequest', `resource.action "${r.action}" is not one of create, apply, replace, patch, delete, get`);
    }
    if (r.successCondition || r.failureCondition) obj = await waitForCondition(client, obj, r.successCondition, r.failureCondition, signal);
    if (r.failureCondition && conditionHolds(obj, r.failureCondition)) {
      phase = 'Failed';
      message = `failure condition '${r.failureCondition}' matched`;
    }
    const params = (req.template.outputs?.parameters ?? []).filter((p) => p.valueFrom?.jsonPath);
    if (params.length) outputs.parameters = params.map((p) => ({ name: p.name, value: kubectlJsonPath(obj, p.valueFrom!.jsonPath!) }));
    outputs.result = `${info.plural}.${info.group ? info.group + '/' : ''}${obj.metadata.name ?? ''}`.replace(/\.\//, '/');
  } catch (err) {
    if (signal.aborted) return;
    phase = 'Error';
    message = (err as Error).message;
  }
  await recordTaskResult(client, wf, req.nodeId, outputs, phase ? { phase, message } : undefined);
}

function waitForCondition(client: Client, obj: KObject, success: string | undefined, failure: string | undefined, signal: AbortSignal): Promise<KObject> {
  const done = (o: KObject) => (success && conditionHolds(o, success)) || (failure && conditionHolds(o, failure));
  if (done(obj)) return Promise.resolve(obj);
  return new Promise((resolve, reject) => {
    let w: { stop(): void } | undefined;
    const finish = (o?: KObject, err?: Error) => {
      w?.stop();
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(o!);
    };
    const onAbort = () => finish(undefined, new Error('aborted'));
    signal.addEventListener('abort', onAbort);
    client
      .watch(obj, { namespace: obj.metadata.namespace, fieldSelector: `metadata.name=${obj.metadata.name}` }, {
        onEvent: (ev) => {
          if (ev.type === 'DELETED') return finish(undefined, new Error(`${obj.kind} ${obj.metadata.name} was deleted before its condition held`));
          if (done(ev.object)) finish(ev.object);
        },
        onClose: (err) => err && finish(undefined, err),
      })
      .then((watch) => (w = watch), (err) => finish(undefined, err as Error));
  });
}

// Strategic merge patch for built-in kinds, as kubectl sends it (`kubectl patch`, client-side `apply`).
// Kubernetes keeps the merge metadata in its Go struct tags; this keeps the part that matters for the
// kinds Argosy stores: which lists merge by which key, and which primitive lists merge as sets.
// Directives: `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`.
import { badRequest } from '../model/errors.js';
import { clone } from '../model/object.js';

type Json = unknown;
type Obj = Record<string, Json>;

/** Lists merged by a key, by field name (the field name is enough for the built-in kinds we serve). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
};

/** Ports merge by containerPort in containers and by port in services. */
function mergeKeyFor(field: string, parentPath: string[]): string | undefined {
  if (field === 'ports') return parentPath.includes('containers') || parentPath.includes('initContainers') ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

/** Primitive lists with patchStrategy "merge": union instead of replace. */
const PRIMITIVE_MERGE = new Set(['finalizers']);

const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function strategicMergePatch<T>(original: T, patch: Json): T {
  if (!isObj(patch)) throw badRequest('a strategic merge patch must be a JSON object');
  const result = mergeMap(clone(original) as Obj, patch, []);
  return (result ?? {}) as T;
}

function mergeMap(original: Obj | undefined, patch: Obj, path: string[]): Obj | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _d, ...rest } = patch;
    return clone(rest);
  }
  if (directive !== undefined && directive !== 'merge') throw badRequest(`unknown $patch directive ${JSON.stringify(directive)} at ${path.join('.') || '<root>'}: use replace, delete or merge`);
  const out: Obj = { ...(original ?? {}) };
  const retain = patch.$retainKeys;
  const orders: Record<string, Json[]> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      if (Array.isArray(value)) orders[key.slice('$setElementOrder/'.length)] = value;
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(value) ? value : [];
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !drop.some((d) => JSON.stringify(d) === JSON.stringify(x)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const cur = out[key];
    if (Array.isArray(value)) {
      out[key] = mergeList(key, Array.isArray(cur) ? cur : undefined, value, path);
    } else if (isObj(value)) {
      const merged = mergeMap(isObj(cur) ? cur : undefined, value, [...path, key]);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  for (const [field, order] of Object.entries(orders)) {
    if (Array.isArray(out[field])) out[field] = applyOrder(field, out[field] as Json[], order, path);
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(field: string, original: Json[] | undefined, patch: Json[], path: string[]): Json[] {
  const key = mergeKeyFor(field, path);
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) {
    return clone(patch.filter((p) => !(isObj(p) && p.$patch === 'replace')));
  }
  if (!key) {
    if (PRIMITIVE_MERGE.has(field)) {
      const out = [...(original ?? [])];
      for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
      return out;
    }
    return clone(patch);
  }
  const out = (original ?? []).map((x) => clone(x));
  for (const p of patch) {
    if (!isObj(p)) {
      out.push(clone(p));
      continue;
    }
    const id = p[key];
    const idx = id === undefined ? -1 : out.findIndex((x) => isObj(x) && JSON.stringify(x[key]) === JSON.stringify(id));
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as Obj, p, [...path, field]);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      const { $patch: _d, ...rest } = p;
      out.push(mergeMap(undefined, rest, [...path, field]) ?? {});
    }
  }
  return out;
}

/** `$setElementOrder`: the listed elements first, in that order, then any others as they were. */
function applyOrder(field: string, list: Json[], order: Json[], path: string[]): Json[] {
  const key = mergeKeyFor(field, path);
  const idOf = (x: Json) => JSON.stringify(key && isObj(x) ? x[key] : x);
  const wanted = order.map(idOf);
  const ranked = list.map((x, i) => ({ x, i, r: wanted.indexOf(idOf(x)) }));
  ranked.sort((a, b) => (a.r < 0 ? Infinity : a.r) - (b.r < 0 ? Infinity : b.r) || a.i - b.i);
  return ranked.map((e) => e.x);
}

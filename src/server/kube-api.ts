// The Kubernetes REST API over a Store: the paths, verbs, query parameters, content types and error
// bodies that kubectl and @kubernetes/client-node use.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, isApiError } from '../model/errors.js';
import type { KindInfo, KindRegistry } from '../model/kinds.js';
import { apiVersionOf } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import { parseFieldSelector, parseLabelSelector } from '../model/selectors.js';
import { readPodLogs } from '../node/index.js';
import { takeStoredJson } from '../store/base-store.js';
import { jsonPatch, mergePatch } from '../store/patch.js';
import type { DeleteOptions, PropagationPolicy, Store, WatchEvent, WriteOptions } from '../store/types.js';
import { apiGroup, apiGroupList, coreApiVersions, resourceList } from './discovery.js';
import { type Query, boolParam, intParam, parseBody, readBody, sendJson, sendJsonText, toApiError, writeLine } from './http.js';
import type { Metrics } from './metrics.js';
import { strategicMergePatch } from './strategic.js';
import { toTable, wantsTable } from './table.js';

export interface KubeApiOptions {
  store: Store;
  /** Where the node agent keeps pod logs; without it the `log` subresource answers 503. */
  dataDir?: string;
  metrics?: Metrics;
}

interface Target {
  info: KindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const PATCH_TYPES: Record<string, 'json' | 'merge' | 'strategic' | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

const ACCEPTED_PATCH = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';
const ACCEPTED_PATCH_BUILTIN = `${ACCEPTED_PATCH}, application/strategic-merge-patch+json`;

/** Kinds served by Kubernetes itself (strategic merge applies); CRD-like kinds answer 415 to it. */
const isBuiltin = (info: KindInfo) => !info.group.includes('.') || info.group.endsWith('.k8s.io');

export class KubeApi {
  private readonly store: Store;
  private readonly kinds: KindRegistry;

  constructor(private readonly opts: KubeApiOptions) {
    this.store = opts.store;
    this.kinds = opts.store.kinds;
  }

  /** Returns false when the path is not a Kubernetes API path. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts[0] === 'api') {
      if (parts.length === 1) {
        sendJson(res, 200, coreApiVersions(req.headers.host ?? '127.0.0.1'));
        return true;
      }
      if (parts[1] !== 'v1') throw new ApiError('NotFound', `the server could not find the requested resource (API version "${parts[1]}" is not served; use v1)`);
      await this.route(req, res, url, '', 'v1', parts.slice(2), method);
      return true;
    }
    if (parts[0] === 'apis') {
      if (parts.length === 1) {
        sendJson(res, 200, apiGroupList(this.kinds));
        return true;
      }
      if (parts.length === 2) {
        const g = apiGroup(this.kinds, parts[1]);
        if (!g) throw new ApiError('NotFound', `the server could not find the requested resource (API group "${parts[1]}" is not served)`);
        sendJson(res, 200, g);
        return true;
      }
      await this.route(req, res, url, parts[1], parts[2], parts.slice(3), method);
      return true;
    }
    return false;
  }

  private resolveTarget(group: string, version: string, rest: string[]): Target | 'discovery' {
    if (rest.length === 0) return 'discovery';
    const lookup = (plural: string): KindInfo => {
      const info = this.kinds.forGroupResource(group, plural);
      if (!info) {
        const gv = group ? `${group}/${version}` : version;
        throw new ApiError('NotFound', `the server could not find the requested resource: no resource "${plural}" in ${gv}`);
      }
      if (info.version !== version) {
        throw new ApiError('NotFound', `the server could not find the requested resource: ${plural}.${group} is served at version ${info.version}, not ${version}`);
      }
      return info;
    };
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const candidate = this.kinds.forGroupResource(group, rest[2]);
      if (candidate || group !== '' || !['status', 'finalize'].includes(rest[2])) {
        const info = lookup(rest[2]);
        if (!info.namespaced) throw new ApiError('NotFound', `the server could not find the requested resource: ${rest[2]} is cluster-scoped (use /${group ? `apis/${group}` : 'api'}/${version}/${rest[2]})`);
        if (rest.length > 5) throw new ApiError('NotFound', 'the server could not find the requested resource');
        return { info, namespace: rest[1], name: rest[3], subresource: rest[4] };
      }
    }
    const info = lookup(rest[0]);
    if (rest.length > 3) throw new ApiError('NotFound', 'the server could not find the requested resource');
    if (info.namespaced && rest.length > 1) {
      throw new ApiError('NotFound', `the server could not find the requested resource: ${rest[0]} are namespaced (use .../namespaces/{namespace}/${rest[0]}/${rest[1]})`);
    }
    return { info, name: rest[1], subresource: rest[2] };
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, group: string, version: string, rest: string[], method: string): Promise<void> {
    const target = this.resolveTarget(group, version, rest);
    if (target === 'discovery') {
      const list = resourceList(this.kinds, group, version);
      if (!list) throw new ApiError('NotFound', `the server could not find the requested resource (${group ? `${group}/` : ''}${version} is not served)`);
      sendJson(res, 200, list);
      return;
    }
    const q = url.searchParams;
    const { info, namespace, name, subresource } = target;
    if (subresource && !(subresource === 'status' && info.statusSubresource) && !(subresource === 'log' && info.kind === 'Pod')) {
      throw new ApiError('NotFound', `the server could not find the requested resource: ${info.plural} has no subresource "${subresource}"`);
    }
    if (!name) {
      switch (method) {
        case 'GET':
          return q.get('watch') === 'true' || q.get('watch') === '1' ? this.watch(req, res, info, namespace, q) : this.list(req, res, info, namespace, q);
        case 'POST':
          return this.create(req, res, info, namespace, q);
        case 'DELETE':
          return this.deleteCollection(req, res, info, namespace, q);
        default:
          throw methodNotAllowed(method, info);
      }
    }
    if (subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed(method, info);
      return this.podLog(req, res, info, namespace!, name, q);
    }
    const wopts = (): WriteOptions => ({ ...(subresource === 'status' ? { subresource: 'status' as const } : {}), ...dryRun(q) });
    switch (method) {
      case 'GET':
        if (q.get('watch') === 'true') return this.watch(req, res, info, namespace, new URLSearchParams({ ...Object.fromEntries(q), fieldSelector: `metadata.name=${name}` }));
        return this.sendObject(req, res, 200, info, await this.store.get(info, namespace, name), q);
      case 'PUT':
        return this.update(req, res, info, namespace, name, q, wopts());
      case 'PATCH':
        return this.patch(req, res, info, namespace, name, q, wopts());
      case 'DELETE':
        if (subresource) throw methodNotAllowed(method, info);
        return this.delete(req, res, info, namespace, name, q);
      default:
        throw methodNotAllowed(method, info);
    }
  }

  private sendObject(req: IncomingMessage, res: ServerResponse, code: number, info: KindInfo, obj: KObject, q: Query): void {
    if (wantsTable(req.headers.accept)) sendJson(res, code, toTable(info, [obj], { resourceVersion: obj.metadata.resourceVersion }, q.get('includeObject')));
    else {
      // A write's result: the store may have the text it persisted (the same JSON, serialised once).
      const text = takeStoredJson(obj);
      if (text !== undefined) sendJsonText(res, code, text);
      else sendJson(res, code, obj);
    }
  }

  private async list(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, q: Query): Promise<void> {
    const list = await this.store.list(info, {
      namespace,
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      limit: intParam(q, 'limit'),
      continue: q.get('continue') ?? undefined,
    });
    if (wantsTable(req.headers.accept)) {
      sendJson(res, 200, toTable(info, list.items, list.metadata, q.get('includeObject')));
      return;
    }
    // Items in a list carry kind and apiVersion as the store has them (kubectl tolerates either).
    sendJson(res, 200, list);
  }

  private async watch(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, q: Query): Promise<void> {
    // Bad selectors are a 400 before the stream starts.
    parseLabelSelector(q.get('labelSelector') ?? undefined);
    parseFieldSelector(q.get('fieldSelector') ?? undefined);
    const rv = q.get('resourceVersion') || undefined;
    const bookmarks = boolParam(q, 'allowWatchBookmarks');
    const timeout = intParam(q, 'timeoutSeconds');
    const table = wantsTable(req.headers.accept);
    let lastRv = rv ?? '0';
    let headersWritten = false;
    let first = true;
    const buffered: WatchEvent[] = [];
    const encode = (ev: WatchEvent) => {
      if (!table) return ev;
      const t = toTable(info, [ev.object], { resourceVersion: ev.object.metadata.resourceVersion }, q.get('includeObject'));
      if (!first) delete t.columnDefinitions;
      first = false;
      return { type: ev.type, object: t };
    };
    const send = (ev: WatchEvent) => {
      lastRv = ev.object.metadata.resourceVersion ?? lastRv;
      if (table) writeLine(res, encode(ev));
      else res.write(watchLine(ev));
    };
    const startStream = () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
      res.flushHeaders();
      headersWritten = true;
    };
    let watch: { stop(): void } | undefined;
    try {
      watch = await this.store.watch(info, { namespace, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined, resourceVersion: rv }, (ev) => {
        if (headersWritten) send(ev);
        else buffered.push(ev);
      });
    } catch (err) {
      if (isApiError(err, 'Expired') || isApiError(err, 'Gone')) {
        startStream();
        writeLine(res, { type: 'ERROR', object: err.toStatus() });
        res.end();
        return;
      }
      throw err;
    }
    this.opts.metrics?.watchStarted();
    startStream();
    const bookmark = () => writeLine(res, { type: 'BOOKMARK', object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: lastRv } } });
    // A first bookmark tells a client at once that the watch from its resourceVersion is established.
    if (bookmarks && rv && rv !== '0') bookmark();
    for (const ev of buffered.splice(0)) send(ev);
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(bookmark, 30_000));
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearInterval(t);
      watch?.stop();
      this.opts.metrics?.watchEnded();
      if (!res.writableEnded) res.end();
    };
    if (timeout !== undefined && timeout > 0) timers.push(setTimeout(finish, timeout * 1000));
    req.on('close', finish);
    res.on('close', finish);
  }

  private async create(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, q: Query): Promise<void> {
    const obj = asObject(parseBody(await readBody(req), req.headers['content-type']), info);
    checkBodyTarget(obj, info, namespace);
    if (info.namespaced) obj.metadata.namespace ??= namespace;
    checkStructure(info, obj);
    const created = await this.store.create(obj, dryRun(q));
    this.sendObject(req, res, 201, info, created, q);
  }

  private async update(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, name: string, q: Query, opts: WriteOptions): Promise<void> {
    const obj = asObject(parseBody(await readBody(req), req.headers['content-type']), info);
    checkBodyTarget(obj, info, namespace);
    if (obj.metadata.name && obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    obj.metadata.name = name;
    if (info.namespaced) obj.metadata.namespace ??= namespace;
    checkStructure(info, obj);
    if (opts.dryRun) {
      const current = await this.store.get(info, namespace, name);
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw new ApiError('Conflict', `Operation cannot be fulfilled on ${info.plural}.${info.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      this.sendObject(req, res, 200, info, { ...obj, metadata: { ...current.metadata, ...obj.metadata } }, q);
      return;
    }
    this.sendObject(req, res, 200, info, await this.store.update(obj, opts), q);
  }

  private async patch(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, name: string, q: Query, opts: WriteOptions): Promise<void> {
    const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const type = PATCH_TYPES[ct];
    const accepted = isBuiltin(info) ? ACCEPTED_PATCH_BUILTIN : ACCEPTED_PATCH;
    if (!type || (type === 'strategic' && !isBuiltin(info))) {
      throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted}`);
    }
    const body = parseBody(await readBody(req), type === 'apply' ? 'application/yaml' : 'application/json', 'patch');
    if (type === 'json' || type === 'merge') {
      if (opts.dryRun) {
        const current = await this.store.get(info, namespace, name);
        const next = type === 'merge' ? (mergePatch(current, body) as KObject) : jsonPatch(current, body);
        this.sendObject(req, res, 200, info, next, q);
        return;
      }
      this.sendObject(req, res, 200, info, await this.store.patch(info, namespace, name, type, body, opts), q);
      return;
    }
    if (type === 'apply') {
      if (!q.get('fieldManager')) throw badRequest('PATCH requests with apply content type must specify a fieldManager (query parameter fieldManager=NAME)');
      const applied = asObject(body, info);
      if (applied.metadata.name && applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
      checkBodyTarget(applied, info, namespace);
      let exists = true;
      try {
        await this.store.get(info, namespace, name);
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
        exists = false;
      }
      if (!exists) {
        const obj = { ...applied, metadata: { ...applied.metadata, name, ...(info.namespaced ? { namespace } : {}) } };
        checkStructure(info, obj);
        this.sendObject(req, res, 201, info, await this.store.create(obj, opts), q);
        return;
      }
      const merge = (current: KObject) => (isBuiltin(info) ? strategicMergePatch(current, stripRv(applied)) : (mergePatch(current, stripRv(applied)) as KObject));
      this.sendObject(req, res, 200, info, await this.readModifyWrite(info, namespace, name, merge, applied.metadata.resourceVersion, opts), q);
      return;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('a strategic merge patch must be a JSON object');
    const wantRv = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    this.sendObject(req, res, 200, info, await this.readModifyWrite(info, namespace, name, (cur) => strategicMergePatch(cur, body), wantRv, opts), q);
  }

  /** Get, change, update; retried on Conflict unless the caller pinned a resourceVersion. */
  private async readModifyWrite(info: KindInfo, namespace: string | undefined, name: string, change: (cur: KObject) => KObject, wantRv: string | undefined, opts: WriteOptions): Promise<KObject> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(info, namespace, name);
      const next = change(current);
      next.metadata ??= {};
      next.metadata.resourceVersion = wantRv ?? current.metadata.resourceVersion;
      if (opts.dryRun) return next;
      try {
        return await this.store.update(next, opts);
      } catch (err) {
        if (wantRv || !isApiError(err, 'Conflict') || attempt >= 5) throw err;
      }
    }
  }

  private async delete(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, name: string, q: Query): Promise<void> {
    const opts = await deleteOptions(req, q);
    if (opts.dryRun) {
      this.sendObject(req, res, 200, info, await this.store.get(info, namespace, name), q);
      return;
    }
    const removed = await this.store.delete(info, namespace, name, opts);
    // Still present (finalizers): 202 Accepted, as the API server answers.
    sendJson(res, removed.metadata.deletionTimestamp && removed.metadata.finalizers?.length ? 202 : 200, removed);
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string | undefined, q: Query): Promise<void> {
    const opts = await deleteOptions(req, q);
    const list = await this.store.list(info, { namespace, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
    const items: KObject[] = [];
    for (const o of list.items) {
      if (opts.dryRun) items.push(o);
      else {
        try {
          items.push(await this.store.delete(info, o.metadata.namespace, o.metadata.name!, opts));
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
        }
      }
    }
    sendJson(res, 200, { ...list, items });
  }

  private async podLog(req: IncomingMessage, res: ServerResponse, info: KindInfo, namespace: string, name: string, q: Query): Promise<void> {
    const pod = await this.store.get(info, namespace, name);
    if (!this.opts.dataDir) throw new ApiError('ServiceUnavailable', 'pod logs are not available: this server runs without a node agent data directory');
    const containers = [
      ...((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []),
      ...((pod.spec as { initContainers?: { name: string }[] } | undefined)?.initContainers ?? []),
    ].map((c) => c.name);
    const container = q.get('container') || undefined;
    if (container && !containers.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}: choose one of [${containers.join(' ')}]`);
    }
    if (!container && containers.length > 1 && !containers.includes('main') && !pod.metadata.annotations?.['kubectl.kubernetes.io/default-container']) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    }
    const ac = new AbortController();
    req.on('close', () => ac.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    try {
      await readPodLogs(
        this.opts.dataDir,
        pod,
        {
          container,
          follow: boolParam(q, 'follow'),
          tailLines: intParam(q, 'tailLines'),
          sinceSeconds: intParam(q, 'sinceSeconds'),
          timestamps: boolParam(q, 'timestamps'),
          signal: ac.signal,
        },
        (text) => void res.write(text),
      );
    } catch (err) {
      res.write(`\nargosy: reading the log failed: ${toApiError(err).message}\n`);
    }
    res.end();
  }
}

const watchLines = new WeakMap<object, { type: string; line: string }>();

/**
 * One watch event as a JSON line. Every watcher of a change gets the same object, so the line is
 * made once per object and event type and shared: a write seen by 1,000 watches is serialised once,
 * not 1,000 times. (Objects in events are not changed after they are published.)
 */
function watchLine(ev: WatchEvent): string {
  const hit = watchLines.get(ev.object);
  if (hit && hit.type === ev.type) return hit.line;
  const line = JSON.stringify(ev) + '\n';
  watchLines.set(ev.object, { type: ev.type, line });
  return line;
}

function methodNotAllowed(method: string, info: KindInfo): ApiError {
  return new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${info.plural})`);
}

function dryRun(q: Query): { dryRun?: boolean } {
  const values = q.getAll('dryRun');
  if (!values.length) return {};
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return { dryRun: true };
}

async function deleteOptions(req: IncomingMessage, q: Query): Promise<DeleteOptions> {
  const buf = await readBody(req);
  const body = (buf.length && buf.toString().trim() ? parseBody(buf, 'application/json', 'DeleteOptions body') : {}) as {
    propagationPolicy?: string;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
  };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the DeleteOptions body must be a JSON object');
  const policy = q.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents || q.get('orphanDependents') === 'true' ? 'Orphan' : undefined);
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
  }
  const dry = [...q.getAll('dryRun'), ...(Array.isArray(body.dryRun) ? body.dryRun : [])];
  for (const v of dry) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return {
    ...(policy ? { propagationPolicy: policy as PropagationPolicy } : {}),
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
    ...(dry.length ? { dryRun: true } : {}),
  };
}

function asObject(body: unknown, info: KindInfo): KObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the request body must be a ${info.kind} object, not ${Array.isArray(body) ? 'a list' : typeof body}`);
  }
  // A freshly parsed body belongs to this request: no copy needed (the store copies what it keeps).
  const obj = body as KObject;
  obj.apiVersion ??= apiVersionOf(info);
  obj.kind ??= info.kind;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw new ApiError('Invalid', `${info.kind} is invalid: metadata: must be an object`, { kind: info.kind, group: info.group, causes: [{ field: 'metadata', message: 'must be an object', reason: 'FieldValueInvalid' }] });
  }
  return obj;
}

function checkBodyTarget(obj: KObject, info: KindInfo, namespace: string | undefined): void {
  if (obj.kind !== info.kind || obj.apiVersion !== apiVersionOf(info)) {
    throw badRequest(`the object's kind "${obj.apiVersion}, Kind=${obj.kind}" does not match the URL, which is for ${apiVersionOf(info)}, Kind=${info.kind}`);
  }
  if (info.namespaced && namespace && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
    throw badRequest(`the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${namespace})`);
  }
}

/** Structural checks the API server's schema would make: top-level sections must be objects. */
function checkStructure(info: KindInfo, obj: KObject): void {
  const causes = [];
  for (const field of ['spec', 'status', 'data']) {
    const v = obj[field];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      causes.push({ field, message: `Invalid value: ${JSON.stringify(v)}: ${field} must be an object`, reason: 'FieldValueInvalid' });
    }
  }
  if (info.kind === 'ConfigMap' && obj.data && typeof obj.data === 'object') {
    for (const [k, v] of Object.entries(obj.data as Record<string, unknown>)) {
      if (typeof v !== 'string') causes.push({ field: `data.${k}`, message: `Invalid value: ${JSON.stringify(v)}: must be a string`, reason: 'FieldValueInvalid' });
    }
  }
  if (causes.length) {
    const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
    const resource = info.group ? `${info.kind}.${info.group}` : info.kind;
    throw new ApiError('Invalid', `${resource} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name, kind: info.kind, group: info.group, causes });
  }
}

function stripRv(obj: KObject): KObject {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}


// Store semantics shared by every backend: validation, resourceVersions, optimistic concurrency,
// generation, status subresource, finalizers, ownerReference garbage collection and watch.
import { randomFillSync } from 'node:crypto';
import { setImmediate } from 'node:timers';
import { ApiError, alreadyExists, badRequest, conflict, notFound } from '../model/errors.js';
import { type KindInfo, KindRegistry, apiVersionOf, defaultKinds, resourceKey } from '../model/kinds.js';
import { validateMetadata } from '../model/meta.js';
import { type KObject, type ObjectList, clone, cloneForWrite, generateName, omittedFromJson, rfc3339, sameJson } from '../model/object.js';
import { FieldSelector, LabelSelector, parseFieldSelector, parseLabelSelector } from '../model/selectors.js';
import type { Backend, Tx } from './backend.js';
import { jsonPatch, mergePatch } from './patch.js';
import type {
  DeleteOptions,
  ListOptions,
  PatchType,
  Store,
  Watch,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';
import { type ChangeEvent, WatchHub } from './watch-hub.js';

const FOREGROUND = 'foregroundDeletion';

/** Kind-specific defaults applied on create, as the API server's strategies do. */
function defaultOnCreate(info: KindInfo, obj: KObject): void {
  if (info.statusSubresource) obj.status = info.kind === 'Pod' ? { phase: 'Pending' } : {};
  if (info.kind === 'Pod') {
    let spec = (obj.spec ?? {}) as Record<string, unknown>;
    if (spec.restartPolicy !== undefined && spec.terminationGracePeriodSeconds !== undefined) return;
    // A frozen spec (shared with the caller: see create) is copied before defaults go in.
    if (Object.isFrozen(spec)) spec = { ...spec };
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    obj.spec = spec;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const uidPool = Buffer.alloc(16 * 256);
let uidPoolAt = uidPool.length;

/**
 * A new object's uid: a version-7 UUID (RFC 9562), 48 bits of Unix milliseconds then 74 random bits.
 * Clients treat uids as opaque strings, as with Kubernetes' version-4 uids; starting with the time
 * makes new uids sort after old ones, so a store's uid index grows at its end instead of dirtying a
 * random page of the index on every create.
 */
export function newUid(now = Date.now()): string {
  if (uidPoolAt === uidPool.length) {
    randomFillSync(uidPool);
    uidPoolAt = 0;
  }
  const b = uidPool.subarray(uidPoolAt, uidPoolAt + 16);
  uidPoolAt += 16;
  const hi = Math.floor(now / 0x1000000); // top 24 of the 48 bits
  const lo = now % 0x1000000;
  b[0] = (hi >>> 16) & 0xff;
  b[1] = (hi >>> 8) & 0xff;
  b[2] = hi & 0xff;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  b[6] = 0x70 | (b[6] & 0x0f); // version 7
  b[8] = 0x80 | (b[8] & 0x3f); // variant 10
  return (
    HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + '-' + HEX[b[4]] + HEX[b[5]] + '-' + HEX[b[6]] + HEX[b[7]] + '-' +
    HEX[b[8]] + HEX[b[9]] + '-' + HEX[b[10]] + HEX[b[11]] + HEX[b[12]] + HEX[b[13]] + HEX[b[14]] + HEX[b[15]]
  );
}

const storedJson = new WeakMap<object, string>();
let noted: object[] = [];

/**
 * A backend that serialised `obj` to persist it records the text here, so that an HTTP reply can send
 * that text rather than serialising the object again. Notes last until the next turn of the event loop
 * (a reply is sent in the microtasks that follow the commit), so that objects kept by in-process
 * callers, such as an informer's cache, do not keep their text alive too.
 */
export function noteStoredJson(obj: object, text: string): void {
  storedJson.set(obj, text);
  if (noted.push(obj) === 1) {
    setImmediate(() => {
      for (const o of noted) storedJson.delete(o);
      noted = [];
    });
  }
}

/**
 * The JSON text the store persisted for `obj`, if it was noted in this turn of the event loop; taken
 * once. Otherwise undefined, and the caller serialises `obj` itself.
 */
export function takeStoredJson(obj: object): string | undefined {
  const text = storedJson.get(obj);
  if (text !== undefined) storedJson.delete(obj);
  return text;
}

/**
 * Whether the part of an object that drives `metadata.generation` (everything but the metadata, and
 * but the status when that is a subresource) is the same in both. Compared part by part (sameJson):
 * parts a writer shares with the stored version (a controller's spec, its finished nodes) cost nothing.
 */
function sameGeneration(info: KindInfo, a: KObject, b: KObject): boolean {
  const part = (o: KObject) => Object.keys(o).filter((k) => k !== 'metadata' && !(k === 'status' && info.statusSubresource) && !omittedFromJson(o[k]));
  const ka = part(a);
  const kb = part(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson(a[k], b[k]));
}

export class BaseStore implements Store {
  readonly hub: WatchHub;
  private readonly backendPublishes: boolean;

  constructor(
    protected readonly backend: Backend,
    readonly kinds: KindRegistry = defaultKinds,
    opts: { watchHistory?: number } = {},
  ) {
    this.hub = new WatchHub(opts.watchHistory);
    const recent = backend.recentEvents?.();
    if (recent) this.hub.seed(recent.events, recent.oldestRetainedRv);
    this.backendPublishes = typeof backend.attachHub === 'function';
    backend.attachHub?.((ev) => this.hub.publish(ev));
  }

  private publish(events: ChangeEvent[]): void {
    for (const ev of events) this.hub.publish(ev);
  }

  /** Run a transaction and publish its events once it has committed. */
  private async tx<T>(fn: (tx: Tx, emit: (ev: ChangeEvent) => Promise<void>) => Promise<T>): Promise<T> {
    const events: ChangeEvent[] = [];
    const result = await this.backend.transaction(async (tx) => {
      events.length = 0;
      return fn(tx, async (ev) => {
        await tx.recordEvent(ev);
        events.push(ev);
      });
    });
    if (!this.backendPublishes) this.publish(events);
    return result;
  }

  private nsKey(info: KindInfo, namespace: string | undefined): string {
    if (!info.namespaced) return '';
    if (!namespace) throw badRequest(`a namespace is required for ${info.plural}`);
    return namespace;
  }

  async create<T extends KObject>(input: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.kinds.forObject(input);
    // Frozen parts of the input are shared, not copied (nobody can change them): a controller that
    // hands over a frozen Pod spec saves copying it (cloneForWrite; metadata is always copied).
    const obj = cloneForWrite(input) as KObject;
    obj.apiVersion = apiVersionOf(info);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (meta.resourceVersion) {
      throw badRequest(`resourceVersion should not be set on objects to be created (${info.kind} "${meta.name ?? ''}")`);
    }
    if (!info.namespaced) delete meta.namespace;
    validateMetadata(info, obj, 'create');
    defaultOnCreate(info, obj);
    meta.uid = newUid();
    meta.creationTimestamp = rfc3339();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (opts.dryRun) {
      meta.name ||= generateName(meta.generateName ?? '');
      return obj as T;
    }
    const resource = resourceKey(info);
    const ns = this.nsKey(info, meta.namespace);
    return this.tx(async (tx, emit) => {
      if (!meta.name) {
        // Kubernetes retries a generated name that collides; so do we.
        for (let attempt = 0; ; attempt++) {
          const candidate = generateName(meta.generateName ?? '');
          if (!(await tx.get(resource, ns, candidate))) {
            meta.name = candidate;
            break;
          }
          if (attempt > 8) throw alreadyExists(info.plural, candidate, info.group);
        }
      } else if (await tx.get(resource, ns, meta.name)) {
        throw alreadyExists(info.plural, meta.name, info.group);
      }
      const rv = await tx.nextResourceVersion();
      meta.resourceVersion = String(rv);
      await tx.put(resource, obj, undefined);
      await emit({ rv, type: 'ADDED', resource, object: obj });
      return obj as T;
    });
  }

  async get<T extends KObject = KObject>(info: KindInfo, namespace: string | undefined, name: string): Promise<T> {
    const ns = this.nsKey(info, namespace);
    const obj = await this.backend.transaction((tx) => tx.get(resourceKey(info), ns, name));
    if (!obj) throw notFound(info.plural, name, info.group);
    return obj as T;
  }

  async list<T extends KObject = KObject>(info: KindInfo, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const match = this.matcher(info, opts);
    const ns = info.namespaced ? opts.namespace || undefined : undefined;
    const after = opts.continue ? decodeContinue(opts.continue) : undefined;
    const { items, rv } = await this.backend.transaction(async (tx) => ({
      items: await tx.list(resourceKey(info), ns),
      rv: await this.backend.currentResourceVersion(),
    }));
    let selected = items.filter(match);
    if (after !== undefined) selected = selected.filter((o) => itemKey(o) > after);
    const meta: ObjectList['metadata'] = { resourceVersion: String(rv) };
    if (opts.limit && opts.limit > 0 && selected.length > opts.limit) {
      meta.remainingItemCount = selected.length - opts.limit;
      selected = selected.slice(0, opts.limit);
      meta.continue = encodeContinue(itemKey(selected[selected.length - 1]));
    }
    return { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata: meta, items: selected as T[] };
  }

  private matcher(info: KindInfo, opts: { namespace?: string; labelSelector?: string | LabelSelector; fieldSelector?: string | FieldSelector }) {
    const labels = opts.labelSelector instanceof LabelSelector ? opts.labelSelector : parseLabelSelector(opts.labelSelector);
    const fields = opts.fieldSelector instanceof FieldSelector ? opts.fieldSelector : parseFieldSelector(opts.fieldSelector);
    for (const r of fields.requirements) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !(r.field in info.fields)) {
        throw badRequest(`field label not supported: ${r.field} (for ${info.plural}: metadata.name, metadata.namespace${Object.keys(info.fields).map((f) => ', ' + f).join('')})`);
      }
    }
    const ns = info.namespaced ? opts.namespace : undefined;
    return (obj: KObject): boolean => {
      if (ns && obj.metadata.namespace !== ns) return false;
      if (!labels.isEmpty() && !labels.matches(obj.metadata.labels)) return false;
      if (!fields.isEmpty()) {
        return fields.matches((f) =>
          f === 'metadata.name' ? obj.metadata.name : f === 'metadata.namespace' ? obj.metadata.namespace : info.fields[f](obj),
        );
      }
      return true;
    };
  }

  async update<T extends KObject>(input: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.kinds.forObject(input);
    const name = input.metadata?.name;
    if (!name) throw new ApiError('Invalid', `${info.kind} is invalid: metadata.name: Required value`);
    const ns = this.nsKey(info, input.metadata.namespace);
    return this.tx(async (tx, emit) => {
      const current = await tx.get(resourceKey(info), ns, name);
      if (!current) throw notFound(info.plural, name, info.group);
      return (await this.applyUpdate(tx, emit, info, current, cloneForWrite(input), opts)) as T;
    });
  }

  async patch<T extends KObject = KObject>(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<T> {
    const ns = this.nsKey(info, namespace);
    return this.tx(async (tx, emit) => {
      const current = await tx.get(resourceKey(info), ns, name);
      if (!current) throw notFound(info.plural, name, info.group);
      let next: KObject;
      if (type === 'json') next = jsonPatch(current, patch);
      else if (type === 'merge') {
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
          throw badRequest('a merge patch must be a JSON object');
        }
        next = clone(mergePatch(current, patch)) as KObject;
      } else {
        throw new ApiError(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
      // A patch that names a resourceVersion is a precondition; one that does not always applies.
      const patchedRv = (patch as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
      if (type === 'merge' && !patchedRv) next.metadata.resourceVersion = current.metadata.resourceVersion;
      if (type === 'json' && next.metadata?.resourceVersion === undefined) next.metadata.resourceVersion = current.metadata.resourceVersion;
      return (await this.applyUpdate(tx, emit, info, current, next, opts)) as T;
    });
  }

  /** The heart of update and patch: preconditions, immutable fields, generation, finalizers. */
  private async applyUpdate(
    tx: Tx,
    emit: (ev: ChangeEvent) => Promise<void>,
    info: KindInfo,
    current: KObject,
    next: KObject,
    opts: WriteOptions,
  ): Promise<KObject> {
    const name = current.metadata.name!;
    const wantRv = next.metadata?.resourceVersion;
    if (wantRv && wantRv !== current.metadata.resourceVersion) {
      throw conflict(info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', info.group);
    }
    if (next.metadata?.uid && next.metadata.uid !== current.metadata.uid) {
      throw conflict(info.plural, name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${current.metadata.uid}`, info.group);
    }
    let updated: KObject;
    const statusOnly = opts.subresource === 'status';
    if (statusOnly) {
      // Everything but the status is the stored object's: share those (read-only) parts, copy the rest.
      updated = { ...current, metadata: { ...current.metadata }, status: clone(next.status) };
    } else {
      updated = next;
      updated.apiVersion = apiVersionOf(info);
      updated.kind = info.kind;
      if (info.statusSubresource) updated.status = clone(current.status);
      const m = updated.metadata;
      const c = current.metadata;
      m.uid = c.uid;
      m.creationTimestamp = c.creationTimestamp;
      m.namespace = c.namespace;
      m.name = c.name;
      m.generation = c.generation;
      if (c.deletionTimestamp) {
        m.deletionTimestamp = c.deletionTimestamp;
        m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      if (!info.namespaced) delete m.namespace;
      if (c.deletionTimestamp) {
        const added = (m.finalizers ?? []).filter((f) => !(c.finalizers ?? []).includes(f));
        if (added.length) {
          throw new ApiError('Forbidden', `${info.plural} "${name}" is being deleted: no new finalizers can be added (${added.join(', ')})`);
        }
      }
      validateMetadata(info, updated, 'update');
      delete m.generateName;
      if (c.generateName) m.generateName = c.generateName;
    }
    updated.metadata.resourceVersion = current.metadata.resourceVersion;
    // Compared part by part (metadata, what the generation counts, the status if it is a subresource),
    // without serialising: a big object's unchanged parts are the stored ones (see sameJson).
    const sameGen = statusOnly && info.statusSubresource ? true : sameGeneration(info, updated, current);
    const sameStatus = !info.statusSubresource || sameJson(updated.status, current.status);
    if (sameGen && sameStatus && sameJson(updated.metadata, current.metadata)) return current; // a no-op write changes nothing, as in Kubernetes
    if (!sameGen) updated.metadata.generation = (current.metadata.generation ?? 1) + 1;
    const resource = resourceKey(info);
    const rv = await tx.nextResourceVersion();
    updated.metadata.resourceVersion = String(rv);
    if (updated.metadata.deletionTimestamp && !(updated.metadata.finalizers ?? []).length) {
      await tx.remove(resource, updated);
      await emit({ rv, type: 'DELETED', resource, object: updated });
      await this.afterRemoval(tx, emit, updated);
      return updated;
    }
    await tx.put(resource, updated, current);
    await emit({ rv, type: 'MODIFIED', resource, object: updated, previous: current });
    return updated;
  }

  async delete<T extends KObject = KObject>(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T> {
    const ns = this.nsKey(info, namespace);
    return this.tx(async (tx, emit) => {
      const current = await tx.get(resourceKey(info), ns, name);
      if (!current) throw notFound(info.plural, name, info.group);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(info.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`, info.group);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(info.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`, info.group);
      }
      if (opts.dryRun) return current as T;
      return (await this.deleteInTx(tx, emit, info, current, opts.propagationPolicy ?? 'Background')) as T;
    });
  }

  private async deleteInTx(
    tx: Tx,
    emit: (ev: ChangeEvent) => Promise<void>,
    info: KindInfo,
    current: KObject,
    policy: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<KObject> {
    const resource = resourceKey(info);
    const uid = current.metadata.uid!;
    if (policy === 'Orphan') {
      for (const dep of await tx.dependents(uid)) {
        const copy = clone(dep.object);
        copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (!copy.metadata.ownerReferences.length) delete copy.metadata.ownerReferences;
        const rv = await tx.nextResourceVersion();
        copy.metadata.resourceVersion = String(rv);
        await tx.put(dep.resource, copy, dep.object);
        await emit({ rv, type: 'MODIFIED', resource: dep.resource, object: copy, previous: dep.object });
      }
    }
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !current.metadata.deletionTimestamp && (await tx.dependents(uid)).length) {
      finalizers.push(FOREGROUND);
    }
    if (finalizers.length) {
      if (current.metadata.deletionTimestamp && sameJson(finalizers, current.metadata.finalizers)) return current;
      const marked = clone(current);
      marked.metadata.deletionTimestamp ??= rfc3339();
      marked.metadata.deletionGracePeriodSeconds ??= 0;
      marked.metadata.finalizers = finalizers;
      const rv = await tx.nextResourceVersion();
      marked.metadata.resourceVersion = String(rv);
      await tx.put(resource, marked, current);
      await emit({ rv, type: 'MODIFIED', resource, object: marked, previous: current });
      if (finalizers.includes(FOREGROUND)) {
        for (const dep of await tx.dependents(uid)) {
          const depInfo = this.kinds.forObject(dep.object);
          await this.deleteInTx(tx, emit, depInfo, dep.object, 'Foreground');
        }
        return (await this.maybeFinishForeground(tx, emit, marked)) ?? marked;
      }
      return marked;
    }
    const rv = await tx.nextResourceVersion();
    const removed = clone(current);
    removed.metadata.resourceVersion = String(rv);
    await tx.remove(resource, removed);
    await emit({ rv, type: 'DELETED', resource, object: removed });
    await this.afterRemoval(tx, emit, removed);
    return removed;
  }

  /** Once an object is gone: collect its dependents, and let a foreground-deleting owner finish. */
  private async afterRemoval(tx: Tx, emit: (ev: ChangeEvent) => Promise<void>, removed: KObject): Promise<void> {
    const uid = removed.metadata.uid!;
    for (const dep of await tx.dependents(uid)) {
      const others = (dep.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      let ownerAlive = false;
      for (const r of others) if (await tx.getByUid(r.uid)) ownerAlive = true;
      if (ownerAlive) continue;
      const depInfo = this.kinds.forObject(dep.object);
      if (dep.object.metadata.deletionTimestamp && !(dep.object.metadata.finalizers ?? []).includes(FOREGROUND)) continue;
      await this.deleteInTx(tx, emit, depInfo, dep.object, 'Background');
    }
    for (const ref of removed.metadata.ownerReferences ?? []) {
      const owner = await tx.getByUid(ref.uid);
      if (owner && (owner.object.metadata.finalizers ?? []).includes(FOREGROUND)) {
        await this.maybeFinishForeground(tx, emit, owner.object);
      }
    }
  }

  private async maybeFinishForeground(tx: Tx, emit: (ev: ChangeEvent) => Promise<void>, owner: KObject): Promise<KObject | undefined> {
    if ((await tx.dependents(owner.metadata.uid!)).length) return undefined;
    const info = this.kinds.forObject(owner);
    const next = clone(owner);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
    return this.applyUpdate(tx, emit, info, owner, next, {});
  }

  async watch<T extends KObject = KObject>(
    info: KindInfo,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
  ): Promise<Watch> {
    const match = this.matcher(info, opts);
    const resource = resourceKey(info);
    let fromRv: number;
    let initial: KObject[] = [];
    if (!opts.resourceVersion || opts.resourceVersion === '0') {
      const listed = await this.backend.transaction(async (tx) => ({
        items: await tx.list(resource, info.namespaced ? opts.namespace || undefined : undefined),
        rv: await this.backend.currentResourceVersion(),
      }));
      initial = listed.items.filter(match);
      fromRv = listed.rv;
    } else {
      if (!/^\d+$/.test(opts.resourceVersion)) throw badRequest(`invalid resourceVersion "${opts.resourceVersion}": must be a number`);
      fromRv = Number(opts.resourceVersion);
    }
    const emit = (type: WatchEvent['type'], object: KObject) => onEvent({ type, object: object as T });
    let primed = false;
    const prime = () => {
      if (primed) return;
      primed = true;
      for (const obj of initial) if (!sub.stopped) emit('ADDED', obj);
      initial = [];
    };
    const sub = {
      resource,
      cursor: fromRv,
      stopped: false,
      deliver: (ev: ChangeEvent) => {
        prime();
        const now = match(ev.object);
        if (ev.type === 'MODIFIED' && ev.previous) {
          const before = match(ev.previous);
          if (now && before) emit('MODIFIED', ev.object);
          else if (now) emit('ADDED', ev.object);
          else if (before) emit('DELETED', ev.object);
        } else if (now) emit(ev.type, ev.object);
      },
    };
    queueMicrotask(prime); // queued before the hub's first flush, so existing objects come first
    const unsubscribe = this.hub.subscribe(sub);
    return { stop: unsubscribe };
  }

  async currentResourceVersion(): Promise<string> {
    return String(await this.backend.currentResourceVersion());
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

function itemKey(obj: KObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function encodeContinue(key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: key })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number; after?: string };
    if (parsed.v !== 1 || typeof parsed.after !== 'string') throw new Error('bad token');
    return parsed.after;
  } catch {
    throw badRequest(`invalid continue token "${token}": pass the metadata.continue value of the previous page unchanged`);
  }
}

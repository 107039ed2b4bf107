// In-memory backend: for tests and `argosy run`. Objects are stored frozen and handed out without
// copying; a write replaces the stored object with a new frozen one.
import { type KindRegistry, defaultKinds } from '../model/kinds.js';
import { type KObject, deepFreeze } from '../model/object.js';
import { type Backend, Mutex, type Tx } from './backend.js';
import { BaseStore } from './base-store.js';

type Key = string; // `${namespace}/${name}`

const keyOf = (namespace: string, name: string): Key => `${namespace}/${name}`;
const objKey = (obj: KObject): Key => keyOf(obj.metadata.namespace ?? '', obj.metadata.name!);

class MemoryBackend implements Backend {
  private resources = new Map<string, Map<Key, KObject>>();
  private byUid = new Map<string, { resource: string; key: Key }>();
  private owners = new Map<string, Set<string>>(); // owner uid → `${resource}|${key}`
  private rv = 0;
  private mutex = new Mutex();

  private table(resource: string): Map<Key, KObject> {
    let t = this.resources.get(resource);
    if (!t) this.resources.set(resource, (t = new Map()));
    return t;
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      // Writes go to a journal applied only on success, so a failed transaction changes nothing.
      const journal: { op: 'put' | 'remove'; resource: string; obj: KObject; previous?: KObject }[] = [];
      const overlay = new Map<string, KObject | null>();
      const startRv = this.rv;
      const read = (resource: string, key: Key): KObject | undefined => {
        const o = overlay.get(`${resource}|${key}`);
        if (o !== undefined) return o ?? undefined;
        return this.resources.get(resource)?.get(key);
      };
      const tx: Tx = {
        get: async (resource, namespace, name) => read(resource, keyOf(namespace, name)),
        getByUid: async (uid) => {
          for (const j of journal) if (j.obj.metadata.uid === uid) {
            const cur = read(j.resource, objKey(j.obj));
            return cur ? { resource: j.resource, object: cur } : undefined;
          }
          const loc = this.byUid.get(uid);
          if (!loc) return undefined;
          const obj = read(loc.resource, loc.key);
          return obj ? { resource: loc.resource, object: obj } : undefined;
        },
        list: async (resource, namespace) => {
          const merged = new Map(this.resources.get(resource) ?? []);
          for (const [k, v] of overlay) {
            const bar = k.indexOf('|');
            if (k.slice(0, bar) !== resource) continue;
            if (v) merged.set(k.slice(bar + 1), v);
            else merged.delete(k.slice(bar + 1));
          }
          const out: KObject[] = [];
          for (const [k, v] of merged) if (namespace === undefined || k.startsWith(namespace + '/')) out.push(v);
          return out.sort((a, b) => (objKey(a) < objKey(b) ? -1 : objKey(a) > objKey(b) ? 1 : 0));
        },
        put: async (resource, obj, previous) => {
          const frozen = deepFreeze(obj);
          overlay.set(`${resource}|${objKey(obj)}`, frozen);
          journal.push({ op: 'put', resource, obj: frozen, previous });
        },
        remove: async (resource, obj) => {
          overlay.set(`${resource}|${objKey(obj)}`, null);
          journal.push({ op: 'remove', resource, obj });
        },
        dependents: async (ownerUid) => {
          const out: { resource: string; object: KObject }[] = [];
          const seen = new Set<string>();
          const consider = (resource: string, key: Key) => {
            const id = `${resource}|${key}`;
            if (seen.has(id)) return;
            seen.add(id);
            const obj = read(resource, key);
            if (obj && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid)) out.push({ resource, object: obj });
          };
          for (const id of this.owners.get(ownerUid) ?? []) {
            const bar = id.indexOf('|');
            consider(id.slice(0, bar), id.slice(bar + 1));
          }
          for (const j of journal) if (j.op === 'put') consider(j.resource, objKey(j.obj));
          return out;
        },
        nextResourceVersion: async () => ++this.rv,
        recordEvent: async () => undefined,
      };
      try {
        const result = await fn(tx);
        for (const j of journal) this.apply(j.op, j.resource, j.obj, j.previous);
        return result;
      } catch (err) {
        this.rv = startRv;
        throw err;
      }
    });
  }

  private apply(op: 'put' | 'remove', resource: string, obj: KObject, previous?: KObject): void {
    const key = objKey(obj);
    const uid = obj.metadata.uid!;
    const id = `${resource}|${key}`;
    const old = previous ?? this.resources.get(resource)?.get(key);
    for (const r of old?.metadata.ownerReferences ?? []) this.owners.get(r.uid)?.delete(id);
    if (op === 'put') {
      this.table(resource).set(key, obj);
      this.byUid.set(uid, { resource, key });
      for (const r of obj.metadata.ownerReferences ?? []) {
        let set = this.owners.get(r.uid);
        if (!set) this.owners.set(r.uid, (set = new Set()));
        set.add(id);
      }
    } else {
      this.resources.get(resource)?.delete(key);
      this.byUid.delete(uid);
    }
  }

  async currentResourceVersion(): Promise<number> {
    return this.rv;
  }

  async close(): Promise<void> {}
}

export class MemoryStore extends BaseStore {
  constructor(kinds: KindRegistry = defaultKinds, opts: { watchHistory?: number } = {}) {
    super(new MemoryBackend(), kinds, opts);
  }
}

// The one contract test suite every Store backend must pass. Backends call `storeContract` from
// their own test file with a factory; the tests only use the public Store API.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../model/errors.js';
import { defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import type { Store, WatchEvent } from './types.js';

const pods = defaultKinds.forApiVersionKind('v1', 'Pod');
const cms = defaultKinds.forApiVersionKind('v1', 'ConfigMap');
const wfs = defaultKinds.forApiVersionKind('argoproj.io/v1alpha1', 'Workflow');

export function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>, ns = 'default'): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data };
}

function pod(name: string, ns = 'default'): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'main', image: 'alpine' }] } };
}

async function expectApiError(p: Promise<unknown>, reason: string, text?: RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.reason).toBe(reason);
    if (text) expect(e.message).toMatch(text);
    return e;
  }
  throw new Error(`expected ${reason}, but the call succeeded`);
}

/** Collects watch events and lets a test wait for a count without sleeping blindly. */
function collector() {
  const events: WatchEvent[] = [];
  let waiters: (() => void)[] = [];
  return {
    events,
    push(ev: WatchEvent) {
      events.push(ev);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
    async waitFor(n: number, ms = 5000): Promise<WatchEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} watch events, got ${events.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return events;
    },
  };
}

export function storeContract(name: string, factory: (opts: { watchHistory?: number }) => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const open = async (opts: { watchHistory?: number } = {}) => (store = await factory(opts));
    afterEach(async () => store?.close());

    describe('create and get', () => {
      it('assigns uid, resourceVersion, creationTimestamp and generation 1', async () => {
        await open();
        const created = await store.create(cm('a', { k: 'v' }));
        expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
        expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(created.metadata.generation).toBe(1);
        const got = await store.get(cms, 'default', 'a');
        expect(got).toEqual(created);
      });

      it('generates names with a 5-character suffix from Kubernetes alphabet', async () => {
        await open();
        const a = await store.create({ ...cm(''), metadata: { generateName: 'hello-', namespace: 'default' } });
        expect((a.metadata as { name?: string }).name).toMatch(/^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      });

      it('refuses a duplicate name with AlreadyExists (409)', async () => {
        await open();
        await store.create(cm('dup'));
        const err = await expectApiError(store.create(cm('dup')), 'AlreadyExists', /configmaps "dup" already exists/);
        expect(err.code).toBe(409);
      });

      it('refuses invalid names and labels, naming the field', async () => {
        await open();
        const e1 = await expectApiError(store.create(cm('Bad_Name')), 'Invalid', /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
        expect(e1.code).toBe(422);
        expect(e1.details?.causes?.[0].field).toBe('metadata.name');
        await expectApiError(store.create(cm('ok', {}, { 'bad key': 'v' })), 'Invalid', /metadata\.labels: Invalid value: "bad key"/);
        await expectApiError(store.create(cm('ok', {}, { k: '-bad-' })), 'Invalid', /a valid label must be an empty string/);
        await expectApiError(store.create({ ...cm('x'), metadata: { name: 'x' } } as KObject), 'Invalid', /metadata\.namespace: Required value/);
      });

      it('reports an unknown kind as NotFound and a missing object as NotFound (404)', async () => {
        await open();
        await expectApiError(store.create({ apiVersion: 'v1', kind: 'Banana', metadata: { name: 'b' } }), 'NotFound', /no kind "Banana"/);
        const e = await expectApiError(store.get(cms, 'default', 'nope'), 'NotFound', /configmaps "nope" not found/);
        expect(e.code).toBe(404);
      });

      it('stores cluster-scoped objects without a namespace', async () => {
        await open();
        const ns = await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } } as KObject);
        expect(ns.metadata.namespace).toBeUndefined();
        const nsKind = defaultKinds.resolve('ns');
        expect((await store.get(nsKind, undefined, 'team-a')).metadata.name).toBe('team-a');
      });
    });

    describe('list', () => {
      it('filters by namespace, label selector and field selector', async () => {
        await open();
        await store.create(cm('a', {}, { app: 'web', tier: 'front' }));
        await store.create(cm('b', {}, { app: 'web', tier: 'back' }));
        await store.create(cm('c', {}, { app: 'db' }));
        await store.create(cm('d', {}, { app: 'web' }, 'other'));
        const names = async (opts: Parameters<Store['list']>[1]) => (await store.list(cms, opts)).items.map((o) => o.metadata.name);
        expect(await names({ namespace: 'default' })).toEqual(['a', 'b', 'c']);
        expect(await names({})).toEqual(['a', 'b', 'c', 'd']);
        expect(await names({ namespace: 'default', labelSelector: 'app=web' })).toEqual(['a', 'b']);
        expect(await names({ namespace: 'default', labelSelector: 'app==web,tier!=back' })).toEqual(['a']);
        expect(await names({ namespace: 'default', labelSelector: 'tier in (front, back)' })).toEqual(['a', 'b']);
        expect(await names({ namespace: 'default', labelSelector: 'app notin (web)' })).toEqual(['c']);
        expect(await names({ namespace: 'default', labelSelector: 'tier' })).toEqual(['a', 'b']);
        expect(await names({ namespace: 'default', labelSelector: '!tier' })).toEqual(['c']);
        expect(await names({ fieldSelector: 'metadata.namespace=other' })).toEqual(['d']);
        expect(await names({ fieldSelector: 'metadata.name!=a', namespace: 'default' })).toEqual(['b', 'c']);
      });

      it('supports per-kind field selectors such as status.phase for Pods', async () => {
        await open();
        await store.create(pod('p1'));
        const p2 = await store.create(pod('p2'));
        await store.update({ ...p2, status: { phase: 'Running' } }, { subresource: 'status' });
        const running = await store.list(pods, { fieldSelector: 'status.phase=Running' });
        expect(running.items.map((p) => p.metadata.name)).toEqual(['p2']);
        await expectApiError(store.list(pods, { fieldSelector: 'spec.bogus=1' }), 'BadRequest', /field label not supported: spec\.bogus/);
        await expectApiError(store.list(cms, { labelSelector: 'a in (' }), 'BadRequest', /unable to parse requirement/);
      });

      it('pages with limit and continue, returning every item exactly once', async () => {
        await open();
        for (let i = 0; i < 25; i++) await store.create(cm(`item-${String(i).padStart(2, '0')}`));
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.list(cms, { namespace: 'default', limit: 10, continue: token });
          seen.push(...page.items.map((o) => o.metadata.name!));
          token = page.metadata.continue;
          pages++;
        } while (token);
        expect(pages).toBe(3);
        expect(seen).toHaveLength(25);
        expect(new Set(seen).size).toBe(25);
        await expectApiError(store.list(cms, { continue: 'garbage!' }), 'BadRequest', /invalid continue token/);
      });

      it('pages across namespaces whose names prefix each other', async () => {
        await open();
        for (const ns of ['a', 'a-b']) for (const n of ['x', 'y']) await store.create(cm(n, {}, undefined, ns));
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await store.list(cms, { limit: 1, continue: token });
          seen.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
          token = page.metadata.continue;
        } while (token);
        expect(seen.sort()).toEqual(['a-b/x', 'a-b/y', 'a/x', 'a/y']);
      });
    });

    describe('update and patch', () => {
      it('refuses a stale resourceVersion with Conflict and keeps the newer write', async () => {
        await open();
        const v1 = await store.create(cm('a', { n: '1' }));
        const v2 = await store.update({ ...v1, data: { n: '2' } });
        expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
        const e = await expectApiError(store.update({ ...v1, data: { n: '3' } }), 'Conflict', /the object has been modified/);
        expect(e.code).toBe(409);
        expect((await store.get(cms, 'default', 'a')).data).toEqual({ n: '2' });
      });

      it('never loses a write under concurrent read-modify-write with retries', async () => {
        await open();
        await store.create(cm('counter', { n: '0' }));
        const bump = async () => {
          for (;;) {
            const cur = await store.get(cms, 'default', 'counter');
            try {
              await store.update({ ...cur, data: { n: String(Number((cur.data as { n: string }).n) + 1) } });
              return;
            } catch (err) {
              if (!(err instanceof ApiError && err.reason === 'Conflict')) throw err;
            }
          }
        };
        await Promise.all(Array.from({ length: 40 }, bump));
        expect((await store.get(cms, 'default', 'counter')).data).toEqual({ n: '40' });
      });

      it('bumps generation on spec changes only; a no-op write keeps the resourceVersion', async () => {
        await open();
        const p = await store.create(pod('g'));
        const same = await store.update(p);
        expect(same.metadata.resourceVersion).toBe(p.metadata.resourceVersion);
        const labelled = await store.update({ ...p, metadata: { ...p.metadata, labels: { a: 'b' } } });
        expect(labelled.metadata.generation).toBe(1);
        const st = await store.update({ ...labelled, status: { phase: 'Running' } }, { subresource: 'status' });
        expect(st.metadata.generation).toBe(1);
        const spec = await store.update({ ...st, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
        expect(spec.metadata.generation).toBe(2);
      });

      it('keeps status and spec apart for kinds with a status subresource', async () => {
        await open();
        const p = await store.create(pod('s'));
        expect(p.status).toEqual({ phase: 'Pending' });
        const main = await store.update({ ...p, status: { phase: 'Failed' }, metadata: { ...p.metadata, labels: { x: 'y' } } });
        expect(main.status).toEqual({ phase: 'Pending' });
        expect(main.metadata.labels).toEqual({ x: 'y' });
        const st = await store.update({ ...main, status: { phase: 'Running' }, metadata: { ...main.metadata, labels: {} } }, { subresource: 'status' });
        expect(st.status).toEqual({ phase: 'Running' });
        expect(st.metadata.labels).toEqual({ x: 'y' });
      });

      it('applies merge and JSON patches; a failed JSON patch changes nothing', async () => {
        await open();
        await store.create(cm('p', { a: '1', b: '2' }));
        const merged = await store.patch(cms, 'default', 'p', 'merge', { data: { a: null, c: '3' } });
        expect(merged.data).toEqual({ b: '2', c: '3' });
        const jp = await store.patch(cms, 'default', 'p', 'json', [
          { op: 'test', path: '/data/b', value: '2' },
          { op: 'replace', path: '/data/b', value: '20' },
        ]);
        expect(jp.data).toEqual({ b: '20', c: '3' });
        await expectApiError(
          store.patch(cms, 'default', 'p', 'json', [
            { op: 'replace', path: '/data/c', value: '30' },
            { op: 'test', path: '/data/b', value: 'nope' },
          ]),
          'Invalid',
          /test operation failed/,
        );
        expect((await store.get(cms, 'default', 'p')).data).toEqual({ b: '20', c: '3' });
        const stale = await store.patch(cms, 'default', 'p', 'merge', { metadata: { resourceVersion: '1' }, data: { z: '1' } }).catch((e) => e);
        expect(stale).toBeInstanceOf(ApiError);
        expect((stale as ApiError).reason).toBe('Conflict');
      });
    });

    describe('delete, finalizers and garbage collection', () => {
      it('marks an object with finalizers and removes it when the last finalizer goes', async () => {
        await open();
        await store.create({ ...cm('f'), metadata: { name: 'f', namespace: 'default', finalizers: ['example.com/hold'] } });
        const marked = await store.delete(cms, 'default', 'f');
        expect(marked.metadata.deletionTimestamp).toBeDefined();
        const still = await store.get(cms, 'default', 'f');
        expect(still.metadata.deletionTimestamp).toBeDefined();
        await expectApiError(
          store.update({ ...still, metadata: { ...still.metadata, finalizers: ['example.com/hold', 'new'] } }),
          'Forbidden',
          /no new finalizers/,
        );
        await store.update({ ...still, metadata: { ...still.metadata, finalizers: [] } });
        await expectApiError(store.get(cms, 'default', 'f'), 'NotFound');
      });

      const family = async () => {
        const owner = await store.create(cm('owner'));
        const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: true };
        await store.create({ ...cm('child-1'), metadata: { name: 'child-1', namespace: 'default', ownerReferences: [ref] } });
        await store.create({ ...pod('child-2'), metadata: { name: 'child-2', namespace: 'default', ownerReferences: [ref] } });
        return owner;
      };

      it('deletes dependents in the background when the owner goes', async () => {
        await open();
        await family();
        await store.delete(cms, 'default', 'owner');
        await expectApiError(store.get(cms, 'default', 'owner'), 'NotFound');
        await expectApiError(store.get(cms, 'default', 'child-1'), 'NotFound');
        await expectApiError(store.get(pods, 'default', 'child-2'), 'NotFound');
      });

      it('keeps a foreground-deleted owner until its dependents are gone', async () => {
        await open();
        const owner = await family();
        const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! };
        await store.create({ ...cm('held'), metadata: { name: 'held', namespace: 'default', ownerReferences: [ref], finalizers: ['x/hold'] } });
        await store.delete(cms, 'default', 'owner', { propagationPolicy: 'Foreground' });
        const o = await store.get(cms, 'default', 'owner');
        expect(o.metadata.deletionTimestamp).toBeDefined();
        expect(o.metadata.finalizers).toContain('foregroundDeletion');
        await expectApiError(store.get(cms, 'default', 'child-1'), 'NotFound');
        const held = await store.get(cms, 'default', 'held');
        await store.update({ ...held, metadata: { ...held.metadata, finalizers: [] } });
        await expectApiError(store.get(cms, 'default', 'held'), 'NotFound');
        await expectApiError(store.get(cms, 'default', 'owner'), 'NotFound');
      });

      it('orphans dependents when asked', async () => {
        await open();
        await family();
        await store.delete(cms, 'default', 'owner', { propagationPolicy: 'Orphan' });
        const child = await store.get(cms, 'default', 'child-1');
        expect(child.metadata.ownerReferences).toBeUndefined();
      });

      it('checks delete preconditions', async () => {
        await open();
        await store.create(cm('pre'));
        await expectApiError(store.delete(cms, 'default', 'pre', { preconditions: { uid: 'x' } }), 'Conflict', /Precondition failed/);
        await store.get(cms, 'default', 'pre');
      });
    });

    describe('watch', () => {
      it('delivers ADDED, MODIFIED and DELETED in order, none skipped, from a resourceVersion', async () => {
        await open();
        const start = await store.currentResourceVersion();
        const c = collector();
        const w = await store.watch(cms, { resourceVersion: start }, (ev) => c.push(ev));
        const a = await store.create(cm('w', { n: '0' }));
        let cur = a;
        for (let i = 1; i <= 200; i++) cur = await store.update({ ...cur, data: { n: String(i) } });
        await store.delete(cms, 'default', 'w');
        const events = await c.waitFor(202);
        w.stop();
        expect(events[0].type).toBe('ADDED');
        expect(events.slice(1, 201).every((e, i) => e.type === 'MODIFIED' && (e.object.data as { n: string }).n === String(i + 1))).toBe(true);
        expect(events[201].type).toBe('DELETED');
        const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
        expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
      });

      it('resumes from a resourceVersion in the middle of history', async () => {
        await open();
        const a = await store.create(cm('r', { n: '0' }));
        const b = await store.update({ ...a, data: { n: '1' } });
        await store.update({ ...b, data: { n: '2' } });
        const c = collector();
        const w = await store.watch(cms, { resourceVersion: b.metadata.resourceVersion }, (ev) => c.push(ev));
        const events = await c.waitFor(1);
        await new Promise((r) => setTimeout(r, 20));
        w.stop();
        expect(events.map((e) => (e.object.data as { n: string }).n)).toEqual(['2']);
      });

      it('starts with ADDED for existing objects when no resourceVersion is given', async () => {
        await open();
        await store.create(cm('e1'));
        await store.create(cm('e2'));
        const c = collector();
        const w = await store.watch(cms, { namespace: 'default' }, (ev) => c.push(ev));
        await store.create(cm('e3'));
        const events = await c.waitFor(3);
        w.stop();
        expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:e1', 'ADDED:e2', 'ADDED:e3']);
      });

      it('turns objects leaving or entering a label selection into DELETED and ADDED', async () => {
        await open();
        const start = await store.currentResourceVersion();
        const c = collector();
        const w = await store.watch(cms, { resourceVersion: start, labelSelector: 'team=a' }, (ev) => c.push(ev));
        const o = await store.create(cm('l', {}, { team: 'a' }));
        const moved = await store.update({ ...o, metadata: { ...o.metadata, labels: { team: 'b' } } });
        await store.update({ ...moved, metadata: { ...moved.metadata, labels: { team: 'a' } } });
        await store.create(cm('other', {}, { team: 'b' }));
        const events = await c.waitFor(3);
        await new Promise((r) => setTimeout(r, 20));
        w.stop();
        expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
      });

      it('fails with Expired (410) when the resourceVersion is older than the kept history', async () => {
        await open({ watchHistory: 10 });
        let cur = await store.create(cm('h', { n: '0' }));
        for (let i = 0; i < 30; i++) cur = await store.update({ ...cur, data: { n: String(i) } });
        const e = await expectApiError(store.watch(cms, { resourceVersion: '1' }, () => {}), 'Expired', /too old resource version/);
        expect(e.code).toBe(410);
      });

      it('only sends events for the watched kind and namespace', async () => {
        await open();
        const start = await store.currentResourceVersion();
        const c = collector();
        const w = await store.watch(wfs, { resourceVersion: start, namespace: 'argo' }, (ev) => c.push(ev));
        await store.create(cm('noise'));
        await store.create({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'x', namespace: 'default' }, spec: {} });
        await store.create({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'y', namespace: 'argo' }, spec: {} });
        const events = await c.waitFor(1);
        await new Promise((r) => setTimeout(r, 20));
        w.stop();
        expect(events.map((e) => e.object.metadata.name)).toEqual(['y']);
      });
    });
  });
}

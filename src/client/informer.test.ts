import { describe, expect, it } from 'vitest';
import type { KObject } from '../model/object.js';
import { MemoryStore } from '../store/memory.js';
import { EmbeddedClient } from './embedded.js';
import { Informer } from './informer.js';
import { type Client, Kinds, type WatchHandlers } from './types.js';

const cm = (name: string, n = '0'): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { n } });
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('EmbeddedClient', () => {
  it('creates, gets, lists, patches and deletes through the store', async () => {
    const client = new EmbeddedClient(new MemoryStore());
    await client.create(cm('a'));
    expect((await client.get(Kinds.ConfigMap, 'a', 'default')).data).toEqual({ n: '0' });
    await client.patch(Kinds.ConfigMap, 'a', 'default', 'merge', { data: { n: '1' } });
    expect((await client.list(Kinds.ConfigMap, { namespace: 'default' })).items[0].data).toEqual({ n: '1' });
    await client.delete(Kinds.ConfigMap, 'a', 'default');
    expect((await client.list(Kinds.ConfigMap)).items).toHaveLength(0);
  });
});

describe('Informer', () => {
  it('lists, then follows changes with add/update/delete handlers and a cache', async () => {
    const client = new EmbeddedClient(new MemoryStore());
    await client.create(cm('pre'));
    const seen: string[] = [];
    const inf = new Informer(client, Kinds.ConfigMap, { namespace: 'default' }).on({
      add: (o) => seen.push(`add:${o.metadata.name}`),
      update: (_o, n) => seen.push(`update:${n.metadata.name}:${(n.data as { n: string }).n}`),
      delete: (o) => seen.push(`delete:${o.metadata.name}`),
    });
    await inf.start();
    expect(seen).toEqual(['add:pre']);
    const b = await client.create(cm('b'));
    await client.update({ ...b, data: { n: '1' } });
    await client.delete(Kinds.ConfigMap, 'pre', 'default');
    await until(() => seen.length === 4);
    expect(seen).toEqual(['add:pre', 'add:b', 'update:b:1', 'delete:pre']);
    expect(inf.get('b', 'default')?.data).toEqual({ n: '1' });
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['b']);
    inf.stop();
  });

  it('relists when the watch reports the resourceVersion is too old, without losing changes', async () => {
    const store = new MemoryStore(undefined, { watchHistory: 5 });
    const inner = new EmbeddedClient(store);
    let failNext = true;
    // A client whose first watch fails as "too old", the way a remote server answers 410.
    const client: Client = Object.assign(Object.create(inner) as Client, {
      watch: async (ref: typeof Kinds.ConfigMap, opts: object, h: WatchHandlers<KObject>) => {
        if (failNext) {
          failNext = false;
          let cur = await inner.create(cm('changed-meanwhile'));
          for (let i = 0; i < 10; i++) cur = await inner.update({ ...cur, data: { n: String(i) } });
          return inner.watch(ref, { ...opts, resourceVersion: '1' }, h);
        }
        return inner.watch(ref, opts, h);
      },
    });
    const inf = new Informer(client, Kinds.ConfigMap);
    await inf.start().catch(() => undefined);
    await until(() => inf.get('changed-meanwhile', 'default')?.data !== undefined);
    expect(inf.get('changed-meanwhile', 'default')?.data).toEqual({ n: '9' });
    inf.stop();
  });
});

// The remote client runs THE store contract suite: an HTTP server over a MemoryStore, a RemoteClient
// talking to it, and a thin adapter that presents the client as a Store.
import { afterAll, describe, expect, it } from 'vitest';
import type { KindInfo, KindRegistry } from '../model/kinds.js';
import { apiVersionOf, defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import { ApiServer } from '../server/server.js';
import { storeContract } from '../store/contract.suite.js';
import { MemoryStore } from '../store/memory.js';
import type { Store } from '../store/types.js';
import { ConnectionError, RemoteClient } from './remote.js';
import type { Client } from './types.js';

const ref = (k: KindInfo) => ({ apiVersion: apiVersionOf(k), kind: k.kind });

/** A Client seen as a Store (the contract suite speaks Store). */
export function clientAsStore(client: Client, kinds: KindRegistry, onClose: () => Promise<void>): Store {
  return {
    kinds,
    create: (obj, opts) => client.create(obj, opts),
    get: (kind, ns, name) => client.get(ref(kind), name, ns),
    list: (kind, opts) => client.list(ref(kind), opts),
    update: (obj, opts) => client.update(obj, opts),
    patch: (kind, ns, name, type, patch, opts) => client.patch(ref(kind), name, ns, type, patch, opts),
    delete: (kind, ns, name, opts) => client.delete(ref(kind), name, ns, opts),
    watch: (kind, opts, onEvent) => client.watch(ref(kind), opts, { onEvent }),
    currentResourceVersion: async () => (await client.list(ref(defaultKinds.resolve('namespaces')), { limit: 1 })).metadata.resourceVersion,
    close: onClose,
  };
}

async function remoteStore(opts: { watchHistory?: number }): Promise<Store> {
  const backing = new MemoryStore(defaultKinds, opts);
  const server = new ApiServer({ store: backing });
  const { url } = await server.listen(0, '127.0.0.1');
  const client = new RemoteClient({ server: url });
  return clientAsStore(client, defaultKinds, async () => {
    client.close();
    await server.close();
    await backing.close();
  });
}

storeContract('remote (HTTP)', remoteStore);

describe('RemoteClient specifics', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('reports an unreachable server as a ConnectionError naming the address', async () => {
    const client = new RemoteClient({ server: '127.0.0.1:1' });
    const err = await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/cannot reach the server at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('calls onClose when the server goes away mid-stream', async () => {
    const store = new MemoryStore(defaultKinds, { watchHistory: 5 });
    const server = new ApiServer({ store });
    const { url } = await server.listen(0);
    cleanups.push(() => server.close());
    const client = new RemoteClient({ server: url });
    const closed = new Promise<Error | undefined>((resolve) => {
      void client.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, {}, { onEvent: () => {}, onClose: resolve });
    });
    // Closing the server ends the stream: onClose is called (the informer then re-watches).
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    const err = await closed;
    if (err) expect(err.message).toMatch(/aborted|ECONNRESET|socket/);
  });

  it('sends the bearer token', async () => {
    const store = new MemoryStore();
    const server = new ApiServer({ store });
    let seen: string | undefined;
    const orig = server.handle.bind(server);
    server.handle = async (req, res) => {
      seen = req.headers.authorization;
      return orig(req, res);
    };
    const { url } = await server.listen(0);
    cleanups.push(() => server.close());
    const client = new RemoteClient({ server: url, token: 'abc' });
    await client.list({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(seen).toBe('Bearer abc');
  });

  it('keeps kind/object errors as ApiErrors with reason and code', async () => {
    const store = new MemoryStore();
    const server = new ApiServer({ store });
    const { url } = await server.listen(0);
    cleanups.push(() => server.close());
    const client = new RemoteClient({ server: url });
    const obj: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { a: 'b' } };
    await client.create(obj);
    const err = await client.create(obj).catch((e) => e);
    expect(err.reason).toBe('AlreadyExists');
    expect(err.code).toBe(409);
  });
});

// PostgresStore against a real PostgreSQL (env ARGOSY_TEST_PG, default postgres://postgres@127.0.0.1:5432/postgres).
// Every store gets its own schema (argosy_test_<random>_<n>), dropped when the file is done, so
// parallel runs do not collide. An unreachable server fails the run: CI is expected to start one.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../model/errors.js';
import { defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import { cm, storeContract } from './contract.suite.js';
import { PostgresStore } from './postgres.js';
import { duel, until } from './test-util.js';
import type { WatchEvent } from './types.js';

export const PG_URL = process.env.ARGOSY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const run = `argosy_test_${randomBytes(4).toString('hex')}`;
let n = 0;
const schemas: string[] = [];
const admin = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 5000 });
admin.on('error', () => undefined);

/** A fresh, empty schema name for this run. */
export function freshSchema(): string {
  const s = `${run}_${n++}`;
  schemas.push(s);
  return s;
}

beforeAll(async () => {
  try {
    await admin.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL} (${(err as Error).message}). ` +
        `Start it (e.g. \`pg_ctlcluster --skip-systemctl-redirect 15 main start\`) or point ARGOSY_TEST_PG at one.`,
    );
  }
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
  await admin.end();
});

const cms = defaultKinds.forApiVersionKind('v1', 'ConfigMap');

storeContract('postgres', async (opts) =>
  PostgresStore.open({ connectionString: PG_URL, schema: freshSchema(), watchHistory: opts.watchHistory, eventRetention: opts.watchHistory }),
);

function collector() {
  const events: WatchEvent[] = [];
  return {
    events,
    push: (ev: WatchEvent) => events.push(ev),
    async waitFor(count: number, ms = 10_000): Promise<WatchEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} watch events, got ${events.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return events;
    },
  };
}

const rvOf = (o: KObject) => Number(o.metadata.resourceVersion);
const open = (schema: string, extra: Parameters<typeof PostgresStore.open>[0] = {}) =>
  PostgresStore.open({ connectionString: PG_URL, schema, ...extra });

describe('PostgresStore across processes (two stores, one schema)', () => {
  it('a watcher on B sees A’s creates, updates and deletes in order', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    try {
      const c = collector();
      const w = await b.watch(cms, { resourceVersion: await b.currentResourceVersion() }, c.push);
      let cur = await a.create(cm('x', { n: '0' }));
      for (let i = 1; i <= 50; i++) cur = await a.update({ ...cur, data: { n: String(i) } });
      await a.delete(cms, 'default', 'x');
      const events = await c.waitFor(52);
      w.stop();
      expect(events.map((e) => e.type)).toEqual(['ADDED', ...Array(50).fill('MODIFIED'), 'DELETED']);
      expect(events.slice(1, 51).map((e) => (e.object.data as { n: string }).n)).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
      const rvs = events.map((e) => rvOf(e.object));
      expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
      expect(new Set(rvs).size).toBe(rvs.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('interleaved writes from both stores reach both hubs once each, in rv order', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    try {
      const start = await a.currentResourceVersion();
      const ca = collector();
      const cb = collector();
      const wa = await a.watch(cms, { resourceVersion: start }, ca.push);
      const wb = await b.watch(cms, { resourceVersion: start }, cb.push);
      const writer = async (s: PostgresStore, prefix: string) => {
        for (let i = 0; i < 30; i++) await s.create(cm(`${prefix}-${i}`));
      };
      await Promise.all([writer(a, 'a'), writer(b, 'b'), writer(a, 'c'), writer(b, 'd')]);
      const ea = await ca.waitFor(120);
      const eb = await cb.waitFor(120);
      await new Promise((r) => setTimeout(r, 50));
      wa.stop();
      wb.stop();
      expect(ea).toHaveLength(120);
      expect(eb).toHaveLength(120);
      const ra = ea.map((e) => rvOf(e.object));
      expect(ra).toEqual([...ra].sort((x, y) => x - y));
      expect(new Set(ra).size).toBe(120);
      expect(eb.map((e) => rvOf(e.object))).toEqual(ra);
      expect(ra[ra.length - 1]).toBe(Number(await b.currentResourceVersion()));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('concurrent read-modify-write from both stores loses nothing', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    try {
      await a.create(cm('counter', { n: '0' }));
      let conflicts = 0;
      const bump = async (s: PostgresStore) => {
        for (;;) {
          const cur = await s.get(cms, 'default', 'counter');
          try {
            await s.update({ ...cur, data: { n: String(Number((cur.data as { n: string }).n) + 1) } });
            return;
          } catch (err) {
            if (!(err instanceof ApiError && err.reason === 'Conflict')) throw err;
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: 60 }, (_, i) => bump(i % 2 ? a : b)));
      expect((await a.get(cms, 'default', 'counter')).data).toEqual({ n: '60' });
      expect((await b.get(cms, 'default', 'counter')).data).toEqual({ n: '60' });
      expect(conflicts).toBeGreaterThan(0); // the test did exercise conflicts
      // Both paths of the transaction protocol ran: optimistic, and locked after a serialization failure.
      expect(a.stats.serializationRetries + b.stats.serializationRetries).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a store opened later resumes a watch from the event log', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const first = await a.create(cm('r', { n: '0' }));
    let cur = first;
    for (let i = 1; i <= 5; i++) cur = await a.update({ ...cur, data: { n: String(i) } });
    await a.close();
    const b = await open(schema);
    try {
      const c = collector();
      const w = await b.watch(cms, { resourceVersion: first.metadata.resourceVersion }, c.push);
      const events = await c.waitFor(5);
      w.stop();
      expect(events.map((e) => (e.object.data as { n: string }).n)).toEqual(['1', '2', '3', '4', '5']);
    } finally {
      await b.close();
    }
  });

  it('compacts the event log and answers Expired for a resourceVersion older than it', async () => {
    const schema = freshSchema();
    const a = await open(schema, { eventRetention: 10, watchHistory: 10 });
    let cur = await a.create(cm('h', { n: '0' }));
    for (let i = 0; i < 40; i++) cur = await a.update({ ...cur, data: { n: String(i) } });
    await a.close();
    const [{ count }] = (await admin.query(`SELECT count(*)::int AS count FROM "${schema}".events`)).rows;
    expect(count).toBeLessThanOrEqual(12);
    const b = await open(schema, { eventRetention: 10, watchHistory: 10 });
    try {
      const err = await b.watch(cms, { resourceVersion: '2' }, () => {}).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).reason).toBe('Expired');
      const c = collector();
      const w = await b.watch(cms, { resourceVersion: String(rvOf(cur) - 3) }, c.push);
      expect((await c.waitFor(3)).map((e) => rvOf(e.object))).toEqual([rvOf(cur) - 2, rvOf(cur) - 1, rvOf(cur)]);
      w.stop();
    } finally {
      await b.close();
    }
  });
});

describe('PostgresStore connection loss', () => {
  it('fails operations with ServiceUnavailable when PostgreSQL is unreachable', async () => {
    const url = new URL(PG_URL);
    url.port = '1'; // nothing listens there
    const err = await PostgresStore.open({ connectionString: url.toString(), schema: freshSchema(), connectTimeoutMs: 2000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe('ServiceUnavailable');
    expect((err as ApiError).code).toBe(503);
    expect((err as ApiError).message).toMatch(/^PostgreSQL at 127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/);
  });

  it('reconnects the LISTEN connection and catches up from the event log, losing nothing', async () => {
    const schema = freshSchema();
    const appName = `argosy-test-${schema}`.slice(0, 60);
    const a = await open(schema);
    const b = await open(schema, { applicationName: appName, reconnectMinMs: 50, reconnectMaxMs: 400, pollIntervalMs: 0 });
    const warnings: string[] = [];
    b.onWarning = (m) => warnings.push(m);
    try {
      const c = collector();
      const w = await b.watch(cms, { resourceVersion: await b.currentResourceVersion() }, c.push);
      await a.create(cm('before'));
      await c.waitFor(1);
      // Kill every connection of store B, as a server restart would (57P01 admin_shutdown).
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
      expect(killed.rowCount).toBeGreaterThan(0);
      // Writes while B is not listening.
      for (let i = 0; i < 10; i++) await a.create(cm(`during-${i}`));
      const events = await c.waitFor(11);
      expect(events.map((e) => e.object.metadata.name)).toEqual(['before', ...Array.from({ length: 10 }, (_, i) => `during-${i}`)]);
      expect(warnings.some((m) => /LISTEN connection .* lost/.test(m))).toBe(true);
      expect(b.listening).toBe(true);
      // B's pool recovers too: its next operation gets a fresh connection.
      const mine = await b.create(cm('after'));
      expect(rvOf(mine)).toBeGreaterThan(rvOf(events[10].object));
      await c.waitFor(12);
      w.stop();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/** A TCP proxy in front of PostgreSQL that a test can take down and bring back, as an outage would. */
function pgProxy() {
  const target = new URL(PG_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  return {
    get url() {
      const u = new URL(PG_URL);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    get port() {
      return port;
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = net.createServer((down) => {
          const up = net.connect(Number(target.port || 5432), target.hostname);
          sockets.add(down).add(up);
          const kill = () => {
            down.destroy();
            up.destroy();
            sockets.delete(down);
            sockets.delete(up);
          };
          for (const s of [down, up]) s.on('error', kill).on('close', kill);
          down.pipe(up).pipe(down);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          port = (server!.address() as net.AddressInfo).port;
          resolve();
        });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        server ? server.close(() => resolve()) : resolve();
      }),
  };
}

describe('PostgresStore through an outage', () => {
  it('answers ServiceUnavailable while PostgreSQL is gone, then reconnects and catches up', async () => {
    const schema = freshSchema();
    const proxy = pgProxy();
    await proxy.start();
    const a = await open(schema);
    const b = await PostgresStore.open({ connectionString: proxy.url, schema, reconnectMinMs: 50, reconnectMaxMs: 200, pollIntervalMs: 0, connectTimeoutMs: 1000 });
    const warnings: string[] = [];
    b.onWarning = (m) => warnings.push(m);
    try {
      const c = collector();
      const w = await b.watch(cms, { resourceVersion: await b.currentResourceVersion() }, c.push);
      await a.create(cm('before'));
      await c.waitFor(1);
      await proxy.stop();
      const down = new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${proxy.port} is unreachable: `);
      for (const op of [() => b.create(cm('lost')), () => b.get(cms, 'default', 'before'), () => b.currentResourceVersion()]) {
        const err = await op().catch((e) => e);
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).reason).toBe('ServiceUnavailable');
        expect((err as ApiError).message).toMatch(down);
      }
      expect(b.listening).toBe(false);
      for (let i = 0; i < 10; i++) await a.create(cm(`during-${i}`));
      await new Promise((r) => setTimeout(r, 300)); // a few failed reconnects
      await proxy.start();
      const events = await c.waitFor(11);
      expect(events.map((e) => e.object.metadata.name)).toEqual(['before', ...Array.from({ length: 10 }, (_, i) => `during-${i}`)]);
      expect(b.listening).toBe(true);
      await b.create(cm('after'));
      await c.waitFor(12);
      await expect(a.get(cms, 'default', 'lost')).rejects.toThrow(/not found/);
      expect(warnings.some((m) => /LISTEN connection/.test(m))).toBe(true);
      w.stop();
    } finally {
      await a.close();
      await b.close();
      await proxy.stop();
    }
  });
});

describe('PostgresStore.patient() through an outage', () => {
  it('waits for the database instead of failing, reports the outage once and its end, then runs the reconnect hooks', async () => {
    const schema = freshSchema();
    const proxy = pgProxy();
    await proxy.start();
    const b = await PostgresStore.open({ connectionString: proxy.url, schema, reconnectMinMs: 50, reconnectMaxMs: 5000, pollIntervalMs: 0, connectTimeoutMs: 1000, retryUnavailableMs: 20_000 });
    const warnings: string[] = [];
    const infos: string[] = [];
    b.onWarning = (m) => warnings.push(m);
    b.onInfo = (m) => infos.push(m);
    let reconnects = 0;
    b.onReconnect(() => reconnects++);
    const patient = b.patient();
    try {
      await patient.create(cm('before'));
      await proxy.stop();
      // Direct calls still fail at once; patient ones wait.
      const t0 = Date.now();
      await expect(b.get(cms, 'default', 'before')).rejects.toThrow(/is unreachable/);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(b.unreachableSince).toBeGreaterThan(0);
      let settled = false;
      const write = patient.create(cm('during')).finally(() => (settled = true));
      const read = patient.get(cms, 'default', 'before');
      await new Promise((r) => setTimeout(r, 1500));
      expect(settled).toBe(false);
      await proxy.start();
      const [written, got] = await Promise.all([write, read]);
      expect(written.metadata.name).toBe('during');
      expect(got.metadata.name).toBe('before');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
      expect(b.unreachableSince).toBe(0);
      const outage = warnings.filter((m) => /is unreachable \(.*\); retrying until it is back/.test(m));
      expect(outage).toHaveLength(1);
      expect(infos.some((m) => /is reachable again after \d+\.\d s/.test(m))).toBe(true);
      const waited = Date.now();
      while (!reconnects && Date.now() - waited < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(reconnects).toBe(1);
      expect((await b.get(cms, 'default', 'during')).metadata.name).toBe('during');
    } finally {
      await b.close();
      await proxy.stop();
    }
  });

  it('gives up with ServiceUnavailable when the database stays away longer than retryUnavailableMs', async () => {
    const proxy = pgProxy();
    await proxy.start();
    const b = await PostgresStore.open({ connectionString: proxy.url, schema: freshSchema(), pollIntervalMs: 0, connectTimeoutMs: 1000, retryUnavailableMs: 800 });
    b.onWarning = () => undefined;
    try {
      await proxy.stop();
      const t0 = Date.now();
      const err = await b.patient().create(cm('never')).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).reason).toBe('ServiceUnavailable');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await b.close();
      await proxy.stop();
    }
  });
});

describe('LeaderElector over two PostgresStores', () => {
  it('one leads; when it stops, the other takes over after the lease expires', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    const d = duel(a, b, { releaseOnStop: false });
    const { a: ea, b: eb, log } = d;
    try {
      ea.start();
      eb.start();
      await until(() => ea.isLeader || eb.isLeader);
      await new Promise((r) => setTimeout(r, 400));
      expect(ea.isLeader !== eb.isLeader).toBe(true);
      const [leader, other] = ea.isLeader ? [ea, eb] : [eb, ea];
      await leader.stop();
      const t1 = Date.now();
      await until(() => other.isLeader);
      expect(Date.now() - t1).toBeGreaterThanOrEqual(800);
      const lease = await a.get(defaultKinds.forApiVersionKind('coordination.k8s.io/v1', 'Lease'), 'argo', 'controller');
      expect((lease.spec as { leaseTransitions: number }).leaseTransitions).toBe(1);
      expect(d.overlap()).toBe(false);
      expect(log).toHaveLength(3);
    } finally {
      await ea.stop();
      await eb.stop();
      await a.close();
      await b.close();
    }
  });
});

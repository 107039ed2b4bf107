// Store benchmark: creates/s and watch delivery latency for MemoryStore and SqliteStore, each beside
// the floor for its medium measured in the same run: a plain Map insert loop (memory) and raw
// better-sqlite3 inserts, one transaction per insert, WAL + synchronous=NORMAL as SqliteStore uses
// (SQLite). With etcd installed (Debian etcd-server), also etcd puts/s over its HTTP gateway.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dist, ensureBuilt, ensureTool, fmt, machine, median, quantile, table } from './lib.mjs';

ensureBuilt();
const { MemoryStore } = await import(dist('store/memory.js'));
const { SqliteStore } = await import(dist('store/sqlite.js'));

const N_MEM = Number(process.env.BENCH_STORE_N_MEM ?? 20_000);
const N_SQL = Number(process.env.BENCH_STORE_N_SQL ?? 5_000);
const N_LAT = Number(process.env.BENCH_STORE_N_LAT ?? 2_000);
const WATCHERS = 100;
const payload = 'x'.repeat(256);
const cm = (i, prefix = 'cm') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `${prefix}-${i}`, namespace: 'default', labels: { app: 'bench', shard: String(i % 16) } },
  data: { value: payload, index: String(i) },
});
const tmp = mkdtempSync(join(tmpdir(), 'argosy-bench-store-'));
const now = () => performance.now();

/** creates/s: sequential awaited creates, no watchers. */
async function storeCreates(store, n) {
  for (let i = 0; i < 200; i++) await store.create(cm(i, 'warm'));
  const t = now();
  for (let i = 0; i < n; i++) await store.create(cm(i));
  return n / ((now() - t) / 1000);
}

/** Latency from calling create() to the watch handler running, over n sequential creates. */
async function storeLatency(store, n, watchers) {
  const info = store.kinds.forApiVersionKind('v1', 'ConfigMap');
  const rv = await store.currentResourceVersion();
  const lat = [];
  let t0 = 0;
  let resolve;
  const handles = [];
  for (let w = 0; w < watchers; w++) {
    const last = w === watchers - 1;
    handles.push(
      await store.watch(info, { namespace: 'default', resourceVersion: rv }, (ev) => {
        if (last && ev.object.metadata.name.startsWith('lat-')) {
          lat.push(now() - t0);
          resolve();
        }
      }),
    );
  }
  for (let i = 0; i < n; i++) {
    const seen = new Promise((r) => (resolve = r));
    t0 = now();
    await store.create(cm(`${watchers}-${i}`, 'lat'));
    await seen;
  }
  for (const h of handles) h.stop();
  return { p50: median(lat), p99: quantile(lat, 0.99) };
}

// ---- references
function mapCreates(n) {
  const m = new Map();
  for (let i = 0; i < 200; i++) m.set(`default/warm-${i}`, structuredClone(cm(i, 'warm')));
  const t = now();
  // A copy per insert, as any store that owns its objects must make.
  for (let i = 0; i < n; i++) m.set(`default/cm-${i}`, structuredClone(cm(i)));
  return n / ((now() - t) / 1000);
}

async function mapLatency(n) {
  const m = new Map();
  const lat = [];
  let t0 = 0;
  for (let i = 0; i < n; i++) {
    t0 = now();
    await new Promise((resolve) => {
      m.set(`default/lat-${i}`, structuredClone(cm(i, 'lat')));
      queueMicrotask(() => {
        lat.push(now() - t0);
        resolve();
      });
    });
  }
  return { p50: median(lat), p99: quantile(lat, 0.99) };
}

function rawSqlite(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE objects (k TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO objects(k, data) VALUES (?, ?)');
  const put = (k, obj) => {
    db.exec('BEGIN IMMEDIATE');
    ins.run(k, JSON.stringify(obj));
    db.exec('COMMIT');
  };
  return { db, put };
}

function sqliteCreates(n) {
  const { db, put } = rawSqlite(join(tmp, 'raw-creates.db'));
  for (let i = 0; i < 200; i++) put(`default/warm-${i}`, cm(i, 'warm'));
  const t = now();
  for (let i = 0; i < n; i++) put(`default/cm-${i}`, cm(i));
  const rate = n / ((now() - t) / 1000);
  db.close();
  return rate;
}

async function sqliteLatency(n) {
  const { db, put } = rawSqlite(join(tmp, 'raw-lat.db'));
  const lat = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await new Promise((resolve) => {
      put(`default/lat-${i}`, cm(i, 'lat'));
      queueMicrotask(() => {
        lat.push(now() - t0);
        resolve();
      });
    });
  }
  db.close();
  return { p50: median(lat), p99: quantile(lat, 0.99) };
}

async function etcdPuts(n) {
  if (process.env.BENCH_SKIP_ETCD) return { skipped: 'BENCH_SKIP_ETCD set' };
  if (!ensureTool('etcd', 'etcd-server', 120)) return { skipped: 'etcd not installed (apt-get install etcd-server did not succeed in time)' };
  const dir = join(tmp, 'etcd');
  const port = 23790 + Math.floor(Math.random() * 100);
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn('etcd', ['--data-dir', dir, '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', `http://127.0.0.1:${port + 1000}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${port + 1000}`, '--initial-cluster', `default=http://127.0.0.1:${port + 1000}`], { stdio: 'ignore' });
  try {
    const b64 = (s) => Buffer.from(s).toString('base64');
    const put = async (k, v) => {
      const res = await fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(k), value: b64(v) }) });
      if (!res.ok) throw new Error(`etcd put: HTTP ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; ; i++) {
      try {
        await put('/ready', '1');
        break;
      } catch {
        if (i > 100) return { skipped: 'etcd did not start within 10 s' };
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (let i = 0; i < 100; i++) await put(`/registry/configmaps/default/warm-${i}`, JSON.stringify(cm(i, 'warm')));
    const t = now();
    for (let i = 0; i < n; i++) await put(`/registry/configmaps/default/cm-${i}`, JSON.stringify(cm(i)));
    return { rate: n / ((now() - t) / 1000) };
  } finally {
    proc.kill('SIGTERM');
  }
}

console.log(`store benchmark (${machine()}): ${N_MEM} memory / ${N_SQL} SQLite sequential creates of a ~400-byte ConfigMap; watch latency = create() call → handler, ${N_LAT} sequential creates`);

const memRate = await storeCreates(new MemoryStore(), N_MEM);
const mapRate = mapCreates(N_MEM);
const memLat1 = await storeLatency(new MemoryStore(), N_LAT, 1);
const memLatN = await storeLatency(new MemoryStore(), N_LAT, WATCHERS);
const mapLat = await mapLatency(N_LAT);

const sql1 = new SqliteStore(join(tmp, 'store-creates.db'));
const sqlRate = await storeCreates(sql1, N_SQL);
await sql1.close();
const rawRate = sqliteCreates(N_SQL);
const sql2 = new SqliteStore(join(tmp, 'store-lat.db'));
const sqlLat1 = await storeLatency(sql2, N_LAT, 1);
const sqlLatN = await storeLatency(sql2, N_LAT, WATCHERS);
await sql2.close();
const rawLat = await sqliteLatency(N_LAT);

const etcd = await etcdPuts(Math.min(N_SQL, 2000));

const rate = (x) => `${fmt(x)}/s`;
const ms = (x) => `${fmt(x)} ms`;
const rows = [
  { what: 'MemoryStore creates/s', ours: rate(memRate), ref: rate(mapRate), ratio: mapRate / memRate, refName: 'Map.set(structuredClone(obj)) loop' },
  { what: 'MemoryStore watch p50, 1 watcher', ours: ms(memLat1.p50), ref: ms(mapLat.p50), ratio: memLat1.p50 / mapLat.p50, refName: 'Map.set + queueMicrotask handler' },
  { what: 'MemoryStore watch p99, 1 watcher', ours: ms(memLat1.p99), ref: ms(mapLat.p99), ratio: memLat1.p99 / mapLat.p99, refName: 'same' },
  { what: `MemoryStore watch p50, ${WATCHERS} watchers`, ours: ms(memLatN.p50), ref: ms(mapLat.p50), ratio: memLatN.p50 / mapLat.p50, refName: 'same (1 handler)' },
  { what: `MemoryStore watch p99, ${WATCHERS} watchers`, ours: ms(memLatN.p99), ref: ms(mapLat.p99), ratio: memLatN.p99 / mapLat.p99, refName: 'same (1 handler)' },
  { what: 'SqliteStore creates/s', ours: rate(sqlRate), ref: rate(rawRate), ratio: rawRate / sqlRate, refName: 'better-sqlite3, WAL, 1 txn per INSERT' },
  { what: 'SqliteStore watch p50, 1 watcher', ours: ms(sqlLat1.p50), ref: ms(rawLat.p50), ratio: sqlLat1.p50 / rawLat.p50, refName: 'raw txn INSERT + queueMicrotask handler' },
  { what: 'SqliteStore watch p99, 1 watcher', ours: ms(sqlLat1.p99), ref: ms(rawLat.p99), ratio: sqlLat1.p99 / rawLat.p99, refName: 'same' },
  { what: `SqliteStore watch p50, ${WATCHERS} watchers`, ours: ms(sqlLatN.p50), ref: ms(rawLat.p50), ratio: sqlLatN.p50 / rawLat.p50, refName: 'same (1 handler)' },
  { what: `SqliteStore watch p99, ${WATCHERS} watchers`, ours: ms(sqlLatN.p99), ref: ms(rawLat.p99), ratio: sqlLatN.p99 / rawLat.p99, refName: 'same (1 handler)' },
];
if (etcd.rate) rows.push({ what: 'SqliteStore creates/s vs etcd', ours: rate(sqlRate), ref: rate(etcd.rate), ratio: etcd.rate / sqlRate, refName: 'etcd put over HTTP gateway (fsync per put)' });
table('store', rows);
if (etcd.skipped) console.log(`  etcd: skipped: ${etcd.skipped}`);
rmSync(tmp, { recursive: true, force: true });

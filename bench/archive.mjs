// Workflow archive: R synthetic completed Workflows (labels team=a|b|c and workflows.argoproj.io/phase,
// 5 namespaces, 5 name families, startedAt spread over a year, finishedAt 1 s–1 h later, a 2-node status)
// inserted through WorkflowArchive (dist/workflow/archive.js) into a temporary SQLite file, then filtered
// list queries through WorkflowArchive.list, limit 50:
//   label      labelSelector team=X
//   prefix     namespace ns-K + namePrefix FAMILY-D
//   time       minStartedAt/maxStartedAt, a random 7-day window
// each timed for the first page and for the next page (its `continue` token), Q times (p50/p99).
// Reference, same run, interleaved query by query: the same query written as raw SQL through better-sqlite3
// on the same file and table (json_extract for the label, LIKE for the prefix, keyset paging on
// finished_at/uid), parsing the 50 returned `data` documents as the class does.
// Inserts: WorkflowArchive.archive() (one prepared statement per call, as the class is written) grouped
// in transactions of B rows on the class's own connection; reference: one prepared INSERT of the same
// rows, same batches, into a second file.
// env: BENCH_ARCHIVE_ROWS=100000, BENCH_ARCHIVE_QUERIES=200, BENCH_ARCHIVE_BATCH=5000
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dist, ensureBuilt, fmt, machine, quantile, table } from './lib.mjs';

ensureBuilt();
const { WorkflowArchive } = await import(dist('workflow/archive.js'));

const ROWS = Number(process.env.BENCH_ARCHIVE_ROWS ?? 100_000);
const Q = Number(process.env.BENCH_ARCHIVE_QUERIES ?? 200);
const BATCH = Number(process.env.BENCH_ARCHIVE_BATCH ?? 5000);
const LIMIT = 50;
const tmp = mkdtempSync(join(tmpdir(), 'argosy-bench-archive-'));
const now = () => performance.now();

// deterministic PRNG so runs are comparable
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const TEAMS = ['a', 'b', 'c'];
const NSS = ['ns-0', 'ns-1', 'ns-2', 'ns-3', 'ns-4'];
const FAMILIES = ['build', 'etl', 'report', 'train', 'deploy'];
const YEAR_START = Date.parse('2025-11-24T00:00:00Z');
const YEAR_MS = 365 * 86_400_000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function synth(i) {
  const team = pick(TEAMS);
  const phase = rand() < 0.85 ? 'Succeeded' : rand() < 0.7 ? 'Failed' : 'Error';
  const start = YEAR_START + Math.floor(rand() * YEAR_MS);
  const finish = start + 1000 + Math.floor(rand() * 3_599_000);
  const name = `${pick(FAMILIES)}-${i}`;
  const uid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: pick(NSS), uid, creationTimestamp: iso(start), labels: { team, 'workflows.argoproj.io/phase': phase, 'workflows.argoproj.io/completed': 'true' } },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['true'] } }] },
    status: {
      phase,
      startedAt: iso(start),
      finishedAt: iso(finish),
      progress: '1/1',
      nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', templateName: 'main', phase, startedAt: iso(start), finishedAt: iso(finish) } },
    },
  };
}

console.log(`archive benchmark — ${machine()}; ${ROWS.toLocaleString('en-US')} rows, ${Q} queries per kind, limit ${LIMIT}`);

// ---- inserts
const wfs = Array.from({ length: ROWS }, (_, i) => synth(i));
const archPath = join(tmp, 'archive.db');
const arch = new WorkflowArchive(archPath);
// The class has no batch method; its connection is a (TypeScript-)private field, reachable from JS, so
// rows go through archive() inside one transaction per batch. Without it, one autocommit per row.
const conn = arch.db;
const txn = conn?.transaction ? conn.transaction((xs) => xs.forEach((w) => arch.archive(w))) : (xs) => xs.forEach((w) => arch.archive(w));
let t = now();
for (let i = 0; i < ROWS; i += BATCH) txn(wfs.slice(i, i + BATCH));
const oursInsertMs = now() - t;

const refInsertPath = join(tmp, 'raw-insert.db');
const rawIns = new Database(refInsertPath);
rawIns.pragma('journal_mode = WAL');
rawIns.exec(`CREATE TABLE archived_workflows (uid TEXT PRIMARY KEY, name TEXT NOT NULL, namespace TEXT NOT NULL, phase TEXT NOT NULL, started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL, labels TEXT NOT NULL, data TEXT NOT NULL);
  CREATE INDEX archived_workflows_finished ON archived_workflows (finished_at DESC, uid);
  CREATE INDEX archived_workflows_ns_name ON archived_workflows (namespace, name);
  CREATE INDEX archived_workflows_started ON archived_workflows (started_at);`);
const ins = rawIns.prepare('INSERT INTO archived_workflows VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
const rawTxn = rawIns.transaction((xs) => {
  for (const w of xs) ins.run(w.metadata.uid, w.metadata.name, w.metadata.namespace, w.status.phase, w.status.startedAt, w.status.finishedAt, JSON.stringify(w.metadata.labels), JSON.stringify(w));
});
t = now();
for (let i = 0; i < ROWS; i += BATCH) rawTxn(wfs.slice(i, i + BATCH));
const rawInsertMs = now() - t;
rawIns.close();
const dbBytes = statSync(archPath).size;

// ---- queries
const raw = new Database(archPath, { readonly: true });
const SEL = 'SELECT uid, finished_at, data FROM archived_workflows';
const ORDER = `ORDER BY finished_at DESC, uid ASC LIMIT ${LIMIT + 1}`;
const KEYSET = '(finished_at < ? OR (finished_at = ? AND uid > ?))';
const stmts = {
  label: [raw.prepare(`${SEL} WHERE json_extract(labels, '$.team') = ? ${ORDER}`), raw.prepare(`${SEL} WHERE json_extract(labels, '$.team') = ? AND ${KEYSET} ${ORDER}`)],
  prefix: [raw.prepare(`${SEL} WHERE namespace = ? AND name LIKE ? ESCAPE '\\' ${ORDER}`), raw.prepare(`${SEL} WHERE namespace = ? AND name LIKE ? ESCAPE '\\' AND ${KEYSET} ${ORDER}`)],
  time: [raw.prepare(`${SEL} WHERE started_at >= ? AND started_at <= ? ${ORDER}`), raw.prepare(`${SEL} WHERE started_at >= ? AND started_at <= ? AND ${KEYSET} ${ORDER}`)],
};
/** Raw page: rows → parsed objects without nodes (as the class returns), plus the keyset of the last. */
function rawPage(kind, params, after) {
  const rows = after ? stmts[kind][1].all(...params, after.f, after.f, after.u) : stmts[kind][0].all(...params);
  const page = rows.slice(0, LIMIT);
  const items = page.map((r) => {
    const w = JSON.parse(r.data);
    delete w.status.nodes;
    return w;
  });
  const last = page[page.length - 1];
  return { items, next: rows.length > LIMIT && last ? { f: last.finished_at, u: last.uid } : undefined };
}

const kinds = {
  label: () => {
    const team = pick(TEAMS);
    return { opts: { labelSelector: `team=${team}` }, params: [team] };
  },
  prefix: () => {
    const ns = pick(NSS);
    const prefix = `${pick(FAMILIES)}-${1 + Math.floor(rand() * 9)}`;
    return { opts: { namespace: ns, namePrefix: prefix }, params: [ns, `${prefix}%`] };
  },
  time: () => {
    const a = YEAR_START + Math.floor(rand() * (YEAR_MS - 7 * 86_400_000));
    const [lo, hi] = [iso(a), iso(a + 7 * 86_400_000)];
    return { opts: { minStartedAt: lo, maxStartedAt: hi }, params: [lo, hi] };
  },
};

const results = {};
const mismatches = [];
for (const [kind, gen] of Object.entries(kinds)) {
  const r = (results[kind] = { ours1: [], ours2: [], raw1: [], raw2: [], n1: 0 });
  for (let i = 0; i < Q; i++) {
    const { opts, params } = gen();
    // ours, page 1 and 2
    let a = now();
    const p1 = arch.list({ ...opts, limit: LIMIT });
    r.ours1.push(now() - a);
    let p2;
    if (p1.continue) {
      a = now();
      p2 = arch.list({ ...opts, limit: LIMIT, continue: p1.continue });
      r.ours2.push(now() - a);
    }
    // raw, page 1 and 2
    a = now();
    const q1 = rawPage(kind, params);
    r.raw1.push(now() - a);
    let q2;
    if (q1.next) {
      a = now();
      q2 = rawPage(kind, params, q1.next);
      r.raw2.push(now() - a);
    }
    r.n1 += p1.items.length;
    const same = (x, y) => (x?.items ?? []).map((w) => w.metadata.uid).join() === (y?.items ?? []).map((w) => w.metadata.uid).join();
    if ((!same(p1, q1) || !same(p2, q2)) && mismatches.length < 3) mismatches.push(`${kind} ${JSON.stringify(opts)}`);
  }
}
const plans = Object.fromEntries(Object.entries(stmts).map(([k, [s]]) => [k, raw.prepare(`EXPLAIN QUERY PLAN ${s.source}`).all(...(k === 'label' ? ['a'] : k === 'prefix' ? ['ns-0', 'etl-1%'] : ['2026-01-01', '2026-01-08'])).map((p) => p.detail).join('; ')]));
raw.close();
arch.close();
rmSync(tmp, { recursive: true, force: true });

const ms = (x) => fmt(x, 'ms');
const rows = [
  {
    what: `insert ${ROWS.toLocaleString('en-US')} archived workflows (batches of ${BATCH})`,
    ours: `${fmt((ROWS / oursInsertMs) * 1000)}/s (${fmt(oursInsertMs / 1000)} s)`,
    ref: `${fmt((ROWS / rawInsertMs) * 1000)}/s (${fmt(rawInsertMs / 1000)} s)`,
    ratio: oursInsertMs / rawInsertMs,
    refName: 'raw better-sqlite3 prepared INSERT, same batches',
    note: `archive.db ${fmt(dbBytes / 2 ** 20)} MiB (main file; WAL aside); ${conn?.transaction ? 'archive() calls inside db.transaction()' : 'one autocommit per archive() call'}`,
  },
];
const desc = { label: 'labelSelector team=X', prefix: 'namespace + namePrefix', time: 'startedAt 7-day window' };
for (const [kind, r] of Object.entries(results)) {
  for (const [pg, o, x] of [['page 1', r.ours1, r.raw1], ['page 2 (continue)', r.ours2, r.raw2]]) {
    rows.push({
      what: `list ${desc[kind]}, limit ${LIMIT}, ${pg}: p50 / p99 (n=${o.length})`,
      ours: `${ms(quantile(o, 0.5))} / ${ms(quantile(o, 0.99))}`,
      ref: `${ms(quantile(x, 0.5))} / ${ms(quantile(x, 0.99))}`,
      ratio: `${(quantile(o, 0.5) / quantile(x, 0.5)).toFixed(2)}× / ${(quantile(o, 0.99) / quantile(x, 0.99)).toFixed(2)}×`,
      refName: 'raw SQL via better-sqlite3, same file',
      ...(pg === 'page 1' ? { note: `avg ${fmt(r.n1 / Q)} items on page 1; raw plan: ${plans[kind]}` } : {}),
    });
  }
}
table(`Workflow archive: ${ROWS.toLocaleString('en-US')} rows in SQLite`, rows);
if (mismatches.length) console.log(`  WARNING: WorkflowArchive.list and raw SQL returned different pages for: ${mismatches.join('; ')}`);
else console.log('  every page returned by WorkflowArchive.list matched the raw SQL page (same uids, same order)');
process.exit(mismatches.length ? 1 : 0);

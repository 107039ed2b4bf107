// Workflow archive: R synthetic completed Workflows (labels team=a|b|c and workflows.argoproj.io/phase,
// 5 namespaces, 5 name families, startedAt spread over a year, finishedAt 1 s–1 h later, a 1-node status)
// inserted through the archive (dist/workflow/archive.js, archiveMany in batches of B), then filtered
// list queries through its list(), limit 50:
//   label      labelSelector team=X          (evaluated in SQL against the labels table)
//   prefix     namespace ns-K + namePrefix FAMILY-D
//   time       minStartedAt/maxStartedAt, a random 7-day window
// each timed for the first page and for the next page (its `continue` token), Q times (p50/p99).
// Reference, same run, interleaved query by query: the same query written as raw SQL on the same
// database and tables (EXISTS on the labels table for the label, a name range for the prefix, keyset
// paging on finished_at/uid, LIMIT 51), parsing the 50 returned `data` documents as the class does.
// Inserts, reference: the same rows and label rows with plain prepared INSERTs, same batches, into a
// second database with the same schema.
// Backends: SQLite (a temporary file, raw SQL through better-sqlite3) always; PostgreSQL as well when
// BENCH_ARCHIVE_PG is a postgres:// URL (a temporary schema, raw SQL through pg), e.g.
// BENCH_ARCHIVE_PG=postgres://postgres@127.0.0.1:5432/postgres.
// env: BENCH_ARCHIVE_ROWS=100000, BENCH_ARCHIVE_QUERIES=200, BENCH_ARCHIVE_BATCH=5000, BENCH_ARCHIVE_PG
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dist, ensureBuilt, fmt, machine, quantile, table } from './lib.mjs';

ensureBuilt();
const { SqliteWorkflowArchive } = await import(dist('workflow/archive.js'));
const { PostgresWorkflowArchive } = await import(dist('workflow/archive-postgres.js'));

const ROWS = Number(process.env.BENCH_ARCHIVE_ROWS ?? 100_000);
const Q = Number(process.env.BENCH_ARCHIVE_QUERIES ?? 200);
const BATCH = Number(process.env.BENCH_ARCHIVE_BATCH ?? 5000);
const PG_URL = process.env.BENCH_ARCHIVE_PG;
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
/** The archive stores times as toISOString(); raw SQL compares against that form. */
const stored = (ms) => new Date(ms).toISOString();

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

console.log(`archive benchmark — ${machine()}; ${ROWS.toLocaleString('en-US')} rows, ${Q} queries per kind, limit ${LIMIT}${PG_URL ? '; SQLite and PostgreSQL' : '; SQLite (set BENCH_ARCHIVE_PG for PostgreSQL too)'}`);
const wfs = Array.from({ length: ROWS }, (_, i) => synth(i));
const rowOf = (w) => [w.metadata.uid, w.metadata.name, w.metadata.namespace, w.status.phase, stored(Date.parse(w.status.startedAt)), stored(Date.parse(w.status.finishedAt)), JSON.stringify(w.metadata.labels), JSON.stringify(w)];

// The queries, drawn the same way for every backend (the PRNG is re-seeded per backend).
const kinds = {
  label: () => {
    const team = pick(TEAMS);
    return { opts: { labelSelector: `team=${team}` }, params: [team] };
  },
  prefix: () => {
    const ns = pick(NSS);
    const prefix = `${pick(FAMILIES)}-${1 + Math.floor(rand() * 9)}`;
    return { opts: { namespace: ns, namePrefix: prefix }, params: [ns, prefix, `${prefix}\u{10FFFF}`] };
  },
  time: () => {
    const a = YEAR_START + Math.floor(rand() * (YEAR_MS - 7 * 86_400_000));
    return { opts: { minStartedAt: iso(a), maxStartedAt: iso(a + 7 * 86_400_000) }, params: [stored(a), stored(a + 7 * 86_400_000)] };
  },
};

/** SQL text of the reference queries; `$` marks parameters (`?` for SQLite, `$n` for PostgreSQL). */
function refSql(t, ph) {
  let i = 0;
  const p = () => ph(++i);
  const SEL = `SELECT w.uid, w.finished_at, w.data FROM ${t.wf} w`;
  const ORDER = `ORDER BY w.finished_at DESC, w.uid ASC LIMIT ${LIMIT + 1}`;
  const out = {};
  for (const kind of Object.keys(kinds)) {
    out[kind] = [false, true].map((keyset) => {
      i = 0;
      const where =
        kind === 'label'
          ? [`EXISTS (SELECT 1 FROM ${t.labels} l WHERE l.uid = w.uid AND l.key = 'team' AND l.value = ${p()})`]
          : kind === 'prefix'
            ? [`w.namespace = ${p()}`, `w.name >= ${p()}`, `w.name < ${p()}`]
            : [`w.started_at >= ${p()}`, `w.started_at <= ${p()}`];
      if (keyset) {
        const [a, b, c] = [p(), p(), p()];
        where.push(`(w.finished_at < ${a} OR (w.finished_at = ${b} AND w.uid > ${c}))`);
      }
      return `${SEL} WHERE ${where.join(' AND ')} ${ORDER}`;
    });
  }
  return out;
}

/** One backend: `ours` is the archive; `raw` runs reference SQL (async) on the same tables. */
async function measure(label, ours, raw, insertRef, sizeNote, afterInsert = async () => {}) {
  const rows = [];
  let t = now();
  for (let i = 0; i < ROWS; i += BATCH) await ours.archiveMany(wfs.slice(i, i + BATCH));
  const oursInsertMs = now() - t;
  t = now();
  for (let i = 0; i < ROWS; i += BATCH) await insertRef(wfs.slice(i, i + BATCH));
  const rawInsertMs = now() - t;
  await afterInsert();
  rows.push({
    what: `insert ${ROWS.toLocaleString('en-US')} archived workflows (batches of ${BATCH})`,
    ours: `${fmt((ROWS / oursInsertMs) * 1000)}/s (${fmt(oursInsertMs / 1000)} s)`,
    ref: `${fmt((ROWS / rawInsertMs) * 1000)}/s (${fmt(rawInsertMs / 1000)} s)`,
    ratio: oursInsertMs / rawInsertMs,
    refName: `raw prepared INSERTs (rows + label rows), same batches`,
    note: `archiveMany(); ${sizeNote()}`,
  });

  async function rawPage(kind, params, after) {
    const rs = await raw(kind, after ? [...params, after.f, after.f, after.u] : params, !!after);
    const page = rs.slice(0, LIMIT);
    const items = page.map((r) => {
      const w = typeof r.data === 'string' ? JSON.parse(r.data) : r.data;
      delete w.status.nodes;
      return w;
    });
    const last = page[page.length - 1];
    return { items, next: rs.length > LIMIT && last ? { f: last.finished_at, u: last.uid } : undefined };
  }

  seed = 4242;
  const results = {};
  const mismatches = [];
  for (const [kind, gen] of Object.entries(kinds)) {
    const r = (results[kind] = { ours1: [], ours2: [], raw1: [], raw2: [], n1: 0 });
    for (let i = 0; i < Q; i++) {
      const { opts, params } = gen();
      let a = now();
      const p1 = await ours.list({ ...opts, limit: LIMIT });
      r.ours1.push(now() - a);
      let p2;
      if (p1.continue) {
        a = now();
        p2 = await ours.list({ ...opts, limit: LIMIT, continue: p1.continue });
        r.ours2.push(now() - a);
      }
      a = now();
      const q1 = await rawPage(kind, params);
      r.raw1.push(now() - a);
      let q2;
      if (q1.next) {
        a = now();
        q2 = await rawPage(kind, params, q1.next);
        r.raw2.push(now() - a);
      }
      r.n1 += p1.items.length;
      const same = (x, y) => (x?.items ?? []).map((w) => w.metadata.uid).join() === (y?.items ?? []).map((w) => w.metadata.uid).join();
      if ((!same(p1, q1) || !same(p2, q2)) && mismatches.length < 3) mismatches.push(`${kind} ${JSON.stringify(opts)}`);
    }
  }
  const ms = (x) => fmt(x, 'ms');
  const desc = { label: 'labelSelector team=X', prefix: 'namespace + namePrefix', time: 'startedAt 7-day window' };
  for (const [kind, r] of Object.entries(results)) {
    for (const [pg, o, x] of [['page 1', r.ours1, r.raw1], ['page 2 (continue)', r.ours2, r.raw2]]) {
      rows.push({
        what: `list ${desc[kind]}, limit ${LIMIT}, ${pg}: p50 / p99 (n=${o.length})`,
        ours: `${ms(quantile(o, 0.5))} / ${ms(quantile(o, 0.99))}`,
        ref: `${ms(quantile(x, 0.5))} / ${ms(quantile(x, 0.99))}`,
        ratio: `${(quantile(o, 0.5) / quantile(x, 0.5)).toFixed(2)}× / ${(quantile(o, 0.99) / quantile(x, 0.99)).toFixed(2)}×`,
        refName: 'raw SQL, same tables',
        ...(pg === 'page 1' ? { note: `avg ${fmt(r.n1 / Q)} items on page 1` } : {}),
      });
    }
  }
  table(`Workflow archive: ${ROWS.toLocaleString('en-US')} rows in ${label}`, rows);
  if (mismatches.length) console.log(`  WARNING: list() and raw SQL returned different pages for: ${mismatches.join('; ')}`);
  else console.log('  every page returned by list() matched the raw SQL page (same uids, same order)');
  return mismatches.length;
}

let failures = 0;

// ---- SQLite
{
  const archPath = join(tmp, 'archive.db');
  const arch = new SqliteWorkflowArchive(archPath);
  // The reference database: the same schema (made by the class), written with plain INSERTs.
  const refPath = join(tmp, 'raw-insert.db');
  await new SqliteWorkflowArchive(refPath).close();
  const rawIns = new Database(refPath);
  const ins = rawIns.prepare('INSERT INTO archived_workflows VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insLabel = rawIns.prepare('INSERT INTO archived_workflow_labels VALUES (?, ?, ?)');
  const rawTxn = rawIns.transaction((xs) => {
    for (const w of xs) {
      ins.run(...rowOf(w));
      for (const [k, v] of Object.entries(w.metadata.labels)) insLabel.run(w.metadata.uid, k, v);
    }
  });
  const raw = new Database(archPath, { readonly: true });
  const sql = refSql({ wf: 'archived_workflows', labels: 'archived_workflow_labels' }, () => '?');
  const stmts = Object.fromEntries(Object.entries(sql).map(([k, [a, b]]) => [k, [raw.prepare(a), raw.prepare(b)]]));
  failures += await measure(
    'SQLite',
    arch,
    async (kind, params, keyset) => stmts[kind][keyset ? 1 : 0].all(...params),
    async (xs) => rawTxn(xs),
    () => `archive.db ${fmt(statSync(archPath).size / 2 ** 20)} MiB (main file; WAL aside)`,
  );
  const plans = Object.fromEntries(Object.entries(stmts).map(([k, [s]]) => [k, raw.prepare(`EXPLAIN QUERY PLAN ${s.source}`).all(...(k === 'label' ? ['a'] : k === 'prefix' ? ['ns-0', 'etl-1', 'etl-1\u{10FFFF}'] : ['2026-01-01', '2026-01-08'])).map((p) => p.detail).join('; ')]));
  for (const [k, p] of Object.entries(plans)) console.log(`  plan (${k}): ${p}`);
  raw.close();
  rawIns.close();
  await arch.close();
}

// ---- PostgreSQL
if (PG_URL) {
  const pg = (await import('pg')).default;
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const [schema, refSchema] = [`argosy_bench_archive_${suffix}`, `argosy_bench_archive_ref_${suffix}`];
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  try {
    const arch = await PostgresWorkflowArchive.open({ connectionString: PG_URL, schema });
    await (await PostgresWorkflowArchive.open({ connectionString: PG_URL, schema: refSchema })).close();
    const t = (s) => ({ wf: `"${s}".argosy_archived_workflows`, labels: `"${s}".argosy_archived_workflow_labels` });
    const sql = refSql(t(schema), (i) => `$${i}`);
    const insertRef = async (xs) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        for (const w of xs) {
          const [uid, name, ns, phase, st, fin, labels, data] = rowOf(w);
          void labels;
          await c.query({ name: 'ref-ins', text: `INSERT INTO ${t(refSchema).wf} (uid, name, namespace, phase, started_at, finished_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`, values: [uid, name, ns, phase, st, fin, data] });
          const ls = Object.entries(w.metadata.labels);
          await c.query({ name: 'ref-lbl', text: `INSERT INTO ${t(refSchema).labels} (uid, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS x(k, v)`, values: [uid, ls.map(([k]) => k), ls.map(([, v]) => v)] });
        }
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    };
    failures += await measure(
      'PostgreSQL',
      arch,
      async (kind, params, keyset) => (await pool.query({ name: `${kind}-${keyset}`, text: sql[kind][keyset ? 1 : 0], values: params })).rows,
      insertRef,
      () => 'one transaction per batch',
      // Fresh tables: give the planner statistics, as autovacuum soon would.
      async () => pool.query(`ANALYZE ${t(schema).wf}, ${t(schema).labels}`),
    );
    await arch.close();
  } finally {
    for (const s of [schema, refSchema]) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

rmSync(tmp, { recursive: true, force: true });
process.exit(failures ? 1 : 0);

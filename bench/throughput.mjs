// Workflow throughput: N two-step `true` workflows (steps template, image alpine, command ["true"]) submitted
// through the Argo REST API (POST /api/v1/workflows/bench) from C concurrent keep-alive clients as fast as
// the API accepts them, then the workflow list is polled (with `fields`, so only names and phases travel)
// until every one is Succeeded/Failed/Error. Two set-ups, each started fresh in this run:
//   1. one `argosy server` on SQLite;
//   2. two `argosy server` replicas on one PostgreSQL schema (fresh per run, dropped afterwards),
//      submissions alternating between the two replicas' APIs (only the leader runs controllers and pods).
// Figures: submitted/minute (accepted by the API) and completed/minute (first submit → last completion),
// and the failures. Reference: CNOE's published figure of about 2,100 workflows/minute for Argo Workflows
// on a 50-node EKS cluster. It is a published number, NOT measured here, on very different hardware.
// env: BENCH_TP_N=200 workflows, BENCH_TP_CONC=16 clients, BENCH_TP_TIMEOUT=300 s per set-up,
//      BENCH_TP_SKIP_PG=1, ARGOSY_PG=postgres://postgres@127.0.0.1:5432/postgres
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, fmt, machine, quantile, repoDir, startArgosyServer, stopProcess, table } from './lib.mjs';

ensureBuilt();

const N = Number(process.env.BENCH_TP_N ?? 200);
const CONC = Number(process.env.BENCH_TP_CONC ?? 16);
const TIMEOUT_S = Number(process.env.BENCH_TP_TIMEOUT ?? 300);
const PG_URL = process.env.ARGOSY_PG || 'postgres://postgres@127.0.0.1:5432/postgres';
const CNOE_PER_MIN = 2100;
const NS = 'bench';
const tmp = mkdtempSync(join(tmpdir(), 'argosy-bench-throughput-'));
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const DONE = new Set(['Succeeded', 'Failed', 'Error']);

const workflow = (i) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: `tp-${i}`, namespace: NS, labels: { bench: 'throughput' } },
  spec: {
    entrypoint: 'main',
    templates: [
      { name: 'main', steps: [[{ name: 'a', template: 't' }], [{ name: 'b', template: 't' }]] },
      { name: 't', container: { image: 'alpine', command: ['true'] } },
    ],
  },
});

// ---- HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function request(base, method, path, body) {
  const u = new URL(path, base);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

// ---- processes


async function startServer(name, extra = []) {
  const dataDir = join(tmp, name);
  const { proc, url, problems } = await startArgosyServer(dataDir, ['--identity', name, ...extra], { label: `argosy server ${name}`, keep: 10 });
  return { name, proc, url, problems };
}

async function waitReady(servers, needLeader) {
  const t0 = now();
  for (;;) {
    const roles = await Promise.all(servers.map((s) => request(s.url, 'GET', '/readyz').then((r) => (r.status === 200 ? r.headers['x-argosy-role'] ?? 'ok' : undefined)).catch(() => undefined)));
    if (roles.every(Boolean) && (!needLeader || roles.includes('leader'))) return roles;
    if (now() - t0 > 30_000) throw new Error(`servers not ready within 30 s (roles: ${roles.join(', ')})`);
    await sleep(100);
  }
}

// ---- one measurement

async function measure(servers) {
  const problems = [];
  const submitLat = [];
  let next = 0;
  let rejected = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (;;) {
        const i = next++;
        if (i >= N) return;
        const s = servers[i % servers.length];
        const a = now();
        try {
          const r = await request(s.url, 'POST', `/api/v1/workflows/${NS}`, { workflow: workflow(i) });
          submitLat.push(now() - a);
          if (r.status !== 200) {
            rejected++;
            if (problems.length < 5) problems.push(`submit tp-${i} → ${r.status} ${r.text.slice(0, 200)}`);
          }
        } catch (err) {
          rejected++;
          if (problems.length < 5) problems.push(`submit tp-${i}: ${err.message}`);
        }
      }
    }),
  );
  const submitted = now();
  const accepted = N - rejected;
  // Poll the list with a projection until every accepted workflow has finished.
  const path = `/api/v1/workflows/${NS}?listOptions.labelSelector=bench%3Dthroughput&fields=items.metadata.name,items.status.phase`;
  let phases = new Map();
  let last = submitted;
  let polls = 0;
  for (;;) {
    const r = await request(servers[polls++ % servers.length].url, 'GET', path);
    if (r.status === 200) {
      const items = JSON.parse(r.text).items ?? [];
      const fin = items.filter((w) => DONE.has(w.status?.phase ?? ''));
      if (fin.length > [...phases.values()].filter((p) => DONE.has(p)).length) last = now();
      phases = new Map(items.map((w) => [w.metadata.name, w.status?.phase ?? '']));
      if (fin.length >= accepted) break;
    }
    if (now() - t0 > TIMEOUT_S * 1000) {
      problems.push(`timed out after ${TIMEOUT_S} s`);
      break;
    }
    await sleep(250);
  }
  const counts = {};
  for (const p of phases.values()) counts[p || 'Pending'] = (counts[p || 'Pending'] ?? 0) + 1;
  const completed = [...phases.values()].filter((p) => DONE.has(p)).length;
  return {
    accepted,
    rejected,
    submitSecs: (submitted - t0) / 1000,
    totalSecs: (last - t0) / 1000,
    completed,
    failed: [...phases.values()].filter((p) => p === 'Failed' || p === 'Error').length,
    counts,
    submitP50: quantile(submitLat, 0.5),
    submitP99: quantile(submitLat, 0.99),
    problems,
  };
}

// ---- PostgreSQL helpers

async function pgClient() {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  return c;
}

// ---- main

console.log(`throughput benchmark — ${machine()}; N=${N} two-step \`true\` workflows, ${CONC} clients`);
const results = [];
const all = [];
try {
  // 1. one server, SQLite
  {
    const s = await startServer('sqlite');
    all.push(s);
    await waitReady([s], false);
    const r = await measure([s]);
    results.push({ label: '1 server, SQLite', r, problems: [...r.problems, ...s.problems] });
    await stopProcess(s.proc);
  }
  // 2. two replicas, PostgreSQL
  if (process.env.BENCH_TP_SKIP_PG) results.push({ label: '2 replicas, PostgreSQL', skipped: 'BENCH_TP_SKIP_PG set' });
  else {
    let c;
    try {
      c = await pgClient();
    } catch (err) {
      results.push({ label: '2 replicas, PostgreSQL', skipped: `PostgreSQL at ${PG_URL} unreachable: ${err.message}` });
    }
    if (c) {
      const schema = `argosy_bench_tp_${process.pid}_${Date.now().toString(36)}`;
      const store = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
      const reps = [];
      try {
        for (const name of ['pg-a', 'pg-b']) {
          const s = await startServer(name, ['--store', store, '--lease-seconds', '5']);
          reps.push(s);
          all.push(s);
        }
        const roles = await waitReady(reps, true);
        const r = await measure(reps);
        results.push({ label: `2 replicas, PostgreSQL (${roles.join('/')})`, r, problems: [...r.problems, ...reps.flatMap((s) => s.problems)] });
      } finally {
        await Promise.all(reps.map((s) => stopProcess(s.proc)));
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch((err) => console.error(`could not drop schema ${schema}: ${err.message}`));
        await c.end().catch(() => undefined);
      }
    }
  }
} finally {
  await Promise.all(all.map((s) => stopProcess(s.proc)));
  rmSync(tmp, { recursive: true, force: true });
}

const rows = [];
for (const { label, r, skipped, problems } of results) {
  if (skipped) {
    rows.push({ what: `${label}: completed/min`, ours: 'skipped', ref: '', note: skipped });
    continue;
  }
  const done = (r.completed / r.totalSecs) * 60;
  rows.push({ what: `${label}: submitted/min`, ours: `${fmt((r.accepted / r.submitSecs) * 60)}/min`, ref: '', note: `${r.accepted} accepted in ${fmt(r.submitSecs)} s, ${r.rejected} rejected; POST latency p50 ${fmt(r.submitP50)} ms, p99 ${fmt(r.submitP99)} ms` });
  rows.push({
    what: `${label}: completed/min`,
    ours: `${fmt(done)}/min`,
    ref: `${fmt(CNOE_PER_MIN)}/min`,
    ratio: CNOE_PER_MIN / done,
    refName: 'CNOE, Argo on 50-node EKS (published, not measured here)',
    note: `${r.completed}/${r.accepted} finished in ${fmt(r.totalSecs)} s (first submit → last completion); phases ${JSON.stringify(r.counts)}; failures ${r.failed}${problems.length ? `; problems: ${problems.join(' | ')}` : ''}`,
  });
}
table(`Workflow throughput: ${N} two-step \`true\` workflows, ${CONC} clients`, rows);
console.log('  reference: 2,100 workflows/minute is the CNOE published figure for Argo Workflows on a 50-node EKS cluster; it was not measured in this run.');
const bad = results.some((x) => x.r && (x.r.completed < x.r.accepted || x.r.rejected));
process.exit(bad ? 1 : 0);

#!/usr/bin/env node
// `npm run bench [-- name...]`: run the benchmarks (all by default: store, pods, dag, server, throughput, archive), each in its own
// Node process so one's heap does not slow the next. Every benchmark prints its figures beside a
// reference tool measured in the same invocation, as a ratio.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, ensureBuilt, machine } from './lib.mjs';

const ALL = { store: 'store.mjs', pods: 'pods.mjs', dag: 'dag.mjs', server: 'server.mjs', throughput: 'throughput.mjs', archive: 'archive.mjs' };
const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  console.log(`usage: npm run bench [-- ${Object.keys(ALL).join('|')} ...]   (default: all)
  store  MemoryStore/SqliteStore creates/s and watch latency vs a Map loop, raw better-sqlite3 and etcd
  pods   a \`true\` Pod create→Succeeded vs spawn('true'), sandbox bwrap and none
  dag    argosy run vs make -j2 and Snakemake on chain/fan/lattice DAGs; peak RSS of a 5,000-task fan
  server \`argosy server\` over HTTP vs etcd: creates/s, 1,000-watch fan-out, submit → Pod Running
  throughput  two-step \`true\` workflows/min through 1 server (SQLite) and 2 replicas (PostgreSQL) vs CNOE's published 2,100/min
  archive     100,000 archived workflows: insert rate, filtered list p50/p99 vs raw SQL on the same table
env: BENCH_DAG_BUDGET=s per command (60), BENCH_DAG_SHAPES=chain,lattice,fan, BENCH_DAG_RSS_N=5000 (0 skips),
     BENCH_SKIP_SNAKEMAKE=1, BENCH_SKIP_ETCD=1, BENCH_PODS_N=100, ARGOSY_BENCH_NO_INSTALL=1 (never apt-get install),
     BENCH_SERVER_CONC=16 clients, BENCH_SERVER_SECS=10, BENCH_SERVER_WATCHERS=1000, BENCH_SERVER_UPDATES=100, BENCH_SERVER_SUBMITS=10,
     BENCH_TP_N=200, BENCH_TP_CONC=16, BENCH_TP_TIMEOUT=300 s, BENCH_TP_SKIP_PG=1, ARGOSY_PG=postgres://…,
     BENCH_ARCHIVE_ROWS=100000, BENCH_ARCHIVE_QUERIES=200, BENCH_ARCHIVE_BATCH=5000`);
  process.exit(0);
}
const unknown = args.filter((a) => !(a in ALL));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')} (choose from ${Object.keys(ALL).join(', ')})`);
  process.exit(2);
}
ensureBuilt();
const chosen = args.length ? args : Object.keys(ALL);
console.log(`argosy benchmarks: ${chosen.join(', ')} — ${machine()}`);
const t0 = Date.now();
let failed = 0;
for (const name of chosen) {
  const r = spawnSync(process.execPath, [join(benchDir, ALL[name])], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`\nbenchmark ${name} failed (exit ${r.status ?? r.signal})`);
  }
}
console.log(`\nbenchmarks done in ${((Date.now() - t0) / 1000).toFixed(0)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);

// Server benchmark: `argosy server` (SQLite store, controller, node agent) measured through its HTTP API,
// as a client would see it, beside etcd (Debian etcd-server) started on a free loopback port in the same
// run and driven through its HTTP gateway with the same client code, concurrency and value size.
//   1. creates/s: POST ConfigMaps (~1 KiB data) from C concurrent keep-alive clients for S seconds,
//      vs etcd PUT /v3/kv/put (the same ConfigMap JSON as the value), same C and S.
//   2. watch fan-out: W watches on the bench namespace, then N updates of one ConfigMap; latency from
//      sending the write to each watcher's receipt (p50/p99) with paced writes (each write waits until
//      every watcher has it), and events delivered/s with N back-to-back writes. Reference: W etcd
//      watches through the gateway's streaming POST /v3/watch, same N puts.
//   3. submit → first step Running: POST /api/v1/workflows/bench of a one-step `sleep 1` workflow, timed
//      until a Pod watch sees the step's Pod reach phase Running; and the same through
//      `node bin/argosy submit -s HOST:PORT file.yaml`. Reference: spawn('sh', ['-c', 'sleep 1']) until
//      its 'spawn' event, interleaved in the same loop.
// The client runs in this process, so on a small machine the client, the server and etcd share the CPUs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ensureTool, fmt, machine, median, quantile, repoDir, startArgosyServer, stopProcess, table } from './lib.mjs';

ensureBuilt();

const CONC = Number(process.env.BENCH_SERVER_CONC ?? 16);
const SECS = Number(process.env.BENCH_SERVER_SECS ?? 10);
let WATCHERS = Number(process.env.BENCH_SERVER_WATCHERS ?? 1000);
const UPDATES = Number(process.env.BENCH_SERVER_UPDATES ?? 100);
const SUBMITS = Number(process.env.BENCH_SERVER_SUBMITS ?? 10);
const NS = 'bench';
const tmp = mkdtempSync(join(tmpdir(), 'argosy-bench-server-'));
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const value1k = 'x'.repeat(1024);
const cm = (name, extra = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels: { app: 'bench' } }, data: { value: value1k, ...extra } });
const b64 = (s) => Buffer.from(s).toString('base64');

// ---- processes

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}


/** `node bin/argosy server --port 0 --data-dir DIR`; resolves once its "started" log line names the URL. */
async function startArgosy() {
  const dataDir = join(tmp, 'argosy');
  const { proc, url, problems } = await startArgosyServer(dataDir);
  return { proc, url, dataDir, problems };
}

/** etcd on free loopback ports, as bench/store.mjs starts it; resolves once a put succeeds. */
async function startEtcd() {
  if (process.env.BENCH_SKIP_ETCD) return { skipped: 'BENCH_SKIP_ETCD set' };
  if (!ensureTool('etcd', 'etcd-server', 120)) return { skipped: 'etcd not installed (apt-get install etcd-server did not succeed in time)' };
  const port = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn('etcd', ['--data-dir', join(tmp, 'etcd'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      const r = await request(url, 'POST', '/v3/kv/put', { key: b64('/ready'), value: b64('1') });
      if (r.status === 200) break;
    } catch {}
    if (i > 100 || proc.exitCode !== null) {
      await stopProcess(proc);
      return { skipped: 'etcd did not start within 10 s' };
    }
    await sleep(100);
  }
  const version = spawnSync('etcd', ['--version']).stdout?.toString().match(/etcd Version: (\S+)/)?.[1] ?? '?';
  return { proc, url, version };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

// ---- HTTP client (node:http with a keep-alive agent; the same code drives argosy and etcd)

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(base, method, path, body) {
  const u = new URL(path, base);
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A streaming request (a watch): calls onLine(line, receivedAt) for each newline-terminated line.
 * Each stream gets its own socket (agent: false) so W watches are W connections.
 */
function stream(base, method, path, body, onLine) {
  const u = new URL(path, base);
  const data = body === undefined ? undefined : JSON.stringify(body);
  const req = http.request({ agent: false, host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } });
  const done = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const at = now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) onLine(line, at);
        }
      });
      res.on('end', resolve);
      res.on('error', () => resolve());
    });
    req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
  });
  done.catch(() => {});
  req.end(data);
  return { close: () => req.destroy(), done };
}

// ---- 1. creates/s

/**
 * C workers each sending `op(worker, i)` back to back for `secs` seconds (after a warm-up). The CPU time
 * process `pid` uses during the timed part is returned too (`cpu`, seconds), for CPU per request.
 */
async function drive(conc, secs, op, pid) {
  await Promise.all(Array.from({ length: conc }, (_, w) => (async () => { for (let i = 0; i < 20; i++) await op(w, `warm${i}`); })()));
  const cpu0 = cpuSeconds(pid);
  let ok = 0;
  let failed = 0;
  let firstError;
  const lat = [];
  const end = now() + secs * 1000;
  const t = now();
  await Promise.all(
    Array.from({ length: conc }, (_, w) =>
      (async () => {
        for (let i = 0; now() < end; i++) {
          const t0 = now();
          const r = await op(w, i);
          lat.push(now() - t0);
          if (r.status >= 200 && r.status < 300) ok++;
          else {
            failed++;
            firstError ??= `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
          }
        }
      })(),
    ),
  );
  const elapsed = (now() - t) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  return { rate: ok / elapsed, ok, failed, firstError, p50: median(lat), p99: quantile(lat, 0.99), cpuShare: cpu / elapsed, cpuPerOp: cpu / ok };
}

const argosyCreate = (url) => (w, i) => request(url, 'POST', `/api/v1/namespaces/${NS}/configmaps`, cm(`cm-${w}-${i}`));
const etcdPut = (url) => (w, i) => request(url, 'POST', '/v3/kv/put', { key: b64(`/registry/configmaps/${NS}/cm-${w}-${i}`), value: b64(JSON.stringify(cm(`cm-${w}-${i}`))) });

// ---- 2. watch fan-out

/**
 * Open W watches with `open(onLine)`, wait until each is established (`ready(line)`), then write N
 * updates with `write(seq)` (which resolves with the revision it produced). `revOf(line)` extracts the
 * revisions carried by an event line. Latency is taken against the time the write was sent.
 */
async function fanOut({ watchers, updates, open, ready, write, revOf }) {
  const recv = []; // per watcher: [rev, time][]
  const handles = [];
  let readyCount = 0;
  let allReady;
  const readyP = new Promise((r) => (allReady = r));
  let onDelivery = () => {};
  const tOpen = now();
  for (let w = 0; w < watchers; w++) {
    const mine = [];
    recv.push(mine);
    let isReady = false;
    handles.push(
      open((line, at) => {
        if (!isReady && ready(line)) {
          isReady = true;
          if (++readyCount === watchers) allReady();
          return;
        }
        for (const rev of revOf(line)) {
          mine.push([rev, at]);
          onDelivery(rev);
        }
      }),
    );
    if (w % 100 === 99) await sleep(0); // let the accepts keep up
  }
  const opened = await Promise.race([readyP.then(() => true), sleep(60_000).then(() => false)]);
  const openMs = now() - tOpen;
  if (!opened) {
    for (const h of handles) h.close();
    return { error: `only ${readyCount}/${watchers} watches were established within 60 s` };
  }

  const run = async (paced) => {
    const sent = new Map(); // rev -> time the write was sent
    const seen = new Map(); // rev -> deliveries so far
    let waitRev;
    let waitDone;
    onDelivery = (rev) => {
      const n = (seen.get(rev) ?? 0) + 1;
      seen.set(rev, n);
      if (n === watchers && rev === waitRev) waitDone();
    };
    const revs = [];
    const tStart = now();
    for (let i = 0; i < updates; i++) {
      const t0 = now();
      const rev = await write(i);
      sent.set(rev, t0);
      revs.push(rev);
      if (paced) {
        if ((seen.get(rev) ?? 0) < watchers) {
          waitRev = rev;
          const ok = await Promise.race([new Promise((r) => (waitDone = () => r(true))), sleep(30_000).then(() => false)]);
          if (!ok) return { error: `write ${i}: only ${seen.get(rev) ?? 0}/${watchers} watchers got it within 30 s` };
        }
      }
    }
    // Wait for the deliveries to drain: all of them, or nothing new for 10 s.
    const total = () => revs.reduce((s, r) => s + (seen.get(r) ?? 0), 0);
    for (let last = -1, idle = 0; total() < updates * watchers && idle < 100; ) {
      await sleep(100);
      const t = total();
      idle = t === last ? idle + 1 : 0;
      last = t;
    }
    const lat = [];
    let lastAt = 0;
    const want = new Set(revs);
    for (const mine of recv) {
      for (const [rev, at] of mine) {
        if (!want.has(rev)) continue;
        lat.push(at - sent.get(rev));
        if (at > lastAt) lastAt = at;
      }
      mine.length = 0;
    }
    return { p50: median(lat), p99: quantile(lat, 0.99), delivered: lat.length, expected: updates * watchers, perSec: lat.length / ((lastAt - tStart) / 1000), ms: lastAt - tStart };
  };
  const paced = await run(true);
  const burst = await run(false);
  for (const h of handles) h.close();
  await Promise.all(handles.map((h) => h.done));
  return { openMs, paced, burst };
}

async function argosyFanOut(url, watchers, updates) {
  const target = 'fan-target';
  const created = await request(url, 'POST', `/api/v1/namespaces/${NS}/configmaps`, cm(target, { seq: '-1' }));
  if (created.status !== 201 && created.status !== 200) throw new Error(`create ${target}: HTTP ${created.status} ${created.text.slice(0, 200)}`);
  const rv = JSON.parse(created.text).metadata.resourceVersion;
  const write = async (seq) => {
    const r = await request(url, 'PUT', `/api/v1/namespaces/${NS}/configmaps/${target}`, cm(target, { seq: String(seq) }));
    if (r.status !== 200) throw new Error(`update ${target}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    return Number(JSON.parse(r.text).metadata.resourceVersion);
  };
  return fanOut({
    watchers,
    updates,
    // allowWatchBookmarks: the server sends a BOOKMARK at once, which tells us the watch is registered.
    open: (onLine) => stream(url, 'GET', `/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, undefined, onLine),
    ready: (line) => line.startsWith('{"type":"BOOKMARK"'),
    write,
    revOf: (line) => {
      if (!line.includes('"name":"fan-target"')) return [];
      const m = /"resourceVersion":"(\d+)"/.exec(line);
      return m ? [Number(m[1])] : [];
    },
  });
}

async function etcdFanOut(url, watchers, updates) {
  const key = `/registry/configmaps/${NS}/fan-target`;
  const write = async (seq) => {
    const r = await request(url, 'POST', '/v3/kv/put', { key: b64(key), value: b64(JSON.stringify(cm('fan-target', { seq: String(seq) }))) });
    if (r.status !== 200) throw new Error(`etcd put: HTTP ${r.status}`);
    return Number(JSON.parse(r.text).header.revision);
  };
  // Watch the namespace's prefix, as the Kubernetes API server watches etcd for a namespaced list.
  const prefix = `/registry/configmaps/${NS}/`;
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return fanOut({
    watchers,
    updates,
    open: (onLine) => stream(url, 'POST', '/v3/watch', { create_request: { key: b64(prefix), range_end: b64(rangeEnd) } }, onLine),
    ready: (line) => line.includes('"created":true'),
    write,
    revOf: (line) => [...line.matchAll(/"mod_revision":"(\d+)"/g)].map((m) => Number(m[1])),
  });
}

// ---- 3. submit → Running

const workflow = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'sleep-', namespace: NS }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['sh', '-c', 'sleep 1'] } }] } };
const wfYaml = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: sleep-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "sleep 1"]
`;

async function submitLatency(url, n) {
  const rvRes = await request(url, 'GET', `/api/v1/namespaces/${NS}/pods?limit=1`);
  const rv = JSON.parse(rvRes.text).metadata.resourceVersion;
  const running = new Map(); // workflow name -> time its Pod was first seen Running
  const finished = new Map(); // workflow name -> phase
  const waiters = new Map();
  const w = stream(url, 'GET', `/api/v1/namespaces/${NS}/pods?watch=true&resourceVersion=${rv}`, undefined, (line, at) => {
    const ev = JSON.parse(line);
    const pod = ev.object;
    const wf = pod?.metadata?.labels?.['workflows.argoproj.io/workflow'];
    if (!wf) return;
    const phase = pod.status?.phase;
    if ((phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') && !running.has(wf)) running.set(wf, at);
    if (phase === 'Succeeded' || phase === 'Failed') finished.set(wf, phase);
    waiters.get(wf)?.();
  });
  const waitFor = async (name, cond, ms = 60_000) => {
    const end = now() + ms;
    while (!cond()) {
      if (now() > end) throw new Error(`workflow ${name}: no Running pod within ${ms / 1000} s`);
      await Promise.race([new Promise((r) => waiters.set(name, r)), sleep(500)]);
    }
    waiters.delete(name);
  };
  const spawnRef = () =>
    new Promise((resolve, reject) => {
      const t = now();
      const p = spawn('sh', ['-c', 'sleep 1'], { stdio: 'ignore' });
      p.once('spawn', () => resolve({ ms: now() - t, exited: new Promise((r) => p.once('exit', r)) }));
      p.once('error', reject);
    });
  const file = join(tmp, 'sleep.yaml');
  writeFileSync(file, wfYaml);
  const server = url.replace(/^http:\/\//, '');

  const api = [];
  const cli = [];
  const cliExit = [];
  const ref = [];
  const failed = [];
  // One warm-up of each path, then n measured rounds; each round waits for its workflow's Pod to finish.
  for (let i = -1; i < n; i++) {
    // API
    let t0 = now();
    const r = await request(url, 'POST', `/api/v1/workflows/${NS}`, { workflow });
    if (r.status !== 200 && r.status !== 201) throw new Error(`POST /api/v1/workflows/${NS}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    let name = JSON.parse(r.text).metadata.name;
    await waitFor(name, () => running.has(name));
    if (i >= 0) api.push(running.get(name) - t0);
    await waitFor(name, () => finished.has(name));
    if (finished.get(name) !== 'Succeeded') failed.push(`${name}: ${finished.get(name)}`);
    // CLI
    t0 = now();
    const child = spawn(process.execPath, [join(repoDir, 'bin', 'argosy'), 'submit', '-s', server, '-n', NS, '-o', 'name', file], { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((res) => child.once('exit', res));
    const exitAt = now();
    name = out.trim().split(/\s+/).pop().replace(/^workflow\.argoproj\.io\//, '').replace(/^workflows?\//, '');
    if (code !== 0 || !name) throw new Error(`argosy submit exited ${code}: ${err || out}`);
    await waitFor(name, () => running.has(name));
    if (i >= 0) {
      cli.push(running.get(name) - t0);
      cliExit.push(exitAt - t0);
    }
    await waitFor(name, () => finished.has(name));
    if (finished.get(name) !== 'Succeeded') failed.push(`${name}: ${finished.get(name)}`);
    // Reference
    const s = await spawnRef();
    if (i >= 0) ref.push(s.ms);
    await s.exited;
  }
  w.close();
  // How much of the CLI path is starting Node and loading the CLI: `argosy --version`, same run.
  const version = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    spawnSync(process.execPath, [join(repoDir, 'bin', 'argosy'), '--version'], { stdio: 'ignore' });
    version.push(now() - t0);
  }
  return { api: median(api), apiP: quantile(api, 1), cli: median(cli), cliExit: median(cliExit), ref: median(ref), version: median(version), failed };
}

// ---- main

let fdLimit = Number(spawnSync('sh', ['-c', 'ulimit -n']).stdout?.toString().trim());
if (!Number.isFinite(fdLimit)) fdLimit = Infinity;
const wantWatchers = WATCHERS;
if (fdLimit < WATCHERS + 200) WATCHERS = Math.max(10, fdLimit - 200);
console.log(`server benchmark (${machine()}): creates ${CONC} concurrent keep-alive clients × ${SECS} s, 1 KiB ConfigMaps; ${WATCHERS} watches × ${UPDATES} updates; ${SUBMITS} submits`);
if (WATCHERS < wantWatchers) console.log(`  ulimit -n is ${fdLimit}: using ${WATCHERS} watches instead of ${wantWatchers} (raise it with \`ulimit -n 4096\` before npm run bench)`);

const srv = await startArgosy();
const etcd = await startEtcd();
const rows = [];
const rate = (x) => `${fmt(x)}/s`;
const ms = (x) => `${fmt(x)} ms`;
const notes = [];
try {
  console.log(`  argosy server at ${srv.url}${etcd.url ? `, etcd ${etcd.version} at ${etcd.url}` : ''}`);
  // 1
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const ours = await drive(CONC, SECS, argosyCreate(srv.url), srv.proc.pid);
  console.log(`  creates: argosy ${fmt(ours.rate)}/s (${ours.ok} ok, ${ours.failed} failed; request p50 ${fmt(ours.p50)} ms, p99 ${fmt(ours.p99)} ms; server process ${fmt(ours.cpuShare * 100)} % of a CPU, ${fmt(ours.cpuPerOp * 1e6)} µs CPU per create; load average ${load()})`);
  if (ours.failed) notes.push(`argosy creates: ${ours.failed} failed, first: ${ours.firstError}`);
  let ref;
  if (etcd.url) {
    ref = await drive(CONC, SECS, etcdPut(etcd.url), etcd.proc.pid);
    console.log(`  creates: etcd ${fmt(ref.rate)}/s (${ref.ok} ok, ${ref.failed} failed; request p50 ${fmt(ref.p50)} ms, p99 ${fmt(ref.p99)} ms; etcd process ${fmt(ref.cpuShare * 100)} % of a CPU, ${fmt(ref.cpuPerOp * 1e6)} µs CPU per put; load average ${load()})`);
    if (ref.failed) notes.push(`etcd puts: ${ref.failed} failed, first: ${ref.firstError}`);
  }
  rows.push({
    what: `creates/s, HTTP, ${CONC} clients, 1 KiB`,
    ours: rate(ours.rate),
    ref: ref ? rate(ref.rate) : 'n/a',
    ratio: ref ? ref.rate / ours.rate : undefined,
    refName: ref ? `etcd ${etcd.version} PUT /v3/kv/put` : etcd.skipped,
  });
  rows.push({ what: 'server CPU per create', ours: `${fmt(ours.cpuPerOp * 1e6)} µs`, ref: ref ? `${fmt(ref.cpuPerOp * 1e6)} µs` : 'n/a', ratio: ref ? ours.cpuPerOp / ref.cpuPerOp : undefined, refName: 'same (etcd: per put)' });
  rows.push({ what: 'create request p50 / p99', ours: `${fmt(ours.p50)} / ${fmt(ours.p99)} ms`, ref: ref ? `${fmt(ref.p50)} / ${fmt(ref.p99)} ms` : 'n/a', ratio: ref ? ours.p50 / ref.p50 : undefined, refName: 'same' });

  // 2
  const fo = await argosyFanOut(srv.url, WATCHERS, UPDATES);
  const efo = etcd.url ? await etcdFanOut(etcd.url, WATCHERS, UPDATES) : undefined;
  for (const [who, r] of [['argosy', fo], ['etcd', efo]]) {
    if (!r) continue;
    if (r.error) console.log(`  fan-out ${who}: ${r.error}`);
    else console.log(`  fan-out ${who}: ${WATCHERS} watches established in ${fmt(r.openMs)} ms; paced ${r.paced.error ?? `${r.paced.delivered}/${r.paced.expected} delivered`}; burst ${r.burst.error ?? `${r.burst.delivered}/${r.burst.expected} delivered in ${fmt(r.burst.ms)} ms`}`);
  }
  const ok = (r, k) => r && !r.error && !r[k].error;
  const cell = (r, k, f) => (ok(r, k) ? f(r[k]) : 'n/a');
  const etcdName = etcd.url ? `etcd ${etcd.version} POST /v3/watch (gateway)` : etcd.skipped;
  rows.push({ what: `watch p50, ${WATCHERS} watchers, paced`, ours: cell(fo, 'paced', (x) => ms(x.p50)), ref: cell(efo, 'paced', (x) => ms(x.p50)), ratio: ok(fo, 'paced') && ok(efo, 'paced') ? fo.paced.p50 / efo.paced.p50 : undefined, refName: etcdName });
  rows.push({ what: `watch p99, ${WATCHERS} watchers, paced`, ours: cell(fo, 'paced', (x) => ms(x.p99)), ref: cell(efo, 'paced', (x) => ms(x.p99)), ratio: ok(fo, 'paced') && ok(efo, 'paced') ? fo.paced.p99 / efo.paced.p99 : undefined, refName: 'same' });
  rows.push({ what: `watch events/s, ${UPDATES} writes back to back`, ours: cell(fo, 'burst', (x) => rate(x.perSec)), ref: cell(efo, 'burst', (x) => rate(x.perSec)), ratio: ok(fo, 'burst') && ok(efo, 'burst') ? efo.burst.perSec / fo.burst.perSec : undefined, refName: 'same' });
  rows.push({ what: 'watch p50 / p99, back to back', ours: cell(fo, 'burst', (x) => `${fmt(x.p50)} / ${fmt(x.p99)} ms`), ref: cell(efo, 'burst', (x) => `${fmt(x.p50)} / ${fmt(x.p99)} ms`), ratio: ok(fo, 'burst') && ok(efo, 'burst') ? fo.burst.p99 / efo.burst.p99 : undefined, refName: 'same (ratio of p99)' });
  for (const [who, r] of [['argosy', fo], ['etcd', efo]]) for (const k of ['paced', 'burst']) if (r && !r.error && r[k].delivered !== r[k].expected) notes.push(`${who} ${k}: ${r[k].delivered} of ${r[k].expected} events delivered`);

  // 3
  const sub = await submitLatency(srv.url, SUBMITS);
  rows.push({ what: 'submit (REST) → Pod Running, median', ours: ms(sub.api), ref: ms(sub.ref), ratio: sub.api / sub.ref, refName: "spawn('sh', ['-c', 'sleep 1']) → 'spawn'" });
  rows.push({ what: '`argosy submit` (CLI) → Pod Running, median', ours: ms(sub.cli), ref: ms(sub.ref), ratio: sub.cli / sub.ref, refName: 'same' });
  console.log(`  submit: REST → Running median ${fmt(sub.api)} ms (max ${fmt(sub.apiP)} ms); CLI → Running ${fmt(sub.cli)} ms, CLI process exit ${fmt(sub.cliExit)} ms (\`argosy --version\` alone ${fmt(sub.version)} ms); spawn ${fmt(sub.ref)} ms`);
  if (sub.failed.length) notes.push(`workflows that did not succeed: ${sub.failed.join(', ')}`);
} finally {
  agent.destroy();
  await stopProcess(srv.proc);
  if (etcd.proc) await stopProcess(etcd.proc);
  rmSync(tmp, { recursive: true, force: true });
}
table('server', rows);
if (etcd.skipped) console.log(`  etcd: skipped: ${etcd.skipped}`);
for (const n of notes) console.log(`  note: ${n}`);
if (srv.problems.length) console.log(`  server warnings/errors:\n    ${srv.problems.join('\n    ')}`);

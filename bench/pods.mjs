// Pod overhead: a Pod running `true`, from create() to the watch seeing phase Succeeded (NodeAgent +
// MemoryStore + EmbeddedClient, as `argosy run` wires them), beside a bare spawn('true') measured in
// the same loop. The difference is what the node agent adds per Pod (target: < 10 ms). Also shown:
// a bare `bwrap … true` (the sandbox's own cost), the Pod in a sandbox of its own (warm sandboxes off:
// what a Pod with volumes or several containers pays), and the Pod with sandbox 'none'.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dist, ensureBuilt, fmt, have, machine, median, quantile, table } from './lib.mjs';

ensureBuilt();
const { EmbeddedClient } = await import(dist('client/embedded.js'));
const { MemoryStore } = await import(dist('store/memory.js'));
const { NodeAgent } = await import(dist('node/index.js'));

const N = Number(process.env.BENCH_PODS_N ?? 100);
const timed = (cmd, args) =>
  new Promise((resolve, reject) => {
    const t = performance.now();
    spawn(cmd, args, { stdio: 'ignore' })
      .on('error', reject)
      .on('exit', () => resolve(performance.now() - t));
  });
const bwrapArgs = ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--die-with-parent', 'true'];

async function measure(sandbox, warmSandboxes = true) {
  const client = new EmbeddedClient(new MemoryStore());
  const dataDir = mkdtempSync(join(tmpdir(), 'argosy-bench-pods-'));
  const agent = new NodeAgent({ client, dataDir, sandbox, warmSandboxes, logger: { info() {}, warn() {}, error: console.error } });
  await agent.start();
  const waiters = new Map();
  let writes = 0;
  const watch = await client.watch({ apiVersion: 'v1', kind: 'Pod' }, { resourceVersion: await client.store.currentResourceVersion() }, {
    onEvent: (ev) => {
      if (ev.type === 'MODIFIED') writes++;
      const ph = ev.object.status?.phase;
      if (ph === 'Succeeded' || ph === 'Failed') waiters.get(ev.object.metadata.name)?.(ph);
    },
  });
  const pod = (name) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'argosy-node', restartPolicy: 'Never', containers: [{ name: 'main', image: 'alpine', command: ['true'] }] },
  });
  const podT = [];
  const bareT = [];
  const bwrapT = [];
  const withBwrap = sandbox !== 'none' && !warmSandboxes && have('bwrap');
  for (let i = -5; i < N; i++) {
    // Interleaved, so drift on the machine hits both sides alike; the first 5 rounds are warm-up.
    const b = await timed('true', []);
    const w = withBwrap ? await timed('bwrap', bwrapArgs) : NaN;
    const t = performance.now();
    const done = new Promise((r) => waiters.set('p' + i, r));
    await client.create(pod('p' + i));
    if ((await done) !== 'Succeeded') throw new Error(`pod p${i} failed`);
    if (i < 0) continue;
    podT.push(performance.now() - t);
    bareT.push(b);
    bwrapT.push(w);
  }
  watch.stop();
  await agent.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return { pod: median(podT), pod90: quantile(podT, 0.9), bare: median(bareT), bwrap: withBwrap ? median(bwrapT) : NaN, writes: writes / (N + 5) };
}

console.log(`pod overhead benchmark (${machine()}): ${N} Pods run one after another, medians`);
const rows = [];
const modes = have('bwrap') ? ['bwrap', 'bwrap-own', 'none'] : ['none'];
if (!have('bwrap')) console.log('  bwrap not installed: only sandbox "none" is measured (apt-get install bubblewrap)');
for (const mode of modes) {
  const r = await measure(mode === 'none' ? 'none' : 'bwrap', mode !== 'bwrap-own');
  const ms = (x) => `${fmt(x)} ms`;
  const label = { bwrap: 'bwrap (warm sandbox)', 'bwrap-own': 'bwrap (a sandbox of its own)', none: 'none' }[mode];
  rows.push({ what: `Pod \`true\` create→Succeeded, sandbox ${label}`, ours: ms(r.pod), ref: ms(r.bare), ratio: r.pod / r.bare, refName: "spawn('true') → exit" });
  rows.push({ what: `  overhead (difference), sandbox ${mode}`, ours: ms(r.pod - r.bare), ref: '< 10 ms', ratio: r.pod - r.bare < 10 ? 'target met' : 'target missed', refName: 'target' });
  if (mode === 'bwrap-own') rows.push({ what: '  of which bare bwrap costs', ours: ms(r.bwrap - r.bare), ref: ms(r.bare), ratio: r.bwrap / r.bare, refName: "bwrap … true vs spawn('true')" });
  rows.push({ what: `  p90, status writes/Pod (${mode})`, ours: `${ms(r.pod90)}, ${r.writes.toFixed(2)} writes`, ref: '', refName: '' });
}
table('pods', rows);
process.exit(0);

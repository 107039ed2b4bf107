// Benchmark (not a test): create → Succeeded of a `true` Pod vs a bare spawn of `true` and of bare bwrap.
// Usage: npm run build && node src/node/bench-true-pod.mjs [N=50] [auto|bwrap|none] [helper|inprocess]
// (Belongs in bench/ — move it there, changing ../../dist to ../dist.)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedClient } from '../../dist/client/embedded.js';
import { MemoryStore } from '../../dist/store/memory.js';
import { NodeAgent } from '../../dist/node/index.js';

const N = Number(process.argv[2] ?? 50);
const sandbox = process.argv[3] ?? 'auto';
const launcher = process.argv[4] ?? 'helper';
const bare = () => new Promise((r) => { const t = performance.now(); spawn('true').on('exit', () => r(performance.now() - t)); });
const bwrapBare = () => new Promise((r) => { const t = performance.now(); spawn('bwrap', ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--die-with-parent', 'true']).on('exit', () => r(performance.now() - t)); });
const client = new EmbeddedClient(new MemoryStore());
const dataDir = mkdtempSync(join(tmpdir(), 'argosy-bench-'));
const agent = new NodeAgent({ client, dataDir, sandbox, launcher, logger: { info() {}, warn: console.warn, error: console.error } });
await agent.start();
const waiters = new Map();
let writes = 0;
await client.watch({ apiVersion: 'v1', kind: 'Pod' }, { resourceVersion: await client.store.currentResourceVersion() }, { onEvent: (ev) => {
  if (ev.type === 'MODIFIED') writes++;
  const ph = ev.object.status?.phase;
  if (ph === 'Succeeded' || ph === 'Failed') waiters.get(ev.object.metadata.name)?.(ph);
}});
const pod = (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'argosy-node', restartPolicy: 'Never', containers: [{ name: 'main', image: 'alpine', command: ['true'] }] } });
const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
const podT = [], bareT = [], bwT = [];
for (let i = 0; i < N; i++) {
  bareT.push(await bare());
  bwT.push(await bwrapBare());
  const t = performance.now();
  const done = new Promise((r) => waiters.set('p' + i, r));
  await client.create(pod('p' + i));
  const ph = await done;
  if (ph !== 'Succeeded') throw new Error('pod failed');
  podT.push(performance.now() - t);
}
console.log(JSON.stringify({ sandbox, launcher, N, bareSpawnMs: med(bareT).toFixed(2), bareBwrapMs: med(bwT).toFixed(2), podMs: med(podT).toFixed(2), statusWritesPerPod: (writes / N).toFixed(2) }));
await agent.stop();
process.exit(0);

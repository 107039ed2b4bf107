// node /tmp/trace.mjs file.yaml [auto|none]
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
const { startEmbedded } = await import('/work/main/dist/cli/runtime.js');
const wf = parse(readFileSync(process.argv[2], 'utf8'));
wf.metadata.namespace = 'default';
const rt = await startEmbedded({ sandbox: process.argv[3] ?? 'auto', events: false });
const t0 = performance.now();
const ev = new Map(); // pod -> {created, bound, running, done}
const now = () => performance.now() - t0;
let wfWrites = 0;
const w1 = rt.client.watch({ apiVersion: 'v1', kind: 'Pod' }, {}, { onEvent: (e) => {
  const p = e.object; const n = p.metadata.name;
  let r = ev.get(n); if (!r) ev.set(n, (r = {}));
  if (e.type === 'ADDED') r.created ??= now();
  if (p.spec.nodeName && !r.bound) r.bound = now();
  if (p.status?.phase === 'Running') r.running ??= now();
  if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') r.done ??= now();
}});
const created = await rt.client.create(wf);
await new Promise((res) => {
  rt.client.watch({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' }, {}, { onEvent: (e) => { wfWrites++; if (['Succeeded','Failed','Error'].includes(e.object.status?.phase)) res(); } });
});
const total = now();
const rows = [...ev.values()].sort((a, b) => a.created - b.created);
const gaps = { createToBound: [], boundToRunningOrDone: [], createToDone: [], doneToNextCreate: [] };
for (let i = 0; i < rows.length; i++) {
  const r = rows[i];
  gaps.createToBound.push(r.bound - r.created);
  gaps.createToDone.push(r.done - r.created);
  if (i + 1 < rows.length) gaps.doneToNextCreate.push(rows[i + 1].created - r.done);
}
const med = (a) => { const s = a.filter((x) => !isNaN(x)).sort((x, y) => x - y); return s[Math.floor(s.length / 2)]?.toFixed(2); };
console.log(`total ${total.toFixed(0)} ms, pods ${rows.length}, wf events ${wfWrites}`);
for (const [k, v] of Object.entries(gaps)) console.log(k, 'median', med(v), 'ms');
await rt.stop();
process.exit(0);

// Restart safety: `argosy server` is SIGKILLed while 20 workflows run, then started again on the same
// data dir. Every workflow must finish Succeeded, none may be lost, and no step that had completed
// before the kill may run a second time (each step appends a line to a file on a hostPath volume).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Workflow } from '../src/model/argo.js';
import { freePort } from './helpers.js';

const BIN = join(__dirname, '..', 'bin', 'argosy');
const root = mkdtempSync(join(tmpdir(), 'argosy-restart-'));
const dataDir = join(root, 'data');
const outDir = join(root, 'out');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) return child;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`argosy server exited with ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) throw new Error(`argosy server did not become ready: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const workflow = (i: number) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: `restart-${i}` },
  spec: {
    entrypoint: 'main',
    volumes: [{ name: 'out', hostPath: { path: outDir, type: 'DirectoryOrCreate' } }],
    templates: [
      { name: 'main', steps: [[{ name: 'a', template: 'step', arguments: { parameters: [{ name: 's', value: 'a' }] } }], [{ name: 'b', template: 'step', arguments: { parameters: [{ name: 's', value: 'b' }] } }], [{ name: 'c', template: 'step', arguments: { parameters: [{ name: 's', value: 'c' }] } }]] },
      {
        name: 'step',
        inputs: { parameters: [{ name: 's' }] },
        container: { image: 'alpine', command: ['sh', '-c'], args: [`sleep 0.3; echo x; echo "{{workflow.name}}-{{inputs.parameters.s}}" >> ${outDir}/steps.log`], volumeMounts: [{ name: 'out', mountPath: outDir }] },
      },
    ],
  },
});

describe('argosy server restart safety', () => {
  it('finishes every workflow after a SIGKILL, without re-running completed steps', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let server = await startServer(port);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${base}/api/v1/workflows/default`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ workflow: workflow(i) }) });
      expect(r.status).toBe(200);
    }
    // Let some steps finish, then kill the server mid-run.
    const deadline = Date.now() + 20_000;
    let before: Workflow[] = [];
    for (;;) {
      before = ((await (await fetch(`${base}/api/v1/workflows/default`)).json()) as { items: Workflow[] }).items;
      const doneSteps = before.flatMap((w) => Object.values(w.status?.nodes ?? {})).filter((n) => n.type === 'Pod' && n.phase === 'Succeeded').length;
      if (doneSteps >= 10 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    const completedBefore = new Set<string>();
    for (const w of before) for (const n of Object.values(w.status?.nodes ?? {})) if (n.type === 'Pod' && n.phase === 'Succeeded') completedBefore.add(`${w.metadata.name}-${n.displayName}`);
    expect(completedBefore.size).toBeGreaterThan(0);
    const allDoneBefore = before.every((w) => w.status?.phase === 'Succeeded');
    expect(allDoneBefore).toBe(false);

    server = await startServer(port);
    const finishBy = Date.now() + 30_000;
    let after: Workflow[] = [];
    for (;;) {
      after = ((await (await fetch(`${base}/api/v1/workflows/default`)).json()) as { items: Workflow[] }).items;
      if (after.length === 20 && after.every((w) => ['Succeeded', 'Failed', 'Error'].includes(w.status?.phase ?? ''))) break;
      if (Date.now() > finishBy) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(after).toHaveLength(20);
    expect(after.map((w) => `${w.metadata.name}:${w.status?.phase}`).filter((s) => !s.endsWith(':Succeeded'))).toEqual([]);

    const counts = new Map<string, number>();
    for (const line of readFileSync(join(outDir, 'steps.log'), 'utf8').split('\n').filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
    for (let i = 0; i < 20; i++) for (const s of ['a', 'b', 'c']) expect(counts.get(`restart-${i}-${s}`) ?? 0, `restart-${i}-${s} ran`).toBeGreaterThanOrEqual(1);
    const rerun = [...completedBefore].filter((k) => (counts.get(k) ?? 0) !== 1);
    expect(rerun, 'steps that had completed before the kill and ran again').toEqual([]);

    server.kill('SIGTERM');
    const code = await new Promise((r) => server.once('exit', r));
    expect(code).toBe(0);
  }, 60_000);
});

// Replicas: two `argosy server` processes share one PostgreSQL schema. Both serve the API; the one holding
// the `argosy-controller` Lease runs the controllers and the node agent. Workflows submitted through the
// standby run on the leader; when the leader is SIGKILLed mid-workflow the standby takes over within the
// lease time, the workflow finishes Succeeded, and no step that had completed before the kill runs again
// (each step appends a line to a file on a hostPath volume in a shared temporary directory). A leader
// stopped with SIGTERM hands over at once (it releases the lease).
//
// Needs PostgreSQL (env ARGOSY_PG, default postgres://postgres@127.0.0.1:5432/postgres); fails with a clear
// message when it cannot be reached. Uses a fresh schema per run and drops it afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workflow } from '../src/model/argo.js';
import { freePort, sleep, waitForWith } from './helpers.js';

const BIN = join(__dirname, '..', 'bin', 'argosy');
const PG_URL = process.env.ARGOSY_PG || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `argosy_replicas_${process.pid}_${Date.now().toString(36)}`;
const STORE = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${SCHEMA}`;
const LEASE_SECONDS = 4;
const root = mkdtempSync(join(tmpdir(), 'argosy-replicas-'));
const outDir = join(root, 'out');
const children: { name: string; child: ChildProcess; log: () => string }[] = [];

beforeAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
  } catch (err) {
    throw new Error(`test/replicas.test.ts needs PostgreSQL at ${PG_URL} (set ARGOSY_PG): ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
});

afterAll(async () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(({ child }) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
  const c = new pg.Client({ connectionString: PG_URL });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  } finally {
    await c.end().catch(() => undefined);
  }
  rmSync(root, { recursive: true, force: true });
});

async function role(base: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${base}/readyz`);
    return r.ok ? r.headers.get('x-argosy-role') ?? undefined : undefined;
  } catch {
    return undefined;
  }
}

async function startReplica(name: string): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const args = [BIN, 'server', '--store', STORE, '--data-dir', join(root, `data-${name}`), '--port', String(port), '--lease-seconds', String(LEASE_SECONDS), '--identity', `replica-${name}`];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  children.push({ name, child, log: () => log });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (!(await role(base))) {
    if (child.exitCode !== null) throw new Error(`replica ${name} exited with ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) throw new Error(`replica ${name} did not become ready: ${log}`);
    await sleep(100);
  }
  return { base, child };
}

const waitFor = waitForWith(() => children.map((c) => `--- ${c.name}\n${c.log().slice(-3000)}`).join('\n'));

const getWf = async (base: string, name: string): Promise<Workflow | undefined> => {
  const r = await fetch(`${base}/api/v1/workflows/default/${name}`);
  return r.ok ? ((await r.json()) as Workflow) : undefined;
};

const submit = async (base: string, wf: object) => {
  const r = await fetch(`${base}/api/v1/workflows/default`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ workflow: wf }) });
  expect(r.status, await r.clone().text()).toBe(200);
};

const done = (w?: Workflow) => ['Succeeded', 'Failed', 'Error'].includes(w?.status?.phase ?? '');

const hello = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['sh', '-c', 'echo hello'] } }] },
});

const threeSteps = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name },
  spec: {
    entrypoint: 'main',
    volumes: [{ name: 'out', hostPath: { path: outDir, type: 'DirectoryOrCreate' } }],
    templates: [
      { name: 'main', steps: ['a', 'b', 'c'].map((s) => [{ name: s, template: 'step', arguments: { parameters: [{ name: 's', value: s }] } }]) },
      {
        name: 'step',
        inputs: { parameters: [{ name: 's' }] },
        container: { image: 'alpine', command: ['sh', '-c'], args: [`sleep 1; echo "{{workflow.name}}-{{inputs.parameters.s}}" >> ${outDir}/steps.log`], volumeMounts: [{ name: 'out', mountPath: outDir }] },
      },
    ],
  },
});

const podNodes = (w?: Workflow) => Object.values(w?.status?.nodes ?? {}).filter((n) => n.type === 'Pod');

describe('argosy server replicas on PostgreSQL', () => {
  it('runs workflows on the leader, fails over on SIGKILL without re-running completed steps', async () => {
    const t0 = Date.now();
    const a = await startReplica('a');
    await waitFor('replica a to lead', async () => ((await role(a.base)) === 'leader' ? true : undefined), (LEASE_SECONDS + 3) * 1000);
    const b = await startReplica('b');
    expect(await role(b.base)).toBe('standby');
    const readyz = await (await fetch(`${b.base}/readyz`)).text();
    expect(readyz).toMatch(/standby.*leader replica-a/);
    console.log(`replicas up in ${Date.now() - t0} ms`);

    // Submitted through the standby, run by the leader, visible through both.
    const t1 = Date.now();
    for (let i = 0; i < 3; i++) await submit(b.base, hello(`hello-${i}`));
    for (let i = 0; i < 3; i++) {
      const w = await waitFor(`hello-${i} to finish`, async () => {
        const w = await getWf(b.base, `hello-${i}`);
        return done(w) ? w : undefined;
      }, 20_000);
      expect(w.status?.phase).toBe('Succeeded');
      expect((await getWf(a.base, `hello-${i}`))?.status?.phase).toBe('Succeeded');
    }
    console.log(`3 workflows via the standby in ${Date.now() - t1} ms`);

    // Kill the leader once step a has completed and step b is running.
    await submit(b.base, threeSteps('failover'));
    const before = await waitFor('step a done and step b running', async () => {
      const w = await getWf(b.base, 'failover');
      const nodes = podNodes(w);
      const aDone = nodes.some((n) => n.displayName === 'a' && n.phase === 'Succeeded');
      const bRunning = nodes.some((n) => n.displayName === 'b' && n.phase === 'Running');
      return aDone && bRunning ? w : undefined;
    }, 20_000, 50);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => (a.child.exitCode === null && a.child.signalCode === null ? a.child.once('exit', r) : r(undefined)));
    const completedBefore = podNodes(before).filter((n) => n.phase === 'Succeeded').map((n) => n.displayName);
    expect(completedBefore).toContain('a');

    await waitFor('replica b to take over', async () => ((await role(b.base)) === 'leader' ? true : undefined), (LEASE_SECONDS + 4) * 1000, 50);
    const takeover = Date.now() - killedAt;
    console.log(`takeover after ${takeover} ms (lease ${LEASE_SECONDS} s)`);
    expect(takeover).toBeLessThan((LEASE_SECONDS + 3) * 1000);

    const after = await waitFor('the failover workflow to finish', async () => {
      const w = await getWf(b.base, 'failover');
      return done(w) ? w : undefined;
    }, 25_000);
    console.log(`failover workflow finished ${Date.now() - killedAt} ms after the kill`);
    expect(after.status?.phase).toBe('Succeeded');
    expect(podNodes(after).map((n) => `${n.displayName}:${n.phase}`).sort()).toEqual(['a:Succeeded', 'b:Succeeded', 'c:Succeeded']);

    const lines = existsSync(join(outDir, 'steps.log')) ? readFileSync(join(outDir, 'steps.log'), 'utf8').split('\n').filter(Boolean) : [];
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    console.log(`step executions: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const s of ['a', 'b', 'c']) expect(counts.get(`failover-${s}`) ?? 0, `failover-${s} ran`).toBeGreaterThanOrEqual(1);
    for (const s of completedBefore) expect(counts.get(`failover-${s}`), `step ${s} had completed before the kill`).toBe(1);
    // Step c started only after the takeover: exactly once too.
    expect(counts.get('failover-c')).toBe(1);

    // Exactly one workflow object, Succeeded once: it stays Succeeded (no second run) for a moment.
    await sleep(1500);
    const list = ((await (await fetch(`${b.base}/api/v1/workflows/default`)).json()) as { items: Workflow[] }).items;
    expect(list.filter((w) => w.metadata.name === 'failover').map((w) => w.status?.phase)).toEqual(['Succeeded']);
    expect(readFileSync(join(outDir, 'steps.log'), 'utf8').split('\n').filter(Boolean)).toHaveLength(lines.length);

    // A leader stopped with SIGTERM releases the lease: a standby takes over without waiting for it to expire.
    const c = await startReplica('c');
    expect(await role(c.base)).toBe('standby');
    b.child.kill('SIGTERM');
    const termAt = Date.now();
    const code = await new Promise((r) => b.child.once('exit', r));
    expect(code).toBe(0);
    await waitFor('replica c to take over', async () => ((await role(c.base)) === 'leader' ? true : undefined), LEASE_SECONDS * 1000, 50);
    const handover = Date.now() - termAt;
    console.log(`handover after SIGTERM: ${handover} ms`);
    expect(handover).toBeLessThan(LEASE_SECONDS * 1000);
    c.child.kill('SIGTERM');
    expect(await new Promise((r) => c.child.once('exit', r))).toBe(0);
    console.log(`total ${Date.now() - t0} ms`);
  }, 60_000);
});

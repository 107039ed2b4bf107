// A Workflow whose status has 10,000 nodes (synthetic: written through the API, not run) is stored and
// served back — Argo GET, Argo list with `fields`, Kubernetes list with `limit` — on SQLite and on
// PostgreSQL, without a size error. Timings are logged, not asserted.
// The PostgreSQL case needs PostgreSQL (env ARGOSY_PG) and fails clearly without it; fresh schema per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EmbeddedRuntime, startEmbedded } from '../src/cli/runtime.js';
import type { Workflow } from '../src/model/argo.js';
import { ApiServer } from '../src/server/server.js';
import { dropSchemaQuietly } from './helpers.js';

const PG_URL = process.env.ARGOSY_PG || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `argosy_large_${process.pid}_${Date.now().toString(36)}`;
const root = mkdtempSync(join(tmpdir(), 'argosy-large-'));
const N = 10_000;

afterAll(async () => {
  await dropSchemaQuietly(PG_URL, SCHEMA);
  rmSync(root, { recursive: true, force: true });
});

function bigWorkflow(name: string): Workflow {
  const started = '2026-01-01T00:00:00Z';
  const nodes: Record<string, unknown> = {};
  const children: string[] = [];
  for (let i = 1; i < N; i++) {
    const id = `${name}-${1000000000 + i}`;
    children.push(id);
    nodes[id] = {
      id,
      name: `${name}[0].step-${i}`,
      displayName: `step-${i}`,
      type: 'Pod',
      templateName: 'step',
      phase: 'Succeeded',
      boundaryID: name,
      startedAt: started,
      finishedAt: started,
      progress: '1/1',
      resourcesDuration: { cpu: 1, memory: 1 },
      outputs: { exitCode: '0', parameters: [{ name: 'out', value: `value-${i}` }] },
      hostNodeName: 'argosy-node',
    };
  }
  nodes[name] = { id: name, name, displayName: name, type: 'Steps', templateName: 'main', phase: 'Succeeded', startedAt: started, finishedAt: started, progress: `${N - 1}/${N - 1}`, children };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: 'default' },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['true'] } }] },
    status: { phase: 'Succeeded', startedAt: started, finishedAt: started, progress: `${N - 1}/${N - 1}`, nodes },
  } as unknown as Workflow;
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const v = await fn();
  console.log(`${label}: ${Date.now() - t} ms`);
  return v;
}

async function exercise(kind: string, rt: EmbeddedRuntime): Promise<void> {
  const server = new ApiServer({ store: rt.store, dataDir: rt.dataDir });
  const { url } = await server.listen(0);
  try {
    const kube = `${url}/apis/argoproj.io/v1alpha1/namespaces/default/workflows`;
    const wf = bigWorkflow('big');
    const body = JSON.stringify(wf);
    console.log(`[${kind}] workflow JSON: ${(body.length / 1024 / 1024).toFixed(1)} MiB, ${N} nodes`);
    // A few small workflows alongside, so the list has something else to page through.
    for (let i = 0; i < 20; i++) {
      const r = await fetch(kube, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...wf, metadata: { name: `small-${i}`, namespace: 'default' }, status: { phase: 'Succeeded' } }) });
      expect(r.status).toBe(201);
    }
    const created = await timed(`[${kind}] POST`, () => fetch(kube, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }));
    expect(created.status, await created.clone().text().then((t) => t.slice(0, 500))).toBe(201);
    // Workflow has no status subresource (as in Argo's CRD): the status is stored as given. Update it once too.
    const cur = (await created.json()) as Workflow;
    expect(Object.keys(cur.status?.nodes ?? {})).toHaveLength(N);
    // The archiver (SQLite) may label the completed workflow meanwhile: re-read and retry on Conflict.
    const put = await timed(`[${kind}] PUT`, async () => {
      for (let attempt = 0; ; attempt++) {
        const latest = (await (await fetch(`${kube}/big`)).json()) as Workflow;
        const r = await fetch(`${kube}/big`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...wf, metadata: { ...latest.metadata, labels: { ...latest.metadata.labels, touched: 'yes' } } }) });
        if (r.status !== 409 || attempt >= 5) return r;
      }
    });
    expect(put.status, await put.clone().text().then((t) => t.slice(0, 500))).toBe(200);

    const got = await timed(`[${kind}] Argo GET`, async () => (await (await fetch(`${url}/api/v1/workflows/default/big`)).json()) as Workflow);
    expect(Object.keys(got.status?.nodes ?? {})).toHaveLength(N);
    expect(got.status?.nodes?.[`big-${1000000000 + 42}`]?.outputs?.parameters?.[0]?.value).toBe('value-42');

    const projected = await timed(`[${kind}] Argo list fields=metadata.name,status.phase`, async () => {
      const r = await fetch(`${url}/api/v1/workflows/default?fields=items.metadata.name,items.status.phase`);
      expect(r.status).toBe(200);
      return (await r.json()) as { items: Workflow[] };
    });
    expect(projected.items).toHaveLength(21);
    expect(projected.items.find((w) => w.metadata.name === 'big')?.status?.nodes).toBeUndefined();

    const full = await timed(`[${kind}] Argo list (full)`, async () => (await (await fetch(`${url}/api/v1/workflows/default`)).json()) as { items: Workflow[] });
    expect(Object.keys(full.items.find((w) => w.metadata.name === 'big')?.status?.nodes ?? {})).toHaveLength(N);

    const names: string[] = [];
    await timed(`[${kind}] kube list limit=5 (all pages)`, async () => {
      let cont = '';
      for (;;) {
        const r = await fetch(`${kube}?limit=5${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        expect(r.status).toBe(200);
        const page = (await r.json()) as { items: Workflow[]; metadata: { continue?: string } };
        expect(page.items.length).toBeLessThanOrEqual(5);
        names.push(...page.items.map((w) => w.metadata.name!));
        if (!page.metadata.continue) break;
        cont = page.metadata.continue;
      }
    });
    expect(names.sort()).toEqual(['big', ...Array.from({ length: 20 }, (_, i) => `small-${i}`)].sort());
    await timed(`[${kind}] kube list limit=1`, async () => expect((await fetch(`${kube}?limit=1`)).status).toBe(200));
  } finally {
    await server.close();
  }
}

describe('a workflow status with 10,000 nodes', () => {
  it('is stored and served back on SQLite', async () => {
    const rt = await startEmbedded({ dataDir: join(root, 'sqlite'), store: 'sqlite', sandbox: 'none' });
    try {
      await exercise('sqlite', rt);
    } finally {
      await rt.stop();
    }
  }, 60_000);

  it('is stored and served back on PostgreSQL', async () => {
    let rt: EmbeddedRuntime;
    try {
      rt = await startEmbedded({ dataDir: join(root, 'pg'), store: 'postgres', postgres: { connectionString: PG_URL, schema: SCHEMA }, sandbox: 'none' });
    } catch (err) {
      throw new Error(`this test needs PostgreSQL at ${PG_URL} (set ARGOSY_PG): ${(err as Error).message}`);
    }
    try {
      await exercise('postgres', rt);
    } finally {
      await rt.stop();
    }
  }, 60_000);
});

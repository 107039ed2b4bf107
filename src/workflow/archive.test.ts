import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { MemoryStore } from '../store/memory.js';
import { ApiServer } from '../server/server.js';
import { WorkflowArchive, WorkflowArchiver, WorkflowTtlController, closeArchive, ttlExpiry } from './archive.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function done(name: string, uid: string, finishedAt: string, extra: { ns?: string; phase?: string; labels?: Record<string, string> } = {}): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: extra.ns ?? 'argo', uid, labels: extra.labels ?? {}, creationTimestamp: finishedAt },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] },
    status: { phase: (extra.phase ?? 'Succeeded') as 'Succeeded', startedAt: finishedAt, finishedAt, nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', phase: 'Succeeded' } } },
  } as Workflow;
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('WorkflowArchive', () => {
  it('stores completed workflows once by uid, with nodes; lists with filters and pagination; gets and deletes', () => {
    const a = new WorkflowArchive(':memory:');
    cleanups.push(() => a.close());
    expect(a.archive({ ...done('running', 'u0', '2026-01-01T00:00:00Z'), status: { phase: 'Running' } } as Workflow)).toBe(false);
    for (let i = 1; i <= 5; i++) a.archive(done(`wf-${i}`, `u${i}`, `2026-01-01T00:0${i}:00Z`, { labels: { team: i % 2 ? 'odd' : 'even' } }));
    a.archive(done('other-1', 'x1', '2026-01-01T00:03:00Z', { ns: 'other', phase: 'Failed' }));
    a.archive(done('wf-5', 'u5', '2026-01-01T00:05:00Z', { labels: { team: 'odd' } })); // again: still one row
    expect(a.list().items.map((w) => w.metadata.uid)).toEqual(['u5', 'u4', 'u3', 'x1', 'u2', 'u1']);
    expect(a.list({ namespace: 'argo', labelSelector: 'team=odd' }).items.map((w) => w.metadata.name)).toEqual(['wf-5', 'wf-3', 'wf-1']);
    expect(a.list({ namePrefix: 'oth' }).items.map((w) => w.metadata.name)).toEqual(['other-1']);
    expect(a.list({ minStartedAt: '2026-01-01T00:02:00Z', maxStartedAt: '2026-01-01T00:03:00Z', namespace: 'argo' }).items.map((w) => w.metadata.name)).toEqual(['wf-3', 'wf-2']);
    // Pages of 2 by finishedAt then uid, with a label selector applied while paging.
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = a.list({ limit: 2, continue: cont });
      seen.push(...page.items.map((w) => w.metadata.uid!));
      cont = page.continue;
      pages++;
    } while (cont);
    expect(seen).toEqual(['u5', 'u4', 'u3', 'x1', 'u2', 'u1']);
    expect(pages).toBe(3);
    expect(a.list().items[0].status?.nodes).toBeUndefined();
    expect(Object.keys(a.get('u3')!.status!.nodes!)).toEqual(['wf-3']);
    expect(a.labelKeys()).toEqual(['team']);
    expect(a.labelValues('team')).toEqual(['even', 'odd']);
    expect(a.delete('u3')).toBe(true);
    expect(a.get('u3')).toBeUndefined();
    expect(() => a.list({ continue: 'nonsense' })).toThrow(/invalid continue token/);
  });

  it('computes ttlStrategy expiry by outcome', () => {
    const wf = done('t', 't1', '2026-01-01T00:00:00Z');
    expect(ttlExpiry(wf)).toBeUndefined();
    wf.spec.ttlStrategy = { secondsAfterCompletion: 30, secondsAfterSuccess: 10 };
    expect(ttlExpiry(wf)).toBe(Date.parse('2026-01-01T00:00:10Z'));
    wf.status!.phase = 'Failed';
    expect(ttlExpiry(wf)).toBe(Date.parse('2026-01-01T00:00:30Z'));
  });
});

describe('archiver, TTL and the archived-workflows API', () => {
  it('archives a workflow when it completes, deletes it after its TTL, and serves it from the archive', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'argosy-archive-'));
    const store = new MemoryStore();
    const client = new EmbeddedClient(store);
    const archive = new WorkflowArchive(join(dataDir, 'archive.db'));
    const archiver = new WorkflowArchiver({ client, archive });
    const ttl = new WorkflowTtlController({ client });
    const server = new ApiServer({ store, dataDir });
    await archiver.start();
    await ttl.start();
    const base = (await server.listen(0)).url;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => store.close(), () => archive.close(), () => closeArchive(dataDir), () => archiver.stop(), () => ttl.stop(), () => server.close());

    const created = await client.create<Workflow>({ ...done('hello', '', '2026-01-01T00:00:00Z', { labels: { app: 'demo' } }), status: { phase: 'Running' } } as Workflow);
    const uid = created.metadata.uid!;
    expect(archive.has(uid)).toBe(false);
    const finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await client.patch(Kinds.Workflow, 'hello', 'argo', 'merge', { spec: { ttlStrategy: { secondsAfterCompletion: 0 } }, status: { phase: 'Succeeded', finishedAt } });
    await until(() => archive.has(uid));
    await until(async () => (await client.list(Kinds.Workflow, { namespace: 'argo' })).items.length === 0);

    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(base + path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, json: (await r.json()) as any };
    };
    const list = await call('GET', '/api/v1/archived-workflows?namespace=argo&listOptions.labelSelector=app%3Ddemo');
    expect(list.status).toBe(200);
    expect(list.json.items.map((w: Workflow) => w.metadata.uid)).toEqual([uid]);
    expect((await call('GET', '/api/v1/archived-workflows?namespace=argo&listOptions.labelSelector=app%3Dother')).json.items).toEqual([]);
    const got = await call('GET', `/api/v1/archived-workflows/${uid}`);
    expect(got.json.status.phase).toBe('Succeeded');
    expect((await call('GET', '/api/v1/archived-workflows-label-keys')).json.items).toContain('app');
    expect((await call('GET', '/api/v1/archived-workflows-label-values?listOptions.labelSelector=app')).json.items).toEqual(['demo']);
    const re = await call('PUT', `/api/v1/archived-workflows/${uid}/resubmit`, { namespace: 'argo' });
    expect(re.status).toBe(200);
    expect(re.json.metadata.name).toMatch(/^hello-/);
    expect(re.json.metadata.labels['workflows.argoproj.io/resubmitted-from-workflow']).toBe('hello');
    expect(re.json.status?.phase ?? '').toBe('');
    expect((await call('DELETE', `/api/v1/archived-workflows/${uid}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/archived-workflows/${uid}`)).status).toBe(404);
  });
});

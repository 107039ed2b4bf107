// The workflow archive on both backends: SQLite (a temporary file) and PostgreSQL (env ARGOSY_TEST_PG,
// default postgres://postgres@127.0.0.1:5432/postgres; every archive gets a fresh schema
// argosy_archive_test_<random>_<n>, dropped when the file is done, so parallel runs do not collide).
// The same suite runs on each; an unreachable PostgreSQL fails the run with a clear message.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { parseLabelSelector } from '../model/selectors.js';
import { MemoryStore } from '../store/memory.js';
import { ApiServer } from '../server/server.js';
import {
  type ArchivedLog,
  type WorkflowArchive,
  WorkflowArchiver,
  WorkflowTtlController,
  capLog,
  closeArchive,
  openArchive,
  ttlExpiry,
} from './archive.js';
import { PostgresWorkflowArchive } from './archive-postgres.js';
import { SqliteWorkflowArchive } from './archive-sqlite.js';

const PG_URL = process.env.ARGOSY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const run = `argosy_archive_test_${randomBytes(4).toString('hex')}`;
let n = 0;
const schemas: string[] = [];
const freshSchema = () => {
  const s = `${run}_${n++}`;
  schemas.push(s);
  return s;
};
const tmp = mkdtempSync(join(tmpdir(), 'argosy-archive-'));

beforeAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`src/workflow/archive.test.ts needs PostgreSQL at ${PG_URL} (set ARGOSY_TEST_PG): ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
});

afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } catch {
    // unreachable: beforeAll has already failed the run
  } finally {
    await c.end().catch(() => undefined);
  }
  rmSync(tmp, { recursive: true, force: true });
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty archive; `where` names a location to open a second handle on the same archive. */
  open(where?: string): Promise<{ archive: WorkflowArchive; where: string }>;
  /** openArchive() arguments that make a data dir's archive this backend. */
  forDataDir(dataDir: string, where: string): Promise<WorkflowArchive>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open(where = join(mkdtempSync(join(tmp, 'sq-')), 'archive.db')) {
      const archive = new SqliteWorkflowArchive(where);
      cleanups.push(() => archive.close());
      return { archive, where };
    },
    forDataDir: (dataDir) => openArchive(dataDir),
  },
  {
    name: 'postgres',
    async open(where = freshSchema()) {
      const archive = await PostgresWorkflowArchive.open({ connectionString: PG_URL, schema: where });
      cleanups.push(() => archive.close());
      return { archive, where };
    },
    forDataDir: (dataDir, where) => openArchive(dataDir, { postgres: { connectionString: PG_URL, schema: where } }),
  },
];

function done(name: string, uid: string, finishedAt: string, extra: { ns?: string; phase?: string; labels?: Record<string, string>; startedAt?: string } = {}): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: extra.ns ?? 'argo', uid, labels: extra.labels ?? {}, creationTimestamp: finishedAt },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['true'] } }] },
    status: {
      phase: (extra.phase ?? 'Succeeded') as 'Succeeded',
      startedAt: extra.startedAt ?? finishedAt,
      finishedAt,
      nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', phase: 'Succeeded' } },
    },
  } as Workflow;
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const uids = (l: { items: Workflow[] }) => l.items.map((w) => w.metadata.uid);

function log(podName: string, container: string, text: string, podCreated = '2026-01-01T00:00:00Z'): ArchivedLog {
  const content = Buffer.from(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => `2026-01-01T00:00:00.000000000Z stdout F ${l}\n`)
      .join(''),
  );
  return { podName, container, podUid: `${podName}-uid`, podCreated, content, droppedBytes: 0 };
}

describe.each(backends)('WorkflowArchive on $name', (backend) => {
  it('stores completed workflows once by uid, with nodes; lists with filters and pagination; gets and deletes', async () => {
    const { archive: a } = await backend.open();
    expect(a.backend).toBe(backend.name);
    expect(await a.archive({ ...done('running', 'u0', '2026-01-01T00:00:00Z'), status: { phase: 'Running' } } as Workflow)).toBe(false);
    for (let i = 1; i <= 5; i++) expect(await a.archive(done(`wf-${i}`, `u${i}`, `2026-01-01T00:0${i}:00Z`, { labels: { team: i % 2 ? 'odd' : 'even' } }))).toBe(true);
    await a.archive(done('other-1', 'x1', '2026-01-01T00:03:00Z', { ns: 'other', phase: 'Failed' }));
    expect(await a.archive(done('wf-5', 'u5', '2026-01-01T00:05:00Z', { labels: { team: 'odd' } }))).toBe(false); // again: still one row
    expect(uids(await a.list())).toEqual(['u5', 'u4', 'u3', 'x1', 'u2', 'u1']);
    expect((await a.list({ namespace: 'argo', labelSelector: 'team=odd' })).items.map((w) => w.metadata.name)).toEqual(['wf-5', 'wf-3', 'wf-1']);
    expect((await a.list({ namePrefix: 'oth' })).items.map((w) => w.metadata.name)).toEqual(['other-1']);
    expect((await a.list({ namePrefix: 'OTH' })).items).toEqual([]); // prefixes are case-sensitive
    expect((await a.list({ name: 'wf-2' })).items.map((w) => w.metadata.uid)).toEqual(['u2']);
    expect((await a.list({ minStartedAt: '2026-01-01T00:02:00Z', maxStartedAt: '2026-01-01T00:03:00Z', namespace: 'argo' })).items.map((w) => w.metadata.name)).toEqual(['wf-3', 'wf-2']);
    // Pages of 2 by finishedAt then uid.
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await a.list({ limit: 2, continue: cont });
      seen.push(...page.items.map((w) => w.metadata.uid!));
      cont = page.continue;
      pages++;
    } while (cont);
    expect(seen).toEqual(['u5', 'u4', 'u3', 'x1', 'u2', 'u1']);
    expect(pages).toBe(3);
    // A label selector while paging: pages stay full.
    const odd = await a.list({ labelSelector: 'team=odd', limit: 2 });
    expect(uids(odd)).toEqual(['u5', 'u3']);
    expect(uids(await a.list({ labelSelector: 'team=odd', limit: 2, continue: odd.continue }))).toEqual(['u1']);
    expect((await a.list()).items[0].status?.nodes).toBeUndefined();
    expect(Object.keys((await a.get('u3'))!.status!.nodes!)).toEqual(['wf-3']);
    expect((await a.getByName('argo', 'wf-3'))?.metadata.uid).toBe('u3');
    expect(await a.getByName('argo', 'nope')).toBeUndefined();
    expect(await a.labelKeys()).toEqual(['team']);
    expect(await a.labelValues('team')).toEqual(['even', 'odd']);
    expect(await a.has('u3')).toBe(true);
    expect(await a.delete('u3')).toBe(true);
    expect(await a.delete('u3')).toBe(false);
    expect(await a.get('u3')).toBeUndefined();
    expect(await a.has('u3')).toBe(false);
    await expect(a.list({ continue: 'nonsense' })).rejects.toThrow(/invalid continue token/);
    await expect(a.list({ labelSelector: 'team in (' })).rejects.toThrow(/unable to parse requirement/);
  });

  it('evaluates every label selector operator in SQL exactly as Kubernetes matches labels', async () => {
    const { archive: a } = await backend.open();
    const labelSets: Record<string, string>[] = [
      {},
      { team: 'a' },
      { team: 'b' },
      { team: 'c', tier: 'web' },
      { tier: 'db' },
      { team: 'a', tier: 'db', size: '5' },
      { size: '10' },
      { size: '007' },
      { size: 'big' },
      { size: '' },
      { 'example.com/owner': 'x_y.z', team: 'b' },
    ];
    const wfs = labelSets.map((labels, i) => done(`w${i}`, `uid-${String(i).padStart(2, '0')}`, `2026-02-01T00:00:${String(10 + i)}Z`, { labels }));
    expect(await a.archiveMany(wfs)).toBe(wfs.length);
    const selectors = [
      'team=a',
      'team==a',
      'team!=a',
      'team in (a,b)',
      'team notin (a,b)',
      'team notin ()',
      'team',
      '!team',
      'team,tier',
      'team=a,tier=db',
      '!team,tier',
      'team!=a,!tier',
      'tier in (db),team notin (a)',
      'size>6',
      'size<6',
      'size>-1',
      'size=',
      'example.com/owner=x_y.z',
      'example.com/owner',
      'nothere',
      '!nothere',
      'team in (z)',
    ];
    for (const sel of selectors) {
      const want = wfs.filter((w) => parseLabelSelector(sel).matches(w.metadata.labels)).map((w) => w.metadata.uid);
      const got = uids(await a.list({ labelSelector: sel })).reverse(); // listed newest first
      expect(got, sel).toEqual(want);
      // And the same one item per page.
      const paged: string[] = [];
      let cont: string | undefined;
      do {
        const page = await a.list({ labelSelector: sel, limit: 1, continue: cont });
        paged.push(...page.items.map((w) => w.metadata.uid!));
        cont = page.continue;
      } while (cont);
      expect(paged.reverse(), `${sel} (paged)`).toEqual(want);
    }
    expect(await a.labelKeys()).toEqual(['example.com/owner', 'size', 'team', 'tier']);
    expect(await a.labelValues('size')).toEqual(['', '007', '10', '5', 'big']);
  });

  it('writes each completion once, also from two handles at the same time; a later completion replaces it', async () => {
    const { archive: a, where } = await backend.open();
    const { archive: b } = await backend.open(where);
    const wf = done('twice', 'tw-1', '2026-03-01T00:00:00Z', { labels: { try: '1' } });
    const results = await Promise.all([a.archive(wf), b.archive(wf), a.archive(wf), b.archive(wf)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    // Retried, completed again later: written again, labels replaced.
    const again = done('twice', 'tw-1', '2026-03-01T00:10:00Z', { labels: { try: '2' }, phase: 'Failed' });
    expect(await b.archive(again)).toBe(true);
    expect(await a.archive(wf)).toBe(false); // an older copy never overwrites a newer one
    expect((await a.get('tw-1'))?.status?.phase).toBe('Failed');
    expect(uids(await a.list({ labelSelector: 'try=2' }))).toEqual(['tw-1']);
    expect(uids(await a.list({ labelSelector: 'try=1' }))).toEqual([]);
    // The archiving-status label is not part of the archived copy.
    await a.archive(done('lbl', 'lbl-1', '2026-03-02T00:00:00Z', { labels: { 'workflows.argoproj.io/workflow-archiving-status': 'Pending', k: 'v' } }));
    expect((await b.get('lbl-1'))?.metadata.labels).toEqual({ k: 'v' });
  });

  it('compares times as instants whatever their precision or offset, and rejects a bound that is not a time', async () => {
    const { archive: a } = await backend.open();
    await a.archive(done('s', 't-s', '2026-04-01T10:00:00Z'));
    await a.archive(done('ms', 't-ms', '2026-04-01T10:00:00.500Z'));
    await a.archive(done('ns', 't-ns', '2026-04-01T10:00:01.250000000Z'));
    await a.archive(done('off', 't-off', '2026-04-01T12:00:02+02:00'));
    expect(uids(await a.list())).toEqual(['t-off', 't-ns', 't-ms', 't-s']);
    expect(uids(await a.list({ minStartedAt: '2026-04-01T10:00:00.100Z', maxStartedAt: '2026-04-01T10:00:01.300Z' }))).toEqual(['t-ns', 't-ms']);
    expect(uids(await a.list({ minStartedAt: '2026-04-01T12:00:01+02:00' }))).toEqual(['t-off', 't-ns']);
    await expect(a.list({ minStartedAt: 'yesterday' })).rejects.toThrow(/lower startedAt bound "yesterday" is not a time/);
  });

  it('keeps pod logs by workflow uid, pod and container; deleting the workflow deletes them; orphans can be dropped', async () => {
    const { archive: a } = await backend.open();
    await a.archive(done('logs', 'lg-1', '2026-05-01T00:00:00Z'));
    await a.putLogs('lg-1', [log('logs-b', 'main', 'b1\nb2', '2026-05-01T00:00:02Z'), log('logs-a', 'main', 'a1', '2026-05-01T00:00:01Z'), log('logs-a', 'init', 'i1', '2026-05-01T00:00:01Z')]);
    await a.putLogs('lg-1', [log('logs-b', 'main', 'b1\nb2\nb3', '2026-05-01T00:00:02Z')]); // replaced, not added
    const all = await a.logs('lg-1');
    expect(all.map((l) => `${l.podName}/${l.container}`)).toEqual(['logs-a/init', 'logs-a/main', 'logs-b/main']);
    expect((await a.logs('lg-1', { podName: 'logs-b', container: 'main' }))[0].content.toString()).toContain('stdout F b3\n');
    expect((await a.logs('lg-1', { container: 'main' })).map((l) => l.podName)).toEqual(['logs-a', 'logs-b']);
    // Binary-safe.
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    await a.putLogs('lg-1', [{ ...log('bin', 'main', ''), content: bytes, droppedBytes: 7 }]);
    const bin = (await a.logs('lg-1', { podName: 'bin' }))[0];
    expect(Buffer.compare(bin.content, bytes)).toBe(0);
    expect(bin.droppedBytes).toBe(7);
    // Logs of a workflow that was never archived are orphans.
    await a.putLogs('never', [log('never-x', 'main', 'x')]);
    await a.dropOrphanLogs('never');
    await a.dropOrphanLogs('lg-1');
    expect(await a.logs('never')).toEqual([]);
    expect(await a.logs('lg-1')).toHaveLength(4);
    await a.delete('lg-1');
    expect(await a.logs('lg-1')).toEqual([]);
  });

  it('archives a workflow when it completes, deletes it after its TTL, and serves it from the archive over REST', async () => {
    const dataDir = mkdtempSync(join(tmp, 'api-'));
    const store = new MemoryStore();
    const client = new EmbeddedClient(store);
    // The data dir's archive, as the runtime opens it: the API server finds the same one.
    const archive = await backend.forDataDir(dataDir, backend.name === 'postgres' ? freshSchema() : '');
    const archiver = new WorkflowArchiver({ client, archive });
    const ttl = new WorkflowTtlController({ client });
    const server = new ApiServer({ store, dataDir });
    await archiver.start();
    await ttl.start();
    const base = (await server.listen(0)).url;
    cleanups.push(() => store.close(), () => closeArchive(dataDir), () => archiver.stop(), () => ttl.stop(), () => server.close());

    const created = await client.create<Workflow>({ ...done('hello', '', '2026-01-01T00:00:00Z', { labels: { app: 'demo' } }), status: { phase: 'Running' } } as Workflow);
    const uid = created.metadata.uid!;
    expect(await archive.has(uid)).toBe(false);
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
    expect((await call('GET', '/api/v1/archived-workflows?namespace=argo&listOptions.labelSelector=app%20notin%20(other),!nope')).json.items).toHaveLength(1);
    const bad = await call('GET', '/api/v1/archived-workflows?listOptions.fieldSelector=spec.startedAt%3Eyesterday');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/not a time/);
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

  it('the archiver copies each finished pod’s log files (tail-capped) and forgets those of workflows deleted unfinished', async () => {
    const dataDir = mkdtempSync(join(tmp, 'logs-'));
    const store = new MemoryStore();
    const client = new EmbeddedClient(store);
    const { archive } = await backend.open();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const logFile = (pod: KObject, container: string) => join(dataDir, pod.metadata.name!, `${container}.log`);
    const archiver = new WorkflowArchiver({ client, archive, podLogPath: logFile, maxLogBytes: 64 });
    await archiver.start();
    cleanups.push(() => store.close(), () => archiver.stop());

    const wf = await client.create<Workflow>({ ...done('wf', '', '2026-01-01T00:00:00Z'), status: { phase: 'Running' } } as Workflow);
    const pod = (name: string, owner: Workflow): KObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'argo', labels: { 'workflows.argoproj.io/workflow': owner.metadata.name! }, ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: owner.metadata.name!, uid: owner.metadata.uid! }] },
      spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'main' }, { name: 'wait' }] },
      status: { phase: 'Running' },
    });
    const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `2026-01-01T00:00:0${i}.000000000Z stdout F ${prefix}${i}\n`).join('');
    const p1 = await client.create(pod('wf-p1', wf));
    mkdirSync(join(dataDir, 'wf-p1'), { recursive: true });
    writeFileSync(logFile(p1, 'main'), lines('one-', 3)); // 3 × 44 bytes: over the 64-byte cap
    writeFileSync(logFile(p1, 'init'), lines('i', 1));
    await client.patch(Kinds.Pod, 'wf-p1', 'argo', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await until(async () => (await archive.logs(wf.metadata.uid!)).length === 2);
    const main = (await archive.logs(wf.metadata.uid!, { container: 'main' }))[0];
    expect(main.content.toString()).toBe(lines('one-', 3).split('\n').slice(2).join('\n')); // the last whole line that fits
    expect(main.droppedBytes).toBe(Buffer.byteLength(lines('one-', 3)) - main.content.length);
    // The workflow completes and is deleted: the archive has it, and the pod's logs stay.
    await client.patch(Kinds.Workflow, 'wf', 'argo', 'merge', { status: { phase: 'Succeeded', finishedAt: '2026-01-01T00:01:00Z' } });
    await until(() => archive.has(wf.metadata.uid!));
    await client.delete(Kinds.Workflow, 'wf', 'argo'); // its pods go with it
    await until(async () => (await client.list(Kinds.Pod, { namespace: 'argo' })).items.length === 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await archive.logs(wf.metadata.uid!)).toHaveLength(2);

    // A workflow deleted while running: its finished pods' logs are dropped with it.
    const gone = await client.create<Workflow>({ ...done('gone', '', '2026-01-01T00:00:00Z'), status: { phase: 'Running' } } as Workflow);
    await client.create(pod('gone-p1', gone));
    mkdirSync(join(dataDir, 'gone-p1'), { recursive: true });
    writeFileSync(logFile({ metadata: { name: 'gone-p1' } } as KObject, 'main'), lines('g', 1));
    await client.patch(Kinds.Pod, 'gone-p1', 'argo', 'merge', { status: { phase: 'Failed' } }, { subresource: 'status' });
    await until(async () => (await archive.logs(gone.metadata.uid!)).length === 1);
    await client.delete(Kinds.Workflow, 'gone', 'argo');
    await until(async () => (await archive.logs(gone.metadata.uid!)).length === 0);
  });
});

describe('WorkflowArchiver', () => {
  it('copies the logs of pods that finished before it started, and retries when the archive fails', async () => {
    const dataDir = mkdtempSync(join(tmp, 'retry-'));
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const store = new MemoryStore();
    const client = new EmbeddedClient(store);
    const real = new SqliteWorkflowArchive(join(dataDir, 'archive.db'));
    let failures = 1;
    const flaky: WorkflowArchive = Object.assign(Object.create(real) as WorkflowArchive, {
      archive: async (wf: Workflow) => {
        if (failures-- > 0) throw new Error('database unavailable');
        return real.archive(wf);
      },
    });
    cleanups.push(() => store.close(), () => real.close());
    // Everything happened while no archiver ran.
    const wf = await client.create<Workflow>({ ...done('early', '', '2026-01-01T00:00:00Z'), status: { phase: 'Running' } } as Workflow);
    const pod = await client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'early-p', namespace: 'argo', labels: { 'workflows.argoproj.io/workflow': 'early' }, ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'early', uid: wf.metadata.uid! }] },
      spec: { containers: [{ name: 'main' }] },
    } as KObject);
    await client.patch(Kinds.Pod, 'early-p', 'argo', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' });
    mkdirSync(join(dataDir, 'pods'), { recursive: true });
    writeFileSync(join(dataDir, 'pods', 'early-p.main.log'), '2026-01-01T00:00:00.000000000Z stdout F early bird\n');
    await client.patch(Kinds.Workflow, 'early', 'argo', 'merge', { status: { phase: 'Succeeded', finishedAt: '2026-01-01T00:00:05Z' } });

    const errors: string[] = [];
    const logger = { info: () => {}, warn: () => {}, error: (m: string) => void errors.push(m) };
    const archiver = new WorkflowArchiver({ client, archive: flaky, logger, podLogPath: (p, c) => join(dataDir, 'pods', `${p.metadata.name}.${c}.log`) });
    await archiver.start();
    cleanups.push(() => archiver.stop());
    await until(() => real.has(wf.metadata.uid!), 8000); // the first attempt fails, the retry 2 s later succeeds
    expect(errors[0]).toMatch(/could not archive workflow argo\/early/);
    await until(async () => (await real.logs(wf.metadata.uid!)).length === 1);
    expect((await real.logs(wf.metadata.uid!))[0]).toMatchObject({ podName: 'early-p', container: 'main', podUid: pod.metadata.uid });
    await until(async () => (await client.get<Workflow>(Kinds.Workflow, 'early', 'argo')).metadata.labels?.['workflows.argoproj.io/workflow-archiving-status'] === 'Archived');
  }, 15_000);
});

describe('SqliteWorkflowArchive', () => {
  it('upgrades a first-version archive.db: labels into their table, times into one format', async () => {
    const path = join(mkdtempSync(join(tmp, 'old-')), 'archive.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE archived_workflows (uid TEXT PRIMARY KEY, name TEXT NOT NULL, namespace TEXT NOT NULL, phase TEXT NOT NULL,
      started_at TEXT NOT NULL, finished_at TEXT NOT NULL, labels TEXT NOT NULL, data TEXT NOT NULL)`);
    const ins = db.prepare('INSERT INTO archived_workflows VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const [uid, t, team] of [['o1', '2026-01-01T00:00:00Z', 'a'], ['o2', '2026-01-01T00:00:00.500Z', 'b']]) {
      const wf = done(uid, uid, t, { labels: { team } });
      ins.run(uid, uid, 'argo', 'Succeeded', t, t, JSON.stringify({ team }), JSON.stringify(wf));
    }
    db.close();
    const a = new SqliteWorkflowArchive(path);
    cleanups.push(() => a.close());
    expect(uids(await a.list())).toEqual(['o2', 'o1']);
    expect(uids(await a.list({ labelSelector: 'team=a' }))).toEqual(['o1']);
    expect(uids(await a.list({ maxStartedAt: '2026-01-01T00:00:00.100Z' }))).toEqual(['o1']);
    await a.close();
    const again = new SqliteWorkflowArchive(path); // already upgraded: opens as is
    cleanups.push(() => again.close());
    expect(await again.labelValues('team')).toEqual(['a', 'b']);
  });
});

describe('capLog', () => {
  it('keeps the tail from a line start, and counts what it dropped', () => {
    const text = Buffer.from('aaaa\nbbbb\ncccc\n');
    expect(capLog(text, 100)).toEqual({ content: text, droppedBytes: 0 });
    expect(capLog(text, 10).content.toString()).toBe('bbbb\ncccc\n');
    expect(capLog(text, 10).droppedBytes).toBe(5);
    expect(capLog(text, 8).content.toString()).toBe('cccc\n');
    expect(capLog(text, 8, 3).droppedBytes).toBe(13);
    expect(capLog(Buffer.from('x'.repeat(20)), 5).content.toString()).toBe('xxxxx'); // one long line: cut inside it
  });
});

describe('ttlExpiry', () => {
  it('computes ttlStrategy expiry by outcome', () => {
    const wf = done('t', 't1', '2026-01-01T00:00:00Z');
    expect(ttlExpiry(wf)).toBeUndefined();
    wf.spec.ttlStrategy = { secondsAfterCompletion: 30, secondsAfterSuccess: 10 };
    expect(ttlExpiry(wf)).toBe(Date.parse('2026-01-01T00:00:10Z'));
    wf.status!.phase = 'Failed';
    expect(ttlExpiry(wf)).toBe(Date.parse('2026-01-01T00:00:30Z'));
  });
});

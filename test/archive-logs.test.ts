// Logs of archived workflows outlive the workflow and its pods, on the SQLite and the PostgreSQL
// store: a real embedded runtime (node agent, no sandbox) runs a two-pod workflow, the archiver copies
// each pod's log as it finishes, the workflow is deleted (its pods and their files with it), and the
// logs are still served over REST — by /api/v1/archived-workflows/{uid}/log, and by the workflow's own
// …/log, which falls back to the archive — and through the built CLI (`argosy archive logs`, `argosy logs`).
// With PostgreSQL, a second API server (another replica's, its own data dir) serves the same archive.
// Needs PostgreSQL (env ARGOSY_PG) and a built dist/ (npm run build).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedRuntime, startEmbedded } from '../src/cli/runtime.js';
import { Kinds } from '../src/client/types.js';
import type { Workflow } from '../src/model/argo.js';
import { ApiServer } from '../src/server/server.js';
import { PostgresStore } from '../src/store/postgres.js';
import { closeArchive, openArchive } from '../src/workflow/archive.js';
import { dropSchemaQuietly, sleep } from './helpers.js';

const PG_URL = process.env.ARGOSY_PG || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `argosy_archive_logs_${process.pid}_${Date.now().toString(36)}`;
const BIN = join(__dirname, '..', 'bin', 'argosy');
const root = mkdtempSync(join(tmpdir(), 'argosy-archive-logs-'));

beforeAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`test/archive-logs.test.ts needs PostgreSQL at ${PG_URL} (set ARGOSY_PG): ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
});

afterAll(async () => {
  await dropSchemaQuietly(PG_URL, SCHEMA);
  rmSync(root, { recursive: true, force: true });
});

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function argosy(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000, encoding: 'utf8' }, (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

/** The `{"result": {content, podName}}` lines of a log stream, as `pod: content`. */
async function logLines(url: string): Promise<{ status: number; lines: string[]; body: string }> {
  const r = await fetch(url);
  const body = await r.text();
  if (r.status !== 200) return { status: r.status, lines: [], body };
  const lines = body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { result: { content: string; podName: string } })
    .map((l) => `${l.result.podName}: ${l.result.content}`);
  return { status: r.status, lines, body };
}

const steps: Workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'talk', namespace: 'default', labels: { app: 'talk' } },
  spec: {
    entrypoint: 'main',
    templates: [
      { name: 'main', steps: [[{ name: 'first', template: 'say', arguments: { parameters: [{ name: 'w', value: 'alpha' }] } }], [{ name: 'second', template: 'say', arguments: { parameters: [{ name: 'w', value: 'beta' }] } }]] },
      { name: 'say', inputs: { parameters: [{ name: 'w' }] }, container: { image: 'alpine', command: ['sh', '-c', 'echo "{{inputs.parameters.w}} 1"; echo "{{inputs.parameters.w}} 2"; echo "{{inputs.parameters.w}} 3"'] } },
    ],
  },
} as Workflow;

describe.each(['sqlite', 'postgres'] as const)('archived logs on the %s store', (kind) => {
  it('are served after the workflow and its pods are deleted', async () => {
    const dataDir = join(root, kind);
    const rt: EmbeddedRuntime = await startEmbedded({ dataDir, store: kind, ...(kind === 'postgres' ? { postgres: { connectionString: PG_URL, schema: SCHEMA } } : {}), sandbox: 'none' });
    const server = new ApiServer({ store: rt.store, dataDir });
    const base = (await server.listen(0)).url;
    let other: { store: PostgresStore; server: ApiServer; dir: string } | undefined;
    try {
      expect(rt.archive?.backend).toBe(kind);
      const wf = await rt.client.create<Workflow>(steps);
      const uid = wf.metadata.uid!;
      await until('the workflow to succeed', async () => (await rt.client.get<Workflow>(Kinds.Workflow, 'talk', 'default')).status?.phase === 'Succeeded');
      await until('the archive to hold it', () => rt.archive!.has(uid));
      await until('both pods’ logs in the archive', async () => (await rt.archive!.logs(uid, { container: 'main' })).length === 2);
      const live = await logLines(`${base}/api/v1/workflows/default/talk/log?logOptions.container=main`);
      expect(live.lines).toHaveLength(6);

      // Delete the workflow: its pods go, and the node agent removes their files.
      await rt.client.delete(Kinds.Workflow, 'talk', 'default', { propagationPolicy: 'Background' });
      await until('the pods to be deleted', async () => (await rt.client.list(Kinds.Pod, { namespace: 'default' })).items.length === 0);
      await until('the pod files to be removed', () => !existsSync(join(dataDir, 'pods')) || readdirSync(join(dataDir, 'pods')).length === 0);

      const archived = await logLines(`${base}/api/v1/archived-workflows/${uid}/log?logOptions.container=main`);
      expect(archived.status, archived.body).toBe(200);
      expect(archived.lines).toEqual(live.lines); // the same lines, pods in start order
      // Pods in creation order (to the second, then by name, as the live endpoint), each pod's lines in order.
      const text = (ls: string[]) => ls.map((l) => l.replace(/^talk-[\w-]+: /, ''));
      expect([text(archived.lines.slice(0, 3)), text(archived.lines.slice(3))].sort()).toEqual([['alpha 1', 'alpha 2', 'alpha 3'], ['beta 1', 'beta 2', 'beta 3']]);
      // The workflow's own log endpoint finds it in the archive (as Argo Server looks up a workflow that is no longer live).
      expect((await logLines(`${base}/api/v1/workflows/default/talk/log?logOptions.container=main`)).lines).toEqual(live.lines);
      const betaPod = archived.lines.find((l) => l.endsWith(': beta 1'))!.split(':')[0];
      expect((await logLines(`${base}/api/v1/archived-workflows/${uid}/log?podName=${betaPod}&grep=%5Bb%5Deta%20%5B13%5D`)).lines).toEqual([`${betaPod}: beta 1`, `${betaPod}: beta 3`]);
      const tails = (await logLines(`${base}/api/v1/archived-workflows/${uid}/log?logOptions.tailLines=1&logOptions.timestamps=true`)).lines;
      expect(tails.map((l) => l.replace(/^\S+ \S+ /, '')).sort()).toEqual(['alpha 3', 'beta 3']);
      expect(tails[0]).toMatch(/^talk-[\w-]+: \d{4}-\d\d-\d\dT[\d:.]+Z (alpha|beta) 3$/);
      expect((await logLines(`${base}/api/v1/archived-workflows/${uid}/log?logOptions.container=nope`)).lines).toEqual([]);
      expect((await logLines(`${base}/api/v1/archived-workflows/no-such-uid/log`)).status).toBe(404);
      expect((await logLines(`${base}/api/v1/workflows/default/never-was/log`)).status).toBe(404);
      expect((await logLines(`${base}/api/v1/archived-workflows/${uid}/log?grep=(`)).status).toBe(400);

      // The CLI, a separate process talking to the server.
      const cli = await argosy(['archive', 'logs', uid, '-s', base]);
      expect(cli.err).toBe('');
      expect(cli.out.trim().split('\n')).toEqual(live.lines);
      const fallback = await argosy(['logs', 'talk', '-s', base, '-n', 'default', '--tail', '1']);
      expect(text(fallback.out.trim().split('\n')).sort()).toEqual(['alpha 3', 'beta 3']);

      if (kind === 'postgres') {
        // Another replica's API (its own data dir, the same database) serves the same archive.
        const dir = mkdtempSync(join(root, 'replica-'));
        const store = await PostgresStore.open({ connectionString: PG_URL, schema: SCHEMA });
        await openArchive(dir, { postgres: { connectionString: PG_URL, schema: SCHEMA } });
        const s2 = new ApiServer({ store, dataDir: dir });
        other = { store, server: s2, dir };
        const base2 = (await s2.listen(0)).url;
        const list = (await (await fetch(`${base2}/api/v1/archived-workflows?listOptions.labelSelector=app%3Dtalk`)).json()) as { items: Workflow[] };
        expect(list.items.map((w) => w.metadata.uid)).toEqual([uid]);
        expect((await logLines(`${base2}/api/v1/archived-workflows/${uid}/log`)).lines).toEqual(live.lines);
      }
    } finally {
      if (other) {
        await other.server.close();
        await closeArchive(other.dir);
        await other.store.close();
      }
      await server.close();
      await rt.stop();
    }
  }, 60_000);
});

// startEmbedded with leader election over a PostgreSQL store: the controllers and node agent run only
// while this runtime holds the Lease, stop as soon as another holder appears, and start again (fresh
// instances) when the lease comes back. Needs PostgreSQL (env ARGOSY_PG); fails clearly without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { isApiError } from '../model/errors.js';
import type { Lease } from '../store/leader.js';
import { PostgresStore } from '../store/postgres.js';
import { type EmbeddedRuntime, startEmbedded } from './runtime.js';

const PG_URL = process.env.ARGOSY_PG || 'postgres://postgres@127.0.0.1:5432/postgres';
const SCHEMA = `argosy_rt_le_${process.pid}_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'argosy-rt-le-'));
let rt: EmbeddedRuntime | undefined;
let thief: PostgresStore | undefined;

beforeAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`src/cli/runtime.test.ts needs PostgreSQL at ${PG_URL} (set ARGOSY_PG): ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
});

afterAll(async () => {
  await rt?.stop().catch(() => undefined);
  await thief?.close().catch(() => undefined);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await c.end();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await fn())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
  return Date.now() - start;
}

const hello = (name: string): Workflow => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: 'default' },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['sh', '-c', 'echo hi'] } }] },
}) as Workflow;

describe('startEmbedded with leader election', () => {
  it('runs the controllers only while leading, steps down when the lease is taken, resumes when it is back', async () => {
    rt = await startEmbedded({
      dataDir: join(dir, 'data'),
      store: 'postgres',
      postgres: { connectionString: PG_URL, schema: SCHEMA },
      sandbox: 'none',
      leaderElection: { identity: 'me', leaseSeconds: 2, onFatal: (err) => { throw err; } },
    });
    await until('leading', () => rt!.isLeader, 3000);
    expect(rt.leader).toBe('me');
    await rt.client.create(hello('before'));
    await until('workflow before to succeed', async () => (await rt!.client.get<Workflow>(Kinds.Workflow, 'before', 'default')).status?.phase === 'Succeeded', 15_000);

    // Another holder takes the lease (as if our renewals had stalled and it expired).
    thief = await PostgresStore.open({ connectionString: PG_URL, schema: SCHEMA });
    const info = thief.kinds.forApiVersionKind('coordination.k8s.io/v1', 'Lease');
    // Our elector renews every 0.4 s, so the read-modify-write may conflict: retry, as a candidate would.
    let stolen: Lease | undefined;
    for (let attempt = 0; !stolen; attempt++) {
      const lease = await thief.get<Lease>(info, 'argosy-system', 'argosy-controller');
      stolen = await thief.update({ ...lease, spec: { ...lease.spec, holderIdentity: 'thief', leaseDurationSeconds: 3600 } }).catch((err) => {
        if (attempt >= 20 || !isApiError(err, 'Conflict')) throw err;
        return undefined;
      });
    }
    const stepDown = await until('stepping down', () => !rt!.isLeader, 3000);
    console.log(`stepped down ${stepDown} ms after the lease was taken`);
    expect(rt.leader).toBe('thief');
    await rt.client.create(hello('during'));
    await sleep(1500);
    expect((await rt.client.get<Workflow>(Kinds.Workflow, 'during', 'default')).status?.phase ?? '').toBe('');

    // The thief releases: we lead again, with fresh controllers, and the pending workflow runs.
    const current = await thief.get<Lease>(info, 'argosy-system', 'argosy-controller');
    expect(current.metadata.resourceVersion).toBe(stolen.metadata.resourceVersion);
    await thief.update({ ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    await until('leading again', () => rt!.isLeader, 4000);
    await until('workflow during to succeed', async () => (await rt!.client.get<Workflow>(Kinds.Workflow, 'during', 'default')).status?.phase === 'Succeeded', 15_000);
    await rt.stop();
    rt = undefined;
  }, 40_000);
});

// A PostgreSQL restart under a running `argosy server`: the test starts its own PostgreSQL instance
// (initdb in a temporary directory, a free loopback port, trust auth; run as the `postgres` OS user
// when the test runs as root, since initdb and postgres refuse to run as root), starts the server on
// it, and stops PostgreSQL (`pg_ctl stop -m fast`) while a step of a five-step workflow is running.
// While the database is down the server says so in its log and keeps retrying, /readyz answers 503
// and the API answers 503 naming the database. When PostgreSQL is started again the workflow carries
// on: it ends Succeeded, every step ran exactly once (each appends a line to a file on a hostPath
// volume) and each step received the previous step's output, so nothing written during the outage was
// lost — including the output and final status of the step that finished while the database was down.
//
// The lease is 30 s here, so the outage (about 6 s) stays within the leader's renew deadline (20 s) and
// the leader keeps its pods running throughout. (With the default 5 s lease, an outage longer than
// 3.3 s makes the leader step down, which kills the running pods; they run again when it leads again.
// See docs/server.md, "PostgreSQL outages".)
//
// Never touches the machine's shared PostgreSQL. Skipped, with a message, when the PostgreSQL server
// binaries (initdb, pg_ctl, postgres) are not installed.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workflow } from '../src/model/argo.js';
import { freePort, sleep, waitForWith } from './helpers.js';

const BIN = join(__dirname, '..', 'bin', 'argosy');

/** The directory holding initdb, pg_ctl and postgres: $ARGOSY_PG_BIN, the newest /usr/lib/postgresql/N/bin, pg_config --bindir, or PATH. */
function findPgBin(): string | undefined {
  const ok = (d: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(d, b)));
  const candidates: string[] = [];
  if (process.env.ARGOSY_PG_BIN) candidates.push(process.env.ARGOSY_PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+(\.\d+)?$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style layout
  }
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (cfg.status === 0) candidates.push(cfg.stdout.trim());
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return candidates.find(ok);
}

const PG_BIN = findPgBin();
const IS_ROOT = process.getuid?.() === 0;
const postgresUser = IS_ROOT ? spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }) : undefined;
const skipReason = !PG_BIN
  ? 'the PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed: install the postgresql package, or set ARGOSY_PG_BIN to their directory'
  : IS_ROOT && postgresUser?.status !== 0
    ? 'running as root, and there is no `postgres` OS user to run PostgreSQL as (initdb refuses to run as root)'
    : undefined;
if (skipReason) console.warn(`test/pg-restart.test.ts skipped: ${skipReason}`);

const root = mkdtempSync(join(tmpdir(), 'argosy-pg-restart-'));
const pgData = join(root, 'pgdata');
const pgLog = join(root, 'postgres.log');
const outDir = join(root, 'out');
const stepsLog = join(outDir, 'steps.log');
let pgPort = 0;
let pgStarted = false;
let server: { child: ChildProcess; log: () => string; base: string } | undefined;

const HAS_RUNUSER = IS_ROOT && spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status === 0;
const shellQuote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Run a PostgreSQL program, as the `postgres` user when we are root (runuser, else su). */
function pg(program: string, args: string[], timeoutMs = 90_000): string {
  const cmd = join(PG_BIN!, program);
  const [file, argv] = !IS_ROOT
    ? [cmd, args]
    : HAS_RUNUSER
      ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]]
      : ['su', ['postgres', '-s', '/bin/sh', '-c', [cmd, ...args].map(shellQuote).join(' ')]];
  try {
    return execFileSync(file, argv, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    let log = '';
    try {
      log = readFileSync(pgLog, 'utf8').slice(-2000);
    } catch {
      // no log yet
    }
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n--- postgres.log\n${log}`);
  }
}

const startPg = () => {
  pg('pg_ctl', ['-D', pgData, '-l', pgLog, '-w', '-t', '60', 'start']);
  pgStarted = true;
};
const stopPg = (mode: 'fast' | 'immediate') => {
  pg('pg_ctl', ['-D', pgData, '-m', mode, '-w', '-t', '60', 'stop']);
  pgStarted = false;
};

const waitFor = waitForWith(() => `--- server log\n${server?.log().slice(-4000) ?? ''}\n--- steps\n${existsSync(stepsLog) ? readFileSync(stepsLog, 'utf8') : ''}`);

beforeAll(async () => {
  if (skipReason) return;
  mkdirSync(outDir, { recursive: true });
  if (IS_ROOT) {
    const uid = Number(postgresUser!.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chmodSync(root, 0o755);
    chownSync(root, uid, gid);
  }
  pg('initdb', ['-D', pgData, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  // A port that is free now may be taken before postgres binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    pgPort = await freePort();
    appendFileSync(
      join(pgData, 'postgresql.conf'),
      `\n# test/pg-restart.test.ts\nport = ${pgPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${root}'\nfsync = off\nmax_connections = 50\n`,
    );
    try {
      startPg();
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}, 120_000);

afterAll(async () => {
  const child = server?.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const exited = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(10_000).then(() => false)]);
    if (!exited) child.kill('SIGKILL');
  }
  if (existsSync(join(pgData, 'postmaster.pid'))) {
    try {
      stopPg('immediate');
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

/** Start `argosy server` on our PostgreSQL with --port 0, and read the address it prints. */
async function startServer(leaseSeconds: number): Promise<NonNullable<typeof server>> {
  const store = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const args = [BIN, 'server', '--store', store, '--port', '0', '--data-dir', join(root, 'data'), '--lease-seconds', String(leaseSeconds), '--identity', 'pg-restart'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  server = { child, log: () => log, base: '' };
  const url = await waitFor(
    'the server to start',
    () => {
      if (child.exitCode !== null) throw new Error(`argosy server exited with ${child.exitCode}: ${log}`);
      const line = log.split('\n').find((l) => l.includes('"argosy server started"'));
      return line ? (JSON.parse(line) as { url: string }).url : undefined;
    },
    20_000,
  );
  server.base = url;
  await waitFor('the server to lead', async () => ((await readyz(url)).role === 'leader' ? true : undefined), 20_000);
  return server;
}

async function readyz(base: string): Promise<{ status: number; role?: string; body: string }> {
  try {
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, role: r.headers.get('x-argosy-role') ?? undefined, body: await r.text() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

const getWf = async (base: string, name: string): Promise<{ status: number; wf?: Workflow; body: string }> => {
  const r = await fetch(`${base}/api/v1/workflows/default/${name}`, { signal: AbortSignal.timeout(10_000) });
  const body = await r.text();
  return { status: r.status, wf: r.ok ? (JSON.parse(body) as Workflow) : undefined, body };
};

/** Five steps in sequence; each logs its input (the previous step's output), sleeps, and outputs its own name. */
const fiveSteps = (name: string, sleepSeconds: number) => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name },
    spec: {
      entrypoint: 'main',
      volumes: [{ name: 'out', hostPath: { path: outDir, type: 'DirectoryOrCreate' } }],
      templates: [
        {
          name: 'main',
          steps: names.map((s, i) => [
            { name: s, template: 'step', arguments: { parameters: [{ name: 's', value: s }, { name: 'prev', value: i === 0 ? '-' : `{{steps.${names[i - 1]}.outputs.result}}` }] } },
          ]),
        },
        {
          name: 'step',
          inputs: { parameters: [{ name: 's' }, { name: 'prev' }] },
          container: {
            image: 'alpine',
            command: ['sh', '-c'],
            args: [`echo "{{workflow.name}} {{inputs.parameters.s}} after {{inputs.parameters.prev}}" >> ${stepsLog}; sleep ${sleepSeconds}; echo {{inputs.parameters.s}}`],
            volumeMounts: [{ name: 'out', mountPath: outDir }],
          },
        },
      ],
    },
  };
};

const stepLines = (wf: string) => (existsSync(stepsLog) ? readFileSync(stepsLog, 'utf8').split('\n').filter((l) => l.startsWith(`${wf} `)) : []);

describe.skipIf(!!skipReason)('argosy server through a PostgreSQL restart', () => {
  it('says the database is unreachable, keeps retrying, and finishes the workflow without loss once it is back', async () => {
    const s = await startServer(30);
    const r = await fetch(`${s.base}/api/v1/workflows/default`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ workflow: fiveSteps('restart', 2) }),
    });
    expect(r.status, await r.clone().text()).toBe(200);

    // Stop PostgreSQL while step b runs: it finishes during the outage.
    await waitFor('step b to start', () => (stepLines('restart').some((l) => l.startsWith('restart b ')) ? true : undefined), 60_000, 50);
    const logBefore = s.log().length;
    const t0 = Date.now();
    stopPg('fast');

    // The server says so: /readyz and the API answer 503 at once, and the log names the database.
    const down = await waitFor('/readyz to report not ready', async () => {
      const z = await readyz(s.base);
      return z.status === 503 ? z : undefined;
    }, 15_000);
    expect(down.body).toMatch(/not ready/);
    const during = await getWf(s.base, 'restart');
    expect(during.status).toBe(503);
    expect(during.body).toMatch(new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${pgPort} is unreachable`));
    await waitFor('the server to log that PostgreSQL is unreachable and it is retrying', () => {
      const log = s.log().slice(logBefore);
      return /PostgreSQL at 127\.0\.0\.1:\d+ is unreachable .*retrying/.test(log) ? true : undefined;
    }, 15_000);

    // Step b's process ends during the outage (about 2 s after it started); keep the database away a while longer.
    await sleep(Math.max(0, 6000 - (Date.now() - t0)));
    expect(stepLines('restart').map((l) => l.split(' ')[1])).toEqual(['a', 'b']); // nothing new started meanwhile
    startPg();
    const outageMs = Date.now() - t0;

    const done = await waitFor('the workflow to finish', async () => {
      const g = await getWf(s.base, 'restart');
      return ['Succeeded', 'Failed', 'Error'].includes(g.wf?.status?.phase ?? '') ? g.wf : undefined;
    }, 90_000, 250);
    expect(done.status?.phase, JSON.stringify(done.status?.nodes, null, 1)).toBe('Succeeded');
    // Every step ran exactly once, and each got the previous step's output.
    expect(stepLines('restart')).toEqual(['restart a after -', 'restart b after a', 'restart c after b', 'restart d after c', 'restart e after d']);
    const outputs = Object.values(done.status!.nodes!).filter((n) => n.type === 'Pod').map((n) => `${n.displayName}=${n.outputs?.result}`).sort();
    expect(outputs).toEqual(['a=a', 'b=b', 'c=c', 'd=d', 'e=e']);

    // The API serves again, the server is ready and still the leader, and it said that it recovered.
    const up = await readyz(s.base);
    expect(up.status).toBe(200);
    expect(up.role).toBe('leader');
    const list = await fetch(`${s.base}/api/v1/workflows/default`);
    expect(list.status).toBe(200);
    const log = s.log().slice(logBefore);
    expect(log).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+ is reachable again after/);
    expect(log).not.toMatch(/lost the lease/);
    console.log(`PostgreSQL was down for ${outageMs} ms; the workflow finished ${Date.now() - t0 - outageMs} ms after it came back`);
  }, 180_000);
});

// A process writing to the SQLite store is killed with SIGKILL mid-stream: the file must open, pass
// SQLite's integrity check, hold only whole writes, and take new writes from where it stopped.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultKinds } from '../src/model/kinds.js';
import { SqliteStore } from '../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'argosy-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITER = `
import { SqliteStore } from ${JSON.stringify(join(__dirname, '..', 'dist', 'store', 'sqlite.js'))};
const store = new SqliteStore(process.argv[1]);
let i = 0;
for (;;) {
  const name = 'cm-' + (i % 50);
  try {
    const cur = await store.get(store.kinds.resolve('cm'), 'default', name);
    await store.update({ ...cur, data: { n: String(i), blob: 'x'.repeat(2000) } });
  } catch {
    await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { n: String(i), blob: 'x'.repeat(2000) } });
  }
  if (++i === 300) process.stdout.write('ready\\n');
}
`;

describe('SQLite store after a crash', () => {
  it('is readable and consistent after the writing process is killed with SIGKILL', async () => {
    const file = join(dir, 'crash.db');
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    await new Promise((r) => setTimeout(r, 150)); // let it be mid-write
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const raw = new Database(file);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const rv = Number((raw.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: string }).value);
    const maxObjectRv = (raw.prepare('SELECT max(rv) AS m FROM objects').get() as { m: number }).m;
    const maxEventRv = (raw.prepare('SELECT max(rv) AS m FROM events').get() as { m: number }).m;
    raw.close();
    // Every committed write is whole: the counter, the objects and the event log agree.
    expect(maxObjectRv).toBeLessThanOrEqual(rv);
    expect(maxEventRv).toBe(rv);

    const store = new SqliteStore(file, defaultKinds);
    const cms = defaultKinds.resolve('cm');
    const list = await store.list(cms, { namespace: 'default' });
    expect(list.items).toHaveLength(50);
    for (const o of list.items) {
      expect((o.data as { blob: string }).blob).toHaveLength(2000);
      expect(Number(o.metadata.resourceVersion)).toBeLessThanOrEqual(rv);
    }
    // Work goes on where it stopped: new writes get newer versions, and a watch from the old
    // version sees them.
    const seen: string[] = [];
    const w = await store.watch(cms, { resourceVersion: String(rv) }, (ev) => seen.push(ev.object.metadata.name!));
    const cur = list.items[0];
    const next = await store.update({ ...cur, data: { n: 'after' } });
    expect(Number(next.metadata.resourceVersion)).toBe(rv + 1);
    await new Promise((r) => setTimeout(r, 20));
    w.stop();
    expect(seen).toEqual([cur.metadata.name]);
    await store.close();
  });
});

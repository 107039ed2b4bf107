// SQLite-only behaviour: opening a file written with schema 1 (objects WITHOUT ROWID) converts it to
// schema 2 in place, keeping objects, owner references, the event log and the resourceVersion counter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import { SqliteStore } from './sqlite.js';
import type { WatchEvent } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'argosy-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCHEMA_1 = `
CREATE TABLE objects (
  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (resource, namespace, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX objects_uid ON objects(uid);
CREATE TABLE owner_refs (
  owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  PRIMARY KEY (owner_uid, resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE events (
  rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, data TEXT NOT NULL, previous TEXT
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES ('rv', '0'), ('schema', '1');
`;

const cms = defaultKinds.resolve('cm');

/** A schema-1 file holding an owner ConfigMap, a dependent of it, and one large (overflowing) object. */
function writeSchema1(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_1);
  const put = db.prepare('INSERT INTO objects(resource, namespace, name, uid, rv, data) VALUES (?, ?, ?, ?, ?, ?)');
  const event = db.prepare('INSERT INTO events(rv, type, resource, data, previous) VALUES (?, ?, ?, ?, NULL)');
  const objs: KObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'ns', uid: 'uid-owner', resourceVersion: '1', generation: 1 }, data: { a: '1' } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'child', namespace: 'ns', uid: 'uid-child', resourceVersion: '2', generation: 1, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'uid-owner' }] },
      data: { b: '2' },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'ns', uid: 'uid-big', resourceVersion: '3', generation: 1 }, data: { blob: 'x'.repeat(5000) } },
  ];
  db.transaction(() => {
    for (const o of objs) {
      const text = JSON.stringify(o);
      put.run('/configmaps', 'ns', o.metadata.name, o.metadata.uid, Number(o.metadata.resourceVersion), text);
      event.run(Number(o.metadata.resourceVersion), 'ADDED', '/configmaps', text);
    }
    db.prepare('INSERT INTO owner_refs(owner_uid, resource, namespace, name) VALUES (?, ?, ?, ?)').run('uid-owner', '/configmaps', 'ns', 'child');
    db.prepare("UPDATE meta SET value = '3' WHERE key = 'rv'").run();
  })();
  db.close();
}

describe('SqliteStore schema migration', () => {
  it('converts a schema-1 file on open and keeps every object, owner reference and event', async () => {
    const file = join(dir, 'v1.db');
    writeSchema1(file);
    const store = new SqliteStore(file);
    const list = await store.list(cms, { namespace: 'ns' });
    expect(list.items.map((o) => o.metadata.name)).toEqual(['big', 'child', 'owner']);
    expect(list.metadata.resourceVersion).toBe('3');
    expect(((await store.get(cms, 'ns', 'big')).data as { blob: string }).blob).toHaveLength(5000);

    // The event log survived: a watch from rv 1 replays the two later events.
    const seen: WatchEvent[] = [];
    const w = await store.watch(cms, { namespace: 'ns', resourceVersion: '1' }, (ev) => seen.push(ev));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED child', 'ADDED big']);
    w.stop();

    // New writes continue the counter; an update keeps the row; the owner index still drives GC.
    const created: KObject = await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'ns' }, data: { c: '3' } });
    expect(created.metadata.resourceVersion).toBe('4');
    const updated = await store.update({ ...(await store.get(cms, 'ns', 'big')), data: { blob: 'y' } });
    expect(updated.metadata.resourceVersion).toBe('5');
    await expect(store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'ns' } })).rejects.toMatchObject({ code: 409 });
    await store.delete(cms, 'ns', 'owner');
    await expect(store.get(cms, 'ns', 'child')).rejects.toMatchObject({ code: 404 });
    await store.close();

    const raw = new Database(file);
    const sql = (raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() as { sql: string }).sql;
    expect(sql).not.toMatch(/WITHOUT ROWID/i);
    expect((raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value).toBe('2');
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    // Opening it again is a no-op.
    const again = new SqliteStore(file);
    expect((await again.list(cms, { namespace: 'ns' })).items.map((o) => o.metadata.name)).toEqual(['big', 'new']);
    await again.close();
  });

  it('creates schema 2 in a new file', async () => {
    const file = join(dir, 'new.db');
    const store = new SqliteStore(file);
    await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
    await store.close();
    const raw = new Database(file);
    expect((raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value).toBe('2');
    const sql = (raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() as { sql: string }).sql;
    expect(sql).not.toMatch(/WITHOUT ROWID/i);
    raw.close();
  });
});

// SQLite backend (better-sqlite3, WAL, one file). Every transaction is BEGIN IMMEDIATE … COMMIT, so a
// crash at any point leaves either the whole write or none of it. Recent watch events are kept in
// the file so a watcher can resume across a restart.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate } from 'node:timers';
import { type KindRegistry, defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import type { Backend, Tx } from './backend.js';
import { BaseStore, noteStoredJson } from './base-store.js';
import type { ChangeEvent } from './watch-hub.js';

// Schema 2. `objects` is a rowid table with unique indexes on its key and on uid. (Schema 1 made it a
// WITHOUT ROWID table keyed by (resource, namespace, name): there a row is stored in the key's b-tree,
// whose cells hold at most about 1,000 bytes in a 4 KiB page, so every object over 1 KB spilled into
// an overflow page of its own and each write copied 2–3 extra pages into the WAL. Rows of a rowid
// table stay in their page up to about 4 KB.) owner_refs is also indexed by the dependent, so that
// removing an object's rows is a lookup, not a scan. A schema-1 file is converted on open
// (migrateSchema1).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  id INTEGER PRIMARY KEY,
  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_key ON objects(resource, namespace, name);
CREATE UNIQUE INDEX IF NOT EXISTS objects_uid ON objects(uid);
CREATE TABLE IF NOT EXISTS owner_refs (
  owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  PRIMARY KEY (owner_uid, resource, namespace, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS owner_refs_child ON owner_refs(resource, namespace, name);
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, data TEXT NOT NULL, previous TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('rv', '0'), ('schema', '2');
`;

/**
 * Convert a schema-1 file (objects WITHOUT ROWID) to schema 2 in one transaction: a crash during the
 * copy leaves the file as it was, and the next open converts it again.
 */
function migrateSchema1(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() as { sql: string } | undefined;
  if (!row || !/WITHOUT\s+ROWID/i.test(row.sql)) return;
  db.transaction(() => {
    db.exec(`
CREATE TABLE objects_v2 (
  id INTEGER PRIMARY KEY,
  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL
);
INSERT INTO objects_v2(resource, namespace, name, uid, rv, data)
  SELECT resource, namespace, name, uid, rv, data FROM objects ORDER BY resource, namespace, name;
DROP TABLE objects;
ALTER TABLE objects_v2 RENAME TO objects;
CREATE UNIQUE INDEX objects_key ON objects(resource, namespace, name);
CREATE UNIQUE INDEX objects_uid ON objects(uid);
INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '2');
`);
  }).immediate();
}

export interface SqliteOptions {
  /** How many recent change events to keep for watch resumption. */
  eventRetention?: number;
  /** `NORMAL` survives process crashes; `FULL` also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
}

interface QueuedTx {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** At most this many transactions share one commit. */
const MAX_BATCH = 256;

class SqliteBackend implements Backend {
  private db: Database.Database;
  private queue: QueuedTx[] = [];
  private draining = false;
  private rv: number;
  private readonly retention: number;
  private commitsSinceCompaction = 0;
  private stmt: Record<string, Database.Statement>;

  constructor(path: string, opts: SqliteOptions) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    migrateSchema1(this.db);
    this.db.exec(SCHEMA);
    this.retention = opts.eventRetention ?? 2_000;
    const s = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      get: s('SELECT data FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      getByUid: s('SELECT resource, data FROM objects WHERE uid = ?'),
      // Ordered as the continue token compares: by `namespace/name`.
      listAll: s("SELECT data FROM objects WHERE resource = ? ORDER BY namespace || '/' || name"),
      listNs: s('SELECT data FROM objects WHERE resource = ? AND namespace = ? ORDER BY name'),
      // An update rewrites the row in place (same rowid, so the key index is untouched).
      put: s(
        'INSERT INTO objects(resource, namespace, name, uid, rv, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(resource, namespace, name) DO UPDATE SET uid = excluded.uid, rv = excluded.rv, data = excluded.data',
      ),
      remove: s('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      addOwner: s('INSERT OR IGNORE INTO owner_refs(owner_uid, resource, namespace, name) VALUES (?, ?, ?, ?)'),
      removeOwners: s('DELETE FROM owner_refs WHERE resource = ? AND namespace = ? AND name = ?'),
      dependents: s(
        'SELECT o.resource, o.data FROM owner_refs r JOIN objects o ON o.resource = r.resource AND o.namespace = r.namespace AND o.name = r.name WHERE r.owner_uid = ?',
      ),
      event: s('INSERT INTO events(rv, type, resource, data, previous) VALUES (?, ?, ?, ?, ?)'),
      setRv: s("UPDATE meta SET value = ? WHERE key = 'rv'"),
      getRv: s("SELECT value FROM meta WHERE key = 'rv'"),
      compact: s('DELETE FROM events WHERE rv <= ?'),
      begin: s('BEGIN IMMEDIATE'),
      commit: s('COMMIT'),
      savepoint: s('SAVEPOINT tx'),
      release: s('RELEASE tx'),
      rollbackTo: s('ROLLBACK TO tx'),
    };
    this.rv = Number((this.stmt.getRv.get() as { value: string }).value);
  }

  /**
   * Transactions queue up and run one after another. Those that are waiting when a batch starts share
   * one SQLite transaction (group commit): each runs inside its own SAVEPOINT, so a failing one rolls
   * back alone, and every caller is answered after the single COMMIT. A commit is the expensive part
   * of a write; under load many writes now pay for one.
   *
   * A batch starts on `setImmediate`, not at once: requests that arrive on different sockets are
   * handled in separate I/O callbacks of one event-loop turn, and starting after all of them (the
   * loop's check phase) lets their writes share the commit. Without this, an HTTP server's writes
   * would each commit alone. The delay is one loop turn, a few microseconds when idle.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: fn as (tx: Tx) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.runBatch(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(batch: QueuedTx[]): Promise<void> {
    const st = this.stmt;
    const batchStartRv = this.rv;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let wrote = false;
    // The last object written and its JSON text (put, then recordEvent of the same object).
    let serialized: KObject | undefined;
    let serializedText = '';
    // Objects read in this batch and their stored JSON (a MODIFIED event's `previous` is one of them).
    const rowText = new WeakMap<KObject, string>();
    const parse = (row: { data: string } | undefined) => {
      if (!row) return undefined;
      const obj = JSON.parse(row.data) as KObject;
      rowText.set(obj, row.data);
      return obj;
    };
    const tx: Tx = {
      get: async (resource, namespace, name) => parse(st.get.get(resource, namespace, name) as { data: string } | undefined),
      getByUid: async (uid) => {
        const row = st.getByUid.get(uid) as { resource: string; data: string } | undefined;
        return row ? { resource: row.resource, object: JSON.parse(row.data) as KObject } : undefined;
      },
      list: async (resource, namespace) => {
        const rows = (namespace === undefined ? st.listAll.all(resource) : st.listNs.all(resource, namespace)) as { data: string }[];
        return rows.map((r) => JSON.parse(r.data) as KObject);
      },
      put: async (resource, obj, previous) => {
        const ns = obj.metadata.namespace ?? '';
        const name = obj.metadata.name!;
        const text = JSON.stringify(obj);
        st.put.run(resource, ns, name, obj.metadata.uid, Number(obj.metadata.resourceVersion), text);
        serialized = obj;
        serializedText = text;
        noteStoredJson(obj, text);
        // owner_refs mirrors ownerReferences. A new object (no `previous`) has no rows yet: a removed
        // object's rows go with it. An update that keeps the same owners needs no change.
        const refs = obj.metadata.ownerReferences ?? [];
        if (!previous ? refs.length > 0 : !sameOwners(refs, previous.metadata.ownerReferences ?? [])) {
          if (previous) st.removeOwners.run(resource, ns, name);
          for (const r of refs) st.addOwner.run(r.uid, resource, ns, name);
        }
        wrote = true;
      },
      remove: async (resource, obj) => {
        const ns = obj.metadata.namespace ?? '';
        st.remove.run(resource, ns, obj.metadata.name);
        st.removeOwners.run(resource, ns, obj.metadata.name);
        wrote = true;
      },
      dependents: async (ownerUid) =>
        (st.dependents.all(ownerUid) as { resource: string; data: string }[]).map((r) => ({
          resource: r.resource,
          object: JSON.parse(r.data) as KObject,
        })),
      nextResourceVersion: async () => {
        wrote = true;
        return ++this.rv;
      },
      recordEvent: async (ev: ChangeEvent) => {
        // The object was usually just put: reuse its JSON rather than serialising it again.
        const data = ev.object === serialized ? serializedText : JSON.stringify(ev.object);
        const previous = ev.previous ? (rowText.get(ev.previous) ?? JSON.stringify(ev.previous)) : null;
        st.event.run(ev.rv, ev.type, ev.resource, data, previous);
      },
    };
    try {
      st.begin.run();
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    for (const item of batch) {
      const itemStartRv = this.rv;
      st.savepoint.run();
      try {
        const value = await item.fn(tx);
        st.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        this.rv = itemStartRv;
        st.rollbackTo.run();
        st.release.run();
        outcomes.push({ ok: false, error });
      }
      serialized = undefined;
    }
    try {
      if (wrote && this.rv !== batchStartRv) {
        st.setRv.run(String(this.rv));
        this.commitsSinceCompaction += batch.length;
        if (this.commitsSinceCompaction >= 200) {
          this.commitsSinceCompaction = 0;
          st.compact.run(this.rv - this.retention);
        }
      }
      st.commit.run();
    } catch (err) {
      this.rv = batchStartRv;
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i];
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }

  async currentResourceVersion(): Promise<number> {
    return this.rv;
  }

  recentEvents(): { events: ChangeEvent[]; oldestRetainedRv: number } {
    const rows = this.db
      .prepare('SELECT rv, type, resource, data, previous FROM events WHERE rv > ? ORDER BY rv')
      .all(this.rv - this.retention) as { rv: number; type: ChangeEvent['type']; resource: string; data: string; previous: string | null }[];
    const events = rows.map((r) => ({
      rv: r.rv,
      type: r.type,
      resource: r.resource,
      object: JSON.parse(r.data) as KObject,
      ...(r.previous ? { previous: JSON.parse(r.previous) as KObject } : {}),
    }));
    // Watching from just before the oldest kept event is still complete.
    const oldest = events.length ? events[0].rv - 1 : this.rv;
    return { events, oldestRetainedRv: oldest };
  }

  async close(): Promise<void> {
    // Close once everything already queued has committed.
    await this.transaction(async () => undefined);
    if (this.db.open) this.db.close();
  }
}

/** Whether two ownerReferences lists name the same owner uids, in the same order. */
function sameOwners(a: { uid: string }[], b: { uid: string }[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].uid !== b[i].uid) return false;
  return true;
}

export class SqliteStore extends BaseStore {
  constructor(path: string, kinds: KindRegistry = defaultKinds, opts: SqliteOptions & { watchHistory?: number } = {}) {
    super(new SqliteBackend(path, opts), kinds, opts);
  }
}

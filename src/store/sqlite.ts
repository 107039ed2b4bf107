// SQLite backend (better-sqlite3, WAL, one file). Every transaction is BEGIN IMMEDIATE … COMMIT, so a
// crash at any point leaves either the whole write or none of it. Recent watch events are kept in
// the file so a watcher can resume across a restart.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type KindRegistry, defaultKinds } from '../model/kinds.js';
import type { KObject } from '../model/object.js';
import type { Backend, Tx } from './backend.js';
import { BaseStore } from './base-store.js';
import type { ChangeEvent } from './watch-hub.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (resource, namespace, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS objects_uid ON objects(uid);
CREATE TABLE IF NOT EXISTS owner_refs (
  owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  PRIMARY KEY (owner_uid, resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, data TEXT NOT NULL, previous TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('rv', '0'), ('schema', '1');
`;

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
    this.db.exec(SCHEMA);
    this.retention = opts.eventRetention ?? 2_000;
    const s = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      get: s('SELECT data FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      getByUid: s('SELECT resource, data FROM objects WHERE uid = ?'),
      // Ordered as the continue token compares: by `namespace/name`.
      listAll: s("SELECT data FROM objects WHERE resource = ? ORDER BY namespace || '/' || name"),
      listNs: s('SELECT data FROM objects WHERE resource = ? AND namespace = ? ORDER BY name'),
      put: s('INSERT OR REPLACE INTO objects(resource, namespace, name, uid, rv, data) VALUES (?, ?, ?, ?, ?, ?)'),
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
    };
    this.rv = Number((this.stmt.getRv.get() as { value: string }).value);
  }

  /**
   * Transactions queue up and run one after another. Those that are waiting when a batch starts share
   * one SQLite transaction (group commit): each runs inside its own SAVEPOINT, so a failing one rolls
   * back alone, and every caller is answered after the single COMMIT. A commit is the expensive part
   * of a write; under load many writes now pay for one.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: fn as (tx: Tx) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
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
    const parse = (row: { data: string } | undefined) => (row ? (JSON.parse(row.data) as KObject) : undefined);
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
      put: async (resource, obj) => {
        const ns = obj.metadata.namespace ?? '';
        const name = obj.metadata.name!;
        st.put.run(resource, ns, name, obj.metadata.uid, Number(obj.metadata.resourceVersion), JSON.stringify(obj));
        st.removeOwners.run(resource, ns, name);
        for (const r of obj.metadata.ownerReferences ?? []) st.addOwner.run(r.uid, resource, ns, name);
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
        st.event.run(ev.rv, ev.type, ev.resource, JSON.stringify(ev.object), ev.previous ? JSON.stringify(ev.previous) : null);
      },
    };
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    for (const item of batch) {
      const itemStartRv = this.rv;
      this.db.exec('SAVEPOINT tx');
      try {
        const value = await item.fn(tx);
        this.db.exec('RELEASE tx');
        outcomes.push({ ok: true, value });
      } catch (error) {
        this.rv = itemStartRv;
        this.db.exec('ROLLBACK TO tx');
        this.db.exec('RELEASE tx');
        outcomes.push({ ok: false, error });
      }
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
      this.db.exec('COMMIT');
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

export class SqliteStore extends BaseStore {
  constructor(path: string, kinds: KindRegistry = defaultKinds, opts: SqliteOptions & { watchHistory?: number } = {}) {
    super(new SqliteBackend(path, opts), kinds, opts);
  }
}

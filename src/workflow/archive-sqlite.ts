// The workflow archive in a SQLite file (`<dataDir>/archive.db`): the archive of a single server.
// Tables: archived_workflows (one row per uid), archived_workflow_labels (uid, key, value; the label
// selector is evaluated against it in SQL), archived_workflow_logs (uid, pod, container → log bytes).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Workflow } from '../model/argo.js';
import { ApiError } from '../model/errors.js';
import {
  type ArchiveList,
  type ArchiveListOptions,
  type ArchiveLogQuery,
  type ArchivedLog,
  type WorkflowArchive,
  archiveRow,
  listQuery,
  storedTime,
  toPage,
} from './archive-common.js';

/** Schema version in PRAGMA user_version. 0: the first layout (labels as a JSON column only, times as given). */
const SCHEMA_VERSION = 1;

export class SqliteWorkflowArchive implements WorkflowArchive {
  readonly backend = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly stmts: Record<'has' | 'insert' | 'dropLabels' | 'addLabel' | 'get' | 'getByName' | 'del' | 'delLabels' | 'delLogs' | 'keys' | 'values' | 'putLog' | 'dropOrphanLogs', Database.Statement>;
  /** Prepared list statements by SQL text (the shapes a UI asks for repeat). */
  private readonly listStmts = new Map<string, Database.Statement>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const db = this.db;
    this.stmts = {
      has: db.prepare('SELECT 1 FROM archived_workflows WHERE uid = ?'),
      // A uid is written once per completion: again only when the new copy finished later (a retry).
      insert: db.prepare(
        `INSERT INTO archived_workflows (uid, name, namespace, phase, started_at, finished_at, labels, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(uid) DO UPDATE SET name = excluded.name, namespace = excluded.namespace, phase = excluded.phase, started_at = excluded.started_at,
           finished_at = excluded.finished_at, labels = excluded.labels, data = excluded.data
         WHERE archived_workflows.finished_at < excluded.finished_at`,
      ),
      dropLabels: db.prepare('DELETE FROM archived_workflow_labels WHERE uid = ?'),
      addLabel: db.prepare('INSERT INTO archived_workflow_labels (uid, key, value) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT data FROM archived_workflows WHERE uid = ?'),
      getByName: db.prepare('SELECT data FROM archived_workflows WHERE namespace = ? AND name = ? ORDER BY finished_at DESC LIMIT 1'),
      del: db.prepare('DELETE FROM archived_workflows WHERE uid = ?'),
      delLabels: db.prepare('DELETE FROM archived_workflow_labels WHERE uid = ?'),
      delLogs: db.prepare('DELETE FROM archived_workflow_logs WHERE uid = ?'),
      keys: db.prepare('SELECT DISTINCT key FROM archived_workflow_labels ORDER BY key'),
      values: db.prepare('SELECT DISTINCT value FROM archived_workflow_labels WHERE key = ? ORDER BY value'),
      putLog: db.prepare(
        `INSERT INTO archived_workflow_logs (uid, pod_name, container, pod_uid, pod_created, content, dropped_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(uid, pod_name, container) DO UPDATE SET pod_uid = excluded.pod_uid, pod_created = excluded.pod_created,
           content = excluded.content, dropped_bytes = excluded.dropped_bytes`,
      ),
      dropOrphanLogs: db.prepare('DELETE FROM archived_workflow_logs WHERE uid = ? AND NOT EXISTS (SELECT 1 FROM archived_workflows WHERE uid = ?)'),
    };
  }

  private migrate(): void {
    const db = this.db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS archived_workflows (
        uid TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        namespace TEXT NOT NULL,
        phase TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        labels TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS archived_workflows_finished ON archived_workflows (finished_at DESC, uid);
      CREATE INDEX IF NOT EXISTS archived_workflows_ns_name ON archived_workflows (namespace, name);
      CREATE INDEX IF NOT EXISTS archived_workflows_started ON archived_workflows (started_at);
      CREATE TABLE IF NOT EXISTS archived_workflow_labels (
        uid TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (uid, key)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS archived_workflow_labels_kv ON archived_workflow_labels (key, value);
      CREATE TABLE IF NOT EXISTS archived_workflow_logs (
        uid TEXT NOT NULL,
        pod_name TEXT NOT NULL,
        container TEXT NOT NULL,
        pod_uid TEXT NOT NULL,
        pod_created TEXT NOT NULL,
        content BLOB NOT NULL,
        dropped_bytes INTEGER NOT NULL,
        PRIMARY KEY (uid, pod_name, container)
      );
    `);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version >= SCHEMA_VERSION) return;
    // From version 0: fill the labels table from the JSON column, and store times in one format.
    db.transaction(() => {
      const rows = db.prepare('SELECT uid, started_at, finished_at, labels FROM archived_workflows').all() as { uid: string; started_at: string; finished_at: string; labels: string }[];
      const setTimes = db.prepare('UPDATE archived_workflows SET started_at = ?, finished_at = ? WHERE uid = ?');
      const addLabel = db.prepare('INSERT OR REPLACE INTO archived_workflow_labels (uid, key, value) VALUES (?, ?, ?)');
      for (const r of rows) {
        setTimes.run(storedTime(r.started_at), storedTime(r.finished_at), r.uid);
        for (const [k, v] of Object.entries(JSON.parse(r.labels) as Record<string, string>)) addLabel.run(r.uid, k, String(v));
      }
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  private writeOne(wf: Workflow): boolean {
    const row = archiveRow(wf);
    if (!row) return false;
    const labelsJson = JSON.stringify(Object.fromEntries(row.labels));
    const changed = this.stmts.insert.run(row.uid, row.name, row.namespace, row.phase, row.startedAt, row.finishedAt, labelsJson, row.data).changes > 0;
    if (!changed) return false;
    this.stmts.dropLabels.run(row.uid);
    for (const [k, v] of row.labels) this.stmts.addLabel.run(row.uid, k, v);
    return true;
  }

  private open(): Database.Database {
    if (!this.db.open) throw new ApiError('ServiceUnavailable', `the workflow archive ${this.path} is closed`);
    return this.db;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async has(uid: string): Promise<boolean> {
    this.open();
    return !!this.stmts.has.get(uid);
  }

  async archive(wf: Workflow): Promise<boolean> {
    return this.open().transaction(() => this.writeOne(wf))();
  }

  async archiveMany(wfs: Workflow[]): Promise<number> {
    return this.open().transaction(() => wfs.reduce((n, wf) => n + (this.writeOne(wf) ? 1 : 0), 0))();
  }

  async get(uid: string): Promise<Workflow | undefined> {
    this.open();
    const row = this.stmts.get.get(uid) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Workflow) : undefined;
  }

  async getByName(namespace: string, name: string): Promise<Workflow | undefined> {
    this.open();
    const row = this.stmts.getByName.get(namespace, name) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Workflow) : undefined;
  }

  async delete(uid: string): Promise<boolean> {
    return this.open().transaction(() => {
      this.stmts.delLabels.run(uid);
      this.stmts.delLogs.run(uid);
      return this.stmts.del.run(uid).changes > 0;
    })();
  }

  async list(opts: ArchiveListOptions = {}): Promise<ArchiveList> {
    const db = this.open();
    const q = listQuery('sqlite', { wf: 'archived_workflows', labels: 'archived_workflow_labels' }, opts);
    let stmt = this.listStmts.get(q.sql);
    if (!stmt) {
      if (this.listStmts.size >= 200) this.listStmts.clear();
      this.listStmts.set(q.sql, (stmt = db.prepare(q.sql)));
    }
    return toPage(stmt.all(...q.args) as { uid: string; finished_at: string; data: string }[], q.limit);
  }

  async labelKeys(): Promise<string[]> {
    this.open();
    return (this.stmts.keys.all() as { key: string }[]).map((r) => r.key);
  }

  async labelValues(key: string): Promise<string[]> {
    this.open();
    return (this.stmts.values.all(key) as { value: string }[]).map((r) => r.value);
  }

  async putLogs(uid: string, logs: ArchivedLog[]): Promise<void> {
    this.open().transaction(() => {
      for (const l of logs) this.stmts.putLog.run(uid, l.podName, l.container, l.podUid, l.podCreated, l.content, l.droppedBytes);
    })();
  }

  async logs(uid: string, query: ArchiveLogQuery = {}): Promise<ArchivedLog[]> {
    const db = this.open();
    const where = ['uid = ?'];
    const args: unknown[] = [uid];
    if (query.podName) (where.push('pod_name = ?'), args.push(query.podName));
    if (query.container) (where.push('container = ?'), args.push(query.container));
    const rows = db
      .prepare(`SELECT pod_name, container, pod_uid, pod_created, content, dropped_bytes FROM archived_workflow_logs WHERE ${where.join(' AND ')} ORDER BY pod_created, pod_name, container`)
      .all(...args) as { pod_name: string; container: string; pod_uid: string; pod_created: string; content: Buffer; dropped_bytes: number }[];
    return rows.map((r) => ({ podName: r.pod_name, container: r.container, podUid: r.pod_uid, podCreated: r.pod_created, content: r.content, droppedBytes: Number(r.dropped_bytes) }));
  }

  async dropOrphanLogs(uid: string): Promise<void> {
    this.open();
    this.stmts.dropOrphanLogs.run(uid, uid);
  }
}

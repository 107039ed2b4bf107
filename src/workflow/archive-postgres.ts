// The workflow archive in PostgreSQL, next to the store's tables in the same schema, so that every
// replica sharing the store serves the same archive. Tables (created when missing):
// argosy_archived_workflows, argosy_archived_workflow_labels, argosy_archived_workflow_logs. Text
// columns are COLLATE "C" so that ordering and the continue token agree with SQLite's bytewise order.
// Archiving is idempotent across replicas: INSERT … ON CONFLICT (uid) DO UPDATE … WHERE the stored copy
// finished earlier, so one completion is written exactly once whoever archives it.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Workflow } from '../model/argo.js';
import { ApiError } from '../model/errors.js';
import { DEFAULT_PG_URL, type PostgresOptions, checkSchemaName, isConnectionError, serverAddress } from '../store/postgres.js';
import {
  type ArchiveList,
  type ArchiveListOptions,
  type ArchiveLogQuery,
  type ArchivedLog,
  type WorkflowArchive,
  archiveRow,
  listQuery,
  toPage,
} from './archive-common.js';

export type PostgresArchiveOptions = Pick<PostgresOptions, 'connectionString' | 'schema' | 'connectTimeoutMs' | 'applicationName'> & {
  /** Connections in the archive's own pool. Default 4. */
  poolSize?: number;
};

export class PostgresWorkflowArchive implements WorkflowArchive {
  readonly backend = 'postgres' as const;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly where: string;
  private readonly t: { wf: string; labels: string; logs: string };
  private closed = false;
  private readonly stmtSuffix: string;

  private constructor(opts: PostgresArchiveOptions) {
    // The store's connection defaults: env ARGOSY_PG, else the local server; schema `argosy`.
    const url = opts.connectionString ?? process.env.ARGOSY_PG ?? DEFAULT_PG_URL;
    this.schema = checkSchemaName(opts.schema ?? 'argosy');
    this.where = serverAddress(url);
    this.pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000, application_name: opts.applicationName ?? 'argosy', max: opts.poolSize ?? 4 });
    // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
    this.pool.on('error', () => undefined);
    this.stmtSuffix = createHash('sha1').update(this.schema).digest('hex').slice(0, 10);
    const s = `"${this.schema}"`;
    this.t = { wf: `${s}.argosy_archived_workflows`, labels: `${s}.argosy_archived_workflow_labels`, logs: `${s}.argosy_archived_workflow_logs` };
  }

  /** Connect and create the schema and tables if missing. */
  static async open(opts: PostgresArchiveOptions = {}): Promise<PostgresWorkflowArchive> {
    const a = new PostgresWorkflowArchive(opts);
    try {
      await a.init();
    } catch (err) {
      await a.close();
      throw err;
    }
    return a;
  }

  private async init(): Promise<void> {
    const { wf, labels, logs } = this.t;
    await this.tx(async (c) => {
      // Replicas starting together must not race on CREATE … IF NOT EXISTS.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('argosy-archive:' || $1::text))`, [this.schema]);
      await c.query(`
        CREATE SCHEMA IF NOT EXISTS "${this.schema}";
        CREATE TABLE IF NOT EXISTS ${wf} (
          uid TEXT COLLATE "C" PRIMARY KEY,
          name TEXT COLLATE "C" NOT NULL,
          namespace TEXT COLLATE "C" NOT NULL,
          phase TEXT NOT NULL,
          started_at TEXT COLLATE "C" NOT NULL,
          finished_at TEXT COLLATE "C" NOT NULL,
          data JSON NOT NULL
        );
        CREATE INDEX IF NOT EXISTS argosy_archived_workflows_finished ON ${wf} (finished_at DESC, uid);
        CREATE INDEX IF NOT EXISTS argosy_archived_workflows_ns_name ON ${wf} (namespace, name);
        CREATE INDEX IF NOT EXISTS argosy_archived_workflows_started ON ${wf} (started_at);
        CREATE TABLE IF NOT EXISTS ${labels} (
          uid TEXT COLLATE "C" NOT NULL,
          key TEXT COLLATE "C" NOT NULL,
          value TEXT COLLATE "C" NOT NULL,
          PRIMARY KEY (uid, key)
        );
        CREATE INDEX IF NOT EXISTS argosy_archived_workflow_labels_kv ON ${labels} (key, value);
        CREATE TABLE IF NOT EXISTS ${logs} (
          uid TEXT COLLATE "C" NOT NULL,
          pod_name TEXT COLLATE "C" NOT NULL,
          container TEXT COLLATE "C" NOT NULL,
          pod_uid TEXT NOT NULL,
          pod_created TEXT COLLATE "C" NOT NULL,
          content BYTEA NOT NULL,
          dropped_bytes BIGINT NOT NULL,
          PRIMARY KEY (uid, pod_name, container)
        );
      `);
    });
  }

  /** A prepared statement's name: per schema, since the text names the schema's tables. */
  private stmt(key: string): string {
    return `argosy_archive_${this.stmtSuffix}_${key}`;
  }

  private fail(err: unknown): unknown {
    if (err instanceof ApiError) return err;
    if (isConnectionError(err)) {
      const msg = err instanceof Error ? err.message || (err as { code?: string }).code || String(err) : String(err);
      return new ApiError('ServiceUnavailable', `the workflow archive's PostgreSQL at ${this.where} is unreachable: ${msg}`);
    }
    return err;
  }

  private checkOpen(): void {
    if (this.closed) throw new ApiError('ServiceUnavailable', `the workflow archive (PostgreSQL at ${this.where}, schema ${this.schema}) is closed`);
  }

  private async query<R extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.checkOpen();
    try {
      return await this.pool.query<R>(sql, args);
    } catch (err) {
      throw this.fail(err);
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.checkOpen();
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw this.fail(err);
    }
    const onError = () => undefined;
    c.on('error', onError);
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      if (isConnectionError(err)) broken = err as Error;
      throw this.fail(err);
    } finally {
      if (!broken) c.removeListener('error', onError);
      c.release(broken);
    }
  }

  private async writeOne(c: pg.PoolClient, wf: Workflow): Promise<boolean> {
    const row = archiveRow(wf);
    if (!row) return false;
    const res = await c.query<{ inserted: boolean }>({
      name: this.stmt('insert'),
      text: `INSERT INTO ${this.t.wf} AS w (uid, name, namespace, phase, started_at, finished_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7::json)
       ON CONFLICT (uid) DO UPDATE SET name = EXCLUDED.name, namespace = EXCLUDED.namespace, phase = EXCLUDED.phase,
         started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, data = EXCLUDED.data
       WHERE w.finished_at < EXCLUDED.finished_at
       RETURNING (xmax = 0) AS inserted`,
      values: [row.uid, row.name, row.namespace, row.phase, row.startedAt, row.finishedAt, row.data],
    });
    if (!res.rowCount) return false;
    // A new row has no labels yet; a replaced one (a later completion) gets its labels replaced.
    if (!res.rows[0].inserted) await c.query({ name: this.stmt('dropLabels'), text: `DELETE FROM ${this.t.labels} WHERE uid = $1`, values: [row.uid] });
    if (row.labels.length) {
      await c.query({
        name: this.stmt('addLabels'),
        text: `INSERT INTO ${this.t.labels} (uid, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)`,
        values: [row.uid, row.labels.map(([k]) => k), row.labels.map(([, v]) => v)],
      });
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  async has(uid: string): Promise<boolean> {
    return ((await this.query(`SELECT 1 FROM ${this.t.wf} WHERE uid = $1`, [uid])).rowCount ?? 0) > 0;
  }

  async archive(wf: Workflow): Promise<boolean> {
    if (!archiveRow(wf)) return false;
    return this.tx((c) => this.writeOne(c, wf));
  }

  async archiveMany(wfs: Workflow[]): Promise<number> {
    return this.tx(async (c) => {
      let n = 0;
      for (const wf of wfs) if (await this.writeOne(c, wf)) n++;
      return n;
    });
  }

  async get(uid: string): Promise<Workflow | undefined> {
    const res = await this.query<{ data: Workflow }>(`SELECT data FROM ${this.t.wf} WHERE uid = $1`, [uid]);
    return res.rows[0]?.data;
  }

  async getByName(namespace: string, name: string): Promise<Workflow | undefined> {
    const res = await this.query<{ data: Workflow }>(`SELECT data FROM ${this.t.wf} WHERE namespace = $1 AND name = $2 ORDER BY finished_at DESC LIMIT 1`, [namespace, name]);
    return res.rows[0]?.data;
  }

  async delete(uid: string): Promise<boolean> {
    const res = await this.query(
      `WITH l AS (DELETE FROM ${this.t.labels} WHERE uid = $1), g AS (DELETE FROM ${this.t.logs} WHERE uid = $1)
       DELETE FROM ${this.t.wf} WHERE uid = $1`,
      [uid],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async list(opts: ArchiveListOptions = {}): Promise<ArchiveList> {
    const q = listQuery('postgres', this.t, opts);
    const res = await this.query<{ uid: string; finished_at: string; data: Workflow }>(q.sql, q.args);
    return toPage(res.rows, q.limit);
  }

  async labelKeys(): Promise<string[]> {
    return (await this.query<{ key: string }>(`SELECT DISTINCT key FROM ${this.t.labels} ORDER BY key`)).rows.map((r) => r.key);
  }

  async labelValues(key: string): Promise<string[]> {
    return (await this.query<{ value: string }>(`SELECT DISTINCT value FROM ${this.t.labels} WHERE key = $1 ORDER BY value`, [key])).rows.map((r) => r.value);
  }

  async putLogs(uid: string, logs: ArchivedLog[]): Promise<void> {
    if (!logs.length) return;
    await this.tx(async (c) => {
      for (const l of logs) {
        await c.query({
          name: this.stmt('putLog'),
          text: `INSERT INTO ${this.t.logs} (uid, pod_name, container, pod_uid, pod_created, content, dropped_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (uid, pod_name, container) DO UPDATE SET pod_uid = EXCLUDED.pod_uid, pod_created = EXCLUDED.pod_created,
             content = EXCLUDED.content, dropped_bytes = EXCLUDED.dropped_bytes`,
          values: [uid, l.podName, l.container, l.podUid, l.podCreated, l.content, l.droppedBytes],
        });
      }
    });
  }

  async logs(uid: string, query: ArchiveLogQuery = {}): Promise<ArchivedLog[]> {
    const where = ['uid = $1'];
    const args: unknown[] = [uid];
    if (query.podName) (args.push(query.podName), where.push(`pod_name = $${args.length}`));
    if (query.container) (args.push(query.container), where.push(`container = $${args.length}`));
    const res = await this.query<{ pod_name: string; container: string; pod_uid: string; pod_created: string; content: Buffer; dropped_bytes: string }>(
      `SELECT pod_name, container, pod_uid, pod_created, content, dropped_bytes FROM ${this.t.logs} WHERE ${where.join(' AND ')} ORDER BY pod_created, pod_name, container`,
      args,
    );
    return res.rows.map((r) => ({ podName: r.pod_name, container: r.container, podUid: r.pod_uid, podCreated: r.pod_created, content: r.content, droppedBytes: Number(r.dropped_bytes) }));
  }

  async dropOrphanLogs(uid: string): Promise<void> {
    await this.query(`DELETE FROM ${this.t.logs} WHERE uid = $1 AND NOT EXISTS (SELECT 1 FROM ${this.t.wf} WHERE uid = $1)`, [uid]);
  }
}

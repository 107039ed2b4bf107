// PostgreSQL backend (node-postgres). Several Argosy processes can share one schema: optimistic
// concurrency, resourceVersion order and watch delivery all hold across processes.
//
// Transactions. Every transaction starts REPEATABLE READ and reads `meta.rv` first, so a list and
// the resourceVersion it reports come from one snapshot. The first write locks the single `meta`
// row (SELECT … FOR UPDATE). If another process committed since our snapshot, PostgreSQL refuses
// that lock with a serialization failure and the whole transaction runs again, this time READ
// COMMITTED with the `meta` row locked before the first read. Writers are therefore serialised by
// the `meta` row lock and allocate resourceVersions under it, so commit order == resourceVersion
// order in every process; readers never wait.
//
// Watch. Every commit writes its change events to the `events` table and, atomically with the
// commit, NOTIFYs the schema's channel with its last resourceVersion. Each store LISTENs on a
// dedicated connection; on a notification (and after its own commits, and on reconnect) it reads
// events with rv > the last one it published, in rv order, and publishes them to its WatchHub. So
// the hub sees each resourceVersion exactly once and in increasing order, own and remote alike.
// BaseStore also publishes the events of a local transaction after it commits; those would arrive
// out of order with remote ones, so PostgresStore turns that path off (see the constructor).
//
// Outages. A transaction that fails because the database is not there (before COMMIT was sent, so
// nothing was written) is retried once at once. Called through `patient()` (the control loops: the
// controllers and the node agent), it keeps retrying with backoff for up to `retryUnavailableMs`, so
// a database restart is a pause for them rather than an error; called directly (the API), it fails
// with ServiceUnavailable naming the database. The backend reports the outage once when it begins,
// every 10 s while it lasts, and once when the database is back (`onWarning`, `onInfo`), then runs
// the `onReconnect` hooks after it has caught up with the event log.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ApiError } from '../model/errors.js';
import { type KindRegistry, defaultKinds } from '../model/kinds.js';
import { type KObject, deepFreeze } from '../model/object.js';
import type { Backend, Tx } from './backend.js';
import { BaseStore } from './base-store.js';
import { type ChangeEvent, WatchHub } from './watch-hub.js';
import type { Store, Watch, WatchEvent, WatchOptions } from './types.js';
import type { KindInfo } from '../model/kinds.js';

export interface PostgresOptions {
  /** `postgres://user@host:port/db`. Default: env `ARGOSY_PG`, else `postgres://postgres@127.0.0.1:5432/postgres`. */
  connectionString?: string;
  /** Schema holding Argosy's tables; created when missing. Default `argosy`. */
  schema?: string;
  /** How many recent change events to keep in the `events` table for watch resumption. Default 2000. */
  eventRetention?: number;
  /** Connections in the pool (the LISTEN connection is extra). Default 10. */
  poolSize?: number;
  /** Give up connecting after this long. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** First and largest delay between attempts to re-establish the LISTEN connection. Default 100 / 5000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Also read the event log this often, as a safety net for notifications. 0 disables. Default 10000 ms. */
  pollIntervalMs?: number;
  /** `application_name` of every connection (shows in pg_stat_activity). Default `argosy`. */
  applicationName?: string;
  /**
   * How long an operation made through `PostgresStore.patient()` keeps retrying while PostgreSQL is
   * unreachable before it fails with ServiceUnavailable. Default 60000 ms. Direct calls never wait.
   */
  retryUnavailableMs?: number;
}

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The schema name, if it is one the store and the archive can quote into SQL; else a BadRequest. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ApiError('BadRequest', `invalid PostgreSQL schema name "${schema}": use lowercase letters, digits and _`);
  }
  return schema;
}

/** `host:port` of a connection string, for messages (never the credentials). */
export function serverAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

type Row = Record<string, unknown>;

interface TxState {
  backend: PostgresBackend;
  client: pg.PoolClient;
  /** meta.rv as seen by this transaction, then the last rv it allocated. */
  rv: number;
  compactedRv: number;
  locked: boolean;
  wrote: boolean;
  events: { rv: number; type: string; resource: string; data: string; previous: string | null }[];
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True for errors that mean "the database is not there", not "the statement was wrong". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  if (CONNECTION_CODES.has(code)) return true;
  if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true;
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended/i.test(err.message);
}

/** Errors raised when COMMIT was sent but its answer was lost: the write may have landed, so never retried. */
const ambiguous = new WeakSet<object>();
/** Errors raised when no connection could be made at all: the database is down (or not reachable from here). */
const cannotConnect = new WeakSet<object>();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const isSerializationFailure = (err: unknown) => {
  const code = (err as { code?: string } | undefined)?.code;
  return code === '40001' || code === '40P01';
};

const parseJson = (v: unknown): KObject => deepFreeze((typeof v === 'string' ? JSON.parse(v) : v) as KObject);

function ownerUids(obj: KObject | undefined): string[] {
  return [...new Set((obj?.metadata.ownerReferences ?? []).map((r) => r.uid))].sort();
}

export class PostgresBackend implements Backend {
  readonly schema: string;
  readonly channel: string;
  private readonly pool: pg.Pool;
  private readonly cfg: pg.ClientConfig;
  private readonly where: string;
  private readonly retention: number;
  private readonly als = new AsyncLocalStorage<TxState>();
  private readonly sql: Record<string, string>;
  private readonly stmtPrefix: string;
  private closed = false;
  /** Counters, for tests and metrics. */
  readonly stats = { transactions: 0, serializationRetries: 0, connectionRetries: 0, ownPublished: 0, logPublished: 0, logReads: 0 };

  // Watch feed.
  private publishFn?: (ev: ChangeEvent) => void;
  private published = 0;
  private seed?: { events: ChangeEvent[]; oldestRetainedRv: number };
  private passRunning: Promise<void> | null = null;
  private passQueued: Promise<void> | null = null;

  // LISTEN connection.
  private listener?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private backoff: number;
  private readonly reconnectMin: number;
  private readonly reconnectMax: number;
  private readonly pollIntervalMs: number;
  /** Called when something goes wrong in the background (LISTEN connection lost, database unreachable, events compacted away). */
  onWarning: (message: string) => void = (m) => console.warn(`argosy postgres: ${m}`);
  /** Called when the database is reachable again after an outage. */
  onInfo: (message: string) => void = () => undefined;

  // Outages.
  private readonly patience = new AsyncLocalStorage<number>();
  private readonly retryUnavailableMs: number;
  /** When the current outage began (0: none), and when it was last reported. */
  private downSince = 0;
  private downReportedAt = 0;
  private readonly reconnectHooks = new Set<() => void>();

  constructor(opts: PostgresOptions = {}) {
    const url = opts.connectionString ?? process.env.ARGOSY_PG ?? DEFAULT_PG_URL;
    this.schema = checkSchemaName(opts.schema ?? 'argosy');
    const hash = createHash('sha1').update(this.schema).digest('hex').slice(0, 10);
    this.channel = this.schema.length <= 49 ? `argosy_events_${this.schema}` : `argosy_events_${hash}`;
    this.stmtPrefix = `argosy_${hash}_`;
    this.retention = Math.max(1, opts.eventRetention ?? 2_000);
    this.reconnectMin = opts.reconnectMinMs ?? 100;
    this.reconnectMax = opts.reconnectMaxMs ?? 5_000;
    this.backoff = this.reconnectMin;
    this.pollIntervalMs = opts.pollIntervalMs ?? 10_000;
    this.retryUnavailableMs = Math.max(0, opts.retryUnavailableMs ?? 60_000);
    this.cfg = { connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000, application_name: opts.applicationName ?? 'argosy' };
    this.where = serverAddress(url);
    this.pool = new pg.Pool({ ...this.cfg, max: opts.poolSize ?? 10 });
    // Idle clients whose server went away emit 'error' on the pool; the next checkout reconnects.
    this.pool.on('error', () => undefined);
    const s = `"${this.schema}"`;
    this.sql = {
      begin: `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT rv, compacted_rv FROM ${s}.meta WHERE id = 1`,
      beginLocked: `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT rv, compacted_rv FROM ${s}.meta WHERE id = 1 FOR UPDATE`,
      lock: `SELECT rv FROM ${s}.meta WHERE id = 1 FOR UPDATE`,
      get: `SELECT data FROM ${s}.objects WHERE resource = $1 AND namespace = $2 AND name = $3`,
      getByUid: `SELECT resource, data FROM ${s}.objects WHERE uid = $1`,
      // Ordered like BaseStore's continue tokens compare items: by the string `${namespace}/${name}`.
      listAll: `SELECT data FROM ${s}.objects WHERE resource = $1 ORDER BY (namespace || '/' || name) COLLATE "C"`,
      listNs: `SELECT data FROM ${s}.objects WHERE resource = $1 AND namespace = $2 ORDER BY name COLLATE "C"`,
      put:
        `INSERT INTO ${s}.objects(resource, namespace, name, uid, rv, data) VALUES ($1, $2, $3, $4, $5, $6::json) ` +
        `ON CONFLICT (resource, namespace, name) DO UPDATE SET uid = EXCLUDED.uid, rv = EXCLUDED.rv, data = EXCLUDED.data`,
      setOwners:
        `WITH d AS (DELETE FROM ${s}.owner_refs WHERE resource = $1 AND namespace = $2 AND name = $3 AND NOT (owner_uid = ANY($4::text[]))) ` +
        `INSERT INTO ${s}.owner_refs(owner_uid, resource, namespace, name) SELECT u, $1, $2, $3 FROM unnest($4::text[]) u ON CONFLICT DO NOTHING`,
      remove:
        `WITH d AS (DELETE FROM ${s}.owner_refs WHERE resource = $1 AND namespace = $2 AND name = $3) ` +
        `DELETE FROM ${s}.objects WHERE resource = $1 AND namespace = $2 AND name = $3`,
      dependents:
        `SELECT o.resource, o.data FROM ${s}.owner_refs r JOIN ${s}.objects o ON o.resource = r.resource AND o.namespace = r.namespace AND o.name = r.name ` +
        `WHERE r.owner_uid = $1 ORDER BY o.resource, (o.namespace || '/' || o.name) COLLATE "C"`,
      // One round trip at commit: the events, the new rv, compaction, and the notification (sent by
      // PostgreSQL only if and when the transaction commits).
      commit:
        `WITH e AS (INSERT INTO ${s}.events(rv, type, resource, data, previous) ` +
        `SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::json[], $5::json[])), ` +
        `m AS (UPDATE ${s}.meta SET rv = $6, compacted_rv = GREATEST(compacted_rv, $7) WHERE id = 1), ` +
        `c AS (DELETE FROM ${s}.events WHERE rv <= $7) ` +
        `SELECT pg_notify($8, $6::text)`,
      currentRv: `SELECT rv FROM ${s}.meta WHERE id = 1`,
      readEvents: `SELECT rv, type, resource, data, previous FROM ${s}.events WHERE rv > $1 ORDER BY rv LIMIT 1000`,
      compacted: `SELECT compacted_rv FROM ${s}.meta WHERE id = 1`,
    };
  }

  private unreachable(err: unknown): ApiError {
    const msg = err instanceof Error ? err.message || (err as { code?: string }).code || String(err) : String(err);
    return new ApiError('ServiceUnavailable', `PostgreSQL at ${this.where} is unreachable: ${msg}`);
  }

  /** Connection failures become ServiceUnavailable; everything else passes through. */
  private mapError(err: unknown): unknown {
    if (err instanceof ApiError) return err;
    return isConnectionError(err) ? this.unreachable(err) : err;
  }

  private async q(client: pg.ClientBase, key: string, values: unknown[]): Promise<Row[]> {
    const res = await client.query({ name: this.stmtPrefix + key, text: this.sql[key], values });
    return res.rows as Row[];
  }

  private async checkout(): Promise<pg.PoolClient> {
    if (this.closed) throw new ApiError('ServiceUnavailable', `the PostgreSQL store at ${this.where} is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      const e = this.unreachable(err);
      cannotConnect.add(e);
      throw e;
    }
    // The pool stops listening for a client's errors while it is checked out; a connection dropped
    // mid-transaction would then crash the process. The failing query reports the error instead.
    const onError = () => undefined;
    client.on('error', onError);
    const release = client.release;
    client.release = (err?: Error | boolean) => {
      if (!err) client.removeListener('error', onError); // a broken client keeps it until destroyed
      return release.call(client, err);
    };
    return client;
  }

  /** Create the schema if missing, start listening, and load recent events for the watch hub. */
  async init(): Promise<void> {
    const client = await this.checkout();
    try {
      const s = `"${this.schema}"`;
      await client.query('BEGIN');
      // Two processes starting together must not race on CREATE … IF NOT EXISTS.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('argosy-schema:' || $1::text))`, [this.schema]);
      await client.query(`
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.objects (
          resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          uid TEXT NOT NULL, rv BIGINT NOT NULL, data JSON NOT NULL,
          PRIMARY KEY (resource, namespace, name)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS objects_uid ON ${s}.objects(uid);
        CREATE TABLE IF NOT EXISTS ${s}.owner_refs (
          owner_uid TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
          PRIMARY KEY (owner_uid, resource, namespace, name)
        );
        CREATE INDEX IF NOT EXISTS owner_refs_object ON ${s}.owner_refs(resource, namespace, name);
        CREATE TABLE IF NOT EXISTS ${s}.events (
          rv BIGINT PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, data JSON NOT NULL, previous JSON
        );
        CREATE TABLE IF NOT EXISTS ${s}.meta (
          id INT PRIMARY KEY CHECK (id = 1), rv BIGINT NOT NULL, compacted_rv BIGINT NOT NULL, schema_version INT NOT NULL
        );
        INSERT INTO ${s}.meta(id, rv, compacted_rv, schema_version) VALUES (1, 0, 0, 1) ON CONFLICT (id) DO NOTHING;
      `);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(isConnectionError(err) ? (err as Error) : undefined);
      throw this.mapError(err);
    }
    client.release();
    // Listen before reading, so nothing committed after the read goes unnoticed.
    await this.connectListener().catch((err) => {
      throw this.mapError(err);
    });
    const c2 = await this.checkout();
    try {
      const [, metaRes, evRes] = (await c2.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT rv, compacted_rv FROM "${this.schema}".meta WHERE id = 1; ` +
          `SELECT rv, type, resource, data, previous FROM "${this.schema}".events ` +
          `WHERE rv > GREATEST((SELECT compacted_rv FROM "${this.schema}".meta WHERE id = 1), (SELECT rv FROM "${this.schema}".meta WHERE id = 1) - ${this.retention}) ORDER BY rv`,
      )) as unknown as pg.QueryResult[];
      await c2.query('COMMIT');
      const rv = Number(metaRes.rows[0].rv);
      const events = evRes.rows.map(rowToEvent);
      this.published = rv;
      this.seed = { events, oldestRetainedRv: events.length ? events[0].rv - 1 : rv };
      c2.release();
    } catch (err) {
      c2.release(err as Error);
      throw this.mapError(err);
    }
    if (this.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => this.kick(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  recentEvents(): { events: ChangeEvent[]; oldestRetainedRv: number } {
    const seed = this.seed ?? { events: [], oldestRetainedRv: this.published };
    this.seed = undefined;
    return seed;
  }

  /** Hand the backend the hub's publish function; from now on it alone feeds the hub. */
  attachHub(publish: (ev: ChangeEvent) => void): void {
    this.publishFn = publish;
    this.kick();
  }

  /** The last resourceVersion published to the hub. */
  get publishedResourceVersion(): number {
    return this.published;
  }

  /** Whether the LISTEN connection is up. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.stats.transactions++;
    let locked = false;
    let reconnects = 0;
    const patience = this.patience.getStore() ?? 0;
    const started = Date.now();
    let delay = 100;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.attempt(fn, locked);
        if (this.downSince) this.markUp();
        return result;
      } catch (err) {
        // Another process committed after our snapshot: run again with the write lock taken first.
        if (isSerializationFailure(err) && attempt < 5) {
          this.stats.serializationRetries++;
          locked = true;
          continue;
        }
        // The database is not there, or a pooled connection died (server restart, idle kill), before
        // COMMIT was sent: nothing was written, so trying again is safe. Once at once (a dead pooled
        // connection); then, for patient callers, with backoff until the database is back or their
        // patience runs out. (A lost COMMIT is never retried: see attempt().)
        if (this.isRetryable(err) && !this.closed) {
          if (reconnects++ < 1 && !cannotConnect.has(err as object)) {
            this.stats.connectionRetries++;
            continue;
          }
          this.markDown(err);
          if (Date.now() - started + delay <= patience) {
            this.stats.connectionRetries++;
            await sleep(delay);
            delay = Math.min(delay * 2, 1000);
            if (!this.closed) continue;
          }
        }
        throw this.mapError(err);
      }
    }
  }

  private isRetryable(err: unknown): boolean {
    if (typeof err !== 'object' || err === null || ambiguous.has(err)) return false;
    return cannotConnect.has(err) || (!(err instanceof ApiError) && isConnectionError(err));
  }

  /**
   * Run `fn` so that every transaction it makes keeps retrying, for up to `retryUnavailableMs`, while
   * the database is unreachable (instead of failing at once).
   */
  patiently<T>(fn: () => Promise<T>): Promise<T> {
    return this.patience.run(this.retryUnavailableMs, fn);
  }

  /** Called (in the background) each time the database is reachable again after an outage, once caught up. */
  onReconnect(hook: () => void): () => void {
    this.reconnectHooks.add(hook);
    return () => this.reconnectHooks.delete(hook);
  }

  /** When the current outage began (ms since the epoch), or 0 when the database answers. */
  get unreachableSince(): number {
    return this.downSince;
  }

  private markDown(err: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    const msg = err instanceof Error ? err.message : String(err);
    if (!this.downSince) {
      this.downSince = now;
      this.downReportedAt = now;
      const detail = msg.startsWith(`PostgreSQL at ${this.where} is unreachable: `) ? msg.slice(`PostgreSQL at ${this.where} is unreachable: `.length) : msg;
      this.onWarning(`PostgreSQL at ${this.where} is unreachable (${detail}); retrying until it is back`);
    } else if (now - this.downReportedAt >= 10_000) {
      this.downReportedAt = now;
      this.onWarning(`PostgreSQL at ${this.where} still unreachable after ${Math.round((now - this.downSince) / 1000)} s; retrying`);
    }
    // Try the LISTEN connection again soon rather than at the end of a long backoff.
    if (!this.listener) this.backoff = Math.min(this.backoff, 1000);
  }

  private markUp(): void {
    if (!this.downSince || this.closed) return;
    const secs = ((Date.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = 0;
    this.onInfo(`PostgreSQL at ${this.where} is reachable again after ${secs} s`);
    // The LISTEN connection may still be waiting out its backoff: bring it back now.
    if (!this.listener && this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.backoff = this.reconnectMin;
      this.scheduleReconnect();
    }
    // Hooks run once the hub has everything committed during the outage.
    this.sync()
      .catch(() => undefined)
      .then(() => {
        for (const h of this.reconnectHooks) {
          try {
            h();
          } catch (err) {
            this.onWarning(`reconnect hook failed: ${(err as Error).message}`);
          }
        }
      });
  }

  private async attempt<T>(fn: (tx: Tx) => Promise<T>, locked: boolean): Promise<T> {
    const client = await this.checkout();
    const st: TxState = { backend: this, client, rv: 0, compactedRv: 0, locked, wrote: false, events: [] };
    let result: T;
    try {
      const res = (await client.query(locked ? this.sql.beginLocked : this.sql.begin)) as unknown as pg.QueryResult[];
      st.rv = Number(res[1].rows[0].rv);
      st.compactedRv = Number(res[1].rows[0].compacted_rv);
      result = await this.als.run(st, () => fn(this.txFor(st)));
      if (st.wrote) {
        const ev = st.events;
        const compactTo = st.rv - this.retention;
        const compact = compactTo > st.compactedRv + Math.max(1, Math.floor(this.retention / 10)) ? compactTo : 0;
        await this.q(client, 'commit', [
          ev.map((e) => e.rv),
          ev.map((e) => e.type),
          ev.map((e) => e.resource),
          ev.map((e) => e.data),
          ev.map((e) => e.previous),
          st.rv,
          compact,
          this.channel,
        ]);
      }
    } catch (err) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch {
        client.release(true);
      }
      throw err;
    }
    try {
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      client.release(true);
      if (isConnectionError(err) && st.wrote) {
        const e = new ApiError('ServiceUnavailable', `PostgreSQL at ${this.where} is unreachable: ${(err as Error).message} (the write may or may not have been committed)`);
        ambiguous.add(e);
        throw e;
      }
      throw err;
    }
    if (st.events.length) await this.afterCommit(st.events);
    return result;
  }

  private txFor(st: TxState): Tx {
    const c = st.client;
    const lock = async () => {
      if (st.locked) return;
      // REPEATABLE READ: fails with 40001 if any writer committed since our snapshot.
      await this.q(c, 'lock', []);
      st.locked = true;
    };
    return {
      get: async (resource, namespace, name) => {
        const rows = await this.q(c, 'get', [resource, namespace, name]);
        return rows.length ? parseJson(rows[0].data) : undefined;
      },
      getByUid: async (uid) => {
        const rows = await this.q(c, 'getByUid', [uid]);
        return rows.length ? { resource: rows[0].resource as string, object: parseJson(rows[0].data) } : undefined;
      },
      list: async (resource, namespace) => {
        const rows = namespace === undefined ? await this.q(c, 'listAll', [resource]) : await this.q(c, 'listNs', [resource, namespace]);
        return rows.map((r) => parseJson(r.data));
      },
      put: async (resource, obj, previous) => {
        await lock();
        st.wrote = true;
        const ns = obj.metadata.namespace ?? '';
        const name = obj.metadata.name!;
        await this.q(c, 'put', [resource, ns, name, obj.metadata.uid, Number(obj.metadata.resourceVersion), JSON.stringify(obj)]);
        const now = ownerUids(obj);
        // `previous` is the stored object, so its ownerReferences are what owner_refs holds.
        const before = ownerUids(previous);
        if (now.join('\n') !== before.join('\n')) await this.q(c, 'setOwners', [resource, ns, name, now]);
      },
      remove: async (resource, obj) => {
        await lock();
        st.wrote = true;
        await this.q(c, 'remove', [resource, obj.metadata.namespace ?? '', obj.metadata.name]);
      },
      dependents: async (ownerUid) =>
        (await this.q(c, 'dependents', [ownerUid])).map((r) => ({ resource: r.resource as string, object: parseJson(r.data) })),
      nextResourceVersion: async () => {
        await lock();
        st.wrote = true;
        return ++st.rv;
      },
      recordEvent: async (ev) => {
        st.events.push({
          rv: ev.rv,
          type: ev.type,
          resource: ev.resource,
          data: JSON.stringify(ev.object),
          previous: ev.previous ? JSON.stringify(ev.previous) : null,
        });
      },
    };
  }

  /** Publish a transaction's own events at once when they are next in line; else read the log. */
  private async afterCommit(events: TxState['events']): Promise<void> {
    if (!this.publishFn) return;
    const last = events[events.length - 1].rv;
    if (this.published === events[0].rv - 1) {
      for (const e of events) {
        this.publishFn(
          rowToEvent({ rv: e.rv, type: e.type, resource: e.resource, data: e.data, previous: e.previous }),
        );
      }
      this.published = last;
      this.stats.ownPublished += events.length;
    } else if (this.published < last) {
      // Committed; if the log cannot be read now, the LISTEN reconnect catches up later.
      await this.sync().catch(() => undefined);
    }
  }

  /** Read the event log past the last published rv and publish what is there, in order. Single-flight. */
  sync(): Promise<void> {
    if (!this.passRunning) {
      this.passRunning = this.readLog().finally(() => {
        this.passRunning = null;
      });
      return this.passRunning;
    }
    if (!this.passQueued) {
      this.passQueued = this.passRunning
        .catch(() => undefined)
        .then(() => {
          this.passQueued = null;
          return this.sync();
        });
    }
    return this.passQueued;
  }

  /** Fire-and-forget sync (notifications, timers, reconnects). */
  private kick(): void {
    if (this.closed || !this.publishFn) return;
    this.sync().catch(() => undefined);
  }

  private async readLog(): Promise<void> {
    const publish = this.publishFn;
    if (!publish || this.closed) return;
    for (;;) {
      const from = this.published;
      let rows: Row[];
      this.stats.logReads++;
      try {
        rows = (await this.pool.query({ name: this.stmtPrefix + 'readEvents', text: this.sql.readEvents, values: [from] })).rows as Row[];
      } catch (err) {
        if (isConnectionError(err)) this.markDown(err);
        throw this.mapError(err);
      }
      if (rows.length && Number(rows[0].rv) > from + 1) {
        const comp = await this.pool.query({ name: this.stmtPrefix + 'compacted', text: this.sql.compacted, values: [] });
        const compacted = Number(comp.rows[0].compacted_rv);
        if (compacted > from) {
          this.onWarning(
            `events ${from + 1}..${compacted} were compacted before this process read them; watchers may have missed changes and should re-list`,
          );
        }
      }
      for (const row of rows) {
        const rv = Number(row.rv);
        if (rv <= this.published) continue;
        publish(rowToEvent(row));
        this.published = rv;
        this.stats.logPublished++;
      }
      if (rows.length < 1000) return;
    }
  }

  private async connectListener(): Promise<void> {
    const client = new pg.Client(this.cfg);
    const lost = (err?: Error) => this.listenerLost(client, err);
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel) return;
      const rv = Number(msg.payload);
      if (!(rv <= this.published)) this.kick();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.backoff = this.reconnectMin;
    this.kick(); // anything committed while we were not listening
    if (this.downSince) this.markUp();
  }

  private listenerLost(client: pg.Client, err?: Error): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.onWarning(`LISTEN connection to ${this.where} lost${err ? `: ${err.message}` : ''}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    const delay = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, this.reconnectMax);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener().catch((err) => {
        if (isConnectionError(err)) this.markDown(err);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  async currentResourceVersion(): Promise<number> {
    const st = this.als.getStore();
    if (st && st.backend === this) return st.rv; // inside a transaction: its snapshot
    let rv: number;
    try {
      const res = await this.pool.query({ name: this.stmtPrefix + 'currentRv', text: this.sql.currentRv, values: [] });
      rv = Number(res.rows[0].rv);
    } catch (err) {
      if (isConnectionError(err)) this.markDown(err);
      throw this.mapError(err);
    }
    if (this.downSince) this.markUp();
    return rv;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pollTimer);
    await this.passRunning?.catch(() => undefined);
    const l = this.listener;
    this.listener = undefined;
    if (l) {
      l.removeAllListeners();
      l.on('error', () => undefined);
      await l.end().catch(() => undefined);
    }
    await this.pool.end().catch(() => undefined);
  }
}

function rowToEvent(row: Row): ChangeEvent {
  return {
    rv: Number(row.rv),
    type: row.type as ChangeEvent['type'],
    resource: row.resource as string,
    object: parseJson(row.data),
    ...(row.previous != null ? { previous: parseJson(row.previous) } : {}),
  };
}

/** The Store calls that wait for the database in `patient()`. */
const PATIENT_METHODS = new Set<string | symbol>(['create', 'get', 'list', 'update', 'patch', 'delete', 'watch']);

export class PostgresStore extends BaseStore {
  declare protected readonly backend: PostgresBackend;

  /** Connect, create the schema if missing, and start following the event log. */
  static async open(opts: PostgresOptions & { kinds?: KindRegistry; watchHistory?: number } = {}): Promise<PostgresStore> {
    const backend = new PostgresBackend(opts);
    try {
      await backend.init();
    } catch (err) {
      await backend.close();
      throw err;
    }
    return new PostgresStore(backend, opts.kinds ?? defaultKinds, { watchHistory: opts.watchHistory ?? opts.eventRetention });
  }

  private constructor(backend: PostgresBackend, kinds: KindRegistry, opts: { watchHistory?: number }) {
    super(backend, kinds, opts);
  }

  /** Catch up with the event log first, so a resourceVersion the caller has seen is known here. */
  override async watch<T extends KObject = KObject>(info: KindInfo, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): Promise<Watch> {
    await this.backend.sync();
    return super.watch(info, opts, onEvent);
  }

  /** Wait until every event committed so far (by any process) has reached this store's watchers' hub. */
  sync(): Promise<void> {
    return this.backend.sync();
  }

  get schema(): string {
    return this.backend.schema;
  }

  /** Whether the LISTEN connection is currently up. */
  get listening(): boolean {
    return this.backend.listening;
  }

  get stats(): PostgresBackend['stats'] {
    return this.backend.stats;
  }

  set onWarning(fn: (message: string) => void) {
    this.backend.onWarning = fn;
  }

  /** Called when the database is reachable again after an outage. */
  set onInfo(fn: (message: string) => void) {
    this.backend.onInfo = fn;
  }

  /** Run `hook` each time the database is back after an outage (once the watch hub has caught up). Returns an unsubscribe function. */
  onReconnect(hook: () => void): () => void {
    return this.backend.onReconnect(hook);
  }

  /** When the current outage began (ms since the epoch), or 0 when the database answers. */
  get unreachableSince(): number {
    return this.backend.unreachableSince;
  }

  /**
   * This store as the control loops should see it: every call keeps retrying while PostgreSQL is
   * unreachable, for up to `retryUnavailableMs`, instead of failing at once. The same store
   * underneath (one pool, one watch hub); only the calls made through the view wait.
   */
  patient(): Store {
    const backend = this.backend;
    return new Proxy(this, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => Promise<unknown>;
        if (!PATIENT_METHODS.has(prop)) return fn.bind(target);
        return (...args: unknown[]) => backend.patiently(() => fn.apply(target, args));
      },
    }) as Store;
  }
}

// The workflow archive (Argo's persistence.archive): completed Workflows, node status included, kept
// in SQLite (`<dataDir>/archive.db`) after the live object is gone. Plus the two controllers that
// act on completed Workflows: the archiver (copies each completed workflow once, by uid) and the
// TTL controller (spec.ttlStrategy: deletes the live Workflow some seconds after it finished).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { ApiError, isApiError } from '../model/errors.js';
import { clone } from '../model/object.js';
import { parseLabelSelector } from '../model/selectors.js';
import { type Logger, silentLogger } from './controller.js';

export const LABEL_ARCHIVING_STATUS = 'workflows.argoproj.io/workflow-archiving-status';
const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);

export interface ArchiveListOptions {
  namespace?: string;
  labelSelector?: string;
  namePrefix?: string;
  /** Exact name. */
  name?: string;
  /** RFC 3339 bounds on startedAt (inclusive). */
  minStartedAt?: string;
  maxStartedAt?: string;
  limit?: number;
  continue?: string;
}

export interface ArchiveList {
  items: Workflow[];
  continue?: string;
}

interface Row {
  uid: string;
  name: string;
  namespace: string;
  phase: string;
  started_at: string;
  finished_at: string;
  labels: string;
  data: string;
}

export class WorkflowArchive {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
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
    `);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  has(uid: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM archived_workflows WHERE uid = ?').get(uid);
  }

  /** Store (or refresh) a completed workflow; false when it is not completed or has no uid. */
  archive(wf: Workflow): boolean {
    const uid = wf.metadata.uid;
    const phase = wf.status?.phase ?? '';
    if (!uid || !COMPLETED.has(phase)) return false;
    const copy = clone(wf);
    if (copy.metadata.labels) delete copy.metadata.labels[LABEL_ARCHIVING_STATUS];
    delete copy.metadata.managedFields;
    this.db
      .prepare(
        `INSERT INTO archived_workflows (uid, name, namespace, phase, started_at, finished_at, labels, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(uid) DO UPDATE SET name = excluded.name, namespace = excluded.namespace, phase = excluded.phase, started_at = excluded.started_at,
           finished_at = excluded.finished_at, labels = excluded.labels, data = excluded.data`,
      )
      .run(
        uid,
        wf.metadata.name ?? '',
        wf.metadata.namespace ?? '',
        phase,
        wf.status?.startedAt ?? wf.metadata.creationTimestamp ?? '',
        wf.status?.finishedAt ?? wf.status?.startedAt ?? wf.metadata.creationTimestamp ?? '',
        JSON.stringify(copy.metadata.labels ?? {}),
        JSON.stringify(copy),
      );
    return true;
  }

  get(uid: string): Workflow | undefined {
    const row = this.db.prepare('SELECT data FROM archived_workflows WHERE uid = ?').get(uid) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Workflow) : undefined;
  }

  /** The newest archived workflow with this name in this namespace (Argo v4.1 `archive get` by name). */
  getByName(namespace: string, name: string): Workflow | undefined {
    const row = this.db.prepare('SELECT data FROM archived_workflows WHERE namespace = ? AND name = ? ORDER BY finished_at DESC LIMIT 1').get(namespace, name) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Workflow) : undefined;
  }

  delete(uid: string): boolean {
    return this.db.prepare('DELETE FROM archived_workflows WHERE uid = ?').run(uid).changes > 0;
  }

  /**
   * Newest finished first (then by uid). `continue` is the opaque token of the previous page; label
   * selectors are applied while reading, so a page is full whenever enough rows match.
   */
  list(opts: ArchiveListOptions = {}): ArchiveList {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.namespace) (where.push('namespace = ?'), args.push(opts.namespace));
    if (opts.name) (where.push('name = ?'), args.push(opts.name));
    if (opts.namePrefix) (where.push("name LIKE ? ESCAPE '\\'"), args.push(opts.namePrefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%'));
    if (opts.minStartedAt) (where.push('started_at >= ?'), args.push(opts.minStartedAt));
    if (opts.maxStartedAt) (where.push('started_at <= ?'), args.push(opts.maxStartedAt));
    if (opts.continue) {
      const tok = decodeContinue(opts.continue);
      where.push('(finished_at < ? OR (finished_at = ? AND uid > ?))');
      args.push(tok.f, tok.f, tok.u);
    }
    const selector = parseLabelSelector(opts.labelSelector);
    const sql = `SELECT * FROM archived_workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY finished_at DESC, uid ASC`;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const items: Workflow[] = [];
    let lastRow: Row | undefined;
    let more = false;
    for (const row of this.db.prepare(sql).iterate(...args) as IterableIterator<Row>) {
      if (!selector.matches(JSON.parse(row.labels) as Record<string, string>)) continue;
      if (limit !== undefined && items.length >= limit) {
        more = true;
        break;
      }
      const wf = JSON.parse(row.data) as Workflow;
      // Lists carry no node status (as Argo's archived list); get returns everything.
      if (wf.status) delete wf.status.nodes;
      items.push(wf);
      lastRow = row;
    }
    return { items, ...(more && lastRow ? { continue: encodeContinue(lastRow.finished_at, lastRow.uid) } : {}) };
  }

  labelKeys(): string[] {
    const keys = new Set<string>();
    for (const row of this.db.prepare('SELECT labels FROM archived_workflows').iterate() as IterableIterator<{ labels: string }>) {
      for (const k of Object.keys(JSON.parse(row.labels) as object)) keys.add(k);
    }
    return [...keys].sort();
  }

  labelValues(key: string): string[] {
    const values = new Set<string>();
    for (const row of this.db.prepare('SELECT labels FROM archived_workflows').iterate() as IterableIterator<{ labels: string }>) {
      const v = (JSON.parse(row.labels) as Record<string, string>)[key];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }
}

function encodeContinue(f: string, u: string): string {
  return Buffer.from(JSON.stringify({ f, u })).toString('base64url');
}

function decodeContinue(token: string): { f: string; u: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as { f?: unknown; u?: unknown };
    if (typeof t.f === 'string' && typeof t.u === 'string') return { f: t.f, u: t.u };
  } catch {
    // fall through
  }
  throw new ApiError('BadRequest', `invalid continue token ${JSON.stringify(token)}: pass the listMeta.continue of the previous page unchanged`);
}

const opened = new Map<string, WorkflowArchive>();

/** The archive of a data directory, shared by every user in this process (archiver, API). */
export function openArchive(dataDir: string): WorkflowArchive {
  const path = resolve(join(dataDir, 'archive.db'));
  let a = opened.get(path);
  if (!a) opened.set(path, (a = new WorkflowArchive(path)));
  return a;
}

/** Close a shared archive (on shutdown). */
export function closeArchive(dataDir: string): void {
  const path = resolve(join(dataDir, 'archive.db'));
  opened.get(path)?.close();
  opened.delete(path);
}

/** A new Workflow from an archived one (Argo's archived resubmit): same spec and labels, fresh status. */
export function workflowFromArchived(old: Workflow, opts: { namespace?: string; parameters?: string[] } = {}): Workflow {
  const labels = { ...(old.metadata.labels ?? {}) };
  for (const k of ['workflows.argoproj.io/completed', 'workflows.argoproj.io/phase', LABEL_ARCHIVING_STATUS]) delete labels[k];
  labels['workflows.argoproj.io/resubmitted-from-workflow'] = old.metadata.name ?? '';
  const spec = clone(old.spec);
  delete spec.shutdown;
  delete spec.suspend;
  for (const p of opts.parameters ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new ApiError('BadRequest', `parameter "${p}": expected name=value`);
    const name = p.slice(0, i);
    const params = (spec.arguments?.parameters ?? []).filter((x) => x.name !== name);
    params.push({ name, value: p.slice(i + 1) });
    spec.arguments = { ...(spec.arguments ?? {}), parameters: params };
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      generateName: `${old.metadata.name}-`,
      namespace: opts.namespace ?? old.metadata.namespace,
      labels,
      ...(old.metadata.annotations ? { annotations: { ...old.metadata.annotations } } : {}),
    },
    spec,
  };
}

// ------------------------------------------------------------------ archiver

export interface ArchiverOptions {
  client: Client;
  archive: WorkflowArchive;
  namespace?: string;
  logger?: Logger;
  /** Label archived live workflows `workflow-archiving-status: Archived` (default true). */
  label?: boolean;
}

/** Archives each completed Workflow once (by uid); safe to restart (already archived uids are skipped). */
export class WorkflowArchiver {
  private readonly informer: Informer<Workflow>;
  private readonly log: Logger;
  private done = new Set<string>();

  constructor(private readonly opts: ArchiverOptions) {
    this.log = opts.logger ?? silentLogger;
    this.informer = new Informer<Workflow>(opts.client, Kinds.Workflow, opts.namespace ? { namespace: opts.namespace } : {});
  }

  async start(): Promise<void> {
    this.informer.on({ add: (wf) => this.consider(wf), update: (_o, wf) => this.consider(wf) });
    await this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  private consider(wf: Workflow): void {
    const uid = wf.metadata.uid;
    if (!uid || !COMPLETED.has(wf.status?.phase ?? '')) return;
    // A retried workflow that completes again has a new finishedAt: archive that too.
    const key = `${uid}@${wf.status?.finishedAt ?? ''}`;
    if (this.done.has(key)) return;
    try {
      this.opts.archive.archive(wf);
      this.done.add(key);
    } catch (err) {
      this.log.error('could not archive workflow', { workflow: `${wf.metadata.namespace}/${wf.metadata.name}`, error: String(err) });
      return;
    }
    if (this.opts.label !== false && wf.metadata.labels?.[LABEL_ARCHIVING_STATUS] !== 'Archived') {
      this.opts.client
        .patch(Kinds.Workflow, wf.metadata.name!, wf.metadata.namespace, 'merge', { metadata: { labels: { [LABEL_ARCHIVING_STATUS]: 'Archived' } } })
        .catch((err) => {
          if (!isApiError(err, 'NotFound')) this.log.warn('could not label archived workflow', { error: String(err) });
        });
    }
  }
}

// ------------------------------------------------------------------ TTL

export interface TtlControllerOptions {
  client: Client;
  namespace?: string;
  logger?: Logger;
  now?: () => Date;
}

/**
 * spec.ttlStrategy: secondsAfterCompletion, secondsAfterSuccess, secondsAfterFailure — delete the
 * live Workflow that long after status.finishedAt (the archive keeps its copy).
 */
export function ttlExpiry(wf: Workflow): number | undefined {
  const phase = wf.status?.phase ?? '';
  const finished = wf.status?.finishedAt;
  const ttl = wf.spec?.ttlStrategy;
  if (!ttl || !finished || !COMPLETED.has(phase)) return undefined;
  let secs: number | undefined;
  if (phase === 'Succeeded' && typeof ttl.secondsAfterSuccess === 'number') secs = ttl.secondsAfterSuccess;
  else if (phase !== 'Succeeded' && typeof ttl.secondsAfterFailure === 'number') secs = ttl.secondsAfterFailure;
  else if (typeof ttl.secondsAfterCompletion === 'number') secs = ttl.secondsAfterCompletion;
  if (secs === undefined) return undefined;
  return Date.parse(finished) + secs * 1000;
}

export class WorkflowTtlController {
  private readonly informer: Informer<Workflow>;
  private readonly log: Logger;
  private readonly now: () => Date;
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: TtlControllerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
    this.informer = new Informer<Workflow>(opts.client, Kinds.Workflow, opts.namespace ? { namespace: opts.namespace } : {});
  }

  async start(): Promise<void> {
    this.informer.on({
      add: (wf) => this.consider(wf),
      update: (_o, wf) => this.consider(wf),
      delete: (wf) => this.clear(wf.metadata.uid ?? ''),
    });
    await this.informer.start();
  }

  stop(): void {
    this.informer.stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private clear(uid: string): void {
    const t = this.timers.get(uid);
    if (t) clearTimeout(t);
    this.timers.delete(uid);
  }

  private consider(wf: Workflow): void {
    const uid = wf.metadata.uid;
    if (!uid || wf.metadata.deletionTimestamp) return;
    const at = ttlExpiry(wf);
    this.clear(uid);
    if (at === undefined) return;
    // Timers beyond ~24 days overflow setTimeout: wake up daily and look again.
    const delay = Math.min(Math.max(0, at - this.now().getTime()), 86_400_000);
    this.timers.set(
      uid,
      setTimeout(() => {
        this.timers.delete(uid);
        const cur = this.informer.get(wf.metadata.name!, wf.metadata.namespace);
        if (!cur || cur.metadata.uid !== uid) return;
        const expiry = ttlExpiry(cur);
        if (expiry === undefined) return;
        if (expiry > this.now().getTime()) return this.consider(cur);
        this.opts.client
          .delete(Kinds.Workflow, cur.metadata.name!, cur.metadata.namespace, { propagationPolicy: 'Background' })
          .then(() => this.log.info('deleted workflow: ttlStrategy', { workflow: `${cur.metadata.namespace}/${cur.metadata.name}` }))
          .catch((err) => {
            if (!isApiError(err, 'NotFound')) this.log.warn('could not delete expired workflow', { error: String(err) });
          });
      }, delay),
    );
  }
}

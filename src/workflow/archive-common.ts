// What every workflow archive backend shares: the contract (WorkflowArchive), the row a workflow
// becomes, continue tokens, time bounds, the label selector written as SQL, and the log size cap.
// Backends: archive-sqlite.ts (`<dataDir>/archive.db`) and archive-postgres.ts (the PostgreSQL store's
// schema, shared by every replica).
import type { Workflow } from '../model/argo.js';
import { ApiError } from '../model/errors.js';
import { clone } from '../model/object.js';
import { parseLabelSelector } from '../model/selectors.js';

export const LABEL_ARCHIVING_STATUS = 'workflows.argoproj.io/workflow-archiving-status';
export const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);

/** Per container, the archive keeps the last 10 MiB of a log (cut at a line start). */
export const MAX_ARCHIVED_LOG_BYTES = 10 * 1024 * 1024;

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

/** One container's log as the archive holds it: the node agent's file (CRI lines), maybe cut. */
export interface ArchivedLog {
  podName: string;
  container: string;
  podUid: string;
  /** The pod's creationTimestamp: logs are read back in pod start order. */
  podCreated: string;
  /** CRI-format lines (`<time> <stream> <F|P> <text>`), the tail of the file when it was too big. */
  content: Buffer;
  /** Bytes of the file's beginning that were not kept (0: complete). */
  droppedBytes: number;
}

export interface ArchiveLogQuery {
  podName?: string;
  container?: string;
}

/**
 * The workflow archive: completed Workflows (node status included) kept after the live object is gone,
 * and their pods' logs. Every method is async so that the backends can be local (SQLite) or remote
 * (PostgreSQL shared by replicas) behind one contract.
 */
export interface WorkflowArchive {
  readonly backend: 'sqlite' | 'postgres';
  has(uid: string): Promise<boolean>;
  /**
   * Store a completed workflow. Each completion is stored once: a row for the uid is written only when
   * there is none yet or the stored one finished earlier (a retried workflow that completed again).
   * Resolves true when this call wrote it, false when it was not completed, had no uid, or was stored already.
   */
  archive(wf: Workflow): Promise<boolean>;
  /** archive() for many, in one transaction; resolves how many were written. */
  archiveMany(wfs: Workflow[]): Promise<number>;
  get(uid: string): Promise<Workflow | undefined>;
  /** The newest archived workflow with this name in this namespace (Argo v4.1 `archive get` by name). */
  getByName(namespace: string, name: string): Promise<Workflow | undefined>;
  /** Remove the workflow, its labels and its logs. */
  delete(uid: string): Promise<boolean>;
  /** Newest finished first, then by uid; label selectors, names and times are evaluated in SQL. */
  list(opts?: ArchiveListOptions): Promise<ArchiveList>;
  labelKeys(): Promise<string[]>;
  labelValues(key: string): Promise<string[]>;
  /** Store (or replace) container logs of one pod of workflow `uid`. The caller caps them (capLog). */
  putLogs(uid: string, logs: ArchivedLog[]): Promise<void>;
  /** Logs of workflow `uid`, by pod start then pod name then container. */
  logs(uid: string, query?: ArchiveLogQuery): Promise<ArchivedLog[]>;
  /** Forget the logs of `uid` unless the workflow itself is archived (it was deleted before completing). */
  dropOrphanLogs(uid: string): Promise<void>;
  close(): Promise<void>;
}

/** The columns a workflow is stored as. */
export interface ArchiveRow {
  uid: string;
  name: string;
  namespace: string;
  phase: string;
  startedAt: string;
  finishedAt: string;
  labels: [string, string][];
  data: string;
}

/** The row for a completed workflow with a uid; undefined otherwise. */
export function archiveRow(wf: Workflow): ArchiveRow | undefined {
  const uid = wf.metadata.uid;
  const phase = wf.status?.phase ?? '';
  if (!uid || !COMPLETED.has(phase)) return undefined;
  const copy = clone(wf);
  if (copy.metadata.labels) delete copy.metadata.labels[LABEL_ARCHIVING_STATUS];
  delete copy.metadata.managedFields;
  const created = wf.metadata.creationTimestamp;
  return {
    uid,
    name: wf.metadata.name ?? '',
    namespace: wf.metadata.namespace ?? '',
    phase,
    startedAt: storedTime(wf.status?.startedAt ?? created),
    finishedAt: storedTime(wf.status?.finishedAt ?? wf.status?.startedAt ?? created),
    labels: Object.entries(copy.metadata.labels ?? {}),
    data: JSON.stringify(copy),
  };
}

/**
 * Times are stored as `toISOString()` (millisecond precision, UTC): one fixed format, so that
 * comparing and ordering the text compares the instants, whatever precision or offset the workflow used.
 */
export function storedTime(value: string | undefined): string {
  if (!value) return '';
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function boundTime(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ApiError('BadRequest', `${what} ${JSON.stringify(value)} is not a time: use RFC 3339, e.g. 2026-01-01T00:00:00Z`);
  return new Date(ms).toISOString();
}

export function encodeContinue(f: string, u: string): string {
  return Buffer.from(JSON.stringify({ f, u })).toString('base64url');
}

export function decodeContinue(token: string): { f: string; u: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as { f?: unknown; u?: unknown };
    if (typeof t.f === 'string' && typeof t.u === 'string') return { f: t.f, u: t.u };
  } catch {
    // fall through
  }
  throw new ApiError('BadRequest', `invalid continue token ${JSON.stringify(token)}: pass the listMeta.continue of the previous page unchanged`);
}

export type Dialect = 'sqlite' | 'postgres';

export interface ListQuery {
  sql: string;
  args: unknown[];
  limit?: number;
}

/**
 * The list query. Columns of `wf`: uid, name, namespace, started_at, finished_at, data; of `labels`:
 * uid, key, value. Each label requirement becomes an (NOT) EXISTS probe of the labels table through its
 * (uid, key) primary key, so a page reads only as many workflows as it needs, newest first.
 */
export function listQuery(dialect: Dialect, tables: { wf: string; labels: string }, opts: ArchiveListOptions): ListQuery {
  const args: unknown[] = [];
  const p = (v: unknown) => {
    args.push(v);
    return dialect === 'postgres' ? `$${args.length}` : '?';
  };
  const where: string[] = [];
  if (opts.namespace) where.push(`w.namespace = ${p(opts.namespace)}`);
  if (opts.name) where.push(`w.name = ${p(opts.name)}`);
  // A range rather than LIKE: bytewise (SQLite BINARY, PostgreSQL COLLATE "C"), case-sensitive, and
  // served by the (namespace, name) index.
  if (opts.namePrefix) where.push(`w.name >= ${p(opts.namePrefix)} AND w.name < ${p(opts.namePrefix + '\u{10FFFF}')}`);
  if (opts.minStartedAt) where.push(`w.started_at >= ${p(boundTime(opts.minStartedAt, 'the lower startedAt bound'))}`);
  if (opts.maxStartedAt) where.push(`w.started_at <= ${p(boundTime(opts.maxStartedAt, 'the upper startedAt bound'))}`);
  for (const r of parseLabelSelector(opts.labelSelector).requirements) {
    // Placeholders are numbered in the order p() is called: the key first, then whatever follows it.
    const probe = (extra: () => string) => {
      const key = p(r.key);
      return `SELECT 1 FROM ${tables.labels} l WHERE l.uid = w.uid AND l.key = ${key}${extra()}`;
    };
    const inValues = () => ` AND l.value IN (${r.values.map(p).join(', ')})`;
    const none = () => '';
    switch (r.operator) {
      case '=':
      case 'in':
        where.push(r.values.length ? `EXISTS (${probe(inValues)})` : '1 = 0');
        break;
      case '!=':
      case 'notin':
        // As in Kubernetes: a workflow without the key matches.
        if (r.values.length) where.push(`NOT EXISTS (${probe(inValues)})`);
        break;
      case 'exists':
        where.push(`EXISTS (${probe(none)})`);
        break;
      case '!':
        where.push(`NOT EXISTS (${probe(none)})`);
        break;
      case 'gt':
      case 'lt': {
        // Label values cannot start with '-', so an integer value is a non-empty run of digits.
        const op = r.operator === 'gt' ? '>' : '<';
        const bound = Number(r.values[0]);
        where.push(
          dialect === 'postgres'
            ? `EXISTS (${probe(() => ` AND CASE WHEN l.value ~ '^[0-9]+$' THEN l.value::numeric ${op} ${p(bound)}::numeric ELSE false END`)})`
            : `EXISTS (${probe(() => ` AND l.value <> '' AND l.value NOT GLOB '*[^0-9]*' AND CAST(l.value AS REAL) ${op} ${p(bound)}`)})`,
        );
        break;
      }
    }
  }
  if (opts.continue) {
    const tok = decodeContinue(opts.continue);
    where.push(`(w.finished_at < ${p(tok.f)} OR (w.finished_at = ${p(tok.f)} AND w.uid > ${p(tok.u)}))`);
  }
  const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : undefined;
  const sql =
    `SELECT w.uid, w.finished_at, w.data FROM ${tables.wf} w` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY w.finished_at DESC, w.uid ASC` +
    (limit !== undefined ? ` LIMIT ${limit + 1}` : '');
  return { sql, args, limit };
}

/** Turn fetched rows (one more than the limit, when there is a next page) into a page. */
export function toPage(rows: { uid: string; finished_at: string; data: string | Workflow }[], limit: number | undefined): ArchiveList {
  const more = limit !== undefined && rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const items = page.map((r) => {
    const wf = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Workflow;
    // Lists carry no node status (as Argo's archived list); get returns everything.
    if (wf.status) delete wf.status.nodes;
    return wf;
  });
  const last = page[page.length - 1];
  return { items, ...(more && last ? { continue: encodeContinue(last.finished_at, last.uid) } : {}) };
}

/** Keep the last `max` bytes of a log, starting at a line; returns the kept bytes and how many were dropped. */
export function capLog(content: Buffer, max = MAX_ARCHIVED_LOG_BYTES, alreadyDropped = 0): { content: Buffer; droppedBytes: number } {
  if (content.length <= max) return { content, droppedBytes: alreadyDropped };
  let start = content.length - max;
  // Start at the first full line inside the window (when the window holds a line break at all).
  if (content[start - 1] !== 0x0a) {
    const nl = content.indexOf(0x0a, start);
    if (nl >= 0 && nl + 1 < content.length) start = nl + 1;
  }
  return { content: content.subarray(start), droppedBytes: alreadyDropped + start };
}

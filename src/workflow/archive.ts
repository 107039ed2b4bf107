// The workflow archive (Argo's persistence.archive): completed Workflows, node status included, and
// their pods' logs, kept after the live objects are gone. Two backends behind one async contract
// (archive-common.ts): SQLite (`<dataDir>/archive.db`, archive-sqlite.ts) and, when the store is
// PostgreSQL, tables in the store's schema shared by every replica (archive-postgres.ts). Plus the two
// controllers that act on completed Workflows: the archiver (copies each completion once, by uid, and
// each finished pod's logs) and the TTL controller (spec.ttlStrategy: deletes the live Workflow some
// seconds after it finished).
import { open as openFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import { LABEL_WORKFLOW, type Workflow } from '../model/argo.js';
import { ApiError, isApiError } from '../model/errors.js';
import { type KObject, clone } from '../model/object.js';
import { type ArchivedLog, COMPLETED, LABEL_ARCHIVING_STATUS, MAX_ARCHIVED_LOG_BYTES, type WorkflowArchive, capLog } from './archive-common.js';
import type { PostgresArchiveOptions } from './archive-postgres.js';
import { type Logger, silentLogger } from './controller.js';

export {
  type ArchiveList,
  type ArchiveListOptions,
  type ArchiveLogQuery,
  type ArchivedLog,
  LABEL_ARCHIVING_STATUS,
  MAX_ARCHIVED_LOG_BYTES,
  type WorkflowArchive,
  capLog,
} from './archive-common.js';
export type { PostgresArchiveOptions } from './archive-postgres.js';

interface Opened {
  backend: 'sqlite' | 'postgres';
  archive: Promise<WorkflowArchive>;
}

const opened = new Map<string, Opened>();

export interface OpenArchiveOptions {
  /** Keep the archive in PostgreSQL (the store's database and schema) instead of `<dataDir>/archive.db`. */
  postgres?: PostgresArchiveOptions;
}

/**
 * The archive of a data directory, shared by every user in this process (archiver, API): the one the
 * runtime opened for it (PostgreSQL when its store is PostgreSQL), else the SQLite file `archive.db` in it.
 */
export function openArchive(dataDir: string, opts: OpenArchiveOptions = {}): Promise<WorkflowArchive> {
  const key = resolve(dataDir);
  const want = opts.postgres ? 'postgres' : undefined;
  const cur = opened.get(key);
  if (cur && (!want || cur.backend === want)) return cur.archive;
  // Asked for PostgreSQL where a SQLite archive was opened (lazily, by the API): PostgreSQL wins.
  if (cur) void cur.archive.then((a) => a.close()).catch(() => undefined);
  const archive: Promise<WorkflowArchive> = opts.postgres
    ? // Loaded on demand: the PostgreSQL driver costs ~50 ms of start-up that `argosy run` never needs,
      // and better-sqlite3 ~10 ms.
      import('./archive-postgres.js').then((m) => m.PostgresWorkflowArchive.open(opts.postgres!))
    : import('./archive-sqlite.js').then((m) => new m.SqliteWorkflowArchive(join(key, 'archive.db')));
  const entry: Opened = { backend: want ?? 'sqlite', archive };
  opened.set(key, entry);
  archive.catch(() => {
    if (opened.get(key) === entry) opened.delete(key);
  });
  return archive;
}

/** The archive already opened for a data dir, if any (opens nothing). */
export function openedArchive(dataDir: string): Promise<WorkflowArchive> | undefined {
  return opened.get(resolve(dataDir))?.archive;
}

/** Close a shared archive (on shutdown). */
export async function closeArchive(dataDir: string): Promise<void> {
  const key = resolve(dataDir);
  const cur = opened.get(key);
  if (!cur) return;
  opened.delete(key);
  await cur.archive.then((a) => a.close()).catch(() => undefined);
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
  /**
   * Where the node agent keeps a container's log file (`<dataDir>/pods/…/logs/<container>.log`). With it,
   * the logs of every finished workflow pod are copied into the archive, so they outlive the pods.
   */
  podLogPath?: (pod: KObject, container: string) => string;
  /** Per-container cap on copied logs; the tail is kept. Default MAX_ARCHIVED_LOG_BYTES (10 MiB). */
  maxLogBytes?: number;
}

const POD_DONE = new Set(['Succeeded', 'Failed']);
const podPhase = (p: KObject) => (p.status as { phase?: string } | undefined)?.phase ?? '';
const workflowUidOf = (p: KObject) => p.metadata.ownerReferences?.find((r) => r.kind === 'Workflow')?.uid;

/**
 * Archives each completed Workflow once per completion (by uid and finishedAt); safe to restart and to
 * run on several replicas at once (the archive itself writes a completion once). With podLogPath it also
 * copies each workflow pod's logs when the pod finishes: that is the earliest moment they are complete,
 * and it comes before podGC or a ttlStrategy can delete the pod (and with it the files).
 */
export class WorkflowArchiver {
  private readonly informer: Informer<Workflow>;
  private readonly pods?: Informer<KObject>;
  private readonly log: Logger;
  private readonly maxLogBytes: number;
  private stopped = false;
  /** Completions (`uid@finishedAt`) archived or being archived. */
  private done = new Set<string>();
  /** Pods (by uid) whose logs are in the archive. */
  private copied = new Set<string>();
  /** Workflow pods by workflow uid, then pod uid. */
  private podsOf = new Map<string, Map<string, KObject>>();
  /** Work per workflow uid runs in order (archive before forgetting orphan logs, and so on). */
  private queues = new Map<string, Promise<void>>();
  private retries = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: ArchiverOptions) {
    this.log = opts.logger ?? silentLogger;
    this.maxLogBytes = opts.maxLogBytes ?? MAX_ARCHIVED_LOG_BYTES;
    const ns = opts.namespace ? { namespace: opts.namespace } : {};
    this.informer = new Informer<Workflow>(opts.client, Kinds.Workflow, ns);
    if (opts.podLogPath) this.pods = new Informer<KObject>(opts.client, Kinds.Pod, { ...ns, labelSelector: LABEL_WORKFLOW });
  }

  async start(): Promise<void> {
    if (this.pods) {
      const pods = this.pods;
      pods.on({
        add: (p) => {
          this.index(p);
          // Pods listed at start are copied along with their workflow, if it still needs archiving.
          if (pods.hasSynced && POD_DONE.has(podPhase(p))) this.podFinished(p);
        },
        update: (old, p) => {
          this.index(p, old);
          if (POD_DONE.has(podPhase(p)) && (!POD_DONE.has(podPhase(old)) || old.metadata.uid !== p.metadata.uid)) this.podFinished(p);
        },
        delete: (p) => {
          this.unindex(p);
          this.copied.delete(p.metadata.uid ?? '');
        },
      });
      // Pods first: a workflow archived during the initial list finds its pods in the index.
      await pods.start();
    }
    this.informer.on({
      add: (wf) => this.consider(wf),
      update: (_o, wf) => this.consider(wf),
      delete: (wf) => this.deleted(wf),
    });
    await this.informer.start();
  }

  /** Stop watching and wait for the archive writes under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.informer.stop();
    this.pods?.stop();
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await Promise.all([...this.queues.values()]);
  }

  private index(p: KObject, old?: KObject): void {
    if (old && old.metadata.uid !== p.metadata.uid) this.unindex(old);
    const wfUid = workflowUidOf(p);
    if (!wfUid || !p.metadata.uid) return;
    let m = this.podsOf.get(wfUid);
    if (!m) this.podsOf.set(wfUid, (m = new Map()));
    m.set(p.metadata.uid, p);
  }

  private unindex(p: KObject): void {
    const wfUid = workflowUidOf(p);
    const m = wfUid ? this.podsOf.get(wfUid) : undefined;
    if (!m) return;
    m.delete(p.metadata.uid ?? '');
    if (!m.size) this.podsOf.delete(wfUid!);
  }

  /** Run `fn` after the work already queued for workflow `uid`; on failure, log and call `onError`. */
  private enqueue(uid: string, what: string, fn: () => Promise<void>, onError?: () => void): void {
    const next: Promise<void> = (this.queues.get(uid) ?? Promise.resolve())
      .then(fn)
      .catch((err) => {
        this.log.error(`could not ${what}`, { uid, error: (err as Error)?.message ?? String(err) });
        onError?.();
      })
      .finally(() => {
        if (this.queues.get(uid) === next) this.queues.delete(uid);
      });
    this.queues.set(uid, next);
  }

  /** Try again later (the archive's database may be down for a while): 2 s, 4 s, … up to a minute. */
  private retry(attempt: number, fn: () => void): void {
    if (this.stopped || attempt >= 12) return;
    const t = setTimeout(() => {
      this.retries.delete(t);
      if (!this.stopped) fn();
    }, Math.min(60_000, 2000 * 2 ** attempt));
    this.retries.add(t);
  }

  private consider(wf: Workflow, attempt = 0): void {
    const uid = wf.metadata.uid;
    if (!uid || !COMPLETED.has(wf.status?.phase ?? '')) return;
    // A retried workflow that completes again has a new finishedAt: archive that too.
    const key = `${uid}@${wf.status?.finishedAt ?? ''}`;
    if (this.done.has(key)) return;
    this.done.add(key);
    const failed = () => {
      this.done.delete(key);
      this.retry(attempt, () => {
        // The newest version we know of (or this one, if the workflow has been deleted meanwhile).
        const cur = this.informer.get(wf.metadata.name!, wf.metadata.namespace);
        this.consider(cur?.metadata.uid === uid ? cur : wf, attempt + 1);
      });
    };
    this.enqueue(
      uid,
      `archive workflow ${wf.metadata.namespace}/${wf.metadata.name}`,
      async () => {
        const wrote = await this.opts.archive.archive(wf);
        // This completion is new to the archive: copy the logs of its finished pods not copied yet
        // (pods that finished while no archiver ran, e.g. before a restart or a failover).
        if (wrote) {
          for (const p of this.podsOf.get(uid)?.values() ?? []) {
            if (POD_DONE.has(podPhase(p)) && !this.copied.has(p.metadata.uid ?? '')) await this.copyPodLogs(uid, this.readPodLogs(p), p);
          }
        }
        if (this.opts.label !== false && wf.metadata.labels?.[LABEL_ARCHIVING_STATUS] !== 'Archived') {
          await this.opts.client
            .patch(Kinds.Workflow, wf.metadata.name!, wf.metadata.namespace, 'merge', { metadata: { labels: { [LABEL_ARCHIVING_STATUS]: 'Archived' } } })
            .catch((err) => {
              if (!isApiError(err, 'NotFound')) this.log.warn('could not label archived workflow', { error: String(err) });
            });
        }
      },
      failed,
    );
  }

  private deleted(wf: Workflow): void {
    const uid = wf.metadata.uid;
    if (!uid) return;
    if (COMPLETED.has(wf.status?.phase ?? '')) {
      // Normally archived already (then this is a no-op); not if the completion was never seen.
      this.consider(wf);
      const key = `${uid}@${wf.status?.finishedAt ?? ''}`;
      this.enqueue(uid, 'forget a deleted workflow', async () => void this.done.delete(key));
      return;
    }
    // Deleted before it completed: it will never be archived, so neither are its pods' logs.
    if (this.pods) this.enqueue(uid, 'forget the logs of a deleted workflow', () => this.opts.archive.dropOrphanLogs(uid));
  }

  private podFinished(pod: KObject, attempt = 0): void {
    const uid = workflowUidOf(pod);
    if (!uid) return;
    // Start reading at once: the pod (and its files) may be deleted soon after it finished.
    const reading = this.readPodLogs(pod);
    reading.catch(() => undefined);
    this.enqueue(uid, `copy the logs of pod ${pod.metadata.namespace}/${pod.metadata.name}`, () => this.copyPodLogs(uid, reading, pod), () =>
      this.retry(attempt, () => {
        if (!this.copied.has(pod.metadata.uid ?? '')) this.podFinished(pod, attempt + 1);
      }),
    );
  }

  private async copyPodLogs(uid: string, reading: Promise<ArchivedLog[]>, pod: KObject): Promise<void> {
    const logs = await reading;
    if (logs.length) await this.opts.archive.putLogs(uid, logs);
    this.copied.add(pod.metadata.uid ?? '');
  }

  private async readPodLogs(pod: KObject): Promise<ArchivedLog[]> {
    const spec = pod.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] } | undefined;
    const names = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name);
    const out: ArchivedLog[] = [];
    for (const container of names) {
      const tail = await readTail(this.opts.podLogPath!(pod, container), this.maxLogBytes);
      if (!tail || !tail.content.length) continue;
      out.push({ podName: pod.metadata.name!, container, podUid: pod.metadata.uid ?? '', podCreated: pod.metadata.creationTimestamp ?? '', ...tail });
    }
    return out;
  }
}

/** The last `max` bytes of a file (from a line start), without reading the rest; undefined when missing. */
async function readTail(path: string, max: number): Promise<{ content: Buffer; droppedBytes: number } | undefined> {
  let fh;
  try {
    fh = await openFile(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    // One byte more than the cap, so capLog can see whether the window starts at a line.
    const from = Math.max(0, size - max - 1);
    const buf = Buffer.alloc(size - from);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
      if (!bytesRead) break;
      got += bytesRead;
    }
    return capLog(buf.subarray(0, got), max, from);
  } finally {
    await fh.close();
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

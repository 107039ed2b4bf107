// Argo Server's REST API (the grpc-gateway JSON shapes of argo-workflows' swagger): workflows and their
// actions, logs and event streams, workflow templates, cluster workflow templates, cron workflows,
// info, version and userinfo. Errors are grpc-gateway bodies: {"code": <grpc code>, "message": "..."}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmbeddedClient } from '../client/embedded.js';
import { type Client, type KindRef, Kinds } from '../client/types.js';
import { LABEL_WORKFLOW, type CronWorkflow, type Workflow } from '../model/argo.js';
import { ApiError, badRequest, isApiError } from '../model/errors.js';
import { type KObject, clone } from '../model/object.js';
import { readPodLogs } from '../node/index.js';
import type { Store } from '../store/types.js';
import { MAX_ARCHIVED_LOG_BYTES, type WorkflowArchive, openArchive, openedArchive, workflowFromArchived } from '../workflow/archive.js';
import { archivedLogLines, droppedNotice } from './archived-logs.js';
import { backfillCronWorkflow } from '../workflow/cron.js';
import { SERVER_VERSION } from './discovery.js';
import { type Query, boolParam, intParam, parseBody, readBody, sendJson } from './http.js';
import {
  resubmitWorkflow,
  resumeWorkflow,
  retryWorkflow,
  setWorkflow,
  stopWorkflow,
  suspendWorkflow,
  terminateWorkflow,
  validateOrThrow,
  workflowFrom,
} from './workflow-actions.js';

export const ARGO_ROOTS = new Set(['workflows', 'workflow-templates', 'cluster-workflow-templates', 'cron-workflows', 'workflow-events', 'info', 'version', 'userinfo', 'stream', 'archived-workflows', 'archived-workflows-label-keys', 'archived-workflows-label-values', 'workflow-event-bindings']);

const GRPC_CODE: Record<string, number> = {
  BadRequest: 3,
  Invalid: 3,
  NotFound: 5,
  AlreadyExists: 6,
  Forbidden: 7,
  RequestEntityTooLarge: 8,
  Conflict: 10,
  Expired: 9,
  Gone: 9,
  MethodNotAllowed: 12,
  UnsupportedMediaType: 3,
  InternalError: 13,
  ServiceUnavailable: 14,
  Timeout: 4,
  Unauthorized: 16,
};

export function grpcError(e: ApiError): { code: number; body: Record<string, unknown> } {
  return { code: e.code, body: { code: GRPC_CODE[e.reason] ?? 2, message: e.message, details: [] } };
}

const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);

export interface ArgoApiOptions {
  store: Store;
  dataDir?: string;
  /** The workflow archive; when omitted, the one opened for dataDir (see openArchive), if there is a dataDir. */
  archive?: WorkflowArchive;
}

export class ArgoApi {
  private readonly client: Client;

  constructor(private readonly opts: ArgoApiOptions) {
    this.client = new EmbeddedClient(opts.store);
  }

  /** `parts` starts after /api/v1. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const [root, ...rest] = parts;
    const body = async <T = Record<string, unknown>>(): Promise<T> => {
      const buf = await readBody(req);
      if (!buf.length || !buf.toString().trim()) return {} as T;
      const parsed = parseBody(buf, req.headers['content-type']);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('the request body must be a JSON object');
      return parsed as T;
    };
    const reply = (obj: unknown) => sendJson(res, 200, project(obj, q.get('fields')));
    switch (root) {
      case 'version':
        return reply({ version: `v${SERVER_VERSION}`, buildDate: '2026-01-01T00:00:00Z', gitCommit: '', gitTag: `v${SERVER_VERSION}`, gitTreeState: 'clean', goVersion: `node${process.versions.node}`, compiler: 'tsc', platform: `${process.platform}/${process.arch}` });
      case 'info':
        return reply({ managedNamespace: '', links: [], modals: {}, navColor: '', columns: [] });
      case 'userinfo':
        return reply({});
      case 'workflows':
        return this.workflows(req, res, q, rest, method, body, reply);
      case 'workflow-events':
        return this.workflowEvents(req, res, q, rest[0] ?? '');
      case 'workflow-templates':
        return this.templates(Kinds.WorkflowTemplate, 'template', rest, method, q, body, reply);
      case 'cluster-workflow-templates':
        return this.templates(Kinds.ClusterWorkflowTemplate, 'template', ['', ...rest], method, q, body, reply);
      case 'cron-workflows':
        return this.templates(Kinds.CronWorkflow, 'cronWorkflow', rest, method, q, body, reply);
      case 'archived-workflows':
        return this.archived(req, res, rest, method, q, body, reply);
      case 'archived-workflows-label-keys':
        return reply({ items: await (await this.archive()).labelKeys() });
      case 'archived-workflows-label-values': {
        const key = q.get('listOptions.labelSelector') ?? '';
        if (!key) throw badRequest('listOptions.labelSelector must name the label key whose values to list');
        return reply({ items: await (await this.archive()).labelValues(key) });
      }
      default:
        throw new ApiError('NotFound', `Not Found: ${url.pathname} is not an endpoint of this server`);
    }
  }

  private async workflows(
    req: IncomingMessage,
    res: ServerResponse,
    q: Query,
    rest: string[],
    method: string,
    body: <T = Record<string, unknown>>() => Promise<T>,
    reply: (o: unknown) => void,
  ): Promise<void> {
    const [ns, name, action, extra] = rest;
    if (!ns) {
      // No namespace: list across all namespaces (the argo CLI's --all-namespaces).
      if (method === 'GET') return reply(await this.listWorkflows('', q));
      throw badRequest('a namespace is required: /api/v1/workflows/{namespace}');
    }
    const c = this.client;
    if (!name) {
      if (method === 'GET') return reply(await this.listWorkflows(ns, q));
      if (method === 'POST') {
        const b = await body<{ workflow?: Workflow; serverDryRun?: boolean; createOptions?: { dryRun?: string[] } }>();
        if (!b.workflow || typeof b.workflow !== 'object') throw badRequest('the body must hold the workflow to create: {"workflow": {...}}');
        const wf = clone(b.workflow);
        wf.apiVersion ??= 'argoproj.io/v1alpha1';
        wf.kind ??= 'Workflow';
        wf.metadata = { ...(wf.metadata ?? {}), namespace: ns };
        await validateOrThrow(c, wf, { submit: true });
        const dry = !!b.serverDryRun || !!b.createOptions?.dryRun?.length;
        return reply(await c.create(wf, dry ? { dryRun: true } : {}));
      }
      throw notAllowed(method);
    }
    if (name === 'lint' && method === 'POST') {
      const b = await body<{ workflow?: Workflow }>();
      if (!b.workflow) throw badRequest('the body must hold the workflow to lint: {"workflow": {...}}');
      const wf = { ...b.workflow, metadata: { ...(b.workflow.metadata ?? {}), namespace: ns } };
      await validateOrThrow(c, wf, { lint: true });
      return reply(wf);
    }
    if (name === 'submit' && method === 'POST') {
      const b = await body<{ resourceKind?: string; resourceName?: string; submitOptions?: Record<string, unknown> }>();
      if (!b.resourceKind || !b.resourceName) throw badRequest('resourceKind and resourceName are required, e.g. {"resourceKind": "WorkflowTemplate", "resourceName": "my-template"}');
      const so = (b.submitOptions ?? {}) as Parameters<typeof workflowFrom>[4] & { dryRun?: boolean; serverDryRun?: boolean };
      const wf = await workflowFrom(c, ns, b.resourceKind, b.resourceName, so);
      await validateOrThrow(c, wf, { submit: true });
      return reply(so.dryRun ? wf : await c.create(wf, so.serverDryRun ? { dryRun: true } : {}));
    }
    if (!action) {
      if (method === 'GET') return reply(await c.get(Kinds.Workflow, name, ns));
      if (method === 'DELETE') {
        await c.delete(Kinds.Workflow, name, ns, q.get('deleteOptions.propagationPolicy') ? { propagationPolicy: q.get('deleteOptions.propagationPolicy') as 'Background' } : {});
        return reply({});
      }
      throw notAllowed(method);
    }
    if (action === 'log' && method === 'GET') return this.workflowLogs(req, res, q, ns, name, q.get('podName') ?? undefined);
    if (extra === 'log' && method === 'GET') return this.workflowLogs(req, res, q, ns, name, action);
    if (method !== 'PUT') throw notAllowed(method);
    const b = await body<Record<string, unknown>>();
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    switch (action) {
      case 'suspend':
        return reply(await suspendWorkflow(c, ns, name));
      case 'resume':
        return reply(await resumeWorkflow(c, ns, name, { nodeFieldSelector: str('nodeFieldSelector'), parameters: b.parameters as string[] | undefined }));
      case 'stop':
        return reply(await stopWorkflow(c, ns, name, { message: str('message') }));
      case 'terminate':
        return reply(await terminateWorkflow(c, ns, name));
      case 'retry':
        return reply(await retryWorkflow(c, ns, name, { restartSuccessful: !!b.restartSuccessful, nodeFieldSelector: str('nodeFieldSelector'), parameters: b.parameters as string[] | undefined }));
      case 'resubmit':
        return reply(await resubmitWorkflow(c, ns, name, { parameters: b.parameters as string[] | undefined, memoized: !!b.memoized }));
      case 'set':
        return reply(await setWorkflow(c, ns, name, { nodeFieldSelector: str('nodeFieldSelector'), phase: str('phase'), message: str('message'), outputParameters: b.outputParameters as string | undefined }));
      default:
        throw new ApiError('NotFound', `Not Found: workflow action "${action}" does not exist (suspend, resume, stop, terminate, retry, resubmit, set)`);
    }
  }

  private async listWorkflows(ns: string, q: Query): Promise<unknown> {
    let fieldSelector = q.get('listOptions.fieldSelector') ?? undefined;
    const nameFilter = q.get('nameFilter') ?? undefined;
    let nameMatch: ((n: string) => boolean) | undefined;
    if (nameFilter && nameFilter !== 'Exact' && fieldSelector) {
      const parts = fieldSelector.split(',');
      const i = parts.findIndex((p) => /^metadata\.name==?/.test(p));
      if (i >= 0) {
        const value = parts[i].replace(/^metadata\.name==?/, '');
        parts.splice(i, 1);
        fieldSelector = parts.join(',') || undefined;
        if (nameFilter === 'Prefix') nameMatch = (n) => n.startsWith(value);
        else if (nameFilter === 'Contains') nameMatch = (n) => n.includes(value);
        else throw badRequest(`nameFilter "${nameFilter}": use Exact, Prefix or Contains`);
      }
    }
    const namePrefix = q.get('namePrefix');
    const createdAfter = q.get('createdAfter');
    const finishedBefore = q.get('finishedBefore');
    const post = nameMatch || namePrefix || createdAfter || finishedBefore;
    const list = await this.client.list<Workflow>(Kinds.Workflow, {
      namespace: ns,
      labelSelector: q.get('listOptions.labelSelector') ?? undefined,
      fieldSelector,
      // With filters applied here, paging happens after filtering.
      limit: post ? undefined : intParam(q, 'listOptions.limit'),
      continue: post ? undefined : q.get('listOptions.continue') ?? undefined,
    });
    let items = list.items;
    if (post) {
      items = items.filter(
        (w) =>
          (!nameMatch || nameMatch(w.metadata.name!)) &&
          (!namePrefix || w.metadata.name!.startsWith(namePrefix)) &&
          (!createdAfter || (w.metadata.creationTimestamp ?? '') > createdAfter) &&
          (!finishedBefore || (!!w.status?.finishedAt && w.status.finishedAt < finishedBefore)),
      );
      const limit = intParam(q, 'listOptions.limit');
      if (limit && items.length > limit) items = items.slice(0, limit);
    }
    // Newest first, as Argo Server lists them.
    items = [...items].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!));
    return { metadata: list.metadata, items };
  }

  private async templates(
    ref: KindRef,
    field: 'template' | 'cronWorkflow',
    rest: string[],
    method: string,
    q: Query,
    body: <T = Record<string, unknown>>() => Promise<T>,
    reply: (o: unknown) => void,
  ): Promise<void> {
    const cluster = ref.kind === 'ClusterWorkflowTemplate';
    const [nsRaw, name, action] = rest;
    const ns = cluster ? undefined : nsRaw;
    if (!cluster && !ns && !(method === 'GET' && !name)) throw badRequest(`a namespace is required: /api/v1/${ref.kind === 'CronWorkflow' ? 'cron-workflows' : 'workflow-templates'}/{namespace}`);
    const c = this.client;
    const objectFrom = async (): Promise<{ obj: KObject; dry: boolean }> => {
      const b = await body<Record<string, unknown>>();
      const obj = b[field] as KObject | undefined;
      if (!obj || typeof obj !== 'object') throw badRequest(`the body must hold the ${ref.kind} as {"${field}": {...}}`);
      const o = clone(obj);
      o.apiVersion ??= ref.apiVersion;
      o.kind ??= ref.kind;
      o.metadata = { ...(o.metadata ?? {}), ...(ns ? { namespace: ns } : {}) };
      const co = b.createOptions as { dryRun?: string[] } | undefined;
      return { obj: o, dry: !!co?.dryRun?.length };
    };
    if (!name) {
      if (method === 'GET') {
        const list = await c.list(ref, { namespace: ns, labelSelector: q.get('listOptions.labelSelector') ?? undefined, fieldSelector: q.get('listOptions.fieldSelector') ?? undefined, limit: intParam(q, 'listOptions.limit'), continue: q.get('listOptions.continue') ?? undefined });
        const prefix = q.get('namePattern');
        return reply({ metadata: list.metadata, items: prefix ? list.items.filter((i) => i.metadata.name!.includes(prefix)) : list.items });
      }
      if (method === 'POST') {
        const { obj, dry } = await objectFrom();
        await validateOrThrow(c, obj, {});
        return reply(await c.create(obj, dry ? { dryRun: true } : {}));
      }
      throw notAllowed(method);
    }
    if (name === 'lint' && method === 'POST' && !action) {
      const { obj } = await objectFrom();
      await validateOrThrow(c, obj, { lint: true });
      return reply(obj);
    }
    if (!action) {
      if (method === 'GET') return reply(await c.get(ref, name, ns));
      if (method === 'DELETE') {
        await c.delete(ref, name, ns);
        return reply({});
      }
      if (method === 'PUT') {
        const { obj } = await objectFrom();
        if (obj.metadata.name && obj.metadata.name !== name) throw badRequest(`the name in the body (${obj.metadata.name}) does not match the URL (${name})`);
        obj.metadata.name = name;
        await validateOrThrow(c, obj, {});
        if (!obj.metadata.resourceVersion) {
          const cur = await c.get(ref, name, ns);
          obj.metadata.resourceVersion = cur.metadata.resourceVersion;
        }
        return reply(await c.update(obj));
      }
      throw notAllowed(method);
    }
    if (ref.kind === 'CronWorkflow' && (action === 'suspend' || action === 'resume') && method === 'PUT') {
      return reply(await c.patch<CronWorkflow>(ref, name, ns, 'merge', { spec: { suspend: action === 'suspend' } }));
    }
    if (ref.kind === 'CronWorkflow' && action === 'backfill' && (method === 'POST' || method === 'PUT')) {
      const b = await body<{ start?: string; end?: string; name?: string; parallel?: boolean; argName?: string; maxWorkflowCount?: number; dryRun?: boolean }>();
      const time = (v: string | undefined, what: string): Date => {
        const d = v ? new Date(v) : undefined;
        if (!d || Number.isNaN(d.getTime())) throw badRequest(`${what} must be a time such as 2026-01-01T00:00:00Z (got ${JSON.stringify(v ?? '')})`);
        return d;
      };
      const cw = await c.get<CronWorkflow>(ref, name, ns);
      try {
        return reply(
          await backfillCronWorkflow(c, cw, {
            start: time(b.start, 'start'),
            end: b.end ? time(b.end, 'end') : new Date(),
            name: b.name,
            parallel: !!b.parallel,
            argName: b.argName,
            maxWorkflowCount: b.maxWorkflowCount,
            dryRun: !!b.dryRun,
          }),
        );
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw badRequest((err as Error).message);
      }
    }
    throw new ApiError('NotFound', `Not Found: ${ref.kind} action "${action}" does not exist`);
  }

  // ---------------------------------------------------------------- archive

  /** Looked up on each request: the runtime may open (PostgreSQL) or close the data dir's archive. */
  private async archive(): Promise<WorkflowArchive> {
    if (this.opts.archive) return this.opts.archive;
    if (!this.opts.dataDir) throw new ApiError('ServiceUnavailable', 'the workflow archive is not available: this server runs without a data directory');
    return openArchive(this.opts.dataDir);
  }

  private async archived(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string[],
    method: string,
    q: Query,
    body: <T = Record<string, unknown>>() => Promise<T>,
    reply: (o: unknown) => void,
  ): Promise<void> {
    const [uid, action] = rest;
    const archive = await this.archive();
    if (!uid) {
      if (method !== 'GET') throw notAllowed(method);
      // Argo's fieldSelector forms: metadata.namespace=, metadata.name=, spec.startedAt>, spec.startedAt<.
      const fields: Record<string, string> = {};
      for (const part of (q.get('listOptions.fieldSelector') ?? '').split(',').filter(Boolean)) {
        const m = /^([\w.]+)(==|=|>|<)(.*)$/.exec(part);
        if (m) fields[m[1] + (m[2] === '>' || m[2] === '<' ? m[2] : '')] = m[3];
      }
      const nameFilter = q.get('nameFilter') ?? 'Exact';
      const name = fields['metadata.name'];
      const list = await archive.list({
        namespace: q.get('namespace') || fields['metadata.namespace'] || undefined,
        labelSelector: q.get('listOptions.labelSelector') ?? undefined,
        namePrefix: q.get('namePrefix') || (name && nameFilter === 'Prefix' ? name : undefined),
        name: name && nameFilter !== 'Prefix' ? name : undefined,
        minStartedAt: fields['spec.startedAt>'],
        maxStartedAt: fields['spec.startedAt<'],
        limit: intParam(q, 'listOptions.limit'),
        continue: q.get('listOptions.continue') ?? undefined,
      });
      return reply({ metadata: list.continue ? { continue: list.continue } : {}, items: list.items });
    }
    const wf = await archive.get(uid);
    if (!wf) throw new ApiError('NotFound', `archived workflow ${uid} not found`);
    if (!action) {
      if (method === 'GET') return reply(wf);
      if (method === 'DELETE') {
        await archive.delete(uid);
        return reply({});
      }
      throw notAllowed(method);
    }
    // Argosy's addition: the pods' logs, copied into the archive when each pod finished.
    if (action === 'log' && method === 'GET') return this.archivedLogs(req, res, q, archive, uid, q.get('podName') ?? undefined);
    if (method !== 'PUT') throw notAllowed(method);
    const b = await body<{ namespace?: string; parameters?: string[]; restartSuccessful?: boolean; nodeFieldSelector?: string; memoized?: boolean }>();
    if (action === 'resubmit') {
      const next = workflowFromArchived(wf, { namespace: b.namespace || wf.metadata.namespace, parameters: b.parameters });
      await validateOrThrow(this.client, next, { submit: true });
      return reply(await this.client.create(next));
    }
    if (action === 'retry') {
      // Put the archived workflow back (when it is no longer live), then retry it as usual.
      const ns = wf.metadata.namespace!;
      const live = await this.client.get<Workflow>(Kinds.Workflow, wf.metadata.name!, ns).catch(() => undefined);
      if (live && live.metadata.uid !== wf.metadata.uid) throw new ApiError('AlreadyExists', `a different workflow named ${wf.metadata.name} exists in ${ns}: delete it first`);
      if (!live) {
        const restored = clone(wf);
        delete restored.metadata.resourceVersion;
        delete restored.metadata.creationTimestamp;
        delete restored.metadata.ownerReferences;
        await this.client.create(restored);
      }
      return reply(await retryWorkflow(this.client, ns, wf.metadata.name!, { restartSuccessful: !!b.restartSuccessful, nodeFieldSelector: b.nodeFieldSelector, parameters: b.parameters }));
    }
    throw new ApiError('NotFound', `Not Found: archived workflow action "${action}" does not exist (log, retry, resubmit)`);
  }

  /** A log stream (as …/workflows/{ns}/{name}/log) from the logs kept in the archive for workflow `uid`. */
  private async archivedLogs(req: IncomingMessage, res: ServerResponse, q: Query, archive: WorkflowArchive, uid: string, podName: string | undefined): Promise<void> {
    const grepRe = grepOf(q);
    const container = q.get('logOptions.container') || 'main';
    const opts = { tailLines: intParam(q, 'logOptions.tailLines'), sinceSeconds: intParam(q, 'logOptions.sinceSeconds'), timestamps: boolParam(q, 'logOptions.timestamps') };
    const logs = await archive.logs(uid, { podName, container });
    const stream = this.openStream(req, res);
    for (const log of logs) {
      if (stream.closed()) break;
      if (log.droppedBytes > 0 && opts.tailLines === undefined) stream.send({ content: droppedNotice(log, MAX_ARCHIVED_LOG_BYTES), podName: log.podName });
      for (const line of archivedLogLines(log, opts)) if (!grepRe || grepRe.test(line)) stream.send({ content: line, podName: log.podName });
    }
    stream.end();
  }

  /** The archive, when this server has one open (for falling back to it; opens nothing). */
  private async maybeArchive(): Promise<WorkflowArchive | undefined> {
    if (this.opts.archive) return this.opts.archive;
    return this.opts.dataDir ? openedArchive(this.opts.dataDir)?.catch(() => undefined) : undefined;
  }

  // ---------------------------------------------------------------- streams

  private openStream(req: IncomingMessage, res: ServerResponse): { send(result: unknown): void; end(): void; closed(): boolean } {
    const sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.writeHead(200, { 'Content-Type': sse ? 'text/event-stream' : 'application/json', 'Cache-Control': 'no-cache', 'Transfer-Encoding': 'chunked', ...(sse ? { 'X-Accel-Buffering': 'no' } : {}) });
    res.flushHeaders();
    if (sse) res.write(':\n\n');
    let closed = false;
    req.on('close', () => (closed = true));
    return {
      send: (result) => {
        if (closed) return;
        const line = JSON.stringify({ result });
        res.write(sse ? `data: ${line}\n\n` : `${line}\n`);
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
      closed: () => closed,
    };
  }

  private async workflowEvents(req: IncomingMessage, res: ServerResponse, q: Query, ns: string): Promise<void> {
    const fields = q.get('fields');
    const stream = this.openStream(req, res);
    let watch: { stop(): void } | undefined;
    try {
      watch = await this.client.watch<Workflow>(Kinds.Workflow, {
        namespace: ns || undefined,
        labelSelector: q.get('listOptions.labelSelector') ?? undefined,
        fieldSelector: q.get('listOptions.fieldSelector') ?? undefined,
        resourceVersion: q.get('listOptions.resourceVersion') || undefined,
      }, {
        onEvent: (ev) => stream.send(project({ type: ev.type, object: ev.object }, fields ? fields.split(',').map((f) => (f.startsWith('result.') ? f.slice(7) : f)).join(',') : null)),
      });
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('InternalError', String((err as Error).message));
      res.write(JSON.stringify({ error: grpcError(e).body }) + '\n');
      stream.end();
      return;
    }
    const timer = setInterval(() => {
      if (!stream.closed()) res.write((req.headers.accept ?? '').includes('text/event-stream') ? ':\n\n' : '');
    }, 15_000);
    const done = () => {
      clearInterval(timer);
      watch?.stop();
      stream.end();
    };
    req.on('close', done);
    res.on('close', done);
  }

  private async workflowLogs(req: IncomingMessage, res: ServerResponse, q: Query, ns: string, name: string, podName: string | undefined): Promise<void> {
    const dataDir = this.opts.dataDir;
    let live: Workflow;
    try {
      live = await this.client.get<Workflow>(Kinds.Workflow, name, ns);
    } catch (err) {
      // No live workflow: as Argo Server (3.5+) does, look for it in the archive; its pods are gone
      // with it, so its logs are the ones the archive kept.
      if (!isApiError(err, 'NotFound')) throw err;
      const archive = await this.maybeArchive();
      const old = await archive?.getByName(ns, name);
      if (!archive || !old?.metadata.uid) throw err;
      return this.archivedLogs(req, res, q, archive, old.metadata.uid, podName);
    }
    if (!dataDir) throw new ApiError('ServiceUnavailable', 'logs are not available: this server runs without a node agent data directory');
    const follow = boolParam(q, 'logOptions.follow');
    const container = q.get('logOptions.container') || 'main';
    const grepRe = grepOf(q);
    const opts = {
      container,
      tailLines: intParam(q, 'logOptions.tailLines'),
      sinceSeconds: intParam(q, 'logOptions.sinceSeconds'),
      timestamps: boolParam(q, 'logOptions.timestamps'),
    };
    const wanted = (p: KObject) => !podName || p.metadata.name === podName;
    const hasContainer = (p: KObject) => ((p.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).some((c) => c.name === container);
    const done = COMPLETED.has(live.status?.phase ?? '');
    const podsNow = !follow || done ? (await this.client.list(Kinds.Pod, { namespace: ns, labelSelector: `${LABEL_WORKFLOW}=${name}` })).items.filter(wanted).filter(hasContainer) : undefined;
    if (podsNow && !podsNow.length && live.metadata.uid) {
      // The pods are gone (podGC, or deleted by hand) but their logs may be in the archive.
      const archive = await this.maybeArchive();
      if (archive && (await archive.logs(live.metadata.uid, { podName, container })).length) return this.archivedLogs(req, res, q, archive, live.metadata.uid, podName);
    }
    const stream = this.openStream(req, res);
    const ac = new AbortController();
    req.on('close', () => ac.abort());
    const emit = (pod: string, text: string, partial: { rest: string }) => {
      const all = partial.rest + text;
      const lines = all.split('\n');
      partial.rest = lines.pop() ?? '';
      for (const line of lines) if (!grepRe || grepRe.test(line)) stream.send({ content: line, podName: pod });
    };
    const readOne = async (pod: KObject, followThis: boolean) => {
      const partial = { rest: '' };
      try {
        await readPodLogs(dataDir, pod, { ...opts, follow: followThis, signal: ac.signal }, (t) => emit(pod.metadata.name!, t, partial));
      } catch {
        // a pod whose files are gone has no logs to show
      }
      if (partial.rest && (!grepRe || grepRe.test(partial.rest))) stream.send({ content: partial.rest, podName: pod.metadata.name });
    };
    const byStart = (a: KObject, b: KObject) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!);
    if (!follow) {
      for (const pod of podsNow!.sort(byStart)) await readOne(pod, false);
      stream.end();
      return;
    }
    // Follow: stream every pod of the workflow as it starts, until the workflow has finished and
    // every stream has drained (or the client goes away).
    const started = new Set<string>();
    const running: Promise<void>[] = [];
    let finished = false;
    let wakeup: () => void = () => {};
    const podWatch = await this.client.watch(Kinds.Pod, { namespace: ns, labelSelector: `${LABEL_WORKFLOW}=${name}` }, {
      onEvent: (ev) => {
        const pod = ev.object;
        const phase = (pod.status as { phase?: string } | undefined)?.phase;
        if (ev.type === 'DELETED' || !wanted(pod) || !hasContainer(pod) || started.has(pod.metadata.name!) || !phase || phase === 'Pending') return;
        started.add(pod.metadata.name!);
        running.push(readOne(pod, true));
      },
    });
    const wfWatch = await this.client.watch<Workflow>(Kinds.Workflow, { namespace: ns, fieldSelector: `metadata.name=${name}` }, {
      onEvent: (ev) => {
        if (ev.type === 'DELETED' || COMPLETED.has(ev.object.status?.phase ?? '')) {
          finished = true;
          wakeup();
        }
      },
    });
    await new Promise<void>((resolve) => {
      wakeup = resolve;
      if (finished) resolve();
      ac.signal.addEventListener('abort', () => resolve());
    });
    // Pods that started just before the end still get their stream.
    await new Promise((r) => setTimeout(r, 300));
    podWatch.stop();
    wfWatch.stop();
    await Promise.all(running);
    stream.end();
  }
}

/** The `grep` parameter of the log endpoints, as a regular expression. */
function grepOf(q: Query): RegExp | undefined {
  const grep = q.get('grep');
  if (!grep) return undefined;
  try {
    return new RegExp(grep);
  } catch (err) {
    throw badRequest(`grep "${grep}" is not a valid regular expression: ${(err as Error).message}`);
  }
}

function notAllowed(method: string): ApiError {
  return new ApiError('MethodNotAllowed', `Method Not Allowed: ${method} is not supported on this path`);
}

/**
 * Argo's `fields` parameter: `metadata,items.metadata.name,items.status.phase` keeps only those
 * paths; a list of `-path` entries removes them instead. Paths go through arrays.
 */
export function project(obj: unknown, fields: string | null | undefined): unknown {
  if (!fields) return obj;
  const list = fields.split(',').map((f) => f.trim()).filter(Boolean);
  if (!list.length) return obj;
  if (list.every((f) => f.startsWith('-'))) {
    const out = clone(obj);
    for (const f of list) remove(out, f.slice(1).split('.'));
    return out;
  }
  let out: unknown = undefined;
  for (const f of list.filter((x) => !x.startsWith('-'))) out = pick(obj, f.split('.'), out);
  return out ?? {};
}

function pick(src: unknown, path: string[], into: unknown): unknown {
  if (src === undefined) return into;
  if (path.length === 0) return clone(src);
  if (Array.isArray(src)) {
    const arr = Array.isArray(into) ? into : src.map(() => undefined);
    return src.map((item, i) => pick(item, path, arr[i]) ?? {});
  }
  if (src === null || typeof src !== 'object') return into;
  const [head, ...tail] = path;
  const value = (src as Record<string, unknown>)[head];
  if (value === undefined) return into ?? {};
  const target = (into && typeof into === 'object' ? into : {}) as Record<string, unknown>;
  target[head] = pick(value, tail, target[head]);
  return target;
}

function remove(obj: unknown, path: string[]): void {
  if (obj === null || typeof obj !== 'object') return;
  if (Array.isArray(obj)) {
    for (const item of obj) remove(item, path);
    return;
  }
  const rec = obj as Record<string, unknown>;
  if (path.length === 1) delete rec[path[0]];
  else remove(rec[path[0]], path.slice(1));
}

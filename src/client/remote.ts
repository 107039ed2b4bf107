// The remote Client: the Kubernetes REST API over HTTP(S) — an Argosy server, or any API server that
// speaks the same paths. Watches read the chunked newline-delimited event stream.
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type * as Https from 'node:https';
import { ApiError, isApiError } from '../model/errors.js';
import { type KindInfo, type KindRegistry, apiVersionOf, defaultKinds } from '../model/kinds.js';
import type { KObject, ObjectList } from '../model/object.js';
import { FieldSelector, LabelSelector } from '../model/selectors.js';
import type { Client, DeleteOptions, KindRef, ListOptions, PatchType, Watch, WatchEvent, WatchHandlers, WatchOptions, WriteOptions } from './types.js';

// node:http and node:https (with TLS) are loaded by the first connection, not by every command that
// merely links this module (`argosy run` never connects anywhere): ~10 ms of start-up.
const require = createRequire(import.meta.url);
const http = (): typeof Http => require('node:http') as typeof Http;
const https = (): typeof Https => require('node:https') as typeof Https;

export interface RemoteClientOptions {
  /** `http://127.0.0.1:2746`, `https://host:port`, or `host:port` (http). */
  server: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  kinds?: KindRegistry;
  /** Accept any TLS certificate (self-signed servers). */
  insecureSkipVerify?: boolean;
  ca?: string | Buffer;
  headers?: Record<string, string>;
  /** Per-request timeout for non-streaming calls, ms (default 60 s). */
  timeoutMs?: number;
}

/** The server could not be reached at all (refused, DNS, reset before a reply). */
export class ConnectionError extends Error {
  constructor(
    readonly server: string,
    override readonly cause: Error,
  ) {
    super(`cannot reach the server at ${server}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`);
    this.name = 'ConnectionError';
  }
}

const PATCH_CONTENT: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export function normalizeServer(server: string): string {
  let s = server.trim();
  if (!/^https?:\/\//.test(s)) s = `http://${s}`;
  return s.replace(/\/+$/, '');
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export class RemoteClient implements Client {
  readonly kinds: KindRegistry;
  readonly server: string;
  private readonly base: URL;
  private readonly agent: HttpAgent;

  constructor(private readonly opts: RemoteClientOptions) {
    this.kinds = opts.kinds ?? defaultKinds;
    this.server = normalizeServer(opts.server);
    this.base = new URL(this.server);
    this.agent =
      this.base.protocol === 'https:'
        ? new (https().Agent)({ keepAlive: true, rejectUnauthorized: !opts.insecureSkipVerify, ...(opts.ca ? { ca: opts.ca } : {}) })
        : new (http().Agent)({ keepAlive: true });
  }

  /** Close idle keep-alive sockets (open watches are stopped by their owners). */
  close(): void {
    this.agent.destroy();
  }

  // ---------------------------------------------------------------- transport

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      Accept: 'application/json',
      'User-Agent': 'argosy-remote-client',
      ...(this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {}),
      ...(this.opts.headers ?? {}),
      ...extra,
    };
  }

  /** Start a request; resolves with the response once headers arrive. */
  private open(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, signal?: AbortSignal, timeoutMs?: number): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const send = this.base.protocol === 'https:' ? https().request : http().request;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, agent: this.agent, headers: this.headers({ ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers }), signal }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(err);
        else reject(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE'].includes(err.code ?? '') ? new ConnectionError(this.server, err) : err);
      });
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no reply from ${this.server} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async raw(method: string, path: string, body?: unknown, contentType = 'application/json', extraHeaders: Record<string, string> = {}): Promise<RawResponse> {
    const text = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const res = await this.open(method, path, text, { ...(text !== undefined ? { 'Content-Type': contentType } : {}), ...extraHeaders }, undefined, this.opts.timeoutMs ?? 60_000);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** A JSON request; a non-2xx reply becomes the ApiError its Status body describes. */
  async requestJson<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.raw(method, path, body, contentType);
    return parseReply<T>(res, method, path);
  }

  // ---------------------------------------------------------------- paths

  private info(ref: KindRef): KindInfo {
    return this.kinds.forApiVersionKind(ref.apiVersion, ref.kind);
  }

  /** `/api/v1/namespaces/ns/pods/name/status` and friends. */
  path(info: KindInfo, namespace: string | undefined, name?: string, subresource?: string): string {
    let p = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    if (info.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    else if (info.namespaced && name) throw new ApiError('BadRequest', `a namespace is required for ${info.plural}`);
    p += `/${info.plural}`;
    if (name !== undefined) {
      if (!name) throw new ApiError('BadRequest', `resource name may not be empty (${info.plural})`);
      p += `/${encodeURIComponent(name)}`;
    }
    if (subresource) p += `/${subresource}`;
    return p;
  }

  // ---------------------------------------------------------------- Client

  async get<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string): Promise<T> {
    return this.requestJson<T>('GET', this.path(this.info(ref), namespace, name));
  }

  async list<T extends KObject = KObject>(ref: KindRef, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const info = this.info(ref);
    const q = selectorQuery(opts);
    if (opts.limit) q.set('limit', String(opts.limit));
    if (opts.continue) q.set('continue', opts.continue);
    return this.requestJson<ObjectList<T>>('GET', withQuery(this.path(info, opts.namespace), q));
  }

  async create<T extends KObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.kinds.forObject(obj);
    return this.requestJson<T>('POST', withQuery(this.path(info, obj.metadata?.namespace), writeQuery(opts)), { ...obj, apiVersion: apiVersionOf(info) });
  }

  async update<T extends KObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.kinds.forObject(obj);
    const name = obj.metadata?.name;
    if (!name) throw new ApiError('Invalid', `${info.kind} is invalid: metadata.name: Required value`);
    return this.requestJson<T>('PUT', withQuery(this.path(info, obj.metadata.namespace, name, opts.subresource), writeQuery(opts)), obj);
  }

  async patch<T extends KObject = KObject>(ref: KindRef, name: string, namespace: string | undefined, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<T> {
    const info = this.info(ref);
    return this.requestJson<T>('PATCH', withQuery(this.path(info, namespace, name, opts.subresource), writeQuery(opts)), patch, PATCH_CONTENT[type]);
  }

  async delete<T extends KObject = KObject>(ref: KindRef, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<T> {
    const info = this.info(ref);
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    };
    return this.requestJson<T>('DELETE', this.path(info, namespace, name), body);
  }

  /**
   * Watch over the chunked stream. With a resourceVersion the promise settles once the server has
   * established the watch (its first BOOKMARK) or refused it (an ERROR event: `Expired` when too old).
   * `onClose(err)` follows when the stream ends; `err` is the ApiError of an ERROR event or the
   * transport failure.
   */
  async watch<T extends KObject = KObject>(ref: KindRef, opts: WatchOptions, handlers: WatchHandlers<T>): Promise<Watch> {
    const info = this.info(ref);
    const q = selectorQuery(opts);
    q.set('watch', 'true');
    q.set('allowWatchBookmarks', 'true');
    const rv = opts.resourceVersion && opts.resourceVersion !== '0' ? opts.resourceVersion : undefined;
    if (opts.resourceVersion) q.set('resourceVersion', opts.resourceVersion);
    let stopped = false;
    const res = await this.open('GET', withQuery(this.path(info, opts.namespace), q), undefined, {});
    const abort = () => {
      res.removeAllListeners('data');
      res.destroy();
    };
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      parseReply({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }, 'GET', 'watch');
    }
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const established = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    if (!rv) {
      settle!.resolve();
      settle = undefined;
    }
    let closed = false;
    const close = (err?: Error) => {
      if (closed) return;
      closed = true;
      if (settle) {
        settle.reject(err ?? new ApiError('InternalError', 'the watch stream ended before it was established'));
        settle = undefined;
        return;
      }
      if (!stopped) handlers.onClose?.(err);
    };
    let buffer = '';
    const onLine = (line: string) => {
      if (!line.trim() || stopped) return;
      let ev: { type: string; object: KObject & { code?: number; reason?: string; message?: string } };
      try {
        ev = JSON.parse(line);
      } catch {
        close(new ApiError('InternalError', `the server sent a malformed watch event: ${line.slice(0, 200)}`));
        abort();
        return;
      }
      if (ev.type === 'ERROR') {
        close(ApiError.fromStatus(ev.object as { reason?: string; message?: string; code?: number }));
        abort();
        return;
      }
      if (ev.type === 'BOOKMARK') {
        if (settle) {
          settle.resolve();
          settle = undefined;
        }
        return;
      }
      if (settle) {
        settle.resolve();
        settle = undefined;
      }
      try {
        handlers.onEvent(ev as WatchEvent<T>);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    };
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        onLine(line);
      }
    });
    res.on('end', () => {
      if (buffer) onLine(buffer);
      close();
    });
    res.on('error', (err) => close(stopped ? undefined : err));
    res.on('close', () => close());
    await established;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        abort();
      },
    };
  }

  /** Read a pod's log (optionally following it) and hand each chunk of text to `onChunk`. */
  async podLogs(
    namespace: string,
    name: string,
    opts: { container?: string; follow?: boolean; tailLines?: number; sinceSeconds?: number; timestamps?: boolean; signal?: AbortSignal },
    onChunk: (text: string) => void,
  ): Promise<void> {
    const q = new URLSearchParams();
    if (opts.container) q.set('container', opts.container);
    if (opts.follow) q.set('follow', 'true');
    if (opts.tailLines !== undefined) q.set('tailLines', String(opts.tailLines));
    if (opts.sinceSeconds !== undefined) q.set('sinceSeconds', String(opts.sinceSeconds));
    if (opts.timestamps) q.set('timestamps', 'true');
    const res = await this.open('GET', withQuery(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`, q), undefined, { Accept: '*/*' }, opts.signal);
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      parseReply({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }, 'GET', 'log');
    }
    res.setEncoding('utf8');
    try {
      for await (const chunk of res) onChunk(chunk as string);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  }

  /** Open a raw streaming GET (for Argo's log and event streams); caller reads the response. */
  stream(path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open('GET', path, undefined, headers, signal);
  }
}

function parseReply<T>(res: RawResponse, method: string, path: string): T {
  const text = res.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    if (res.status >= 300) throw new ApiError(reasonFor(res.status), `${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    throw new ApiError('InternalError', `${method} ${path}: the server sent a reply that is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status >= 300) {
    const s = parsed as { kind?: string; reason?: string; message?: string; code?: number; details?: ApiError['details'] };
    if (s && s.kind === 'Status') throw ApiError.fromStatus({ ...s, code: s.code ?? res.status });
    // Argo's grpc-gateway errors: {"code": 5, "message": "..."}
    throw new ApiError(reasonFor(res.status), s?.message ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}

function reasonFor(status: number): ApiError['reason'] {
  const map: Record<number, ApiError['reason']> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 422: 'Invalid', 503: 'ServiceUnavailable', 504: 'Timeout' };
  return map[status] ?? 'InternalError';
}

function selectorQuery(opts: { labelSelector?: string | LabelSelector; fieldSelector?: string | FieldSelector }): URLSearchParams {
  const q = new URLSearchParams();
  const ls = opts.labelSelector instanceof LabelSelector ? opts.labelSelector.toString() : opts.labelSelector;
  const fs = opts.fieldSelector instanceof FieldSelector ? fieldSelectorText(opts.fieldSelector) : opts.fieldSelector;
  if (ls) q.set('labelSelector', ls);
  if (fs) q.set('fieldSelector', fs);
  return q;
}

function fieldSelectorText(fs: FieldSelector): string {
  return fs.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${r.value.replace(/[\\,]/g, (c) => `\\${c}`)}`).join(',');
}

function writeQuery(opts: WriteOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.dryRun) q.set('dryRun', 'All');
  return q;
}

function withQuery(path: string, q: URLSearchParams): string {
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export { isApiError };

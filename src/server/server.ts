// The Argosy API server: one HTTP(S) listener serving the Kubernetes REST API, Argo Server's REST API,
// health endpoints and Prometheus metrics over a Store. `argosy server` runs it on an embedded runtime
// (SQLite store, workflow controller, node agent); tests run it over a MemoryStore.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../model/errors.js';
import type { Store } from '../store/types.js';
import { ARGO_ROOTS, ArgoApi, grpcError } from './argo-api.js';
import { ARTIFACT_ROOTS, ArtifactDownloads } from './artifacts.js';
import { openApiV2Json, openApiV3Index, versionInfo } from './discovery.js';
import { sendJson, sendStatus, sendText, toApiError } from './http.js';
import { KubeApi } from './kube-api.js';
import { type JsonLogger, silentJsonLogger } from './log.js';
import { Metrics } from './metrics.js';
import { StaticUi, wantsHtml } from './static.js';

export interface ApiServerOptions {
  store: Store;
  dataDir?: string;
  logger?: JsonLogger;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Readiness beyond "the store answers" (e.g. the controller has synced). */
  ready?: () => boolean;
}

export class ApiServer {
  readonly metrics = new Metrics();
  private readonly kube: KubeApi;
  private readonly argo: ArgoApi;
  private readonly log: JsonLogger;
  private readonly ui = new StaticUi();
  private readonly artifacts: ArtifactDownloads;
  private server?: Server;

  constructor(private readonly opts: ApiServerOptions) {
    this.kube = new KubeApi({ store: opts.store, dataDir: opts.dataDir, metrics: this.metrics });
    this.argo = new ArgoApi({ store: opts.store, dataDir: opts.dataDir });
    this.artifacts = new ArtifactDownloads(opts.store, opts.dataDir);
    this.log = opts.logger ?? silentJsonLogger;
  }

  /** Start listening; resolves with the bound address (port 0 picks a free port). */
  async listen(port = 2746, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.opts.tls ? createHttpsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, handler) : createHttpServer(handler);
    // Watches and followed logs are long-lived; Node's default request timeout would cut them.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `${this.opts.tls ? 'https' : 'http'}://${shownHost}:${addr.port}` };
  }

  /** Stop accepting, end open streams, and wait for the listener to close. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendStatus(res, new ApiError('BadRequest', `malformed request URL ${JSON.stringify(req.url)}`));
      return;
    }
    res.on('finish', () => {
      this.metrics.request(method, res.statusCode);
      if (res.statusCode < 500 && this.log.debugEnabled === false) return;
      const fields = { method, path: url.pathname, code: res.statusCode, ms: Date.now() - started };
      if (res.statusCode >= 500) this.log.error('request failed', fields);
      else this.log.debug('request', fields);
    });
    const parts = url.pathname.split('/').filter(Boolean);
    const isArgo = parts[0] === 'api' && parts[1] === 'v1' && ARGO_ROOTS.has(parts[2] ?? '');
    try {
      if (isArgo) {
        await this.argo.handle(req, res, url, parts.slice(2).map(decodeURIComponent));
        return;
      }
      if (ARTIFACT_ROOTS.has(parts[0] ?? '')) {
        await this.artifacts.handle(req, res, parts.map(decodeURIComponent));
        return;
      }
      switch (url.pathname) {
        case '/healthz':
        case '/livez':
          sendText(res, 200, 'ok');
          return;
        case '/readyz': {
          await this.opts.store.currentResourceVersion();
          if (this.opts.ready && !this.opts.ready()) sendText(res, 503, 'not ready: the controller has not synced yet');
          else sendText(res, 200, 'ok');
          return;
        }
        case '/metrics':
          sendText(res, 200, await this.metrics.render(this.opts.store), 'text/plain; version=0.0.4; charset=utf-8');
          return;
        case '/version':
          sendJson(res, 200, versionInfo());
          return;
        case '/openapi/v3':
          sendJson(res, 200, openApiV3Index());
          return;
        case '/openapi/v2':
        case '/swagger.json':
          if ((req.headers.accept ?? '').includes('protobuf')) {
            // An empty protobuf message is an empty OpenAPI document: no schemas, so kubectl's
            // client-side validation accepts every object and the server validates it.
            res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': 0 });
            res.end();
          } else sendJson(res, 200, openApiV2Json());
          return;
        case '/':
          // A browser gets the web UI; API clients get the index of paths.
          if (wantsHtml(req) && this.ui.available && this.ui.serve(req, res, url)) return;
          sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/metrics', '/openapi/v2', '/openapi/v3', '/version', '/api/v1/workflows/{namespace}', '/api/v1/workflow-templates/{namespace}', '/api/v1/cluster-workflow-templates', '/api/v1/cron-workflows/{namespace}', '/api/v1/workflow-events/{namespace}', '/api/v1/info', '/api/v1/version', '/api/v1/userinfo'] });
          return;
      }
      if (await this.kube.handle(req, res, url)) return;
      if (this.ui.serve(req, res, url)) return;
      throw new ApiError('NotFound', `the server could not find the requested resource (${method} ${url.pathname})`);
    } catch (err) {
      const e = toApiError(err);
      if (e.code >= 500) this.log.error(e.message, { method, path: url.pathname, stack: (err as Error)?.stack?.split('\n').slice(0, 4).join(' | ') });
      if (res.headersSent) {
        if (!res.writableEnded) res.end();
        return;
      }
      if (isArgo) {
        const g = grpcError(e);
        sendJson(res, g.code, g.body);
      } else sendStatus(res, e);
    }
  }
}

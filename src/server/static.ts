// The web UI: serves the built single-page app (ui/dist, from `vite build ui`) at `/`. Files under
// the build directory are served as they are (hashed assets cached for a year); any other GET for a
// non-API path that accepts HTML gets index.html, so deep links such as /workflows/default/x load the
// app, which then routes on the client. API paths never reach here (the server handles them first).
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Paths the UI never answers: the APIs, health and metrics. */
const API_PREFIXES = ['/api/', '/apis/', '/openapi/'];
const API_EXACT = new Set(['/api', '/apis', '/healthz', '/livez', '/readyz', '/metrics', '/version', '/swagger.json']);

/** Where the built UI is: $ARGOSY_UI_DIR, else ui/dist beside dist/ (this file is dist/server/static.js). */
export function defaultUiDir(): string {
  if (process.env.ARGOSY_UI_DIR) return resolve(process.env.ARGOSY_UI_DIR);
  return resolve(fileURLToPath(new URL('../../ui/dist/', import.meta.url)));
}

export function isApiPath(pathname: string): boolean {
  return API_EXACT.has(pathname) || API_PREFIXES.some((p) => pathname.startsWith(p));
}

export function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

export class StaticUi {
  readonly dir: string;

  constructor(dir = defaultUiDir()) {
    this.dir = dir;
  }

  get available(): boolean {
    return existsSync(join(this.dir, 'index.html'));
  }

  /**
   * Serve `url` from the UI build if it is a file there, or index.html for an HTML request to a
   * non-API path (the SPA fallback). Returns false when the request is not the UI's.
   */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const pathname = url.pathname;
    if (isApiPath(pathname)) return false;
    if (!this.available) {
      if (!wantsHtml(req)) return false;
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The web UI is not built: run `npm run build:ui` (or `npm install`), then reload.\n');
      return true;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    const file = normalize(join(this.dir, rel));
    if ((file === this.dir || file.startsWith(this.dir + sep)) && rel !== '/' && isFile(file)) {
      const immutable = rel.startsWith('/assets/');
      this.sendFile(res, method, file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return true;
    }
    // Unknown files (a missing asset, /favicon.ico) are 404s; page routes get the app.
    if (!wantsHtml(req) || extname(rel) !== '') return false;
    this.sendFile(res, method, join(this.dir, 'index.html'), 'no-cache');
    return true;
  }

  private sendFile(res: ServerResponse, method: string, file: string, cache: string): void {
    const size = statSync(file).size;
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

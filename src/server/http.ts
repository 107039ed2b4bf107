// Small HTTP helpers shared by the Kubernetes and Argo handlers: bodies with a size cap, JSON and
// Status replies, and query parsing. The server uses node:http directly (no framework): the routes are
// few, the streaming endpoints want the raw response, and every byte of the reply shape matters.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseYaml } from '../model/yaml-lib.js';
import { ApiError, badRequest } from '../model/errors.js';

/** Bodies above this are refused with 413 (a Workflow with a large status can reach a few MiB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class HttpError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

/**
 * Read a request body into one Buffer, refusing more than `limit` bytes with 413. Listens for
 * `data`/`end` directly rather than through the stream's async iterator, which costs several
 * promises and closures per request.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new ApiError('RequestEntityTooLarge', `the request body is ${declared} bytes; the limit is ${limit} bytes (16 MiB)`));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.resume();
        reject(new ApiError('RequestEntityTooLarge', `the request body is larger than the limit of ${limit} bytes (16 MiB)`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // The client went away before the body ended ('close' without 'end').
    const onClose = () => {
      done();
      reject(new Error('the client closed the connection before the request body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Parse a JSON (or, for YAML content types, YAML) body; a malformed one is a 400 naming the problem. */
export function parseBody(buf: Buffer, contentType: string | undefined, what = 'request body'): unknown {
  const text = buf.toString('utf8');
  if (!text.trim()) throw badRequest(`the ${what} is empty: send a JSON object`);
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('yaml')) {
    try {
      return parseYaml(text);
    } catch (err) {
      throw badRequest(`the ${what} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    // Kubernetes accepts YAML bodies too (kubectl sends JSON; curl users sometimes send YAML).
    if (!ct.includes('json')) {
      try {
        const y = parseYaml(text);
        if (y && typeof y === 'object') return y;
      } catch {
        // fall through to the JSON error, which is what was most likely meant
      }
    }
    throw badRequest(`the ${what} is not valid JSON: ${msg}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers?: Record<string, string>): void {
  sendJsonText(res, code, JSON.stringify(body), headers);
}

/** Reply with JSON that is already text. */
export function sendJsonText(res: ServerResponse, code: number, text: string, headers?: Record<string, string>): void {
  res.writeHead(code, headers ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers } : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Turn anything thrown into an ApiError (unknown errors become 500 with their message). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HttpError) return err.error;
  return new ApiError('InternalError', `internal error: ${(err as Error)?.message ?? String(err)}`);
}

export function sendStatus(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, e.code, e.toStatus());
}

export type Query = URLSearchParams;

export function intParam(q: Query, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`query parameter ${name}=${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

export function boolParam(q: Query, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1' || v === '';
}

/** Write one line of newline-delimited JSON to a streaming response. */
export function writeLine(res: ServerResponse, obj: unknown): boolean {
  return res.write(JSON.stringify(obj) + '\n');
}

// How CLI verbs reach a server: --server / ARGO_SERVER, ARGO_TOKEN, -n / ARGO_NAMESPACE, and the
// Argo Server REST calls they make. An unreachable server is one clear line and exit 1.
import type { Command } from 'commander';
import { ConnectionError, RemoteClient, normalizeServer } from '../../client/remote.js';
import { isApiError } from '../../model/errors.js';
import { EXIT_FAILED, EXIT_INVALID, UsageError } from '../errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:2746';

export interface ConnOptions {
  server?: string;
  namespace?: string;
  allNamespaces?: boolean;
  token?: string;
  insecureSkipVerify?: boolean;
}

/** Add the connection flags every server verb takes. */
export function withConnection(cmd: Command, opts: { allNamespaces?: boolean } = {}): Command {
  cmd
    .option('-s, --server <address>', `Argosy server, host:port or URL (env ARGO_SERVER; default ${DEFAULT_SERVER})`)
    .option('-n, --namespace <ns>', 'namespace (env ARGO_NAMESPACE; default "default")')
    .option('--token <token>', 'bearer token (env ARGO_TOKEN)')
    .option('-k, --insecure-skip-verify', 'accept any TLS certificate (env ARGO_INSECURE_SKIP_VERIFY=true)');
  if (opts.allNamespaces) cmd.option('-A, --all-namespaces', 'all namespaces');
  return cmd;
}

export class Conn {
  readonly client: RemoteClient;
  readonly server: string;
  readonly namespace: string;
  readonly allNamespaces: boolean;

  constructor(o: ConnOptions) {
    const env = process.env;
    let server = o.server ?? env.ARGO_SERVER ?? DEFAULT_SERVER;
    // Argo's ARGO_SERVER is host:port, with ARGO_SECURE deciding the scheme.
    if (!/^https?:\/\//.test(server)) server = `${env.ARGO_SECURE === 'true' ? 'https' : 'http'}://${server}`;
    try {
      this.server = normalizeServer(server);
      new URL(this.server);
    } catch {
      throw new UsageError(`--server ${server}: not a valid address; use host:port or http(s)://host:port`);
    }
    const token = o.token ?? env.ARGO_TOKEN;
    this.namespace = o.namespace ?? env.ARGO_NAMESPACE ?? 'default';
    this.allNamespaces = !!o.allNamespaces;
    this.client = new RemoteClient({
      server: this.server,
      token: token ? token.replace(/^Bearer\s+/i, '') : undefined,
      insecureSkipVerify: o.insecureSkipVerify ?? env.ARGO_INSECURE_SKIP_VERIFY === 'true',
    });
  }

  get<T>(path: string): Promise<T> {
    return this.client.requestJson<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.client.requestJson<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown = {}): Promise<T> {
    return this.client.requestJson<T>('PUT', path, body);
  }

  del<T>(path: string): Promise<T> {
    return this.client.requestJson<T>('DELETE', path);
  }

  /** Read a stream of `{"result": ...}` lines (Argo's log and event streams); resolves when it ends. */
  async stream<T>(path: string, onResult: (r: T) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.client.stream(path, { Accept: 'application/json' }, signal);
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: show it as is
      }
      throw new UsageError(`Error: ${message}`, res.statusCode === 404 || res.statusCode === 400 ? EXIT_INVALID : EXIT_FAILED);
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk as string;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const parsed = JSON.parse(line) as { result?: T; error?: { message?: string } };
          if (parsed.error) throw new UsageError(`Error: ${parsed.error.message ?? 'stream failed'}`, EXIT_FAILED);
          if (parsed.result !== undefined) onResult(parsed.result);
        }
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError' || signal?.aborted) return;
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}

/** Run a verb: connection problems and API errors become one line and the right exit code. */
export async function runVerb(opts: ConnOptions, fn: (conn: Conn) => Promise<number | void>): Promise<void> {
  const conn = new Conn(opts);
  try {
    const code = await fn(conn);
    process.exitCode = code ?? 0;
  } catch (err) {
    if (err instanceof ConnectionError) {
      process.stderr.write(`argosy: cannot reach an Argosy server at ${conn.server} (${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}). Start one with \`argosy server\`, or point --server / ARGO_SERVER at a running one.\n`);
      process.exitCode = EXIT_FAILED;
      return;
    }
    if (isApiError(err)) {
      process.stderr.write(`Error: ${err.message}\n`);
      process.exitCode = err.code === 400 || err.code === 422 || err.code === 413 ? EXIT_INVALID : EXIT_FAILED;
      return;
    }
    throw err;
  } finally {
    conn.close();
  }
}

export const enc = encodeURIComponent;

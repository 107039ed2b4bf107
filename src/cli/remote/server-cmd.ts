// `argosy server`: the embedded runtime (SQLite store in the data dir, workflow controller, node agent)
// behind the HTTP API. Ctrl-C / SIGTERM: stop listening, stop the controller, kill pod processes.
// With `--store postgres://…` several replicas share one database: every replica serves the API and the
// one holding the `argosy-controller` Lease runs the controllers and the node agent.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { type LogLevel, jsonLogger } from '../../server/log.js';
import { UsageError } from '../errors.js';
import type { EmbeddedRuntime } from '../runtime.js';
import type { PostgresOptions } from '../../store/postgres.js';

/** `$ARGOSY_DATA_DIR`, else `~/.argosy`. */
export function defaultDataDir(): string {
  return process.env.ARGOSY_DATA_DIR || join(homedir(), '.argosy');
}

/**
 * `--store`: `sqlite` (default; a file in the data dir) or a PostgreSQL URL, `postgres://user@host:port/db`,
 * optionally `?schema=name` (default schema `argosy`).
 */
export function parseStoreFlag(value: string | undefined): { kind: 'sqlite' } | { kind: 'postgres'; postgres: PostgresOptions; shown: string } {
  if (!value || value === 'sqlite') return { kind: 'sqlite' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--store ${value}: expected "sqlite" or a URL like postgres://user@host:5432/db?schema=argosy`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`--store ${value}: unsupported store; expected "sqlite" or a postgres:// URL`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new UsageError(`--store: schema ${JSON.stringify(schema)} is not a plain SQL identifier`);
  url.searchParams.delete('schema');
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  return { kind: 'postgres', postgres: { connectionString: url.href, schema, applicationName: 'argosy-server' }, shown: shown.href + (schema ? ` (schema ${schema})` : '') };
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the Argosy server: API (Kubernetes and Argo REST), workflow controller and node agent in one process')
    .option('--data-dir <dir>', 'where the database, pod files, logs and artifacts live (env ARGOSY_DATA_DIR; default ~/.argosy)')
    .option('--port <port>', 'port to listen on', '2746')
    .option('--host <host>', 'address to bind (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .addOption(new Option('--log-level <level>', 'debug logs every request').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(new Option('--sandbox <mode>', 'process isolation for pods').choices(['auto', 'bwrap', 'none']).default('auto'))
    .option('--fresh-sandboxes', "give every Pod a bubblewrap sandbox of its own instead of reusing warm ones (slower; the kernel hostname is then the Pod's name)")
    .option('--store <store>', 'sqlite (default) or postgres://user@host:port/db[?schema=name] to share the state between replicas (env ARGOSY_STORE)')
    .option('--lease-seconds <s>', 'with a postgres store: leader lease duration; the leader renews every fifth of it (env ARGOSY_LEASE_SECONDS; default 5)')
    .option('--identity <id>', 'with a postgres store: this replica\'s identity in the lease (default <hostname>-<pid>)')
    .action(async (o) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${o.port}: must be a number from 0 to 65535`);
      if (!!o.tlsCert !== !!o.tlsKey) throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
      let tls: { cert: Buffer; key: Buffer } | undefined;
      if (o.tlsCert) {
        try {
          tls = { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) };
        } catch (err) {
          throw new UsageError(`cannot read the TLS files: ${(err as Error).message}`);
        }
      }
      const dataDir = resolve(o.dataDir ?? defaultDataDir());
      const log = jsonLogger(o.logLevel as LogLevel);
      const store = parseStoreFlag(o.store ?? process.env.ARGOSY_STORE);
      const leaseFlag: string = o.leaseSeconds ?? process.env.ARGOSY_LEASE_SECONDS ?? '5';
      const leaseSeconds = Number(leaseFlag);
      if (!(leaseSeconds >= 1)) throw new UsageError(`--lease-seconds ${leaseFlag}: must be a number of at least 1`);
      // Loaded here, not at the top: every other `argosy` verb would pay for the server stack at start-up.
      const [{ startEmbedded }, { ReplicaApiServer }] = await Promise.all([import('../runtime.js'), import('./replica-server.js')]);
      let rt: EmbeddedRuntime;
      if (store.kind === 'postgres') {
        try {
          rt = await startEmbedded({
            dataDir,
            store: 'postgres',
            postgres: store.postgres,
            sandbox: o.sandbox,
            warmSandboxes: !o.freshSandboxes,
            logger: log,
            leaderElection: {
              identity: o.identity,
              leaseSeconds,
              onFatal: () => {
                log.error('exiting: lost the leader lease and could not stop cleanly');
                process.exit(1);
              },
            },
          });
        } catch (err) {
          throw new UsageError(`cannot open the PostgreSQL store ${store.shown}: ${(err as Error).message}`, 1);
        }
        log.info('using the PostgreSQL store; campaigning for the leader lease', { store: store.shown, identity: rt.identity, leaseSeconds });
      } else {
        rt = await startEmbedded({ dataDir, store: 'sqlite', sandbox: o.sandbox, warmSandboxes: !o.freshSandboxes, logger: log });
      }
      const server = new ReplicaApiServer({ store: rt.store, dataDir, logger: log, tls }, rt);
      let addr: { url: string };
      try {
        addr = await server.listen(port, o.host);
      } catch (err) {
        await rt.stop();
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new UsageError(`cannot listen on ${o.host}:${port}: the address is in use (is another argosy server running? use --port)`, 1);
        throw new UsageError(`cannot listen on ${o.host}:${port}: ${e.message}`, 1);
      }
      log.info('argosy server started', { url: addr.url, dataDir, version: '0.1.0' });
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            log.warn('second signal: exiting at once', { signal });
            process.exit(130);
          }
          stopping = true;
          log.info('shutting down', { signal });
          void (async () => {
            await server.close();
            await rt.stop();
            log.info('stopped');
            done();
          })();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.exitCode = 0;
    });
}

// `argosy server`: the embedded runtime (SQLite store in the data dir, workflow controller, node agent)
// behind the HTTP API. Ctrl-C / SIGTERM: stop listening, stop the controller, kill pod processes.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { type LogLevel, jsonLogger } from '../../server/log.js';
import { ApiServer } from '../../server/server.js';
import { UsageError } from '../errors.js';
import { startEmbedded } from '../runtime.js';

/** `$ARGOSY_DATA_DIR`, else `~/.argosy`. */
export function defaultDataDir(): string {
  return process.env.ARGOSY_DATA_DIR || join(homedir(), '.argosy');
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
      const rt = await startEmbedded({ dataDir, store: 'sqlite', sandbox: o.sandbox, logger: log });
      const server = new ApiServer({ store: rt.store, dataDir, logger: log, tls });
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

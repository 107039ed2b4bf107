// Helpers shared by the end-to-end tests in test/: ports, waiting, and PostgreSQL schema clean-up.
import { createServer } from 'node:net';
import pg from 'pg';

/** A TCP port on 127.0.0.1 that is free now (it may be taken again before it is used). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves after ms milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A waitFor(what, fn, timeoutMs, everyMs = 100) that polls fn until it returns a value other than
 * undefined, and on timeout throws naming `what`, followed by context() (e.g. the servers' logs).
 */
export function waitForWith(context: () => string) {
  return async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
      await sleep(everyMs);
    }
  };
}

/** Drop a test's PostgreSQL schema after the run; errors are ignored (if the database was unreachable, the test has already failed saying so). */
export async function dropSchemaQuietly(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch {
    // unreachable: nothing to drop
  } finally {
    await c.end().catch(() => undefined);
  }
}

// An embedded Argosy: store, node agent and workflow controller in one process, nothing else needed.
// `argosy run` and `argosy conformance` use it with a memory store; the server uses it with SQLite.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedClient } from '../client/embedded.js';
import type { Client } from '../client/types.js';
import { NodeAgent } from '../node/index.js';
import { MemoryStore } from '../store/memory.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
import { type Logger, WorkflowController, silentLogger } from '../workflow/controller.js';
import { WorkflowExecutor } from '../workflow/executor.js';
import { type WorkflowArchive, WorkflowArchiver, WorkflowTtlController, closeArchive, openArchive } from '../workflow/archive.js';
import { CronWorkflowController } from '../workflow/cron.js';

export interface EmbeddedOptions {
  /** Where pod files, logs, volumes and artifacts live; a temporary directory when omitted. */
  dataDir?: string;
  /** `memory` (default) or `sqlite` (a file in dataDir). */
  store?: 'memory' | 'sqlite';
  sandbox?: 'auto' | 'bwrap' | 'none';
  logger?: Logger;
  nodeName?: string;
  events?: boolean;
  /** Schedule CronWorkflows (default true). */
  cron?: boolean;
  /** Archive completed workflows in <dataDir>/archive.db (default: with the sqlite store). */
  archive?: boolean;
  /** Honour spec.ttlStrategy by deleting expired workflows (default: with the sqlite store). */
  ttl?: boolean;
}

export interface EmbeddedRuntime {
  store: Store;
  client: Client;
  agent: NodeAgent;
  controller: WorkflowController;
  cron?: CronWorkflowController;
  archive?: WorkflowArchive;
  executor: WorkflowExecutor;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedRuntime> {
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'argosy-'));
  mkdirSync(dataDir, { recursive: true });
  const store: Store = opts.store === 'sqlite' ? new SqliteStore(join(dataDir, 'argosy.db')) : new MemoryStore();
  const client = new EmbeddedClient(store);
  const logger = opts.logger ?? silentLogger;
  const nodeName = opts.nodeName ?? 'argosy-node';
  const executor = new WorkflowExecutor(join(dataDir, 'artifacts'));
  const agent = new NodeAgent({ client, dataDir, nodeName, sandbox: opts.sandbox ?? 'auto', hooks: [executor.hook()], logger });
  const controller = new WorkflowController({ client, nodeName, logger, events: opts.events, artifacts: executor.repo });
  const durable = opts.store === 'sqlite';
  const cron = opts.cron !== false ? new CronWorkflowController({ client, logger }) : undefined;
  const archive = opts.archive ?? durable ? openArchive(dataDir) : undefined;
  const archiver = archive ? new WorkflowArchiver({ client, archive, logger }) : undefined;
  const ttl = opts.ttl ?? durable ? new WorkflowTtlController({ client, logger }) : undefined;
  await agent.start();
  await controller.start();
  await archiver?.start();
  await ttl?.start();
  await cron?.start();
  return {
    store,
    client,
    agent,
    controller,
    cron,
    archive,
    executor,
    dataDir,
    async stop() {
      cron?.stop();
      ttl?.stop();
      archiver?.stop();
      if (archive) closeArchive(dataDir);
      controller.stop();
      await agent.stop();
      await store.close();
      // Thousands of pod directories take a while to remove: do it without holding up the caller.
      if (temporary) spawn('rm', ['-rf', dataDir], { detached: true, stdio: 'ignore' }).unref();
    },
  };
}

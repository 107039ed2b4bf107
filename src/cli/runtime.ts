// An embedded Argosy: store, node agent and workflow controller in one process, nothing else needed.
// `argosy run` and `argosy conformance` use it with a memory store; the server uses it with SQLite, or
// with PostgreSQL shared by several replicas, where leader election decides which one runs the
// controllers and the node agent (see docs/server.md, "Replicas").
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EmbeddedClient } from '../client/embedded.js';
import { type Client, Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { NodeAgent } from '../node/index.js';
import { scratchBase } from '../node/scratch.js';
import { LeaderElector } from '../store/leader.js';
import { MemoryStore } from '../store/memory.js';
import type { PostgresOptions, PostgresStore } from '../store/postgres.js';
import type { Store } from '../store/types.js';
import { type Logger, WorkflowController, silentLogger } from '../workflow/controller.js';
import { WorkflowExecutor } from '../workflow/executor.js';
import { type WorkflowArchive, WorkflowArchiver, WorkflowTtlController, closeArchive, openArchive } from '../workflow/archive.js';
import { logPath } from '../node/logs.js';
import { CronWorkflowController } from '../workflow/cron.js';
import { PodGCController } from '../workflow/podgc.js';

export interface LeaderElectionOptions {
  /** Lease name. Default `argosy-controller`. */
  name?: string;
  /** Lease namespace. Default `argosy-system`. */
  namespace?: string;
  /** Unique per replica. Default `<hostname>-<pid>`. */
  identity?: string;
  /** Lease duration. Default 5 s; the leader renews every leaseSeconds/5 and steps down after 2/3 of it. */
  leaseSeconds?: number;
  renewSeconds?: number;
  /** Called when this replica could not stop its controllers and agent cleanly after losing the lease. The server exits non-zero. */
  onFatal?: (err: unknown) => void;
  /** Longest time stopping the controllers and agent may take before onFatal. Default 10 s. */
  stopTimeoutMs?: number;
}

export interface EmbeddedOptions {
  /** Where pod files, logs, volumes and artifacts live; a temporary directory when omitted. */
  dataDir?: string;
  /** `memory` (default), `sqlite` (a file in dataDir) or `postgres` (see `postgres`). */
  store?: 'memory' | 'sqlite' | 'postgres';
  /** Connection options for the `postgres` store. */
  postgres?: PostgresOptions;
  /**
   * Run the controllers and the node agent only while holding a Lease in the store. Without it they
   * run at once, for the lifetime of the runtime (a single process owning its store).
   */
  leaderElection?: LeaderElectionOptions;
  sandbox?: 'auto' | 'bwrap' | 'none';
  /** Run simple Pods in sandboxes kept from Pod to Pod (default true; see src/node/README.md). */
  warmSandboxes?: boolean;
  logger?: Logger;
  nodeName?: string;
  events?: boolean;
  /** Schedule CronWorkflows (default true). */
  cron?: boolean;
  /**
   * Archive completed workflows and their pods' logs (default: with the sqlite and postgres stores): in
   * <dataDir>/archive.db, or with the postgres store in its database and schema, shared by the replicas.
   */
  archive?: boolean;
  /** Honour spec.ttlStrategy by deleting expired workflows (default: with the sqlite and postgres stores). */
  ttl?: boolean;
  /** Honour spec.podGC by deleting finished workflows' Pods (default true). */
  podGC?: boolean;
}

/** The parts that run only on the leader (all of them, without leader election). */
interface Leading {
  agent: NodeAgent;
  controller: WorkflowController;
  cron?: CronWorkflowController;
  stop(): Promise<void>;
}

export interface EmbeddedRuntime {
  store: Store;
  client: Client;
  /** The node agent and controllers; on a standby replica (leader election) the instances last or next used. */
  agent: NodeAgent;
  controller: WorkflowController;
  cron?: CronWorkflowController;
  archive?: WorkflowArchive;
  executor: WorkflowExecutor;
  dataDir: string;
  /** Whether this runtime runs the controllers and agent now (always true without leader election). */
  readonly isLeader: boolean;
  /** The current lease holder's identity ('' when unknown); this runtime's own identity without leader election. */
  readonly leader: string;
  readonly identity: string;
  stop(): Promise<void>;
}

async function openStore(opts: EmbeddedOptions, dataDir: string): Promise<Store> {
  // Loaded on demand: the PostgreSQL driver costs ~50 ms of start-up that the other stores never need,
  // better-sqlite3 ~10 ms that `argosy run` (in memory) does not.
  if (opts.store === 'sqlite') return new (await import('../store/sqlite.js')).SqliteStore(join(dataDir, 'argosy.db'));
  if (opts.store === 'postgres') return (await import('../store/postgres.js')).PostgresStore.open(opts.postgres ?? {});
  return new MemoryStore();
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedRuntime> {
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(scratchBase(), 'argosy-'));
  mkdirSync(dataDir, { recursive: true });
  const store = await openStore(opts, dataDir);
  const logger = opts.logger ?? silentLogger;
  // PostgreSQL outages: the control loops wait for the database to come back (patient()), the API
  // answers at once with ServiceUnavailable; both are logged (see docs/server.md).
  const pgStore = opts.store === 'postgres' ? (store as PostgresStore) : undefined;
  if (pgStore) {
    pgStore.onWarning = (m) => logger.warn(`postgres: ${m}`);
    pgStore.onInfo = (m) => logger.info(`postgres: ${m}`);
  }
  const client = new EmbeddedClient(pgStore ? pgStore.patient() : store);
  const nodeName = opts.nodeName ?? 'argosy-node';
  const executor = new WorkflowExecutor(join(dataDir, 'artifacts'));
  const durable = opts.store === 'sqlite' || opts.store === 'postgres';
  // With PostgreSQL the archive lives next to the store, so that every replica serves the same one.
  let archive: WorkflowArchive | undefined;
  if (opts.archive ?? durable) {
    try {
      const pgo = opts.postgres ?? {};
      const postgres = { connectionString: pgo.connectionString, schema: pgo.schema, connectTimeoutMs: pgo.connectTimeoutMs, applicationName: pgo.applicationName };
      archive = await openArchive(dataDir, opts.store === 'postgres' ? { postgres } : {});
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  // Fresh instances on every start: a controller or agent is not restartable after stop().
  const newLeading = (): Leading & { start(): Promise<void> } => {
    const agent = new NodeAgent({ client, dataDir, nodeName, sandbox: opts.sandbox ?? 'auto', warmSandboxes: opts.warmSandboxes, hooks: [executor.hook()], logger });
    const controller = new WorkflowController({ client, nodeName, logger, events: opts.events, artifacts: executor.repo });
    const cron = opts.cron !== false ? new CronWorkflowController({ client, logger }) : undefined;
    const archiver = archive ? new WorkflowArchiver({ client, archive, logger, podLogPath: (pod, container) => logPath(dataDir, pod, container) }) : undefined;
    const ttl = opts.ttl ?? durable ? new WorkflowTtlController({ client, logger }) : undefined;
    const podGC = opts.podGC !== false ? new PodGCController({ client, logger }) : undefined;
    return {
      agent,
      controller,
      cron,
      async start() {
        await agent.start();
        await controller.start();
        await archiver?.start();
        await ttl?.start();
        await podGC?.start();
        await cron?.start();
      },
      async stop() {
        cron?.stop();
        podGC?.stop();
        ttl?.stop();
        const archived = archiver?.stop();
        controller.stop();
        await agent.stop();
        await archived;
      },
    };
  };

  const le = opts.leaderElection;
  const identity = le?.identity ?? `${hostname()}-${process.pid}`;
  let current = newLeading();
  let running = false; // `current` has been started and not stopped
  let transition: Promise<void> = Promise.resolve();
  let elector: LeaderElector | undefined;
  let stopped = false;
  // Back from an outage: reconcile every workflow once, in case a write failed for good meanwhile.
  pgStore?.onReconnect(() => {
    if (!running || stopped) return;
    const controller = current.controller;
    client
      .list<Workflow>(Kinds.Workflow)
      .then((l) => l.items.forEach((wf) => controller.enqueue(`${wf.metadata.namespace ?? ''}/${wf.metadata.name}`)))
      .catch((err) => logger.warn(`postgres: could not resync the workflows after the outage: ${(err as Error).message}`));
  });

  const rt: EmbeddedRuntime = {
    store,
    client,
    get agent() {
      return current.agent;
    },
    get controller() {
      return current.controller;
    },
    get cron() {
      return current.cron;
    },
    archive,
    executor,
    dataDir,
    get isLeader() {
      return running;
    },
    get leader() {
      return elector ? elector.leader : identity;
    },
    identity,
    async stop() {
      stopped = true;
      if (elector) {
        // Stop the components before giving up the lease, so the next leader never overlaps with us.
        const e = elector;
        elector = undefined;
        transition = transition.then(stopLeading);
        await transition;
        await e.stop();
      } else {
        await stopLeading();
      }
      if (archive) await closeArchive(dataDir);
      await store.close();
      // Thousands of pod directories take a while to remove: do it without holding up the caller.
      if (temporary) spawn('rm', ['-rf', dataDir], { detached: true, stdio: 'ignore' }).unref();
    },
  };

  async function stopLeading(): Promise<void> {
    if (!running) return;
    running = false;
    const was = current;
    current = newLeading();
    await was.stop();
  }

  if (!le) {
    await current.start();
    running = true;
    return rt;
  }

  const fatal = (err: unknown) => {
    logger.error(`leader election: cannot stop the controllers and node agent cleanly: ${(err as Error)?.message ?? err}`);
    if (le.onFatal) le.onFatal(err);
    else throw err;
  };
  const stopTimeoutMs = le.stopTimeoutMs ?? 10_000;
  const leaseSeconds = le.leaseSeconds ?? 5;
  elector = new LeaderElector(store, {
    name: le.name ?? 'argosy-controller',
    namespace: le.namespace ?? 'argosy-system',
    identity,
    leaseSeconds,
    renewSeconds: le.renewSeconds ?? leaseSeconds / 5,
    onStartedLeading: () => {
      transition = transition.then(async () => {
        if (stopped || running || !elector?.isLeader) return;
        logger.info('leader election: became the leader; starting the controllers and node agent', { identity });
        running = true;
        try {
          await current.start();
        } catch (err) {
          logger.error(`leader election: starting the controllers failed: ${(err as Error).message}`);
          fatal(err);
        }
        // Lost the lease while starting: stop again at once.
        if (!elector?.isLeader && running) await stopWithin();
      });
    },
    onStoppedLeading: () => {
      if (stopped) return;
      logger.warn('leader election: lost the lease; stopping the controllers and node agent', { identity });
      transition = transition.then(stopWithin);
    },
    onNewLeader: (holder) => logger.info('leader election: new leader', { leader: holder, identity }),
    onError: (err) => logger.warn(`leader election: ${(err as Error)?.message ?? err}`),
  });

  async function stopWithin(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        stopLeading(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`stopping took longer than ${stopTimeoutMs} ms`)), stopTimeoutMs);
        }),
      ]);
    } catch (err) {
      fatal(err);
    } finally {
      clearTimeout(timer);
    }
  }

  elector.start();
  return rt;
}

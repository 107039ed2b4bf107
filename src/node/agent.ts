// The node agent: watches Pods bound to its node (binding unscheduled ones to itself, a one-node
// cluster) and runs each as sandboxed host processes through a launcher, reporting status as a kubelet.
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isApiError } from '../model/errors.js';
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import type { ImageMapConfig, ImageMapping } from './images.js';
import { InProcessLauncher, type Launcher, type LauncherEvent, SplitLauncher, helperPool, locateNodeAsset } from './launcher.js';
import { type Logger, type PodHook, PodRunner } from './pod-runner.js';
import { findBwrap } from './sandbox.js';
import { WarmSandboxes } from './warm-pool.js';
import { availableParallelism } from 'node:os';
import type { Pod } from './types.js';

export interface NodeAgentOptions {
  client: Client;
  nodeName?: string;
  dataDir: string;
  imageMap?: ImageMapConfig;
  sandbox?: 'auto' | 'bwrap' | 'none';
  hooks?: PodHook[];
  logger?: Logger;
  /**
   * Where processes are started from: warm sandboxes from the agent's own process and the rest from
   * small helper processes ('split', the default: see SplitLauncher), all from helpers, or all in-process.
   */
  launcher?: 'split' | 'inprocess' | 'helper';
  /**
   * With bwrap: run Pods that have one container and no volumes in sandboxes kept from Pod to Pod
   * (default true; see warm-pool.ts). They see the node's name as their kernel hostname.
   */
  warmSandboxes?: boolean;
}

const consoleLogger: Logger = {
  info: () => {},
  warn: (msg) => console.warn(`argosy node: ${msg}`),
  error: (msg) => console.error(`argosy node: ${msg}`),
};

let warnedNoBwrap = false;

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export class NodeAgent {
  readonly nodeName: string;
  private readonly logger: Logger;
  private launcher?: Launcher;
  private informer?: Informer<Pod>;
  private runners = new Map<string, PodRunner>(); // pod uid → runner
  private groups = new Map<string, PodRunner>(); // launcher gid → runner
  private gidSeq = 0;
  private shimDirs = new Map<string, Promise<string>>();
  private bwrap?: string;
  private warm?: WarmSandboxes;
  private binding = new Set<string>();

  constructor(private readonly opts: NodeAgentOptions) {
    this.nodeName = opts.nodeName ?? 'argosy-node';
    this.logger = opts.logger ?? consoleLogger;
  }

  async start(): Promise<void> {
    const mode = this.opts.sandbox ?? 'auto';
    if (mode !== 'none') {
      this.bwrap = findBwrap();
      if (!this.bwrap) {
        if (mode === 'bwrap') throw new Error('argosy node: sandbox "bwrap" was asked for but bubblewrap is not installed (install the bubblewrap package, or use sandbox: "none")');
        if (!warnedNoBwrap) {
          warnedNoBwrap = true;
          this.logger.warn('bubblewrap (bwrap) is not installed: pods run as plain host processes without a sandbox (no private /tmp, no volume mounts)');
        }
      }
    }
    await mkdir(join(this.opts.dataDir, 'pods'), { recursive: true });
    const kind = this.opts.launcher ?? 'split';
    this.launcher = kind === 'inprocess' ? new InProcessLauncher() : kind === 'helper' ? helperPool() : new SplitLauncher();
    await this.launcher.start((ev) => this.onLauncherEvent(ev));
    if (this.bwrap && this.opts.warmSandboxes !== false) {
      // Enough slots to keep every core busy with short steps while this process is busy with their
      // news; more Pods at once queue for one while slots turn over. On 2 cores the fan of 1,000 `true`
      // Pods took 2.35 s with 4 slots, 2.07 s with 8, 2.0 s with 16 or 32 and 2.45 s with 64 (each new
      // slot is a bwrap start).
      const max = Math.min(32, 8 * availableParallelism());
      this.warm = new WarmSandboxes({ dataDir: this.opts.dataDir, bwrap: this.bwrap, launcher: this.launcher, hostname: this.nodeName, max, logger: this.logger });
    }
    this.informer = new Informer<Pod>(this.opts.client, Kinds.Pod).on({
      add: (pod) => this.onPod(pod),
      update: (_old, pod) => this.onPod(pod),
      delete: (pod) => this.onPodDeleted(pod),
    });
    await this.informer.start();
  }

  async stop(): Promise<void> {
    this.informer?.stop();
    this.informer = undefined;
    for (const r of this.runners.values()) r.detach();
    this.warm?.stop();
    this.warm = undefined;
    await this.launcher?.stop();
    this.launcher = undefined;
    this.runners.clear();
    this.groups.clear();
  }

  private onLauncherEvent(ev: LauncherEvent): void {
    this.groups.get(ev.gid)?.onLauncherEvent(ev);
  }

  private onPod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      if (!isTerminal(pod) && !pod.metadata.deletionTimestamp) void this.bind(pod);
      return;
    }
    if (nodeName !== this.nodeName) return;
    const existing = this.runners.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    if (isTerminal(pod) || pod.metadata.deletionTimestamp) return;
    this.run(pod);
  }

  private supervisorPath?: string;

  private run(pod: Pod): void {
    const runner = new PodRunner(pod, {
      client: this.opts.client,
      dataDir: this.opts.dataDir,
      nodeName: this.nodeName,
      imageMap: this.opts.imageMap,
      bwrap: this.bwrap,
      hooks: this.opts.hooks ?? [],
      logger: this.logger,
      launcher: this.launcher!,
      register: (gid, r) => this.groups.set(gid, r),
      unregister: (gid) => this.groups.delete(gid),
      nextGid: () => `g${++this.gidSeq}`,
      shimDir: (pattern, mapping) => this.shimDir(pattern, mapping),
      supervisorPath: (this.supervisorPath ??= locateNodeAsset('supervisor.mjs')),
      warm: this.warm,
    });
    this.runners.set(pod.metadata.uid!, runner);
    void runner.start();
  }

  /** A one-node cluster: an unscheduled Pod is bound here. */
  private async bind(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid!;
    if (this.binding.has(uid)) return;
    this.binding.add(uid);
    try {
      const bound = await this.opts.client.update<Pod>({ ...pod, spec: { ...pod.spec, nodeName: this.nodeName } });
      if (!this.runners.has(uid) && this.informer) this.run(bound);
    } catch (err) {
      // Conflict: someone else changed it; the watch brings the new version and we try again.
      if (!isApiError(err, 'Conflict') && !isApiError(err, 'NotFound')) this.logger.error(`binding pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(err as Error).message}`);
    } finally {
      this.binding.delete(uid);
    }
  }

  private onPodDeleted(pod: Pod): void {
    const runner = this.runners.get(pod.metadata.uid!);
    if (!runner) return;
    this.runners.delete(pod.metadata.uid!);
    runner.remove(pod);
  }

  private shimDir(pattern: string, mapping: ImageMapping): Promise<string> {
    let p = this.shimDirs.get(pattern);
    if (!p) {
      p = (async () => {
        const hash = createHash('sha256').update(pattern + JSON.stringify(mapping)).digest('hex').slice(0, 12);
        const dir = join(this.opts.dataDir, 'images', `${pattern.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`);
        await mkdir(dir, { recursive: true });
        for (const [name, target] of Object.entries(mapping.shims ?? {})) {
          await writeFile(join(dir, name), `#!/bin/sh\nexec ${target} "$@"\n`);
          await chmod(join(dir, name), 0o755);
        }
        for (const [name, body] of Object.entries(mapping.scripts ?? {})) {
          await writeFile(join(dir, name), body);
          await chmod(join(dir, name), 0o755);
        }
        return dir;
      })();
      this.shimDirs.set(pattern, p);
    }
    return p;
  }
}

// One Pod on this node: prepare its directories and volumes, run its containers in one sandbox,
// and write its status as the kubelet would.
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isApiError } from '../model/errors.js';
import { type KObject, rfc3339 } from '../model/object.js';
import type { Client } from '../client/types.js';
import { ConfigError, type RefSource, containerEnv, expand } from './env.js';
import { type ImageMapConfig, type ImageMapping, resolveImage, unmappedImageMessage } from './images.js';
import type { Launcher, LauncherEvent, WarmSlotSpec } from './launcher.js';
import { readStdout } from './logs.js';
import { bwrapArgs, prepareRootfsSync } from './sandbox.js';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from './types.js';
import { type Bind, type PreparedVolume, containerBinds, podDirOf, prepareVolumes, resolveHostPath } from './volumes.js';
import type { WarmSandboxes } from './warm-pool.js';

export interface Logger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export interface PodContext {
  pod: KObject;
  podDir: string;
  hostPath(container: string, path: string): string;
  readStdout(container: string): Promise<string>;
  client: Client;
}

export interface ContainerEndState {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
}

export interface PodHook {
  beforeStart?(ctx: PodContext): Promise<void>;
  afterContainer?(ctx: PodContext, container: string, state: ContainerEndState): Promise<void>;
}

export interface RunnerEnv {
  client: Client;
  dataDir: string;
  nodeName: string;
  imageMap?: ImageMapConfig;
  bwrap?: string; // undefined: sandbox 'none'
  hooks: PodHook[];
  logger: Logger;
  launcher: Launcher;
  register(gid: string, runner: PodRunner): void;
  unregister(gid: string): void;
  nextGid(): string;
  /** Host directory holding an image mapping's shims. */
  shimDir(pattern: string, mapping: ImageMapping): Promise<string>;
  supervisorPath: string;
  /** Warm sandboxes to run simple Pods in (with bwrap), when enabled. */
  warm?: WarmSandboxes;
}

export const POD_IP = '127.0.0.1';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const KILL_SIDECARS_ANNOTATION = 'workflows.argoproj.io/kill-sidecars-after-main';
const MAIN_CONTAINERS_ANNOTATION = 'argosy.io/main-containers';
const WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';
const RESTART_MARKER = 'argosy: the node agent restarted; the pod runs again from the start';
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';
const MAX_GRACE_SECONDS = 30;
/** Environment names a shell can export (a warm sandbox passes the environment through one). */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Kind = 'init' | 'sidecar' | 'regular';

interface Run {
  spec: Container;
  kind: Kind;
  status: ContainerStatus;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  binds: Bind[];
  running: boolean;
  launched: boolean;
  /** Ended for good (no restart will follow). */
  done: boolean;
  gid?: string; // direct mode: the sandbox running this container
  restartTimer?: NodeJS.Timeout;
  marker?: string;
  /** The last run's stdout, when the launcher kept it (warm sandboxes; not past 256 KiB). */
  stdout?: string;
}

const isTerminal = (phase?: string) => phase === 'Succeeded' || phase === 'Failed';

export class PodRunner {
  pod: Pod;
  readonly podDir: string;
  private readonly logDir: string;
  private readonly exitDir: string;
  /** The Pod's root: `<podDir>/rootfs`, or its warm sandbox's while it runs in one. */
  rootfs: string;
  private slot?: WarmSlotSpec;
  /** The slot root's change times when its container ended (WarmSandboxes.release). */
  private slotTimes?: string[];
  private runs: Run[] = [];
  private byName = new Map<string, Run>();
  private volumes = new Map<string, PreparedVolume>();
  private allBinds: Bind[] = [];
  private mode: 'direct' | 'supervisor' = 'direct';
  private podGid?: string;
  private phase: PodStatus['phase'] = 'Pending';
  private reason?: string;
  private message?: string;
  private startTime?: string;
  private conditions = new Map<string, { status: 'True' | 'False'; time: string }>();
  private initIndex = 0;
  private started = false;
  private finished = false;
  /** Set once the pod is being torn down (main ended, deadline, deletion): no restarts from here. */
  private stopping?: { why: 'mains' | 'deadline' | 'delete' | 'initFailed' | 'completed' };
  private finalPhase?: 'Succeeded' | 'Failed';
  private deleted = false;
  private timers = new Set<NodeJS.Timeout>();
  private reportTimer?: NodeJS.Timeout;
  private configRetry = 0;
  private prepared = false;
  private skeletonPending = false;
  private rootfsReady = false;
  private startMs = Date.now();
  private deadlineTimer?: NodeJS.Timeout;
  private detached = false;
  private writer = { busy: false, dirty: false, scheduled: false };
  private shimDirs = new Map<string, string>(); // pattern → in-sandbox dir
  private extraRo: { source: string; target: string }[] = [];

  constructor(pod: Pod, private readonly env: RunnerEnv) {
    this.pod = pod;
    this.podDir = podDirOf(env.dataDir, pod);
    // (The pod dir is normalized: plain concatenation, not path.join, on this path taken by every Pod.)
    this.rootfs = `${this.podDir}/rootfs`;
    this.logDir = `${this.podDir}/logs`;
    this.exitDir = `${this.podDir}/exits`;
  }

  private get name() {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private get restartPolicy() {
    return this.pod.spec.restartPolicy ?? 'Always';
  }

  get isFinished() {
    return this.finished;
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    try {
      await this.prepareAndRun();
    } catch (err) {
      this.env.logger.error(`pod ${this.name}: ${(err as Error).message}`, { pod: this.name });
      this.failPod('Failed', (err as Error).message, 'StartError');
    }
  }

  private async prepareAndRun(): Promise<void> {
    const spec = this.pod.spec;
    this.runs = [];
    for (const c of spec.initContainers ?? []) this.runs.push(this.newRun(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'));
    for (const c of spec.containers ?? []) this.runs.push(this.newRun(c, 'regular'));
    this.byName = new Map(this.runs.map((r) => [r.spec.name, r]));
    this.startTime = (this.pod.status?.startTime as string | undefined) ?? rfc3339();
    // startTime has second precision; the deadline counts from the precise moment when it is ours.
    this.startMs = this.pod.status?.startTime ? Date.parse(this.startTime) : Date.now();

    // A pod dir that already exists means an earlier agent ran this pod: report what it recorded, or re-run.
    let existed = false;
    if (this.prepared) {
      // a retry (e.g. after a missing ConfigMap): the directory is ours
    } else try {
      // Tiny filesystem calls are much cheaper done directly than through the thread pool.
      mkdirSync(this.podDir, { recursive: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') existed = true;
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') mkdirSync(this.podDir, { recursive: true });
      else throw err;
    }
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(this.exitDir, { recursive: true });
    if (!this.env.bwrap) mkdirSync(join(this.rootfs, 'root'), { recursive: true });
    else if (this.prepared) {
      // a retry: the rootfs is as the first pass left it
    } else if (existed) prepareRootfsSync(this.rootfs);
    else {
      // A fresh pod: the first sandbox builds the rootfs skeleton itself (see rootfsSkeletonArgs), or
      // the pod runs in a warm sandbox and needs no rootfs of its own (made below when it does).
      this.skeletonPending = true;
    }
    this.prepared = true;
    if (existed && (await this.adoptRecords())) return;

    // Images
    for (const r of this.runs) {
      const image = r.spec.image ?? '';
      const resolved = resolveImage(image, this.env.imageMap);
      if (!resolved) {
        const message = unmappedImageMessage(image);
        r.status.state = { waiting: { reason: 'ImageNotMapped', message } };
        this.failPod('Failed', message, 'ImageNotMapped');
        return;
      }
      await this.applyImage(r, resolved.pattern, resolved.mapping);
    }

    // Volumes and environment: a missing ConfigMap/Secret keeps the pod Pending, retried with backoff.
    try {
      const refs = this.refSource();
      this.volumes = await prepareVolumes(this.pod, this.podDir, this.env.dataDir, refs);
      for (const r of this.runs) await this.resolveContainer(r, refs);
    } catch (err) {
      if (err instanceof ConfigError) return this.configFailed(err);
      throw err;
    }
    this.allBinds = [];
    const seen = new Set<string>();
    for (const r of this.runs) for (const b of r.binds) if (!seen.has(b.target)) (seen.add(b.target), this.allBinds.push(b));
    if (this.skeletonPending && !this.slot && !this.rootfsReady && !(await this.useWarmSlot())) {
      mkdirSync(this.rootfs);
      this.rootfsReady = true;
    }
    for (const b of this.allBinds) if (!b.file) mkdirIfMissing(b.source);
    // (The root itself is there by now: the slot's, or the Pod's own made above.)
    for (const r of this.runs) if (r.cwd !== '/') mkdirIfMissing(this.hostPath(r.spec.name, r.cwd));

    if (existed) {
      for (const r of this.runs) r.marker = RESTART_MARKER;
      await Promise.all(this.runs.map((r) => rm(join(this.exitDir, `${r.spec.name}.json`), { force: true })));
    }

    for (const hook of this.env.hooks) {
      if (!hook.beforeStart) continue;
      try {
        await hook.beforeStart(this.context());
      } catch (err) {
        this.failPod('Failed', (err as Error).message);
        return;
      }
    }
    if (this.deleted || this.finished || this.detached) return this.releaseSlot();

    this.started = true;
    this.armDeadline();
    this.mode = this.runs.length === 1 ? 'direct' : 'supervisor';
    if (this.mode === 'supervisor') this.startSupervisor();
    this.advance();
    // No write here: the 'started' event (or the exit) writes the first status, one write fewer per pod.
  }

  /**
   * A Pod with one container and nothing to mount runs in a warm sandbox (warm-pool.ts), when one is
   * free or comes free soon: no sandbox of its own to start. True when it got one.
   */
  private async useWarmSlot(): Promise<boolean> {
    const warm = this.env.warm;
    if (!warm || this.runs.length !== 1 || this.allBinds.length) return false;
    if (!Object.keys(this.runs[0].env).every((k) => SHELL_NAME.test(k))) return false;
    const got = warm.acquire();
    const slot = got instanceof Promise ? await got : got;
    if (!slot) return false;
    if (this.deleted || this.finished || this.detached) {
      warm.release(slot);
      return false;
    }
    warm.claim(slot, this.podDir);
    this.slot = slot;
    this.rootfs = slot.rootfs;
    return true;
  }

  /** Done with the warm sandbox (containers exited, outputs read): the next Pod may have it. */
  private releaseSlot(): void {
    const slot = this.slot;
    if (!slot) return;
    this.slot = undefined;
    this.env.warm?.release(slot, this.slotTimes);
  }

  private newRun(c: Container, kind: Kind): Run {
    return {
      spec: c,
      kind,
      status: {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { reason: kind === 'regular' && (this.pod.spec.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating' } },
        lastState: {},
      },
      argv: [],
      env: {},
      cwd: '/',
      binds: [],
      running: false,
      launched: false,
      done: false,
    };
  }

  private refSource(): RefSource {
    const get = async (kind: { apiVersion: string; kind: string }, ns: string, name: string) => {
      try {
        return await this.env.client.get(kind, name, ns);
      } catch (err) {
        if (isApiError(err, 'NotFound')) return undefined;
        throw err;
      }
    };
    return {
      configMap: (ns, name) => get({ apiVersion: 'v1', kind: 'ConfigMap' }, ns, name),
      secret: (ns, name) => get({ apiVersion: 'v1', kind: 'Secret' }, ns, name),
    };
  }

  private async applyImage(r: Run, pattern: string, mapping: ImageMapping): Promise<void> {
    const hasShims = Object.keys(mapping.shims ?? {}).length + Object.keys(mapping.scripts ?? {}).length > 0;
    let path = DEFAULT_PATH;
    if (hasShims) {
      let inside = this.shimDirs.get(pattern);
      if (!inside) {
        const host = await this.env.shimDir(pattern, mapping);
        // Named as under <dataDir>/images, which a warm sandbox binds whole at /.argosy/images.
        inside = this.env.bwrap ? `/.argosy/images/${basename(host)}` : host;
        if (this.env.bwrap) this.extraRo.push({ source: host, target: inside });
        this.shimDirs.set(pattern, inside);
      }
      path = `${inside}:${DEFAULT_PATH}`;
    }
    r.env = { PATH: path, ...(mapping.env ?? {}) };
    const c = r.spec;
    r.argv = c.command?.length ? [...c.command, ...(c.args ?? [])] : [...(mapping.entrypoint ?? []), ...(c.args ?? mapping.cmd ?? [])];
  }

  private async resolveContainer(r: Run, refs: RefSource): Promise<void> {
    const c = r.spec;
    const own = await containerEnv(this.pod, c, refs);
    r.env = {
      ...r.env,
      HOSTNAME: this.pod.metadata.name ?? '',
      HOME: this.env.bwrap ? '/root' : join(this.rootfs, 'root'),
      ...own,
    };
    r.argv = r.argv.map((a) => expand(a, own));
    if (!r.argv.length) throw new ConfigError(`container "${c.name}" has no command: set command/args or map image "${c.image}" with a cmd`);
    r.cwd = c.workingDir || (this.env.bwrap ? '/' : this.rootfs);
    r.binds = this.env.bwrap ? containerBinds(c, this.volumes) : [];
  }

  private configFailed(err: ConfigError): void {
    // As the kubelet: the pod stays Pending and the container waits with the reason; we retry.
    for (const r of this.runs) if (r.status.state.waiting) r.status.state = { waiting: { reason: err.reason, message: err.message } };
    this.message = undefined;
    this.markDirty();
    const delay = Math.min(500 * 2 ** this.configRetry++, 10_000);
    this.timer(() => void this.start(), delay);
  }

  // ── running containers ──────────────────────────────────────────────────────────────────────

  private sandboxArgs(extraRw: { source: string; target: string }[] = []): string[] {
    const skeleton = this.skeletonPending;
    this.skeletonPending = false;
    return bwrapArgs({ bwrap: this.env.bwrap!, rootfs: this.rootfs, hostname: this.pod.metadata.name ?? 'pod', binds: this.allBinds, extraRo: this.extraRo, extraRw, skeleton });
  }

  private startSupervisor(): void {
    const gid = this.env.nextGid();
    this.podGid = gid;
    this.env.register(gid, this);
    const { logDir, exitDir } = this;
    let argv: string[];
    if (this.env.bwrap) {
      const node = process.execPath;
      argv = [
        ...this.sandboxArgs([
          { source: logDir, target: '/.argosy/logs' },
          { source: exitDir, target: '/.argosy/exits' },
        ]),
        '--ro-bind', dirname(this.env.supervisorPath), '/.argosy/lib',
        ...(node.startsWith('/usr/') ? [] : ['--ro-bind', node, '/.argosy/node']),
        '--chdir', '/',
        '--',
        node.startsWith('/usr/') ? node : '/.argosy/node',
        '--max-old-space-size=32',
        '/.argosy/lib/supervisor.mjs', '/.argosy/logs', '/.argosy/exits',
      ];
    } else {
      argv = [process.execPath, '--max-old-space-size=32', this.env.supervisorPath, logDir, exitDir];
    }
    this.env.launcher.send({ t: 'start', gid, mode: 'supervisor', argv, env: { PATH: DEFAULT_PATH }, cwd: this.env.bwrap ? undefined : this.rootfs, logDir, exitDir });
  }

  private launch(r: Run): void {
    r.running = true;
    r.launched = true;
    r.status.state = { waiting: { reason: 'ContainerCreating' } };
    const marker = r.marker;
    r.marker = undefined;
    if (this.mode === 'supervisor') {
      this.env.launcher.send({ t: 'exec', gid: this.podGid!, name: r.spec.name, argv: r.argv, env: r.env, cwd: r.cwd, marker });
      return;
    }
    const gid = this.env.nextGid();
    r.gid = gid;
    this.podGid = gid;
    this.env.register(gid, this);
    const { logDir, exitDir } = this;
    const clearExit = r.status.restartCount > 0;
    if (this.slot) {
      this.env.launcher.send({ t: 'start', gid, mode: 'direct', name: r.spec.name, argv: r.argv, env: r.env, cwd: r.cwd, logDir, exitDir, marker, clearExit, warm: this.env.warm!.startSpec(this.slot) });
      return;
    }
    const argv = this.env.bwrap ? [...this.sandboxArgs(), '--chdir', r.cwd, '--', ...r.argv] : r.argv;
    this.env.launcher.send({ t: 'start', gid, mode: 'direct', name: r.spec.name, argv, env: r.env, cwd: this.env.bwrap ? undefined : r.cwd, logDir, exitDir, marker, clearExit });
  }

  /** Start whatever should run next: init containers in order, then the main containers and sidecars. */
  private advance(): void {
    if (this.stopping || this.finished) return;
    const inits = this.runs.filter((r) => r.kind !== 'regular');
    while (this.initIndex < inits.length) {
      const r = inits[this.initIndex];
      if (r.kind === 'sidecar') {
        if (!r.launched) this.launch(r);
        this.initIndex++;
        continue;
      }
      if (r.done && r.status.state.terminated?.exitCode === 0) {
        this.initIndex++;
        continue;
      }
      if (!r.launched) this.launch(r);
      return;
    }
    if (this.phase === 'Pending') this.phase = 'Running';
    for (const r of this.runs) if (r.kind === 'regular' && !r.launched) this.launch(r);
  }

  onLauncherEvent(ev: LauncherEvent): void {
    if (this.detached) return;
    if (ev.t === 'groupExited') {
      this.env.unregister(ev.gid);
      if (this.mode === 'supervisor' && ev.gid === this.podGid) {
        // The sandbox ended: anything still marked running was killed with it.
        for (const r of this.runs) if (r.running) void this.onExit(r, { exitCode: 137, startedAt: r.status.state.running?.startedAt ?? rfc3339(), finishedAt: new Date().toISOString() });
      }
      return;
    }
    if (ev.t === 'error') {
      this.env.logger.error(`pod ${this.name}: launcher: ${ev.message}`);
      return;
    }
    const r = this.byName.get(ev.name);
    if (!r) return;
    if (ev.t === 'started') {
      if (!r.running) return;
      if (this.slot) this.env.warm?.started(this.slot);
      r.status.state = { running: { startedAt: rfc3339(new Date(ev.startedAt)) } };
      r.status.started = true;
      r.status.containerID = `argosy://${this.pod.metadata.uid}/${r.spec.name}/${r.status.restartCount}`;
      this.markDirty();
    } else if (ev.t === 'exited') {
      // The warm sandbox's root as the (last) container left it: the release compares it with the snapshot.
      if (this.slot) {
        this.slotTimes = ev.rootTimes;
        this.env.warm?.exited(this.slot);
      }
      r.stdout = ev.stdout;
      void this.onExit(r, ev);
    }
  }

  private async onExit(r: Run, ev: { exitCode: number; startedAt: string; finishedAt: string; message?: string; startError?: boolean }): Promise<void> {
    if (!r.running) return;
    r.running = false;
    r.gid = undefined;
    const state: ContainerEndState = {
      exitCode: ev.exitCode,
      reason: ev.startError ? 'StartError' : ev.exitCode === 0 ? 'Completed' : 'Error',
      startedAt: rfc3339(new Date(ev.startedAt)),
      finishedAt: rfc3339(new Date(ev.finishedAt)),
    };
    for (const hook of this.env.hooks) {
      if (!hook.afterContainer) continue;
      try {
        await hook.afterContainer(this.context(), r.spec.name, state);
      } catch (err) {
        this.env.logger.error(`pod ${this.name}: afterContainer hook for ${r.spec.name}: ${(err as Error).message}`);
      }
    }
    r.status.state = { terminated: { ...state, ...(ev.message ? { message: ev.message } : {}), containerID: r.status.containerID } };
    r.status.started = false;
    r.status.ready = false;
    if (this.stopping) {
      r.done = true;
      return this.maybeFinish();
    }
    const failed = ev.exitCode !== 0;
    const policy = r.kind === 'sidecar' ? 'Always' : this.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && failed);
    if (restart) return this.scheduleRestart(r);
    r.done = true;
    if (r.kind === 'init') {
      if (failed) {
        this.phase = 'Failed';
        return this.stopAll('initFailed', 0);
      }
      this.advance();
      this.markDirty();
      return;
    }
    this.checkCompletion();
    this.markDirty();
  }

  private scheduleRestart(r: Run): void {
    const delay = Math.min(100 * 2 ** r.status.restartCount, 5_000);
    r.status.lastState = { terminated: r.status.state.terminated! };
    r.status.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay}ms restarting failed container=${r.spec.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})` } };
    this.markDirty();
    r.restartTimer = this.timer(() => {
      r.restartTimer = undefined;
      if (this.stopping || this.finished) return;
      r.status.restartCount++;
      this.launch(r);
    }, delay);
  }

  /** Argo pods end with their main container(s); plain pods when all their containers have. */
  private mainNames(): string[] | undefined {
    const md = this.pod.metadata;
    const argo = md.annotations?.[KILL_SIDECARS_ANNOTATION] === 'true' || md.labels?.[WORKFLOW_LABEL] !== undefined || md.annotations?.[MAIN_CONTAINERS_ANNOTATION];
    if (!argo) return undefined;
    const listed = md.annotations?.[MAIN_CONTAINERS_ANNOTATION]?.split(',').map((s) => s.trim()).filter(Boolean);
    if (listed?.length) return listed;
    if (this.byName.get('main')?.kind === 'regular') return ['main'];
    return undefined;
  }

  private checkCompletion(): void {
    const mains = this.mainNames();
    const deciding = mains ? this.runs.filter((r) => mains.includes(r.spec.name)) : this.runs.filter((r) => r.kind === 'regular');
    if (!deciding.every((r) => r.done)) return;
    const ok = deciding.every((r) => r.status.state.terminated?.exitCode === 0);
    this.finalPhase = ok ? 'Succeeded' : 'Failed';
    this.stopAll(mains ? 'mains' : 'completed', this.graceSeconds());
  }

  private graceSeconds(): number {
    const dg = this.pod.metadata.deletionGracePeriodSeconds;
    const g = dg && dg > 0 ? dg : this.pod.spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, Math.min(g, MAX_GRACE_SECONDS));
  }

  /** Stop every running container: TERM, then KILL after the grace period. */
  private stopAll(why: NonNullable<PodRunner['stopping']>['why'], graceSeconds: number): void {
    if (!this.stopping) this.stopping = { why };
    for (const r of this.runs) {
      if (r.restartTimer) {
        clearTimeout(r.restartTimer);
        r.restartTimer = undefined;
        r.done = true;
      }
      if (!r.running) r.done = true;
    }
    const running = this.runs.filter((r) => r.running);
    if (!running.length) return this.maybeFinish();
    const sig = graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL';
    if (this.mode === 'supervisor') {
      for (const r of running) this.env.launcher.send({ t: 'signal', gid: this.podGid!, name: r.spec.name, sig });
    } else {
      for (const r of running) if (r.gid) this.env.launcher.send({ t: 'signal', gid: r.gid, sig });
    }
    if (graceSeconds > 0) {
      this.timer(() => {
        if (this.mode === 'supervisor') {
          for (const r of this.runs) if (r.running) this.env.launcher.send({ t: 'signal', gid: this.podGid!, name: r.spec.name, sig: 'SIGKILL' });
        } else for (const r of this.runs) if (r.running && r.gid) this.env.launcher.send({ t: 'kill', gid: r.gid });
      }, graceSeconds * 1000);
    }
    this.markDirty();
  }

  private maybeFinish(): void {
    if (this.finished || this.runs.some((r) => r.running)) {
      this.markDirty();
      return;
    }
    this.finished = true;
    this.releaseSlot();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.mode === 'supervisor' && this.podGid) this.env.launcher.send({ t: 'endSupervisor', gid: this.podGid });
    const why = this.stopping?.why;
    if (why === 'deadline') {
      this.phase = 'Failed';
      this.reason = 'DeadlineExceeded';
      this.message = DEADLINE_MESSAGE;
    } else if (why === 'initFailed') {
      this.phase = 'Failed';
    } else if (why === 'delete') {
      this.phase = this.finalPhase ?? (this.runs.filter((r) => r.kind === 'regular').every((r) => r.status.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed');
    } else {
      this.phase = this.finalPhase ?? 'Failed';
    }
    if (this.deleted) {
      void rm(this.podDir, { recursive: true, force: true }).catch(() => {});
      return;
    }
    this.markDirty();
  }

  private armDeadline(): void {
    const ads = this.pod.spec.activeDeadlineSeconds;
    if (!ads || ads <= 0) return;
    const ms = this.startMs + ads * 1000 - Date.now();
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = this.timer(() => {
      if (this.finished || this.stopping) return;
      this.env.logger.info(`pod ${this.name}: active deadline of ${ads}s exceeded`);
      this.stopAll('deadline', this.graceSeconds());
    }, Math.max(0, ms));
  }

  private failPod(phase: 'Failed', message: string, reason?: string): void {
    this.phase = phase;
    this.message = message;
    this.reason = reason;
    this.stopping ??= { why: 'completed' };
    this.finalPhase = 'Failed';
    if (this.runs.some((r) => r.running)) return this.stopAll('completed', 0);
    this.finished = true;
    this.releaseSlot();
    for (const t of this.timers) clearTimeout(t);
    this.markDirty();
  }

  // ── updates from the API ───────────────────────────────────────────────────────────────────

  /** The Pod changed (or is being deleted). */
  update(pod: Pod): void {
    const deadlineBefore = this.pod.spec.activeDeadlineSeconds;
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) return this.terminate(false);
    // A controller may shorten the deadline to stop a running pod (as Argo does).
    if (this.started && !this.finished && pod.spec.activeDeadlineSeconds !== deadlineBefore) this.armDeadline();
  }

  /** The Pod is gone from the store. */
  remove(pod: Pod): void {
    this.pod = pod;
    this.terminate(true);
  }

  private terminate(gone: boolean): void {
    if (gone) this.deleted = true;
    if (this.finished) {
      if (gone) void rm(this.podDir, { recursive: true, force: true }).catch(() => {});
      return;
    }
    if (!this.started) {
      this.stopping ??= { why: 'delete' };
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.finished = true;
    this.releaseSlot();
      if (gone) void rm(this.podDir, { recursive: true, force: true }).catch(() => {});
      else this.markDirty();
      return;
    }
    if (this.stopping?.why === 'delete') return;
    this.stopping = { why: 'delete' };
    this.stopAll('delete', this.graceSeconds());
  }

  // ── agent restarts ─────────────────────────────────────────────────────────────────────────

  /** Report exits an earlier agent recorded, when they decide the pod. True when the pod is done. */
  private async adoptRecords(): Promise<boolean> {
    const exitDir = this.exitDir;
    const records = new Map<string, { exitCode: number; startedAt: string; finishedAt: string; message?: string; startError?: boolean }>();
    for (const f of await readdir(exitDir).catch(() => [] as string[])) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        records.set(f.slice(0, -5), JSON.parse(await readFile(join(exitDir, f), 'utf8')));
      } catch {
        // a torn record: ignore it
      }
    }
    if (!records.size) return false;
    const mains = this.mainNames();
    const failedInit = this.restartPolicy === 'Never' && this.runs.some((r) => r.kind === 'init' && (records.get(r.spec.name)?.exitCode ?? 0) !== 0);
    const deciding = mains ? this.runs.filter((r) => mains.includes(r.spec.name)) : this.runs.filter((r) => r.kind === 'regular');
    const decided = deciding.every((r) => records.has(r.spec.name) && (this.restartPolicy === 'Never' || (this.restartPolicy === 'OnFailure' && records.get(r.spec.name)!.exitCode === 0)));
    if (!failedInit && !decided) return false;
    for (const r of this.runs) {
      const rec = records.get(r.spec.name);
      const end = rec ?? { exitCode: 137, startedAt: this.startTime!, finishedAt: new Date().toISOString(), message: 'stopped when the node agent restarted' };
      r.status.state = {
        terminated: {
          exitCode: end.exitCode,
          reason: end.startError ? 'StartError' : end.exitCode === 0 ? 'Completed' : 'Error',
          ...(end.message ? { message: end.message } : {}),
          startedAt: rfc3339(new Date(end.startedAt)),
          finishedAt: rfc3339(new Date(end.finishedAt)),
        },
      };
      r.done = true;
    }
    this.started = true;
    this.finished = true;
    this.releaseSlot();
    this.phase = failedInit ? 'Failed' : deciding.every((r) => records.get(r.spec.name)?.exitCode === 0) ? 'Succeeded' : 'Failed';
    this.env.logger.info(`pod ${this.name}: reporting exits recorded before the agent restarted`);
    this.markDirty();
    return true;
  }

  // ── context for hooks ──────────────────────────────────────────────────────────────────────

  hostPath(container: string, path: string): string {
    if (!this.env.bwrap) return path;
    const own = this.byName.get(container)?.binds ?? [];
    return resolveHostPath(path, [...own, ...this.allBinds.filter((b) => !own.some((o) => o.target === b.target))], this.rootfs);
  }

  context(): PodContext {
    return {
      pod: this.pod,
      podDir: this.podDir,
      hostPath: (c, p) => this.hostPath(c, p),
      readStdout: async (c) => this.byName.get(c)?.stdout ?? readStdout(this.env.dataDir, this.pod, c),
      client: this.env.client,
    };
  }

  // ── status ─────────────────────────────────────────────────────────────────────────────────

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
    const status = ok ? 'True' : 'False';
    const prev = this.conditions.get(type) ?? this.existingCondition(type);
    const time = prev && prev.status === status ? prev.time : rfc3339();
    this.conditions.set(type, { status, time });
    return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(ok ? {} : { reason, message }) };
  }

  private existingCondition(type: string) {
    const c = this.pod.status?.conditions?.find((x) => x.type === type);
    return c ? { status: c.status, time: c.lastTransitionTime } : undefined;
  }

  buildStatus(): PodStatus {
    const terminal = this.finished && isTerminal(this.phase);
    const inits = this.runs.filter((r) => r.kind !== 'regular');
    const regulars = this.runs.filter((r) => r.kind === 'regular');
    for (const r of this.runs) r.status.ready = !terminal && r.running && r.status.started;
    const notInit = inits.filter((r) => (r.kind === 'init' ? !(r.done && r.status.state.terminated?.exitCode === 0) : !r.status.started && !r.done));
    const unready = [...inits.filter((r) => r.kind === 'sidecar'), ...regulars].filter((r) => !r.status.ready);
    const names = (rs: Run[]) => `[${rs.map((r) => r.spec.name).join(' ')}]`;
    const conditions = [
      this.condition('Initialized', notInit.length === 0, 'ContainersNotInitialized', `containers with incomplete status: ${names(notInit)}`),
      this.condition('Ready', unready.length === 0, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : `containers with unready status: ${names(unready)}`),
      this.condition('ContainersReady', unready.length === 0, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : `containers with unready status: ${names(unready)}`),
      this.condition('PodScheduled', true),
    ];
    for (const c of conditions) if (c.message === undefined) delete c.message;
    const status: PodStatus = {
      phase: this.phase,
      conditions,
      ...(this.message ? { message: this.message } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      podIP: POD_IP,
      podIPs: [{ ip: POD_IP }],
      startTime: this.startTime ?? rfc3339(),
      ...(inits.length ? { initContainerStatuses: inits.map((r) => this.publicStatus(r)) } : {}),
      containerStatuses: regulars.map((r) => this.publicStatus(r)),
      qosClass: 'BestEffort',
    };
    return status;
  }

  private publicStatus(r: Run): ContainerStatus {
    const s = r.status;
    const out: ContainerStatus = { ...s, state: { ...s.state } as ContainerState, lastState: { ...s.lastState } };
    if (!out.containerID) delete out.containerID;
    const t = out.state.terminated;
    if (t && !t.containerID) delete t.containerID;
    return out;
  }

  /** The agent is stopping: forget this pod without touching its status (its processes die with the launcher). */
  detach(): void {
    this.detached = true;
    if (this.reportTimer) clearTimeout(this.reportTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.runs) if (r.restartTimer) clearTimeout(r.restartTimer);
  }

  markDirty(): void {
    if (this.deleted || this.detached) return;
    this.writer.dirty = true;
    if (this.finished && this.reportTimer) {
      // A final status pre-empts a progress report still waiting to go out.
      clearTimeout(this.reportTimer);
      this.reportTimer = undefined;
      this.writer.scheduled = false;
    }
    if (this.writer.busy || this.writer.scheduled) return;
    this.writer.scheduled = true;
    const write = () => {
      this.reportTimer = undefined;
      this.writer.scheduled = false;
      void this.flush();
    };
    // A final status goes out at once (exits landing in the same turn coalesce). A progress report
    // (Running) waits a moment, as a kubelet's would: a short container then goes straight to its
    // terminal status, one write instead of two.
    if (this.finished) setImmediate(write);
    else this.reportTimer = setTimeout(write, RUNNING_REPORT_DELAY_MS);
  }

  private async flush(): Promise<void> {
    if (this.writer.busy) return;
    this.writer.busy = true;
    try {
      while (this.writer.dirty && !this.deleted && !this.detached) {
        this.writer.dirty = false;
        const status = this.buildStatus();
        const terminal = this.finished && isTerminal(status.phase);
        await this.writeStatus(status);
        if (terminal) break;
      }
    } finally {
      this.writer.busy = false;
    }
  }

  private async writeStatus(status: PodStatus): Promise<void> {
    const md = this.pod.metadata;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // No resourceVersion: the agent owns Pod status, so the write is unconditional (uid-guarded).
        const written = await this.env.client.update<Pod>(
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: md.name, namespace: md.namespace, uid: md.uid }, spec: this.pod.spec, status },
          { subresource: 'status' },
        );
        if (written.metadata.uid === md.uid) this.pod = written;
        return;
      } catch (err) {
        if (isApiError(err, 'NotFound')) {
          this.deleted = true;
          return;
        }
        if (isApiError(err, 'Conflict')) {
          try {
            const fresh = await this.env.client.get<Pod>({ apiVersion: 'v1', kind: 'Pod' }, md.name!, md.namespace);
            if (fresh.metadata.uid !== md.uid) {
              this.deleted = true;
              return;
            }
            this.pod = fresh;
          } catch (e) {
            if (isApiError(e, 'NotFound')) {
              this.deleted = true;
              return;
            }
          }
          continue;
        }
        this.env.logger.error(`pod ${this.name}: status update failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
  }
}

/**
 * How long a Running report waits for an exit that would make it moot. Short: `submit` → Running is
 * a figure users feel (100 ms was tried: a busy fan-out still reported most Pods Running, since its
 * containers take longer than that from start to exit, while a single step showed Running 85 ms later).
 */
const RUNNING_REPORT_DELAY_MS = 15;

function mkdirIfMissing(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    /* reported when the container starts */
  }
}

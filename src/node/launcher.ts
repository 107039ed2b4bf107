// The agent's side of the launcher: one interface, three implementations. 'helper' runs launcher.mjs
// as small child processes so forks do not pay for the agent's (possibly large) heap; 'inprocess'
// loads the same module into the agent; 'split' (the default) drives warm sandboxes in-process and
// starts everything else through the helpers.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { importAsset } from './asset-import.js';

/** A warm sandbox kept from Pod to Pod (warm-slot.mjs): its number, root and bwrap command line. */
export interface WarmSlotSpec {
  slot: number;
  rootfs: string;
  /** bwrap and its options, without the command. */
  args: string[];
  /** The dirs whose change times say whether a Pod changed the root (sandbox.ts RootTimes). */
  kept?: string[];
}

export type LauncherCommand =
  | { t: 'start'; gid: string; mode: 'direct' | 'supervisor'; argv: string[]; env: Record<string, string>; cwd?: string; name?: string; logDir: string; exitDir: string; marker?: string; clearExit?: boolean; warm?: (WarmSlotSpec | { slot: number }) & { times?: boolean } }
  | { t: 'exec'; gid: string; name: string; argv: string[]; env: Record<string, string>; cwd?: string; marker?: string }
  | { t: 'signal'; gid: string; name?: string; sig: NodeJS.Signals }
  | { t: 'kill'; gid: string }
  | { t: 'endSupervisor'; gid: string }
  | { t: 'closeSlot'; slot: number };

export type LauncherEvent =
  | { t: 'started'; gid: string; name: string; pid?: number; startedAt: string }
  | { t: 'exited'; gid: string; name: string; exitCode: number; startedAt: string; finishedAt: string; message?: string; startError?: boolean; rootTimes?: string[]; stdout?: string }
  | { t: 'groupExited'; gid: string }
  | { t: 'error'; gid: string; message: string };

export interface Launcher {
  start(onEvent: (ev: LauncherEvent) => void): Promise<void>;
  send(cmd: LauncherCommand): void;
  /** Kill every sandbox without recording exits, and stop. */
  stop(): Promise<void>;
}

/** Find a plain-JS file that lives beside this module in src/node/ (works from src/ under vitest and from dist/). */
export function locateNodeAsset(file: string): string {
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../../src/node/${file}`, import.meta.url)];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  throw new Error(`argosy: cannot find ${file} (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')}); it ships in src/node/`);
}

interface LauncherCore {
  handle(msg: unknown): void;
  killAll(): void;
}

export class InProcessLauncher implements Launcher {
  private core?: LauncherCore;
  private onEvent: (ev: LauncherEvent) => void = () => {};
  private shutdownWaiter?: () => void;

  async start(onEvent: (ev: LauncherEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    const mod = await importAsset<{ createLauncherCore(emit: (ev: unknown) => void): LauncherCore }>(locateNodeAsset('launcher.mjs'));
    this.core = mod.createLauncherCore((ev) => {
      const e = ev as { t: string };
      if (e.t === 'shutdownDone') this.shutdownWaiter?.();
      else this.onEvent(ev as LauncherEvent);
    });
  }

  send(cmd: LauncherCommand): void {
    this.core?.handle(cmd);
  }

  async stop(): Promise<void> {
    if (!this.core) return;
    const done = new Promise<void>((r) => (this.shutdownWaiter = r));
    this.core.handle({ t: 'shutdown' });
    await done;
    this.core = undefined;
  }
}

export class HelperLauncher implements Launcher {
  private child?: ChildProcess;
  private onEvent: (ev: LauncherEvent) => void = () => {};
  private shutdownWaiter?: () => void;

  /** Spawns the helper at once (commands sent meanwhile wait in its stdin); resolves when it is ready. */
  async start(onEvent: (ev: LauncherEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    const script = locateNodeAsset('launcher.mjs');
    // A small heap keeps the helper's forks cheap; it only shuffles bytes.
    const child = spawn(process.execPath, ['--max-old-space-size=64', script, '--serve-argosy-launcher'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    child.stdin!.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      let ready = false;
      child.once('error', reject);
      child.once('exit', (code) => {
        if (!ready) reject(new Error(`argosy: the launcher helper exited with code ${code} before it was ready`));
        this.shutdownWaiter?.();
      });
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as { t: string };
          if (ev.t === 'ready') {
            ready = true;
            resolve();
          } else if (ev.t === 'shutdownDone') this.shutdownWaiter?.();
          else this.onEvent(ev as LauncherEvent);
        }
      });
    });
  }

  private out = '';
  private batching = false;

  send(cmd: LauncherCommand): void {
    if (!this.child?.stdin) return;
    const line = JSON.stringify(cmd) + '\n';
    // A lone command goes out at once; the ones that follow it before the event loop comes round go
    // out together, in one write (a pipe write, waking the helper, costs more than the JSON it carries:
    // a burst of Pods).
    if (!this.batching) {
      this.batching = true;
      setImmediate(() => this.flush());
      this.child.stdin.write(line);
      return;
    }
    this.out += line;
  }

  private flush(): void {
    this.batching = false;
    const text = this.out;
    this.out = '';
    if (text) this.child?.stdin?.write(text);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.flush();
    const done = new Promise<void>((r) => (this.shutdownWaiter = r));
    child.stdin!.write(JSON.stringify({ t: 'shutdown' }) + '\n');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    child.stdin!.end();
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    this.child = undefined;
  }
}

/**
 * Several launchers behind one: each sandbox group is started by one member (round robin) and all its
 * later commands go to that member. Forking is serial within a process, so one launcher per core
 * lets a burst of Pods start in parallel.
 */
export class PooledLauncher implements Launcher {
  private owner = new Map<string, Launcher>();
  private next = 0;

  constructor(private readonly members: Launcher[]) {}

  async start(onEvent: (ev: LauncherEvent) => void): Promise<void> {
    await Promise.all(
      this.members.map((m) =>
        m.start((ev) => {
          if (ev.t === 'groupExited') this.owner.delete(ev.gid);
          onEvent(ev);
        }),
      ),
    );
  }

  send(cmd: LauncherCommand): void {
    // A warm sandbox lives in one member: every start in it goes there, and so does its end.
    if (cmd.t === 'closeSlot') return this.members[cmd.slot % this.members.length].send(cmd);
    let member = this.owner.get(cmd.gid);
    if (!member) {
      if (cmd.t !== 'start') return; // the group is gone already
      member = cmd.warm ? this.members[cmd.warm.slot % this.members.length] : this.members[this.next++ % this.members.length];
      this.owner.set(cmd.gid, member);
    }
    member.send(cmd);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    this.owner.clear();
  }
}

/**
 * The agent's default: warm sandboxes are driven from this process (no helper in between: one pipe
 * hop less each way, no JSON; the only fork is a slot's bwrap, once per slot), everything else from the
 * helper pool, which starts when a Pod first needs it. On 2 cores, with the warm sandboxes here rather
 * than in the helpers, a one-step `argosy run` took 0.35 s instead of 0.55 s and a 200-step chain
 * 1.1–1.4 s instead of 1.7–1.8 s (2026-12-06).
 */
export class SplitLauncher implements Launcher {
  private readonly local = new InProcessLauncher();
  private helpers?: Launcher;
  private onEvent: (ev: LauncherEvent) => void = () => {};
  /** Groups the helpers run (everything else is local). */
  private remote = new Set<string>();

  constructor(private readonly makeHelpers: () => Launcher = helperPool) {}

  async start(onEvent: (ev: LauncherEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    await this.local.start(onEvent);
  }

  send(cmd: LauncherCommand): void {
    if (cmd.t === 'closeSlot') return this.local.send(cmd);
    if (cmd.t === 'start' && !cmd.warm) {
      this.remote.add(cmd.gid);
      return this.pool().send(cmd);
    }
    if (this.remote.has(cmd.gid)) return this.helpers!.send(cmd);
    this.local.send(cmd);
  }

  private pool(): Launcher {
    if (!this.helpers) {
      this.helpers = this.makeHelpers();
      // Commands sent before the helpers are up wait in their stdin pipes.
      this.helpers
        .start((ev) => {
          if (ev.t === 'groupExited') this.remote.delete(ev.gid);
          this.onEvent(ev);
        })
        .catch((err) => this.onEvent({ t: 'error', gid: '', message: `the launcher helpers did not start: ${(err as Error).message}` }));
    }
    return this.helpers;
  }

  async stop(): Promise<void> {
    await Promise.all([this.local.stop(), this.helpers?.stop()]);
    this.helpers = undefined;
    this.remote.clear();
  }
}

/** One helper per core (at most 4): forks are serial inside one process, so a burst of Pods starts in parallel. */
const helperCount = () => Math.max(1, Math.min(4, availableParallelism()));

/** A pool of launcher helpers, one per core. */
export function helperPool(): PooledLauncher {
  return new PooledLauncher(Array.from({ length: helperCount() }, () => new HelperLauncher()));
}

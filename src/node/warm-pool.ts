// The agent's side of warm sandboxes (warm-slot.mjs): which slots exist, which are free, and who waits.
// A slot is handed to one Pod at a time; when the Pod is done its root is put back to the skeleton,
// here and at once (the next Pod's hooks may write into it before its container starts), unless its
// change times show the Pod left it as it was, and the next Pod gets it.
import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher, WarmSlotSpec } from './launcher.js';
import { type RootTimes, bwrapArgs, keptDirPaths, mountTargets, prepareRootfsSync, resetRootfsSync, rootfsSnapshot, rootfsUnchanged } from './sandbox.js';

/**
 * How long Pods wait for a slot when all are taken and none has come free: then they get sandboxes of
 * their own. Slots held by long-running Pods must not hold back the rest; slots that turn over (short
 * steps) serve a queue much faster than new sandboxes would.
 */
const STALL_MS = 50;
/** A timer this late says the event loop was busy. */
const LATE_MS = 10;
/** How long a busy event loop may postpone the decision. */
const MAX_DEFER_MS = 1000;

export interface WarmPoolOptions {
  dataDir: string;
  bwrap: string;
  launcher: Launcher;
  /** The hostname inside every warm sandbox (a Pod's own name is in $HOSTNAME). */
  hostname: string;
  /** At most this many slots. */
  max: number;
  logger?: { warn(msg: string): void };
}

export class WarmSandboxes {
  private free: WarmSlotSpec[] = [];
  private announced = new Set<number>();
  private count = 0;
  private waiting: ((slot: WarmSlotSpec | undefined) => void)[] = [];
  private lastRelease = 0;
  /** When each busy slot's container started (as this process heard of it). */
  private startedAt = new Map<number, number>();
  /** Each slot's root as its last reset left it: a Pod that changed nothing needs no reset. */
  private snapshots = new Map<number, RootTimes>();
  private stallTimer?: NodeJS.Timeout;
  private readonly root: string;

  constructor(private readonly opts: WarmPoolOptions) {
    this.root = join(opts.dataDir, 'slots');
    // Slots of an earlier agent are nobody's now; a Pod that was running in one gets its files back,
    // as a Pod re-run after an agent restart keeps its root filesystem.
    for (const slot of existsSync(this.root) ? readdirSync(this.root) : []) {
      try {
        const podDir = readlinkSync(join(this.root, slot, 'owner'));
        if (existsSync(podDir) && !existsSync(join(podDir, 'rootfs'))) renameSync(join(this.root, slot, 'rootfs'), join(podDir, 'rootfs'));
      } catch {
        // no owner: nothing to give back
      }
    }
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(join(opts.dataDir, 'images'), { recursive: true });
  }

  /** A free slot, a new one, or (all taken) one that comes free soon; undefined: use a sandbox of your own. */
  acquire(): WarmSlotSpec | Promise<WarmSlotSpec | undefined> {
    const slot = this.free.pop();
    if (slot) return slot;
    if (this.count < this.opts.max) return this.create();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.watchStall();
    });
  }

  /** The slot now holds this Pod's files (recorded for a restarted agent; see the constructor). */
  claim(slot: WarmSlotSpec, podDir: string): void {
    const owner = join(this.root, String(slot.slot), 'owner');
    try {
      symlinkSync(podDir, owner);
    } catch {
      // left by a Pod whose release did not remove it
      unlinkSync(owner);
      symlinkSync(podDir, owner);
    }
  }

  /** The container in the slot has started: from now on its Pod may be one that holds the slot long. */
  started(slot: WarmSlotSpec): void {
    if (!this.startedAt.has(slot.slot)) this.startedAt.set(slot.slot, Date.now());
  }

  /**
   * The Pod is done with the slot: its containers have exited (the sandbox's shell killed what they
   * left running) and its outputs were read. `seen`: the root's times when its last container ended
   * (RootTimes; the helper took them): unchanged since the last reset, the root needs none.
   */
  release(slot: WarmSlotSpec, seen?: RootTimes): void {
    this.startedAt.delete(slot.slot);
    try {
      unlinkSync(join(this.root, String(slot.slot), 'owner'));
    } catch {}
    try {
      const mounts = this.mounts(slot);
      const snap = this.snapshots.get(slot.slot);
      if (!snap || !rootfsUnchanged(snap, seen)) {
        this.snapshots.delete(slot.slot);
        resetRootfsSync(slot.rootfs, mounts);
        const settled = rootfsSnapshot(slot.rootfs, mounts);
        if (settled) this.snapshots.set(slot.slot, settled);
      }
    } catch (err) {
      // A root that cannot be reset is not handed out again.
      this.opts.logger?.warn(`warm sandbox ${slot.slot}: cannot reset its root (${(err as Error).message}); it is not used again`);
      return;
    }
    this.lastRelease = Date.now();
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  /**
   * What a start in the slot carries: the whole spec the first time, after that its number only; and
   * whether the helper should take the root's times when the container ends (only worth it when there
   * is a snapshot to compare them with).
   */
  startSpec(slot: WarmSlotSpec): (WarmSlotSpec | { slot: number }) & { times?: boolean } {
    const times = this.snapshots.has(slot.slot) || undefined;
    if (this.announced.has(slot.slot)) return { slot: slot.slot, times };
    this.announced.add(slot.slot);
    return { ...slot, times };
  }

  private mountList?: string[];

  private mounts(slot: WarmSlotSpec): string[] {
    return (this.mountList ??= mountTargets(slot.args));
  }

  stop(): void {
    clearTimeout(this.stallTimer);
    for (const w of this.waiting.splice(0)) w(undefined);
  }

  private create(): WarmSlotSpec {
    const slot = this.count++;
    const rootfs = join(this.root, String(slot), 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    prepareRootfsSync(rootfs);
    const args = bwrapArgs({
      bwrap: this.opts.bwrap,
      rootfs,
      hostname: this.opts.hostname,
      binds: [],
      extraRo: [{ source: join(this.opts.dataDir, 'images'), target: '/.argosy/images' }],
      extraRw: [],
    });
    return { slot, rootfs, args, kept: keptDirPaths(rootfs, mountTargets(args)) };
  }

  /**
   * When no slot has come free for STALL_MS and every taken slot holds a container that has run for
   * STALL_MS, the waiting Pods get sandboxes of their own. Until then the slots are turning over, or
   * still starting (a burst makes new sandboxes one after another in each launcher). A timer that fires
   * late means the event loop was busy, and releases may be waiting behind it: look again shortly.
   * After MAX_DEFER_MS of waiting the Pods go their own way regardless, at most `max` at a time.
   */
  private watchStall(): void {
    if (this.stallTimer) return;
    const since = Date.now();
    const arm = (ms: number) => {
      const due = Date.now() + ms;
      this.stallTimer = setTimeout(() => check(due), ms);
    };
    const check = (due: number) => {
      this.stallTimer = undefined;
      if (!this.waiting.length) return;
      const now = Date.now();
      if (now - due > LATE_MS && now - since < MAX_DEFER_MS) return arm(LATE_MS);
      const quiet = now - this.lastRelease;
      if (quiet < STALL_MS) return arm(STALL_MS - quiet);
      let longRunning = 0;
      for (const t of this.startedAt.values()) if (now - t >= STALL_MS) longRunning++;
      if (longRunning < this.count - this.free.length && now - since < MAX_DEFER_MS) return arm(STALL_MS);
      // A bounded batch: thousands of fresh sandboxes at once would swamp the launchers for seconds
      // (a 5,000-Pod fan-out did), and the slots may turn over again meanwhile.
      for (const w of this.waiting.splice(0, this.opts.max)) w(undefined);
      if (this.waiting.length) arm(STALL_MS);
    };
    arm(STALL_MS);
  }
}

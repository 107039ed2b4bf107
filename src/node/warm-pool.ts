// The agent's side of warm sandboxes (warm-slot.mjs): which slots exist, which are free, and who waits.
// A slot is handed to one Pod at a time; when the Pod is done its root is put back to the skeleton,
// here and at once (the next Pod's hooks may write into it before its container starts), unless its
// change times show the Pod left it as it was, and the next Pod gets it.
//
// How many: `max` slots turn over short steps; a slot whose container has run a while (LONG_MS) no
// longer counts against `max`, so Pods waiting behind long-running ones get new warm slots rather than
// queueing. Only past `max × SURPLUS` slots in all do Pods get sandboxes of their own. Surplus slots
// that sit free for IDLE_MS are closed.
import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher, WarmSlotSpec } from './launcher.js';
import { type RootTimes, bwrapArgs, keptDirPaths, mountTargets, prepareRootfsSync, resetRootfsSync, rootfsSnapshot, rootfsUnchanged } from './sandbox.js';

/**
 * A container that has run this long holds its slot long: its slot stops counting against `max`. Looked
 * at only after the event loop has read the news waiting for it (a busy agent hears of exits late, and
 * a short step must not look long for that).
 */
const LONG_MS = 50;
/** Slots in all, at most `max` times this; beyond, Pods waiting behind long-running ones go fresh. */
const SURPLUS = 8;
/** A surplus slot free this long is closed. */
const IDLE_MS = 2000;

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
  /** Every live slot, by number. */
  private slots = new Map<number, WarmSlotSpec>();
  private free: WarmSlotSpec[] = [];
  /** When each free slot came free (for closing surplus ones). */
  private freeSince = new Map<number, number>();
  private announced = new Set<number>();
  private nextSlot = 0;
  private waiting: ((slot: WarmSlotSpec | undefined) => void)[] = [];
  /** When each busy slot's container started (as this process heard of it). */
  private startedAt = new Map<number, number>();
  /** Each slot's root as its last reset left it: a Pod that changed nothing needs no reset. */
  private snapshots = new Map<number, RootTimes>();
  private growTimer?: NodeJS.Timeout;
  private reapTimer?: NodeJS.Timeout;
  private stopped = false;
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

  /** A free slot, a new one, or one that comes free (or is made) soon; undefined: use a sandbox of your own. */
  acquire(): WarmSlotSpec | Promise<WarmSlotSpec | undefined> {
    const slot = this.free.pop();
    if (slot) {
      this.freeSince.delete(slot.slot);
      return slot;
    }
    if (this.slots.size < this.opts.max) return this.create();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.watchLong();
    });
  }

  /** The slot now holds this Pod's files (recorded for a restarted agent; see the constructor). */
  claim(slot: WarmSlotSpec, podDir: string): void {
    const owner = this.ownerLink(slot);
    try {
      symlinkSync(podDir, owner);
    } catch {
      // left by a Pod whose release did not remove it
      unlinkSync(owner);
      symlinkSync(podDir, owner);
    }
  }

  /** The link to the Pod dir of the slot's holder (this.root is normalized: no path.join on every Pod). */
  private ownerLink(slot: WarmSlotSpec): string {
    return `${this.root}/${slot.slot}/owner`;
  }

  /** The container in the slot has started: from now on its Pod may be one that holds the slot long. */
  started(slot: WarmSlotSpec): void {
    if (!this.startedAt.has(slot.slot)) this.startedAt.set(slot.slot, Date.now());
  }

  /**
   * The container in the slot has exited: the slot is turning over, though its Pod may hold it a while
   * yet (its outputs are saved and its status written before release), which must not count as long.
   */
  exited(slot: WarmSlotSpec): void {
    this.startedAt.delete(slot.slot);
  }

  /**
   * The Pod is done with the slot: its containers have exited (the sandbox's shell killed what they
   * left running) and its outputs were read. `seen`: the root's times when its last container ended
   * (RootTimes; the warm slot took them): unchanged since the last reset, the root needs none.
   */
  release(slot: WarmSlotSpec, seen?: RootTimes): void {
    this.startedAt.delete(slot.slot);
    try {
      unlinkSync(this.ownerLink(slot));
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
      this.close(slot);
      return;
    }
    const next = this.waiting.shift();
    if (next) return next(slot);
    this.free.push(slot);
    this.freeSince.set(slot.slot, Date.now());
    if (this.slots.size > this.opts.max) this.watchIdle();
  }

  /**
   * What a start in the slot carries: the whole spec the first time, after that its number only; and
   * whether the warm slot should take the root's times when the container ends (only worth it when there
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
    this.stopped = true;
    clearTimeout(this.growTimer);
    clearTimeout(this.reapTimer);
    for (const w of this.waiting.splice(0)) w(undefined);
  }

  private create(): WarmSlotSpec {
    const slot = this.nextSlot++;
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
    const spec = { slot, rootfs, args, kept: keptDirPaths(rootfs, mountTargets(args)) };
    this.slots.set(slot, spec);
    return spec;
  }

  /** A slot goes: its sandbox is stopped (when it was ever started) and its root removed. */
  private close(slot: WarmSlotSpec): void {
    this.slots.delete(slot.slot);
    this.snapshots.delete(slot.slot);
    this.freeSince.delete(slot.slot);
    if (this.announced.delete(slot.slot)) this.opts.launcher.send({ t: 'closeSlot', slot: slot.slot });
    try {
      rmSync(join(this.root, String(slot.slot)), { recursive: true, force: true });
    } catch (err) {
      this.opts.logger?.warn(`warm sandbox ${slot.slot}: cannot remove its root (${(err as Error).message})`);
    }
  }

  /**
   * Pods are waiting and every slot is taken. Slots whose containers have run LONG_MS or more are held
   * by long-running Pods: new slots are made for the waiting Pods, so that `max` slots are turning over
   * short steps. Looked at after the event loop has read what is waiting for it (setImmediate after the
   * timer), so exits that have happened are known. Past `max × SURPLUS` slots, and with none turning
   * over, the waiting Pods get sandboxes of their own, `max` at a time.
   */
  private watchLong(): void {
    if (this.growTimer || this.stopped) return;
    this.growTimer = setTimeout(() => {
      const at = Date.now();
      setImmediate(() => this.grow(at));
    }, LONG_MS);
  }

  /**
   * `at`: when the timer fired. The exits that had happened by then were read before this runs (the
   * event loop polls between timers and immediates); work queued ahead of it in this turn (a big
   * reconcile) may have delayed it since, with exits unread behind it. So a container counts as long
   * when it had run LONG_MS by `at` and is still not known to have exited.
   */
  private grow(at: number): void {
    this.growTimer = undefined;
    if (!this.waiting.length || this.stopped) return;
    let long = 0;
    for (const t of this.startedAt.values()) if (at - t >= LONG_MS) long++;
    let turning = this.slots.size - this.free.length - long;
    while (this.waiting.length && turning < this.opts.max && this.slots.size < this.opts.max * SURPLUS) {
      this.waiting.shift()!(this.create());
      turning++;
    }
    if (this.waiting.length && turning <= 0) for (const w of this.waiting.splice(0, this.opts.max)) w(undefined);
    if (this.waiting.length) this.watchLong();
  }

  /** Close surplus slots (beyond `max`) once they have been free for IDLE_MS. */
  private watchIdle(): void {
    if (this.reapTimer || this.stopped) return;
    this.reapTimer = setTimeout(() => {
      this.reapTimer = undefined;
      const now = Date.now();
      for (const slot of [...this.free]) {
        if (this.slots.size <= this.opts.max) break;
        if (now - (this.freeSince.get(slot.slot) ?? now) < IDLE_MS) continue;
        this.free.splice(this.free.indexOf(slot), 1);
        this.close(slot);
      }
      if (this.slots.size > this.opts.max && this.free.length) this.watchIdle();
    }, IDLE_MS);
    this.reapTimer.unref();
  }
}

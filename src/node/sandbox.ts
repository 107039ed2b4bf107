// The bubblewrap command line for one Pod: its rootfs as `/`, the host's system directories read-only
// on top, its volumes at their mount paths, its own PID and UTS namespaces.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Bind } from './volumes.js';

const SYSTEM_DIRS = ['/usr', '/etc', '/opt'];
const ROOT_LINKS: [string, string][] = [
  ['bin', 'usr/bin'],
  ['lib', 'usr/lib'],
  ['lib64', 'usr/lib64'],
  ['sbin', 'usr/sbin'],
];

const hostLinks = new Map<string, string | undefined>();

// The top-level directories every Linux image has (steps create files under /mnt, /home… directly).
const ROOT_DIRS = ['tmp', 'root', 'home', 'mnt', 'run', 'srv', 'media', 'var', 'var/tmp'];
const STICKY = new Set(['tmp', 'var/tmp']);

function hostLink(name: string): string | undefined {
  if (!hostLinks.has(name)) {
    let t: string | undefined;
    try {
      t = readlinkSync('/' + name);
    } catch {
      t = undefined;
    }
    hostLinks.set(name, t);
  }
  return hostLinks.get(name);
}

let skeleton: string[] | undefined;

/**
 * The same skeleton as prepareRootfsSync, made by bwrap itself inside a fresh (empty) rootfs: the
 * dozen mkdir/symlink calls then happen in the sandbox's process, in parallel, instead of on the
 * agent's thread for every Pod. bwrap refuses to make a symlink that exists, so this is only for a
 * rootfs bwrap has not populated yet.
 */
export function rootfsSkeletonArgs(): string[] {
  if (skeleton) return skeleton;
  const args: string[] = [];
  for (const d of ROOT_DIRS) args.push(...(STICKY.has(d) ? ['--perms', '1777'] : []), '--dir', '/' + d);
  for (const [name, target] of ROOT_LINKS) {
    const hostTarget = hostLink(name);
    if (hostTarget !== undefined) args.push('--symlink', hostTarget || target, '/' + name);
  }
  return (skeleton = args);
}

/** Where a bwrap command line mounts something, relative to the root (`usr`, `proc`, `.argosy/images`…). */
export function mountTargets(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--bind' || a === '--ro-bind' || a === '--dev-bind') out.push(args[i + 2]);
    else if (a === '--proc' || a === '--dev' || a === '--tmpfs') out.push(args[i + 1]);
  }
  return out.map((t) => t.replace(/^\/+/, '')).filter(Boolean);
}

/**
 * Put a warm sandbox's root back to the skeleton (warm-pool.ts): every file a Pod made goes, the
 * skeleton dirs stay (emptied) and so do `mounts`, the sandbox's mount points. Out here those are
 * empty dirs, but deleting one would take its mount away inside the running sandbox. Runs for every
 * Pod on the agent's thread, so it only reads directories unless there is something to undo.
 */
export function resetRootfsSync(rootfs: string, mounts: string[]): void {
  const plan = resetPlan(mounts);
  let damaged = false;
  const clean = (rel: string) => {
    const expected = plan.children.get(rel);
    let seen = 0;
    // Entries' own kinds (a link is never followed): a Pod that turned /tmp into a link to a host path
    // must not have the agent empty that path.
    for (const ent of readdirSync(join(rootfs, rel), { withFileTypes: true })) {
      const e = ent.name;
      const r = rel ? `${rel}/${e}` : e;
      const p = join(rootfs, r);
      if (!rel && plan.links.has(e)) {
        try {
          if (readlinkSync(p) === plan.links.get(e)) {
            seen++;
            continue;
          }
        } catch {
          // not a link any more: replaced below
        }
      } else if (plan.mounts.has(r)) {
        seen++;
        continue; // a mount point: empty out here, and never ours to touch
      } else if (plan.dirs.has(r) && ent.isDirectory()) {
        try {
          clean(r);
          seen++;
          continue;
        } catch {
          // cannot be emptied: replaced below
        }
      }
      rmSync(p, { recursive: true, force: true });
    }
    if (seen !== (expected ?? 0)) damaged = true;
  };
  clean('');
  if (damaged) prepareRootfsSync(rootfs);
}

/**
 * The change times (ctime: entries added, removed or renamed, mode or owner changed) of the root and
 * every kept dir, in keptDirPaths' order, as decimal strings of milliseconds (a double's fraction
 * keeps a fraction of a microsecond: far finer than the clock file times tick with). After a reset
 * the kept dirs hold only kept dirs, mount points and links, so anything a Pod made or removed
 * anywhere in the root changes one of them: a dozen stats tell whether the next Pod can have the root
 * without a reset. The warm slot takes them when a container ends (warm-slot.mjs).
 */
export type RootTimes = string[];

/** How far in the past a change time must lie to be trusted: file times tick with the kernel's coarse clock. */
const SETTLED_MS = 50;

/** The paths whose change times RootTimes lists. */
export function keptDirPaths(rootfs: string, mounts: string[]): string[] {
  return keptDirs(mounts).map((d) => join(rootfs, d));
}

/**
 * The root's times as a reset left them; undefined when one is too recent to tell a later change in
 * the same clock tick from this one (the next release then resets again, and a settled root is taken).
 */
export function rootfsSnapshot(rootfs: string, mounts: string[]): RootTimes | undefined {
  const now = Date.now();
  const snap: RootTimes = [];
  for (const p of keptDirPaths(rootfs, mounts)) {
    const st = lstatSync(p);
    if (!st.isDirectory() || now - st.ctimeMs < SETTLED_MS) return undefined;
    snap.push(String(st.ctimeMs));
  }
  return snap;
}

/** True when the times seen after a Pod (undefined: not known) are those of the snapshot. */
export function rootfsUnchanged(snap: RootTimes, seen: RootTimes | undefined): boolean {
  return !!seen && seen.length === snap.length && seen.every((t, i) => t === snap[i]);
}

function keptDirs(mounts: string[]): string[] {
  const plan = resetPlan(mounts);
  return (plan.kept ??= ['', ...plan.dirs]);
}

interface ResetPlan {
  /** Skeleton dirs and the dirs above mount points: emptied, kept. */
  dirs: Set<string>;
  mounts: Set<string>;
  links: Map<string, string>;
  /** How many kept entries each kept dir ('' is the root) holds when whole. */
  children: Map<string, number>;
  /** The root and the kept dirs, in a fixed order (rootfsSnapshot). */
  kept?: string[];
}

let plans = new Map<string, ResetPlan>();

function resetPlan(mounts: string[]): ResetPlan {
  const key = mounts.join('\0');
  let plan = plans.get(key);
  if (plan) return plan;
  const links = new Map<string, string>();
  for (const [name, target] of ROOT_LINKS) {
    const hostTarget = hostLink(name);
    if (hostTarget !== undefined) links.set(name, hostTarget || target);
  }
  const dirs = new Set<string>();
  for (const d of [...ROOT_DIRS, ...mounts]) {
    const parts = d.split('/');
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const mountSet = new Set(mounts);
  for (const m of mountSet) dirs.delete(m);
  const children = new Map<string, number>([['', links.size]]);
  for (const d of [...dirs, ...mountSet]) {
    const parent = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '';
    children.set(parent, (children.get(parent) ?? 0) + 1);
  }
  plan = { dirs, mounts: mountSet, links, children };
  if (plans.size > 8) plans = new Map();
  plans.set(key, plan);
  return plan;
}

/** prepareRootfs without thread-pool round trips: a handful of mkdir/symlink calls per Pod. */
export function prepareRootfsSync(rootfs: string): void {
  for (const d of ['', ...ROOT_DIRS]) {
    try {
      mkdirSync(join(rootfs, d));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  chmodSync(join(rootfs, 'var/tmp'), 0o1777);
  for (const [name, target] of ROOT_LINKS) {
    const hostTarget = hostLink(name);
    if (hostTarget === undefined) continue;
    try {
      symlinkSync(hostTarget || target, join(rootfs, name));
    } catch {
      /* already there */
    }
  }
}

/** A system dir bound whole is read-only: a mount under a path it lacks would fail, so rebuild it as a tmpfs of binds. */
const systemDirExists = new Map<string, boolean>();

function systemDirArgs(dir: string, binds: Bind[]): string[] {
  let exists = systemDirExists.get(dir);
  if (exists === undefined) systemDirExists.set(dir, (exists = existsSync(dir)));
  if (!exists) return [];
  const needsRebuild = binds.some((b) => {
    if (!b.target.startsWith(dir + '/')) return false;
    const first = b.target.slice(dir.length + 1).split('/')[0];
    return !existsSync(join(dir, first));
  });
  if (!needsRebuild) return ['--ro-bind', dir, dir];
  const args = ['--tmpfs', dir];
  for (const entry of readdirSync(dir)) {
    const p = posix.join(dir, entry);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(p), p);
    else args.push('--ro-bind', p, p);
  }
  return args;
}

export interface SandboxSpec {
  bwrap: string;
  rootfs: string;
  hostname: string;
  binds: Bind[];
  /** Extra read-only binds (image shims, the supervisor's code). */
  extraRo: { source: string; target: string }[];
  /** Writable binds the supervisor needs (logs, exit records). */
  extraRw: { source: string; target: string }[];
  /** The rootfs is empty: let bwrap make its directories and links (see rootfsSkeletonArgs). */
  skeleton?: boolean;
}

export function bwrapArgs(spec: SandboxSpec): string[] {
  const args = [spec.bwrap, '--bind', spec.rootfs, '/'];
  if (spec.skeleton) args.push(...rootfsSkeletonArgs());
  for (const d of SYSTEM_DIRS) args.push(...systemDirArgs(d, spec.binds));
  args.push('--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--unshare-uts', '--hostname', podHostname(spec.hostname), '--die-with-parent');
  for (const e of spec.extraRo) args.push('--ro-bind', e.source, e.target);
  for (const e of spec.extraRw) args.push('--bind', e.source, e.target);
  // Parents before children, so a mount inside another mount lands on top of it.
  const sorted = [...spec.binds].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const b of sorted) args.push(b.readOnly ? '--ro-bind' : '--bind', b.source, b.target);
  return args;
}

export function findBwrap(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    const p = join(dir || '.', 'bwrap');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** A pod's hostname as Kubernetes sets it: the name cut to 63 characters, without a trailing '-' or '.'. */
export function podHostname(name: string): string {
  return name.slice(0, 63).replace(/[-.]+$/, '') || 'pod';
}

import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expand } from './env.js';
import { parseImage, resolveImage, unmappedImageMessage } from './images.js';
import { parseLogText } from './logs.js';
import { locateNodeAsset } from './launcher.js';
import { keptDirPaths, prepareRootfsSync, resetRootfsSync, rootfsSnapshot, rootfsUnchanged } from './sandbox.js';
import { hostPathFor, resolveHostPath } from './volumes.js';

describe('image map', () => {
  it('normalises references: registry, library/ prefix, tag and digest', () => {
    expect(parseImage('docker.io/library/alpine:3.23')).toEqual({ repo: 'alpine', tag: '3.23' });
    expect(parseImage('alpine')).toEqual({ repo: 'alpine', tag: 'latest' });
    expect(parseImage('quay.io/argoproj/argoexec:v3.5.0')).toEqual({ repo: 'quay.io/argoproj/argoexec', tag: 'v3.5.0' });
    expect(parseImage('localhost:5000/x/y')).toEqual({ repo: 'localhost:5000/x/y', tag: 'latest' });
    expect(parseImage('python@sha256:abc').repo).toBe('python');
  });

  it('resolves built-ins with any tag, user entries first, and names the fix for unmapped images', () => {
    expect(resolveImage('docker.io/library/alpine:3.23', undefined)?.mapping.cmd).toEqual(['sh']);
    expect(resolveImage('python:3.12-slim', undefined)?.mapping.cmd).toEqual(['python3']);
    expect(resolveImage('argoproj/argosay:v2', undefined)?.mapping.entrypoint).toEqual(['argosay']);
    expect(resolveImage('argoproj/argosay:v1', undefined)?.mapping.cmd).toEqual(['cowsay']);
    expect(resolveImage('docker/whalesay:latest', undefined)?.mapping.cmd).toEqual(['cowsay']);
    expect(resolveImage('golang:1.18', undefined)).toBeUndefined();
    expect(resolveImage('alpine:3', { 'alpine:3': { cmd: ['ash'] } })?.mapping.cmd).toEqual(['ash']);
    expect(resolveImage('my.registry/team/tool:1', { 'my.registry/team/*': { cmd: ['tool'] } })?.mapping.cmd).toEqual(['tool']);
    expect(unmappedImageMessage('golang:1.18')).toContain('image "golang:1.18" has no host mapping');
  });
});

describe('$(VAR) expansion', () => {
  it('expands known variables, keeps unknown ones and unescapes $$', () => {
    const vars = { A: 'x', B: 'y' };
    expect(expand('$(A)-$(B)', vars)).toBe('x-y');
    expect(expand('$(C) $$(A) $$ $ $(A', vars)).toBe('$(C) $(A) $ $ $(A');
  });
});

describe('log format', () => {
  it('rebuilds full and partial lines', () => {
    const text = 't1 stdout F a\nt2 stderr F b\nt3 stdout P par\n';
    expect(parseLogText(text).lines.map((l) => l.text).join('')).toBe('a\nb\npar');
  });
});

describe('hostPathFor', () => {
  it('maps through the deepest mount, else the rootfs', () => {
    const binds = [
      { source: '/h/work', target: '/work', readOnly: false },
      { source: '/h/out', target: '/work/out', readOnly: false },
    ];
    expect(hostPathFor('/work/out/f', binds, '/r')).toBe('/h/out/f');
    expect(hostPathFor('/work/a', binds, '/r')).toBe('/h/work/a');
    expect(hostPathFor('/workshop/a', binds, '/r')).toBe('/r/workshop/a');
    expect(hostPathFor('/tmp/x', binds, '/r')).toBe('/r/tmp/x');
  });

  it("follows a step's links inside its own view, never out to the host's files", () => {
    const base = mkdtempSync(join(tmpdir(), 'argosy-links-'));
    try {
      const root = join(base, 'rootfs');
      const vol = join(base, 'vol');
      for (const d of [join(root, 'tmp', 'real'), join(root, 'etc'), vol]) mkdirSync(d, { recursive: true });
      writeFileSync(join(base, 'secret'), 'host secret');
      const binds = [{ source: vol, target: '/work', readOnly: false }];
      // Absolute, relative and chained links, through a mount and back out of it.
      symlinkSync(join(base, 'secret'), join(root, 'tmp', 'abs'));
      symlinkSync('../../../../../../../../secret', join(root, 'tmp', 'rel'));
      symlinkSync('real', join(root, 'tmp', 'here'));
      symlinkSync('/tmp/here', join(vol, 'via'));
      symlinkSync('/work/via', join(root, 'tmp', 'chain'));
      symlinkSync('loop', join(root, 'tmp', 'loop'));
      expect(resolveHostPath('/tmp/abs', binds, root)).toBe(join(root, base, 'secret'));
      expect(resolveHostPath('/tmp/rel', binds, root)).toBe(join(root, 'secret'));
      expect(resolveHostPath('/tmp/here/f', binds, root)).toBe(join(root, 'tmp', 'real', 'f'));
      expect(resolveHostPath('/tmp/chain/f', binds, root)).toBe(join(root, 'tmp', 'real', 'f'));
      expect(resolveHostPath('/work/via/f', binds, root)).toBe(join(root, 'tmp', 'real', 'f'));
      expect(resolveHostPath('/work/new/f', binds, root)).toBe(join(vol, 'new', 'f'));
      expect(() => resolveHostPath('/tmp/loop', binds, root)).toThrow(/too many levels of symbolic links/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('warm sandbox root reset', () => {
  const tree = (root: string): string[] => {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const e of readdirSync(join(root, rel)).sort()) {
        const r = rel ? `${rel}/${e}` : e;
        const st = lstatSync(join(root, r));
        out.push(st.isSymbolicLink() ? `${r} -> ${readlinkSync(join(root, r))}` : st.isDirectory() ? `${r}/` : r);
        if (st.isDirectory() && !st.isSymbolicLink()) walk(r);
      }
    };
    walk('');
    return out;
  };

  it("removes every file a Pod made, rebuilds the skeleton it damaged, and keeps the mount points", () => {
    const root = mkdtempSync(join(tmpdir(), 'argosy-reset-'));
    try {
      prepareRootfsSync(root);
      for (const m of ['usr', 'proc', '.argosy/images']) mkdirSync(join(root, m), { recursive: true });
      const clean = tree(root);
      // What a Pod may leave: files in the skeleton dirs and at the root, a dir removed, a link replaced.
      writeFileSync(join(root, 'tmp', 'x'), 'x');
      mkdirSync(join(root, 'var', 'tmp', 'deep'), { recursive: true });
      writeFileSync(join(root, 'var', 'tmp', 'deep', 'y'), 'y');
      mkdirSync(join(root, 'work'));
      writeFileSync(join(root, '.argosy', 'left'), 'z');
      rmSync(join(root, 'home'), { recursive: true });
      if (clean.some((e) => e.startsWith('bin ->'))) {
        rmSync(join(root, 'bin'));
        mkdirSync(join(root, 'bin'));
      }
      resetRootfsSync(root, ['usr', 'proc', '.argosy/images']);
      expect(tree(root)).toEqual(clean);
      expect(lstatSync(join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
      // Nothing to undo: nothing changes.
      resetRootfsSync(root, ['usr', 'proc', '.argosy/images']);
      expect(tree(root)).toEqual(clean);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('tells from the dirs\' change times whether a Pod changed the root, and never follows its links', async () => {
    const root = mkdtempSync(join(tmpdir(), 'argosy-snap-'));
    const outside = mkdtempSync(join(tmpdir(), 'argosy-outside-'));
    try {
      prepareRootfsSync(root);
      const mounts = ['usr', 'proc', '.argosy/images'];
      for (const m of mounts) mkdirSync(join(root, m), { recursive: true });
      writeFileSync(join(outside, 'keep'), 'k');
      const settle = () => new Promise((r) => setTimeout(r, 80));
      // What the launcher helper reports when a container in the slot ends.
      const { rootTimesOf } = (await import(locateNodeAsset('warm-slot.mjs'))) as { rootTimesOf(paths: string[]): string[] | undefined };
      const seen = () => rootTimesOf(keptDirPaths(root, mounts));
      const damage: [string, () => void][] = [
        ['a file in /tmp', () => writeFileSync(join(root, 'tmp', 'x'), 'x')],
        ['a dot file at the root', () => writeFileSync(join(root, '.x'), 'x')],
        ['a dir in /var/tmp', () => mkdirSync(join(root, 'var', 'tmp', 'd'))],
        ['a file beside a mount point', () => writeFileSync(join(root, '.argosy', 'left'), 'z')],
        ['a skeleton dir removed', () => rmSync(join(root, 'mnt'), { recursive: true })],
        ['a skeleton dir made a mode it did not have', () => chmodSync(join(root, 'media'), 0o700)],
        // A link to a host path: the reset must remove the link, never empty what it points at.
        ['a skeleton dir made a link', () => (rmSync(join(root, 'srv'), { recursive: true }), symlinkSync(outside, join(root, 'srv')))],
      ];
      if (lstatSync(join(root, 'bin'), { throwIfNoEntry: false })?.isSymbolicLink()) damage.push(['/bin no longer a link', () => (rmSync(join(root, 'bin')), mkdirSync(join(root, 'bin')))]);
      for (const [what, act] of damage) {
        resetRootfsSync(root, mounts);
        expect(readdirSync(outside), 'what a link pointed at').toEqual(['keep']);
        await settle();
        const snap = rootfsSnapshot(root, mounts);
        expect(snap, what).toBeDefined();
        expect(rootfsUnchanged(snap!, seen()), `${what}: before`).toBe(true);
        act();
        expect(rootfsUnchanged(snap!, seen()), what).toBe(false);
      }
      resetRootfsSync(root, mounts);
      expect(readdirSync(outside), 'what a link pointed at').toEqual(['keep']);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

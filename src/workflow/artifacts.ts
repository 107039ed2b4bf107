// The local artifact repository: a directory standing in for the S3 bucket Argo's default repository
// would be. Keys are paths under it. Artifacts are tar+gzip archives by default, as in Argo; with
// `archive: none` the file or directory is stored as it is.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Artifact } from '../model/argo.js';

const run = promisify(execFile);

export class ArtifactRepository {
  constructor(readonly root: string) {}

  pathOf(key: string): string {
    const clean = key.replace(/^\/+/, '');
    if (clean.split('/').includes('..')) throw new Error(`artifact key "${key}" must not contain '..'`);
    return join(this.root, clean);
  }

  /** Store the file or directory at `source` under `key`; returns the key actually used. */
  async save(source: string, key: string, archive: Artifact['archive']): Promise<string> {
    const none = !!archive?.none;
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    if (none) {
      await rm(target, { recursive: true, force: true });
      await cp(source, target, { recursive: true });
      return key;
    }
    const level = archive?.tar?.compressionLevel;
    const tmp = `${target}.tmp-${process.pid}`;
    const env = level !== undefined ? { ...process.env, GZIP: `-${Math.max(1, Math.min(9, level || 1))}` } : process.env;
    await run('tar', ['-czf', tmp, '-C', dirname(source), basename(source)], { env });
    await rename(tmp, target);
    return key;
  }

  /** Put the artifact stored under `key` at `dest` (a file or directory path), unpacking archives. */
  async load(key: string, dest: string, subPath?: string): Promise<void> {
    const src = this.pathOf(key);
    // A path inside the artifact, never out of it into the host's files.
    if (subPath?.split('/').includes('..')) throw new Error(`subPath "${subPath}" must not contain '..'`);
    let st;
    try {
      st = await stat(src);
    } catch {
      throw new Error(`artifact "${key}" not found in the artifact repository (${this.root})`);
    }
    await mkdir(dirname(dest), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    if (st.isDirectory()) {
      await cp(subPath ? join(src, subPath) : src, dest, { recursive: true });
      return;
    }
    const head = Buffer.alloc(2);
    const fh = await readFile(src);
    fh.copy(head, 0, 0, 2);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      const tmp = await mkdtemp(join(dirname(dest), '.unpack-'));
      try {
        await run('tar', ['-xzf', src, '-C', tmp]);
        const entries = await readdir(tmp);
        let from = entries.length === 1 ? join(tmp, entries[0]) : tmp;
        if (subPath) from = join(from, subPath);
        await rename(from, dest).catch(async () => cp(from, dest, { recursive: true }));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return;
    }
    await writeFile(dest, fh);
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }
}

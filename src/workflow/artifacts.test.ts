import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactRepository } from './artifacts.js';

describe('ArtifactRepository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'argosy-artifacts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a path inside an archived directory, and refuses one that leaves it', async () => {
    const repo = new ArtifactRepository(join(dir, 'repo'));
    const src = join(dir, 'src', 'out');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'f.txt'), 'inside');
    writeFileSync(join(dir, 'secret'), 'host file');
    for (const archive of [undefined, { none: {} }]) {
      const key = await repo.save(src, `wf/pod/out${archive ? '' : '.tgz'}`, archive);
      await repo.load(key, join(dir, 'dest', 'ok'), 'sub/f.txt');
      expect(readFileSync(join(dir, 'dest', 'ok'), 'utf8')).toBe('inside');
      await expect(repo.load(key, join(dir, 'dest', 'bad'), '../../../../secret')).rejects.toThrow(`subPath "../../../../secret" must not contain '..'`);
    }
  });
});

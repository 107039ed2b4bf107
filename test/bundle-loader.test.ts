// bin/bundle-loader.mjs: the CLI's bundle compiled from a V8 code cache. A cache is made by the first
// run, read by the next, and one that is damaged (or stale) is never trusted: the run compiles as usual
// and makes it again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LOADER = join(__dirname, '..', 'bin', 'bundle-loader.mjs');

function fakeBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'argosy-bundle-'));
  writeFileSync(join(dir, 'main.cjs'), `"use strict";\nconst part = require("./part-x1.cjs");\nexports.main = (argv) => part.greet(argv[0]);\n`);
  writeFileSync(join(dir, 'part-x1.cjs'), `"use strict";\nexports.greet = (who) => \`hello \${who} from \${require("node:path").basename(__filename)}\`;\n`);
  return dir;
}

function run(dir: string, who: string) {
  const code = `const { loadBundle } = await import(${JSON.stringify(LOADER)}); console.log(loadBundle(${JSON.stringify(dir)}).main([${JSON.stringify(who)}]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe('bundle loader (V8 code cache)', () => {
  it('runs the bundle, caches its compiled code, reads the cache back, and recovers from a damaged one', () => {
    const dir = fakeBundle();
    expect(run(dir, 'a')).toEqual({ code: 0, out: 'hello a from part-x1.cjs', err: '' });
    const cache = join(dir, '.v8-cache');
    expect(readdirSync(cache).sort()).toEqual(['main.cjs.v8', 'part-x1.cjs.v8']);
    const made = readFileSync(join(cache, 'part-x1.cjs.v8'));
    expect(made.length).toBeGreaterThan(0);
    // Accepted: the run does not write it again.
    expect(run(dir, 'b').out).toBe('hello b from part-x1.cjs');
    expect(readFileSync(join(cache, 'part-x1.cjs.v8')).equals(made)).toBe(true);
    // Damaged: rejected by V8, compiled as usual, and made again.
    writeFileSync(join(cache, 'part-x1.cjs.v8'), 'not a code cache');
    expect(run(dir, 'c')).toEqual({ code: 0, out: 'hello c from part-x1.cjs', err: '' });
    const remade = readFileSync(join(cache, 'part-x1.cjs.v8'));
    expect(remade.toString('latin1')).not.toBe('not a code cache');
    expect(run(dir, 'c2').out).toBe('hello c2 from part-x1.cjs');
    expect(readFileSync(join(cache, 'part-x1.cjs.v8')).equals(remade)).toBe(true);
    // The file changed: the old cache is stale, the new code runs.
    writeFileSync(join(dir, 'part-x1.cjs'), `"use strict";\nexports.greet = (who) => \`bye \${who}\`;\n`);
    expect(run(dir, 'd').out).toBe('bye d');
    expect(readFileSync(join(cache, 'part-x1.cjs.v8')).equals(remade)).toBe(false);
  });
});

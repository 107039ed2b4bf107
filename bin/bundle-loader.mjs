// Loads the CLI's bundle (dist/bundle/, CommonJS) with a V8 code cache: compiling its half megabyte
// of JavaScript was a third of a one-step `argosy run` (126 → 103 ms with the cache, 2026-12-07).
// Node 20 keeps no such cache itself (module.enableCompileCache came in Node 22), so the bundle's
// modules are compiled here, as Node's CommonJS loader would, from the cached code when there is one.
// The cache is written when the process ends (or after CACHE_AFTER_MS), so it holds the functions the
// run compiled too, not just the top level; V8 rejects it when the file, Node or V8's flags changed,
// and then it is made again. Any trouble with the cache only means compiling as usual.
import { accessSync, constants, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';

/** Written before bin/argosy lifts the V8 flags (at 5 s): a cache made under other flags is rejected. */
const CACHE_AFTER_MS = 4000;

/**
 * Require the bundle's entry (`bundleDir/main.cjs`) with its chunks compiled from the cache in
 * `bundleDir/.v8-cache/` (or, when that cannot be written, a directory of this user's in tmpdir).
 */
export function loadBundle(bundleDir) {
  const cacheDir = cacheDirFor(bundleDir);
  const fresh = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    if (!cacheDir || dirname(filename) !== bundleDir) return compile.call(this, content, filename);
    const cacheFile = join(cacheDir, `${basename(filename)}.v8`);
    let cachedData;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // none yet
    }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) fresh.push({ script, cacheFile });
    const require = (id) => this.require(id);
    require.resolve = (request, opts) => Module._resolveFilename(request, this, false, opts);
    require.cache = Module._cache;
    return script.runInThisContext().call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  const save = () => {
    for (const { script, cacheFile } of fresh.splice(0)) {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only or full disk: the next run compiles again
      }
    }
  };
  process.once('exit', save);
  setTimeout(save, CACHE_AFTER_MS).unref();
  return createRequire(import.meta.url)(join(bundleDir, 'main.cjs'));
}

/**
 * Beside the bundle (whoever can write there can change the bundle itself), or else in a directory of
 * this user's in tmpdir, used only when it is this user's alone: a cache is code this process runs.
 */
function cacheDirFor(bundleDir) {
  try {
    const dir = join(bundleDir, '.v8-cache');
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    // a read-only install
  }
  try {
    const dir = join(tmpdir(), `argosy-v8-cache-${process.getuid()}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o077) === 0) return dir;
  } catch {
    // no tmpdir either: compile as usual
  }
  return undefined;
}

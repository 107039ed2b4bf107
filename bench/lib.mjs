// Helpers shared by the benchmarks: statistics, the result table, tool discovery, dist/ loading.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoDir = dirname(benchDir);
export const outDir = join(benchDir, 'out');
mkdirSync(outDir, { recursive: true });

export const quantile = (xs, q) => {
  const a = [...xs].sort((x, y) => x - y);
  if (!a.length) return NaN;
  const i = Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1));
  return a[i];
};
export const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

/** Format a number with sensible precision. */
export const fmt = (x, unit = '') => {
  if (x === undefined || x === null || Number.isNaN(x)) return 'n/a';
  const abs = Math.abs(x);
  const s = abs >= 1000 ? Math.round(x).toLocaleString('en-US') : abs >= 100 ? x.toFixed(0) : abs >= 10 ? x.toFixed(1) : abs >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
};

/**
 * Print `what | ours | reference | ratio` rows. `ratio` is how many times the reference's cost ours is
 * (ours ÷ reference for times, reference ÷ ours for rates), so 1.0 means "as fast as the reference"
 * and larger is slower. Rows may carry a note.
 */
export function table(title, rows) {
  const head = ['measure', 'argosy', 'reference', 'ratio (×ref cost)', 'reference is'];
  const body = rows.map((r) => [r.what, r.ours, r.ref, r.ratio === undefined ? '' : typeof r.ratio === 'number' ? `${r.ratio.toFixed(2)}×` : r.ratio, r.refName ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const b of body) console.log(line(b));
  for (const r of rows) if (r.note) console.log(`  note (${r.what}): ${r.note}`);
}

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Install Debian packages if we may (root, apt present) within a time limit. Returns true when `cmd`
 * is then on PATH. Set ARGOSY_BENCH_NO_INSTALL=1 to never install anything.
 */
export function ensureTool(cmd, pkg, timeoutSec = 120) {
  if (have(cmd)) return true;
  if (process.env.ARGOSY_BENCH_NO_INSTALL || process.getuid?.() !== 0 || !have('apt-get')) return false;
  console.log(`  (installing ${pkg} with apt-get, at most ${timeoutSec} s)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'ignore', timeout: timeoutSec * 1000, env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: timeoutSec * 1000, env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'ignore', timeout: timeoutSec * 1000, env });
  }
  return have(cmd);
}

/** Build dist/ when it is missing, so the benchmarks can import the compiled modules. */
export function ensureBuilt() {
  if (existsSync(join(repoDir, 'dist', 'cli', 'main.js'))) return;
  console.log('dist/ missing: running npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: repoDir, stdio: 'inherit' });
}

export const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;

export function machine() {
  const cpus = (globalThis.navigator?.hardwareConcurrency ?? 0) || Number(spawnSync('nproc').stdout?.toString().trim() || 0);
  return `node ${process.version}, ${cpus} CPUs, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Stop a child we started: SIGTERM, then SIGKILL after `graceMs`. */
export function stopProcess(proc, graceMs = 10_000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * `node bin/argosy server --port 0 --data-dir DIR …args`: resolves once its "started" log line names the
 * URL, then keeps up to `keep` of its warn/error lines in `problems` for the report.
 */
export async function startArgosyServer(dataDir, args = [], { label = 'argosy server', keep = 20 } = {}) {
  const proc = spawn(process.execPath, [join(repoDir, 'bin', 'argosy'), 'server', '--port', '0', '--data-dir', dataDir, ...args], { cwd: repoDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${label} did not start within 30 s:\n${log}`)), 30_000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /"msg":"argosy server started"[^\n]*"url":"([^"]+)"/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code, sig) => reject(new Error(`${label} exited (${code ?? sig}) before starting:\n${log}`)));
  });
  const problems = [];
  proc.stderr.on('data', (d) => {
    for (const line of String(d).split('\n')) if (/"level":"(warn|error)"/.test(line) && problems.length < keep) problems.push(line.slice(0, 400));
  });
  return { proc, url, problems };
}

// DAG engines: the three shapes of perf-baselines.md (A5) — chain 200, fan 1000 (1002 tasks), 30×30
// lattice (900 tasks) — every task `true`, run by `argosy run` (an Argo DAG of container tasks), by
// `make -j2` (appendix A4 Makefiles) and by Snakemake --cores 2 (appendix A10 Snakefiles), all in this
// one invocation. Targets: within 3× of make -j2; ≥ 10× faster than Snakemake.
// Then the controller's peak RSS on one 5,000-task fan-out (root → 5,000 leaves), beside make's on the same DAG.
//
// Env: BENCH_DAG_BUDGET (seconds per command, default 60), BENCH_DAG_SHAPES (default chain,lattice,fan),
//      BENCH_DAG_RSS_N (fan width for the RSS run, default 5000; 0 skips it), BENCH_SKIP_SNAKEMAKE=1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, ensureBuilt, ensureTool, fmt, have, machine, median, outDir, repoDir, table } from './lib.mjs';
import { argoWorkflow, makefile, shape, snakefiles } from './shapes.mjs';

ensureBuilt();
const BUDGET = Number(process.env.BENCH_DAG_BUDGET ?? 60);
const SHAPES = (process.env.BENCH_DAG_SHAPES ?? 'chain,lattice,fan').split(',').filter(Boolean);
const RSS_N = Number(process.env.BENCH_DAG_RSS_N ?? 5000);
const MAX_RUNS = 5;
const argosy = join(repoDir, 'bin', 'argosy');
const hyperfine = ensureTool('hyperfine', 'hyperfine', 60);

/** Run once; resolves with wall ms. Rejects on a non-zero exit, with the output's tail. */
function runOnce(cmd, args, opts = {}) {
  if (opts.prepare) opts.prepare();
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn(cmd, args, { cwd: opts.cwd ?? repoDir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
    let err = '';
    p.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    p.on('error', reject);
    p.on('exit', (code) => {
      const ms = performance.now() - t;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

/**
 * Time a command: a first run (a warm-up, or the only sample when it takes longer than 5 s), then as
 * many runs as fit the budget, at most MAX_RUNS. Fast commands are timed by hyperfine when installed.
 */
async function timeCommand(label, cmd, args, opts = {}) {
  const budget = (opts.budget ?? BUDGET) * 1000;
  const first = await runOnce(cmd, args, opts);
  const samples = [];
  let runs = Math.max(1, Math.min(MAX_RUNS, Math.floor(budget / first)));
  let how = 'own loop';
  if (first > 5000) {
    samples.push(first);
    runs = Math.min(MAX_RUNS - 1, Math.floor((budget - first) / first));
    for (let i = 0; i < runs; i++) samples.push(await runOnce(cmd, args, opts));
  } else if (hyperfine && !opts.prepare) {
    how = 'hyperfine';
    const json = join(outDir, `hf-${label.replace(/[^\w.-]+/g, '_')}.json`);
    const quote = (s) => (/^[\w./=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    const hfArgs = ['-N', '--runs', String(runs), '--export-json', json, '--style', 'none'];
    const r = spawnSync('hyperfine', [...hfArgs, [cmd, ...args].map(quote).join(' ')], { cwd: opts.cwd ?? repoDir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...opts.env } });
    if (r.status !== 0) throw new Error(`hyperfine failed for ${label}`);
    for (const t of JSON.parse(readFileSync(json, 'utf8')).results[0].times) samples.push(t * 1000);
  } else {
    for (let i = 0; i < runs; i++) samples.push(await runOnce(cmd, args, opts));
  }
  const m = median(samples);
  console.log(`  ${label}: median ${fmt(m / 1000)} s over ${samples.length} run(s) [${fmt(Math.min(...samples) / 1000)}–${fmt(Math.max(...samples) / 1000)}] (${how})`);
  return { median: m, runs: samples.length };
}

/** Why a workflow run failed, from its `-o json` output when there is one. */
function describeFailure(jsonFile, err) {
  try {
    const wf = JSON.parse(readFileSync(jsonFile, 'utf8'));
    const bad = Object.values(wf.status?.nodes ?? {}).filter((n) => n.phase !== 'Succeeded' && n.type !== 'DAG' && n.type !== 'Steps');
    const cut = (m) => (m && m.length > 160 ? m.slice(0, 80) + ' … ' + m.slice(-60) : m ?? '');
    const sample = bad.slice(0, 3).map((n) => `${n.displayName}: ${n.phase} ${cut(n.message)}`.trim());
    return `phase ${wf.status?.phase} (${wf.status?.message ?? 'no message'}); ${bad.length} pod node(s) not Succeeded${sample.length ? ': ' + sample.join('; ') : ''}`;
  } catch {
    return err.message;
  }
}

// ---- generate the inputs
const gen = join(outDir, 'dag');
mkdirSync(gen, { recursive: true });
for (const name of [...SHAPES, ...(RSS_N ? [`fanout${RSS_N}`] : [])]) {
  const s = shape(name);
  writeFileSync(join(gen, `${name}.yaml`), argoWorkflow(name, s));
  writeFileSync(join(gen, `${name}.mk`), makefile(s));
  if (snakefiles[name]) writeFileSync(join(gen, `${name}.smk`), snakefiles[name]);
}
console.log(`DAG benchmark (${machine()}): inputs in ${gen}; budget ${BUDGET} s per command`);

let snakemake = !process.env.BENCH_SKIP_SNAKEMAKE && ensureTool('snakemake', 'snakemake', 240);
if (!snakemake) console.log('  snakemake: skipped (not installed and apt-get install snakemake did not succeed in time, or BENCH_SKIP_SNAKEMAKE set)');
if (!have('make')) throw new Error('make is not installed (apt-get install make)');

const rows = [];
const s = (ms) => `${fmt(ms / 1000)} s`;
for (const name of SHAPES) {
  const tasks = shape(name).nodes.length;
  console.log(`\n${name} (${tasks} tasks):`);
  let ours;
  try {
    ours = await timeCommand(`argosy-${name}`, 'node', [argosy, 'run', join(gen, `${name}.yaml`), '-o', 'name']);
  } catch (err) {
    console.log(`  argosy run ${name} failed: ${err.message}`);
    rows.push({ what: `${name} (${tasks}): argosy run`, ours: 'FAILED', ref: '', refName: '', note: err.message });
    continue;
  }
  const make = await timeCommand(`make-${name}`, 'make', ['-s', '-f', join(gen, `${name}.mk`), '-j2']);
  rows.push({ what: `${name} (${tasks}): argosy run vs make -j2`, ours: s(ours.median), ref: s(make.median), ratio: ours.median / make.median, refName: `make -s -j2 (target ≤ 3×)` });
  if (snakemake) {
    const wd = join(outDir, 'smk', name);
    mkdirSync(wd, { recursive: true });
    const prepare = () => rmSync(join(wd, 'out'), { recursive: true, force: true }) || rmSync(join(wd, '.snakemake'), { recursive: true, force: true });
    const smkArgs = ['-s', join(gen, `${name}.smk`), '-d', wd, '--cores', '2', '--quiet'];
    try {
      // Snakemake takes seconds to tens of seconds per run: its first run is the sample (no warm-up).
      const smk = await timeCommand(`snakemake-${name}`, 'snakemake', smkArgs, { prepare, budget: Math.min(BUDGET, 30) });
      rows.push({ what: `${name}: argosy run vs snakemake`, ours: s(ours.median), ref: s(smk.median), ratio: ours.median / smk.median, refName: 'snakemake --cores 2, default ILP scheduler (target ≤ 0.10×)' });
      if (name !== 'chain') {
        const greedy = await timeCommand(`snakemake-greedy-${name}`, 'snakemake', [...smkArgs, '--scheduler', 'greedy'], { prepare, budget: Math.min(BUDGET, 20) });
        rows.push({ what: `${name}: argosy run vs snakemake greedy`, ours: s(ours.median), ref: s(greedy.median), ratio: ours.median / greedy.median, refName: 'snakemake --cores 2 --scheduler greedy (target ≤ 0.10×)' });
      }
    } catch (err) {
      console.log(`  snakemake failed, skipped: ${err.message}`);
    }
  }
}

// ---- peak RSS of the controller on one big workflow, beside make's on the same DAG
if (RSS_N) {
  const name = `fanout${RSS_N}`;
  console.log(`\n${name} (root → ${RSS_N} tasks), one run each, peak RSS:`);
  const rssFile = join(outDir, 'maxrss.txt');
  rmSync(rssFile, { force: true });
  const hook = join(benchDir, 'maxrss-hook.mjs');
  const jsonOut = join(outDir, `${name}-result.json`);
  let t = NaN;
  let failure;
  try {
    t = await runOnce('sh', ['-c', `exec node --import "$1" "$2" run "$3" -o json > "$4"`, 'sh', hook, argosy, join(gen, `${name}.yaml`), jsonOut], { env: { ARGOSY_BENCH_MAXRSS_FILE: rssFile } });
  } catch (err) {
    failure = describeFailure(jsonOut, err);
    console.log(`  argosy run ${name} did not succeed: ${failure}`);
  }
  const ourKiB = Number(readFileSync(rssFile, 'utf8'));
  let makeKiB = NaN;
  let makeMs = NaN;
  if (have('/usr/bin/time') || spawnSync('test', ['-x', '/usr/bin/time']).status === 0) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', 'make', '-s', '-f', join(gen, `${name}.mk`), '-j2'], { encoding: 'utf8' });
    makeMs = performance.now() - t0;
    makeKiB = Number(r.stderr.trim().split('\n').pop());
  }
  const mib = (k) => `${fmt(k / 1024)} MiB`;
  rows.push({ what: `${name} (${RSS_N + 1} tasks): controller peak RSS`, ours: mib(ourKiB), ref: mib(makeKiB), ratio: ourKiB / makeKiB, refName: 'make -j2 peak RSS (/usr/bin/time %M)' });
  rows.push({ what: `${name} (${RSS_N + 1} tasks): wall time, 1 run`, ours: failure ? `${s(t)} (FAILED)` : s(t), ref: s(makeMs), ratio: t / makeMs, refName: 'make -s -j2', note: failure });
}

table('dag', rows);

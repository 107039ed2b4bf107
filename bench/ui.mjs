// UI benchmark: open a 2,000-node workflow's graph in headless Chromium and report the time to a drawn
// graph and the longest main-thread task (PerformanceObserver 'longtask'). Targets: < 2 s, < 200 ms.
//
//   node bench/ui.mjs                      # starts its own `argosy server` on a temp data dir
//   node bench/ui.mjs --server http://127.0.0.1:2746 --nodes 5000 --runs 3
//
// The workflow is created directly through the REST API with a synthetic status.nodes (a layered DAG
// of Pod nodes, already finished), so nothing runs. Needs the UI built (npm run build:ui) and
// Debian's chromium at /usr/bin/chromium (or $CHROMIUM). Prints the figures; asserts nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** A finished layered DAG of `n` Pod nodes under one DAG node, deterministic (seeded). */
export function syntheticWorkflow(name, n = 2000, perLayer = 80) {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const nodes = {};
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = `${name}-${(0x10000000 + i).toString(16)}`;
    ids.push(id);
    const layer = Math.floor(i / perLayer);
    const phase = i % 97 === 13 ? 'Failed' : i % 53 === 7 ? 'Skipped' : 'Succeeded';
    nodes[id] = {
      id, name: `${name}.task-${i}`, displayName: `task-${i}`, type: 'Pod', templateName: 'work', phase, boundaryID: name,
      startedAt: new Date(t0 + layer * 10_000).toISOString(), finishedAt: new Date(t0 + layer * 10_000 + 8000).toISOString(),
      children: [],
      outputs: { exitCode: phase === 'Failed' ? '1' : '0' },
    };
  }
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const nextStart = (layer + 1) * perLayer;
    if (nextStart >= n) continue;
    const nextSize = Math.min(perLayer, n - nextStart);
    const k = 1 + Math.floor(rnd() * 2);
    for (let j = 0; j < k; j++) nodes[ids[i]].children.push(ids[nextStart + Math.floor(rnd() * nextSize)]);
  }
  // Make sure every node of a layer below the first has a parent.
  const hasParent = new Set(Object.values(nodes).flatMap((x) => x.children));
  for (let i = perLayer; i < n; i++) if (!hasParent.has(ids[i])) nodes[ids[i - perLayer]].children.push(ids[i]);
  nodes[name] = {
    id: name, name, displayName: name, type: 'DAG', templateName: 'main', phase: 'Failed',
    startedAt: new Date(t0).toISOString(), finishedAt: new Date(t0 + 3_600_000).toISOString(),
    children: ids.slice(0, Math.min(perLayer, n)), outboundNodes: ids.slice(-Math.min(perLayer, n)),
  };
  return {
    metadata: { name, labels: { 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Failed', bench: 'ui' } },
    spec: {
      entrypoint: 'main',
      templates: [
        { name: 'main', dag: { tasks: [{ name: 'a', template: 'work' }] } },
        { name: 'work', container: { image: 'alpine', command: ['true'] } },
      ],
    },
    status: { phase: 'Failed', startedAt: new Date(t0).toISOString(), finishedAt: new Date(t0 + 3_600_000).toISOString(), progress: `${n}/${n}`, message: 'synthetic', nodes },
  };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export async function benchUi({ server, nodes = 2000, runs = 3, screenshot = join(ROOT, 'bench', 'out', 'ui-graph.png') } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  if (!existsSync(join(ROOT, 'ui', 'dist', 'index.html')) && !process.env.ARGOSY_UI_DIR) throw new Error('the UI is not built: npm run build:ui');
  let child;
  let dir;
  if (!server) {
    dir = mkdtempSync(join(tmpdir(), 'argosy-bench-ui-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(ROOT, 'bin', 'argosy'), 'server', '--data-dir', join(dir, 'data'), '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${server}/readyz`)).ok) break;
      } catch {
        // starting
      }
      if (i > 200) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const name = `bench-ui-${nodes}-${Date.now().toString(36)}`;
    const wf = syntheticWorkflow(name, nodes);
    const res = await fetch(`${server}/api/v1/workflows/default`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ workflow: wf }) });
    if (!res.ok) throw new Error(`create: ${res.status} ${await res.text()}`);
    const bytes = JSON.stringify(wf).length;
    const results = [];
    for (let r = 0; r < runs; r++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      await page.addInitScript(() => {
        window.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.goto(`${server}/workflows/default/${name}`);
      await page.waitForFunction(() => document.body.dataset.graphDrawn, null, { timeout: 30_000 });
      await page.waitForTimeout(400); // let trailing tasks land
      const m = await page.evaluate(() => ({
        drawnMs: Number(document.body.dataset.graphDrawn),
        layoutMs: Number(document.body.dataset.graphLayoutMs),
        mode: document.querySelector('.graph-stage')?.getAttribute('data-mode'),
        drawnNodes: Number(document.querySelector('canvas.graph-canvas')?.getAttribute('data-drawn') ?? document.querySelectorAll('g.node').length),
        longTasks: window.__longTasks,
      }));
      // Interaction: a pan + zoom (canvas redraw) must stay under a frame or two.
      const before = await page.evaluate(() => window.__longTasks.length);
      const box = await page.locator('.graph-stage').boundingBox();
      await page.mouse.move(box.x + 300, box.y + 200);
      await page.mouse.down();
      for (let i = 0; i < 10; i++) await page.mouse.move(box.x + 300 - i * 20, box.y + 200 - i * 10);
      await page.mouse.up();
      await page.mouse.wheel(0, -300);
      await page.waitForTimeout(200);
      const interaction = await page.evaluate((b) => window.__longTasks.slice(b), before);
      if (r === 0 && screenshot) {
        mkdirSync(dirname(screenshot), { recursive: true });
        await page.screenshot({ path: screenshot });
      }
      results.push({
        drawnMs: m.drawnMs,
        layoutMs: m.layoutMs,
        mode: m.mode,
        drawnNodes: m.drawnNodes,
        longestTaskMs: Math.round(Math.max(0, ...m.longTasks.map((t) => t.duration))),
        longTasks: m.longTasks.length,
        interactionLongestTaskMs: Math.round(Math.max(0, ...interaction.map((t) => t.duration))),
      });
      await ctx.close();
    }
    const med = (k) => results.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
    return { nodes, workflowJsonBytes: bytes, runs: results, median: { drawnMs: med('drawnMs'), longestTaskMs: med('longestTaskMs'), layoutMs: med('layoutMs') }, worst: { drawnMs: Math.max(...results.map((x) => x.drawnMs)), longestTaskMs: Math.max(...results.map((x) => x.longestTaskMs)) }, targets: { drawnMs: 2000, longestTaskMs: 200 } };
  } finally {
    await browser.close();
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await benchUi({ server: arg('server'), nodes: Number(arg('nodes', 2000)), runs: Number(arg('runs', 3)) });
  for (const [i, r] of out.runs.entries()) {
    console.log(`run ${i + 1}: ${out.nodes} nodes (${r.mode}, ${r.drawnNodes} drawn): graph drawn at ${r.drawnMs} ms (layout ${r.layoutMs} ms in the worker); longest main-thread task ${r.longestTaskMs} ms (${r.longTasks} long tasks); pan/zoom longest task ${r.interactionLongestTaskMs} ms`);
  }
  const ok = (v, t) => (v < t ? 'ok' : 'OVER TARGET');
  console.log(`median: time to drawn graph ${out.median.drawnMs} ms (target < 2000: ${ok(out.median.drawnMs, 2000)}); longest task ${out.median.longestTaskMs} ms (target < 200: ${ok(out.median.longestTaskMs, 200)}); workflow JSON ${(out.workflowJsonBytes / 1024).toFixed(0)} KiB`);
  console.log(`worst of ${out.runs.length}: time to drawn graph ${out.worst.drawnMs} ms (${ok(out.worst.drawnMs, 2000)}); longest task ${out.worst.longestTaskMs} ms (${ok(out.worst.longestTaskMs, 200)})`);
  console.log(JSON.stringify(out));
}

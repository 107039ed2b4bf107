// The web UI in a real browser: Debian's /usr/bin/chromium driven by playwright-core, against a real
// `argosy server` child process. Submits from a template form (enum parameter), follows the run in the
// graph, reads the node's logs, suspends/resumes/terminates from the toolbar, filters the list, and
// checks URL state, dark mode and the error/empty states; pending DAG tasks, artifact downloads, the
// timeline and events tabs, and resuming a suspend node with supplied values. Screenshots go to test-output/ui/.
// Skips (with a message) only when /usr/bin/chromium is missing: `apt-get install -y chromium`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'argosy');
const SHOTS = join(ROOT, 'test-output', 'ui');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/ui.test.ts: SKIPPED — ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'argosy-ui-'));
let server: ChildProcess;
let serverLog = '';
let base = '';
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function rest<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

describe.skipIf(!haveChromium)('web UI (chromium)', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Build the UI from the current source into a private directory the server is pointed at.
    const uiDir = join(dir, 'ui-dist');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', join(ROOT, 'ui'), '--outDir', uiDir, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [BIN, 'server', '--data-dir', join(dir, 'data'), '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ARGOSY_UI_DIR: uiDir } });
    server.stderr!.on('data', (d) => (serverLog = (serverLog + d).slice(-20_000)));
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {
        // starting
      }
      if (i > 150) throw new Error(`server did not start: ${serverLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await rest('POST', '/api/v1/workflow-templates/default', {
      template: {
        metadata: { name: 'hello-world' },
        spec: {
          entrypoint: 'main',
          arguments: { parameters: [{ name: 'message', value: 'hello', enum: ['hello', 'bonjour from argosy', 'hola'], description: 'What the container says' }] },
          templates: [{ name: 'main', inputs: { parameters: [{ name: 'message' }] }, container: { image: 'alpine', command: ['echo'], args: ['{{inputs.parameters.message}}'] } }],
        },
      },
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 60_000);

  afterEach((ctx) => {
    // On a failure, show what the server was doing (a UI wait that times out is often a run that stalled).
    if (ctx.task.result?.state === 'fail') console.error(`argosy server log (tail):\n${serverLog.split('\n').slice(-40).join('\n')}`);
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('submits from the template form, shows the graph going to Succeeded and the node logs', async () => {
    await page.goto(`${base}/workflow-templates`);
    await page.locator('#templates-table tr[data-name="hello-world"]').waitFor();
    await shot('templates');
    await page.click('button[data-submit="hello-world"]');
    const select = page.locator('dialog.submit select[name="message"]');
    await expect(select.locator('option').allTextContents()).resolves.toEqual(['hello', 'bonjour from argosy', 'hola']);
    await expect(page.locator('dialog.submit .help').first().textContent()).resolves.toBe('What the container says');
    await select.selectOption('bonjour from argosy');
    await shot('submit-form');
    await page.click('[data-testid="submit-workflow"]');
    await page.waitForURL(/\/workflows\/default\/hello-world-/);
    const name = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    // The pod node turns Succeeded, live.
    const podNode = page.locator('g.node[data-phase="Succeeded"]:not(.small)').first();
    await podNode.waitFor({ timeout: 30_000 });
    await page.locator('#workflow-phase [data-phase="Succeeded"]').waitFor();
    await podNode.click();
    expect(new URL(page.url()).searchParams.get('node')).toBeTruthy();
    await expect(page.locator('[data-testid="node-summary"]').textContent()).resolves.toContain('Pod name');
    await page.click('button[data-ntab="logs"]');
    await page.locator('[data-testid="logs"] .log-line', { hasText: 'bonjour from argosy' }).waitFor();
    // The regex filter highlights the match.
    await page.fill('[data-testid="logs-filter"]', 'bon.our');
    await page.locator('[data-testid="logs"] mark', { hasText: 'bonjour' }).waitFor();
    await shot('details-graph-logs');
    // The URL carries the view: reloading restores the node panel on the logs tab.
    await page.reload();
    await page.locator('[data-testid="logs"] .log-line', { hasText: 'bonjour' }).waitFor();
    // YAML tab.
    await page.click('#tab-yaml');
    await page.locator('pre.yaml', { hasText: `name: ${name}` }).waitFor();
    await shot('details-yaml');
    // The workflow-level logs tab reads the finished workflow's logs.
    await page.click('#tab-logs');
    await page.locator('[data-testid="logs"] .log-line', { hasText: 'bonjour from argosy' }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 45_000);

  it('suspends, resumes and terminates a running workflow from the toolbar', async () => {
    const wf = await rest<{ metadata: { name: string } }>('POST', '/api/v1/workflows/default', {
      workflow: {
        metadata: { generateName: 'sleepy-', labels: { team: 'ui' } },
        spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['sh', '-c', 'echo starting; sleep 30'] } }] },
      },
    });
    const name = wf.metadata.name;
    await page.goto(`${base}/workflows/default/${name}`);
    await page.locator('#workflow-phase [data-phase="Running"]').waitFor({ timeout: 15_000 });
    await page.locator('button[data-action="suspend"]:not([disabled])').click();
    await page.locator('#workflow-phase [data-phase="Suspended"]').waitFor();
    expect(await page.locator('button[data-action="resume"]').isDisabled()).toBe(false);
    expect(await page.locator('button[data-action="suspend"]').isDisabled()).toBe(true);
    await shot('details-suspended');
    await page.click('button[data-action="resume"]');
    await page.locator('#workflow-phase [data-phase="Running"]').waitFor();
    // Terminate asks for confirmation first.
    await page.click('button[data-action="terminate"]');
    await page.click('[data-testid="confirm-ok"]');
    await page.locator('#workflow-phase [data-phase="Failed"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('button[data-action="retry"]').isDisabled()).toBe(false);
    expect(await page.locator('button[data-action="stop"]').isDisabled()).toBe(true);
  }, 40_000);

  it('filters the list by phase, name and label, with counts and URL state', async () => {
    await page.goto(`${base}/workflows`);
    await page.locator('#workflows-table tbody tr').first().waitFor();
    expect(await page.locator('#workflows-table tbody tr').count()).toBe(2);
    await page.locator('.phase-filter button[data-phase="Succeeded"] .count', { hasText: '1' }).waitFor();
    await page.locator('.phase-filter button[data-phase="Failed"] .count', { hasText: '1' }).waitFor();
    await shot('workflows-list');
    await page.click('.phase-filter button[data-phase="Succeeded"]');
    await page.waitForFunction(() => document.querySelectorAll('#workflows-table tbody tr').length === 1);
    expect(await page.locator('#workflows-table tbody tr').getAttribute('data-name')).toMatch(/^hello-world-/);
    expect(new URL(page.url()).searchParams.get('phase')).toBe('Succeeded');
    await page.click('.phase-filter button[data-phase="Succeeded"]');
    await page.fill('#name-filter', 'sleepy');
    await page.waitForFunction(() => [...document.querySelectorAll('#workflows-table tbody tr')].every((r) => r.getAttribute('data-name')?.startsWith('sleepy-')) && document.querySelectorAll('#workflows-table tbody tr').length === 1);
    await page.fill('#name-filter', '');
    await page.fill('#label-filter', 'team=ui');
    await page.waitForURL((u) => u.searchParams.get('label') === 'team=ui' && !u.searchParams.has('name'));
    await page.waitForFunction(() => document.querySelectorAll('#workflows-table tbody tr').length === 1 && !!document.querySelector('#workflows-table tr[data-name^="sleepy-"]'));
    // A filter that matches nothing shows an empty state, not an empty table.
    await page.fill('#name-filter', 'no-such-workflow');
    await page.locator('.empty', { hasText: 'No workflows match' }).waitFor();
    // Live: a workflow created now appears without a reload.
    await page.fill('#name-filter', '');
    await page.fill('#label-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#workflows-table tbody tr').length === 2);
    await rest('POST', '/api/v1/workflows/default', { workflow: { metadata: { name: 'live-one' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['true'] } }] } } });
    await page.locator('#workflows-table tr[data-name="live-one"]').waitFor();
    // Multi-select delete asks for confirmation.
    await page.locator('#workflows-table tr[data-name="live-one"] input[type=checkbox]').check();
    await page.click('button[data-action="delete"]');
    await page.click('[data-testid="confirm-ok"]');
    await page.locator('#workflows-table tr[data-name="live-one"]').waitFor({ state: 'detached' });
  }, 30_000);

  it('has dark mode, a UTC toggle, and clear error states', async () => {
    await page.goto(`${base}/workflows`);
    await page.locator('#workflows-table tbody tr').first().waitFor();
    await page.click('#theme-toggle');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.click('#tz-toggle');
    await page.locator('#workflows-table time', { hasText: /Z$/ }).first().waitFor();
    await shot('workflows-list-dark');
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.goto(`${base}/workflows/default/does-not-exist`);
    await page.locator('.empty', { hasText: 'was not found' }).waitFor();
    await page.click('#theme-toggle');
    await page.click('#tz-toggle');
    // Keyboard: the toolbar controls are real buttons reachable with Tab.
    await page.goto(`${base}/cron-workflows`);
    await page.locator('.empty', { hasText: 'No cron workflows' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('A');
    expect(pageErrors).toEqual([]);
  }, 20_000);

  it('draws a 600-node graph on a canvas and finds a node by name', async () => {
    const { syntheticWorkflow } = (await import('../bench/ui.mjs')) as { syntheticWorkflow: (n: string, count: number) => Record<string, unknown> };
    await rest('POST', '/api/v1/workflows/default', { workflow: syntheticWorkflow('big-graph', 600) });
    await page.goto(`${base}/workflows/default/big-graph`);
    await page.locator('.graph-stage[data-mode="canvas"] canvas[data-drawn="601"]').waitFor();
    await page.fill('input[aria-label="Find a node by name"]', 'task-123');
    await page.press('input[aria-label="Find a node by name"]', 'Enter');
    await expect(page.locator('[data-testid="node-summary"]').textContent()).resolves.toContain('big-graph.task-123');
    expect(new URL(page.url()).searchParams.get('node')).toBe('big-graph-1000007b');
    await shot('details-canvas-600');
    // A click on the canvas hit-tests the node under the pointer: the selected node is centred.
    const box = (await page.locator('.graph-stage').boundingBox())!;
    await page.click('button[aria-label="Close node details"]');
    await page.locator('[data-testid="node-summary"]').waitFor({ state: 'hidden' });
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect(page.locator('[data-testid="node-summary"]').textContent()).resolves.toContain('big-graph.task-123');
  }, 20_000);

  it('lists cron workflows with a readable schedule and suspends them', async () => {
    await rest('POST', '/api/v1/cron-workflows/default', {
      cronWorkflow: { metadata: { name: 'nightly' }, spec: { schedule: '30 2 * * 1-5', workflowSpec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['true'] } }] } } },
    });
    await page.goto(`${base}/cron-workflows`);
    const row = page.locator('#crons-table tr[data-name="nightly"]');
    await row.locator('.human', { hasText: 'At 02:30, on weekdays' }).waitFor();
    await row.locator('button', { hasText: 'Suspend' }).click();
    await row.locator('.badge', { hasText: 'Suspended' }).waitFor();
    await shot('cron-workflows');
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('.badge', { hasText: 'Active' }).waitFor();
  }, 15_000);
  it('draws planned DAG tasks that have not started yet as dashed pending nodes', async () => {
    const wf = await rest<{ metadata: { name: string } }>('POST', '/api/v1/workflows/default', {
      workflow: {
        metadata: { generateName: 'dag-pending-' },
        spec: {
          entrypoint: 'main',
          templates: [
            { name: 'main', dag: { tasks: [
              { name: 'sleep', template: 'sleep' },
              { name: 'after-sleep', template: 'echo', depends: 'sleep' },
              { name: 'last', template: 'echo', depends: 'after-sleep.Succeeded || sleep.Failed' },
            ] } },
            { name: 'sleep', container: { image: 'alpine', command: ['sh', '-c', 'sleep 30'] } },
            { name: 'echo', container: { image: 'alpine', command: ['echo', 'hi'] } },
          ],
        },
      },
    });
    const name = wf.metadata.name;
    await page.goto(`${base}/workflows/default/${name}`);
    await page.locator('#workflow-phase [data-phase="Running"]').waitFor();
    await page.locator('g.node.pending[data-label="after-sleep"]').waitFor();
    await page.locator('g.node.pending[data-label="last"]').waitFor();
    expect(await page.locator('g.node.pending[data-label="sleep"]').count()).toBe(0);
    // Edges: sleep → after-sleep → last, drawn from the spec.
    expect(await page.locator('g.node:not(.pending)[data-label="sleep"]').count()).toBe(1);
    await shot('details-dag-pending');
    await rest('PUT', `/api/v1/workflows/default/${name}/terminate`, { namespace: 'default', name });
    await page.locator('#workflow-phase [data-phase="Failed"]').waitFor({ timeout: 15_000 });
    await page.locator('g.node.pending').first().waitFor({ state: 'detached' });
  }, 30_000);

  it('downloads output artifacts from the node panel', async () => {
    await rest('POST', '/api/v1/workflows/default', {
      workflow: {
        metadata: { name: 'artifact-maker' },
        spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['sh', '-c', 'echo artifact says hi > /tmp/hello.txt'] }, outputs: { artifacts: [{ name: 'greeting', path: '/tmp/hello.txt', archive: { none: {} } }, { name: 'packed', path: '/tmp/hello.txt' }] } }] },
      },
    });
    await page.goto(`${base}/workflows/default/artifact-maker`);
    await page.locator('#workflow-phase [data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    await page.locator('g.node[data-phase="Succeeded"]:not(.small)').first().click();
    await page.click('button[data-ntab="io"]');
    const link = page.locator('a[data-artifact="greeting"]');
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(/^\/artifacts\/default\/artifact-maker\/[^/]+\/greeting$/);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync((await download.path())!, 'utf8')).toBe('artifact says hi\n');
    expect(download.suggestedFilename()).toBe('hello.txt');
    // The default (tar+gzip) archive is served as it is stored.
    const packed = await fetch(base + (await page.locator('a[data-artifact="packed"]').getAttribute('href'))!);
    expect(packed.headers.get('content-disposition')).toBe('attachment; filename="packed.tgz"');
    expect([...new Uint8Array(await packed.arrayBuffer()).slice(0, 2)]).toEqual([0x1f, 0x8b]);
    // Unknown artifacts and nodes are a clear 404.
    const miss = await fetch(`${base}${href.replace(/greeting$/, 'nope')}`);
    expect(miss.status).toBe(404);
    expect(await miss.text()).toContain('has no output artifact "nope"');
    expect((await fetch(`${base}/input-artifacts/default/artifact-maker/no-node/x`)).status).toBe(404);
  }, 40_000);
  it('shows a timeline of pods and the workflow events', async () => {
    await page.goto(`${base}/workflows/default/artifact-maker?tab=timeline`);
    const bar = page.locator('[data-testid="timeline"] .timeline-row[data-phase="Succeeded"] .timeline-bar.bar-succeeded');
    await bar.waitFor();
    await expect(page.locator('[data-testid="timeline"] .timeline-label').first().textContent()).resolves.toBe('artifact-maker');
    expect(Number.parseFloat((await bar.evaluate((e) => getComputedStyle(e).width)) || '0')).toBeGreaterThan(100);
    await shot('details-timeline');
    await page.click('#tab-events');
    await page.locator('[data-testid="events"] tr[data-reason="WorkflowSucceeded"]').waitFor();
    await page.locator('[data-testid="events"] tr[data-reason="WorkflowRunning"]').waitFor();
    await shot('details-events');
    // A bar opens the node in the graph.
    await page.click('#tab-timeline');
    await bar.click();
    await expect(page.locator('[data-testid="node-summary"]').textContent()).resolves.toContain('Pod name');
  }, 20_000);

  it('resumes a suspended node with supplied output values', async () => {
    await rest('POST', '/api/v1/workflows/default', {
      workflow: {
        metadata: { name: 'approval' },
        spec: {
          entrypoint: 'main',
          templates: [
            { name: 'main', steps: [[{ name: 'approve', template: 'approve' }], [{ name: 'say', template: 'say', arguments: { parameters: [{ name: 'answer', value: '{{steps.approve.outputs.parameters.answer}}' }] } }]] },
            { name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'answer', enum: ['YES', 'NO'], default: 'NO', valueFrom: { supplied: {} }, description: 'Ship it?' }, { name: 'note', valueFrom: { supplied: {} } }] } },
            { name: 'say', inputs: { parameters: [{ name: 'answer' }] }, container: { image: 'alpine', command: ['echo', 'answer={{inputs.parameters.answer}}'] } },
          ],
        },
      },
    });
    await page.goto(`${base}/workflows/default/approval`);
    const node = page.locator('g.node[data-label="approve"][data-phase="Running"]');
    await node.waitFor();
    await node.click();
    const form = page.locator('[data-testid="resume-form"]');
    await expect(form.locator('select[name="answer"] option').allTextContents()).resolves.toEqual(['YES', 'NO']);
    expect(await form.locator('select[name="answer"]').inputValue()).toBe('NO');
    await form.locator('select[name="answer"]').selectOption('YES');
    await form.locator('input[name="note"]').fill('looks good');
    await shot('details-resume-form');
    await page.click('[data-testid="resume-node"]');
    await page.locator('#workflow-phase [data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    const wf = await rest<{ status: { nodes: Record<string, { displayName: string; outputs?: { parameters?: { name: string; value?: string }[] }; inputs?: { parameters?: { name: string; value?: string }[] } }> } }>('GET', '/api/v1/workflows/default/approval');
    const nodes = Object.values(wf.status.nodes);
    expect(nodes.find((n) => n.displayName === 'approve')?.outputs?.parameters).toEqual(expect.arrayContaining([{ name: 'answer', value: 'YES' }, { name: 'note', value: 'looks good' }]));
    expect(nodes.find((n) => n.displayName === 'say')?.inputs?.parameters?.[0]?.value).toBe('YES');
    await page.locator('[data-testid="resume-form"]').waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  }, 45_000);
});

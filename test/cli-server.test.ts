// The `argosy` verbs against a real `argosy server` child process: submit, list, get, logs, wait,
// suspend/resume, retry, resubmit, delete, templates, cron, and the exit codes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'argosy');
const dir = mkdtempSync(join(tmpdir(), 'argosy-cli-server-'));
let server: ChildProcess;
let address: string;

function argosy(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ARGO_SERVER: address, ...env }, timeout: 40_000, encoding: 'utf8' }, (error, out, err) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  address = `127.0.0.1:${port}`;
  server = spawn(process.execPath, [BIN, 'server', '--data-dir', join(dir, 'data'), '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d) => (log += d));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://${address}/readyz`)).ok) break;
    } catch {
      // starting
    }
    if (i > 150) throw new Error(`server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

const hello = file(
  'hello.yaml',
  `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container: {image: alpine, command: [sh, -c], args: ["echo hello {{inputs.parameters.who}}"]}
`,
);

describe('argosy CLI against a server', () => {
  it('submits and waits, lists, gets and prints logs', async () => {
    const sub = await argosy(['submit', hello, '--wait', '-p', 'who=server']);
    expect(sub.err).toBe('');
    expect(sub.code).toBe(0);
    const name = sub.out.split(' ')[0];
    expect(name).toMatch(/^hello-/);
    expect(sub.out).toMatch(/Succeeded/);
    const list = await argosy(['list']);
    expect(list.out).toMatch(/^NAME\s+STATUS\s+AGE\s+DURATION\s+PRIORITY\s+MESSAGE/);
    expect(list.out).toMatch(new RegExp(`${name}\\s+Succeeded`));
    expect((await argosy(['list', '--status', 'Failed', '-o', 'name'])).out).toBe('');
    expect((await argosy(['list', '-A', '--no-headers'])).out).toMatch(new RegExp(`^default\\s+${name}`));
    const json = JSON.parse((await argosy(['get', name, '-o', 'json'])).out);
    expect(json.status.phase).toBe('Succeeded');
    expect((await argosy(['get', '@latest'])).out).toMatch(/Status:\s+Succeeded/);
    const logs = await argosy(['logs', name]);
    expect(logs.out).toMatch(new RegExp(`^${name}.*: hello server$`, 'm'));
  }, 40_000);

  it('waits with exit 1 on failure, retries failed steps, and resubmits', async () => {
    const marker = join(dir, 'marker');
    const flaky = file(
      'flaky.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: flaky}
spec:
  entrypoint: main
  volumes: [{name: d, hostPath: {path: "${dir}", type: Directory}}]
  templates:
  - name: main
    steps:
    - - {name: first, template: ok}
    - - {name: second, template: once-fails}
  - name: ok
    container: {image: alpine, command: [sh, -c, "echo ran >> ${dir}/first.log"], volumeMounts: [{name: d, mountPath: "${dir}"}]}
  - name: once-fails
    container: {image: alpine, command: [sh, -c, "test -f ${marker} || { touch ${marker}; exit 3; }"], volumeMounts: [{name: d, mountPath: "${dir}"}]}
`,
    );
    const failed = await argosy(['submit', flaky, '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/flaky Failed/);
    expect((await argosy(['wait', 'flaky'])).code).toBe(1);
    const retried = await argosy(['retry', 'flaky', '--wait', '-o', 'name']);
    expect(retried.err).toBe('');
    expect(retried.out.trim()).toBe('flaky');
    expect(retried.code).toBe(0);
    expect(readFileSync(join(dir, 'first.log'), 'utf8')).toBe('ran\n');
    const re = await argosy(['resubmit', 'flaky', '--wait', '-o', 'name']);
    expect(re.code).toBe(0);
    expect(re.out.trim()).toMatch(/^flaky-/);
    expect((await argosy(['retry', 'flaky'])).err).toMatch(/must be Failed\/Error to retry/);
  }, 40_000);

  it('suspends and resumes a workflow waiting on a suspend step; stops and terminates', async () => {
    const approval = file(
      'approval.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: approval}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: approve, template: approve}
    - - {name: after, template: echo}
  - name: approve
    suspend: {}
  - name: echo
    container: {image: alpine, command: [echo, approved]}
`,
    );
    expect((await argosy(['submit', approval])).code).toBe(0);
    for (let i = 0; i < 100; i++) {
      const wf = JSON.parse((await argosy(['get', 'approval', '-o', 'json'])).out);
      if (Object.values(wf.status?.nodes ?? {}).some((n) => (n as { type: string; phase: string }).type === 'Suspend')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await argosy(['suspend', 'approval'])).out).toBe('workflow approval suspended\n');
    expect((await argosy(['list'])).out).toMatch(/approval\s+Running \(Suspended\)/);
    expect((await argosy(['resume', 'approval'])).out).toBe('workflow approval resumed\n');
    const done = await argosy(['wait', 'approval']);
    expect(done.out).toMatch(/approval Succeeded/);
    expect((await argosy(['stop', 'approval'])).err).toMatch(/cannot shutdown a completed workflow/);
    const sleeper = file('sleeper.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sleeper}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sleep, "30"]}
`);
    await argosy(['submit', sleeper]);
    expect((await argosy(['terminate', 'sleeper'])).out).toBe('workflow sleeper terminated\n');
    const t = await argosy(['wait', 'sleeper']);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/sleeper Failed/);
    expect((await argosy(['delete', 'sleeper', 'approval'])).out).toBe("Workflow 'sleeper' deleted\nWorkflow 'approval' deleted\n");
  }, 40_000);

  it('manages templates and cron workflows and submits from them', async () => {
    const tmpl = file('tmpl.yaml', `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: greet}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: tmpl}]}
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container: {image: alpine, command: [sh, -c], args: ["echo hi {{inputs.parameters.who}}"]}
`);
    expect((await argosy(['template', 'lint', tmpl])).out).toMatch(/no linting errors/);
    expect((await argosy(['template', 'create', tmpl])).out).toBe('WorkflowTemplate greet created\n');
    expect((await argosy(['template', 'list'])).out).toMatch(/NAME\s*\ngreet/);
    expect((await argosy(['template', 'get', 'greet', '-o', 'yaml'])).out).toMatch(/name: greet/);
    const sub = await argosy(['submit', '--from', 'workflowtemplate/greet', '-p', 'who=from-template', '--wait']);
    expect(sub.code).toBe(0);
    const name = sub.out.split(' ')[0];
    expect((await argosy(['logs', name])).out).toMatch(/hi from-template/);
    const cron = file('cron.yaml', `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: alpine, command: [echo, nightly]}
`);
    expect((await argosy(['cron', 'create', cron])).code).toBe(0);
    expect((await argosy(['cron', 'suspend', 'nightly'])).out).toBe("CronWorkflow 'nightly' suspended\n");
    expect((await argosy(['cron', 'list'])).out).toMatch(/nightly\s+\S+\s+0 2 \* \* \*\s+true/);
    expect((await argosy(['cron', 'resume', 'nightly'])).code).toBe(0);
    expect((await argosy(['cron', 'delete', 'nightly'])).code).toBe(0);
    expect((await argosy(['template', 'delete', 'greet'])).out).toBe("WorkflowTemplate 'greet' deleted\n");
    const badLint = await argosy(['template', 'lint', file('badtmpl.yaml', `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: broken}
spec:
  entrypoint: nope
  templates:
  - name: main
    container: {image: alpine}
`)]);
    expect(badLint.code).toBe(2);
  }, 40_000);

  it('exits 2 for bad input and 1 with a clear message when no server answers', async () => {
    const bad = await argosy(['submit', file('bad.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: bad}\nspec: {entrypoint: nope, templates: [{name: main, container: {image: alpine}}]}\n')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^Error: .*nope/m);
    expect((await argosy(['get', 'does-not-exist'])).code).toBe(1);
    expect((await argosy(['list', '-o', 'table'])).code).toBe(2);
    const down = await argosy(['list'], { ARGO_SERVER: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/cannot reach an Argosy server at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)\. Start one with `argosy server`/);
  }, 30_000);
});

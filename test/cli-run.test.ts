// `argosy run` and `argosy lint` end to end: the built CLI, real sandboxed processes, real files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'argosy');
const dir = mkdtempSync(join(tmpdir(), 'argosy-cli-'));

function argosy(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const hello = file(
  'hello.yaml',
  `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: who, value: world}]
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo hello {{inputs.parameters.who}}; echo private > /tmp/x; cat /tmp/x"]
`,
);

const invalid = (name: string, spec: string) =>
  file(name, `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: bad}\nspec:\n${spec}`);

describe('argosy run', () => {
  it('runs a workflow and exits 0 with an argo-get style summary', () => {
    const r = argosy(['run', hello]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Status:\s+Succeeded/);
    expect(r.out).toMatch(/STEP\s+TEMPLATE\s+PODNAME\s+DURATION\s+MESSAGE/);
  });

  it('prints only the final Workflow with -o json, outputs included, and applies -p', () => {
    const r = argosy(['run', hello, '-o', 'json', '-p', 'who=argosy']);
    expect(r.code).toBe(0);
    const wf = JSON.parse(r.out);
    expect(wf.kind).toBe('Workflow');
    expect(wf.status.phase).toBe('Succeeded');
    const root = wf.status.nodes[wf.metadata.name];
    expect(root).toMatchObject({ id: wf.metadata.name, type: 'Pod', phase: 'Succeeded', templateName: 'main' });
    expect(root.outputs.result).toBe('hello argosy\nprivate');
    expect(root.outputs.exitCode).toBe('0');
  });

  it('streams step logs with --log', () => {
    const r = argosy(['run', hello, '--log']);
    expect(r.out).toMatch(/hello-[a-z0-9]{5}: hello world/);
  });

  it('exits 1 when the workflow fails, with Argo\'s message', () => {
    const f = file(
      'fail.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: failing}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: boom
        template: boom
  - name: boom
    container: {image: alpine, command: [sh, -c, "exit 3"]}
`,
    );
    const r = argosy(['run', f, '-o', 'json']);
    expect(r.code).toBe(1);
    const wf = JSON.parse(r.out);
    expect(wf.status.phase).toBe('Failed');
    expect(wf.status.message).toMatch(/^child 'failing-\d+' failed$/);
    const boom = Object.values(wf.status.nodes as Record<string, { displayName: string; message: string }>).find((n) => n.displayName === 'boom');
    expect(boom?.message).toBe('Error (exit code 3)');
  });

  it('refuses invalid YAML with exit 2 and FILE:LINE:COL, no stack trace', () => {
    const f = file('broken.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: x\n spec: [\n');
    const r = argosy(['run', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`${f.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
    expect(r.err).not.toMatch(/\n\s+at /);
  });


  it.each([
    ['an unknown template', invalid('unknown.yaml', '  entrypoint: main\n  templates:\n  - name: main\n    steps:\n    - - {name: a, template: nope}\n'), /spec\.templates\[0\]\.steps\[0\]\[0\]\.template.*nope/],
    ['a DAG cycle', invalid('cycle.yaml', '  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n      - {name: a, template: t, depends: b}\n      - {name: b, template: t, depends: a}\n  - name: t\n    container: {image: alpine}\n'), /cycle/i],
    ['a depends naming no task', invalid('depends.yaml', '  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n      - {name: a, template: t, depends: ghost}\n  - name: t\n    container: {image: alpine}\n'), /ghost/],
    ['a missing required parameter', invalid('param.yaml', '  entrypoint: main\n  arguments:\n    parameters: [{name: x}]\n  templates:\n  - name: main\n    container: {image: alpine}\n'), /spec\.arguments\.parameters/],
  ])('refuses %s with exit 2 and the file, line and field path', (_what, f, message) => {
    const r = argosy(['run', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${f.replace(/[.]/g, '\\.')}:\\d+: Workflow/bad: `));
    expect(r.err).toMatch(message);
  });

  it('fails an unmappable image with a message naming it, and does not hang', () => {
    const f = file('image.yaml', `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: img}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: "golang:1.18", command: [go, version]}\n`);
    const r = argosy(['run', f, '-o', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).status.message).toMatch(/golang:1\.18/);
  });

  it('exits 2 on usage errors', () => {
    expect(argosy(['run']).code).toBe(2);
    expect(argosy(['run', hello, '-o', 'xml']).code).toBe(2);
    expect(argosy(['run', join(dir, 'missing.yaml')]).err).toMatch(/no such file/);
  });
});

describe('argosy lint', () => {
  it('passes a valid file and fails an invalid one with exit 2', () => {
    expect(argosy(['lint', hello]).code).toBe(0);
    const r = argosy(['lint', invalid('lint.yaml', '  entrypoint: nope\n  templates:\n  - name: main\n    container: {image: alpine}\n')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/spec\.entrypoint/);
  });
});

describe('resource templates', () => {
  it('create Workflows in the store, wait on success/failure conditions and read jsonPath outputs', () => {
    const r = argosy(['run', join(__dirname, 'fixtures', 'resource-template.yaml'), '-o', 'json']);
    expect(r.code).toBe(0);
    const nodes = Object.values(JSON.parse(r.out).status.nodes) as { displayName: string; phase: string; message?: string; outputs?: { parameters?: { value: string }[] } }[];
    const child = nodes.find((n) => n.displayName === 'child')!;
    expect(child.phase).toBe('Succeeded');
    expect(child.outputs?.parameters?.[0].value).toMatch(/^child-[a-z0-9]{5}$/);
    const fail = nodes.find((n) => n.displayName === 'fail')!;
    expect(fail.phase).toBe('Failed');
    expect(fail.message).toBe("failure condition 'status.phase in (Failed, Error)' matched");
  });
});

describe('data templates', () => {
  it('list artifacts under a key and transform the list with expressions', () => {
    const r = argosy(['run', join(__dirname, 'fixtures', 'data-template.yaml'), '-o', 'json']);
    expect(r.code).toBe(0);
    const nodes = Object.values(JSON.parse(r.out).status.nodes) as { displayName: string; outputs?: { result?: string } }[];
    expect(nodes.find((n) => n.displayName === 'list')?.outputs?.result).toBe('["files/a.log"]');
  });
});

describe('the sandbox filesystem', () => {
  it('has the top-level directories an image has, writable for the step', () => {
    const f = file('dirs.yaml', `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: dirs}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, command: [sh, -c, "mkdir /mnt/out && echo ok > /mnt/out/f && cat /mnt/out/f && ls -d /home /run /srv /media /var/tmp"]}\n`);
    const r = argosy(['run', f, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).status.nodes.dirs.outputs.result).toBe('ok\n/home\n/media\n/run\n/srv\n/var/tmp');
  });
});

describe('output files', () => {
  it("reads a step's links as the step sees them: a link to a host file yields nothing of it", () => {
    const secret = join(dir, 'host-secret');
    writeFileSync(secret, 'host secret');
    const f = file(
      'links.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: links}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "echo mine > /tmp/real; ln -s real /tmp/ok; ln -s ${secret} /tmp/stolen"]}
    outputs:
      parameters:
      - {name: ok, valueFrom: {path: /tmp/ok}}
      - {name: stolen, valueFrom: {path: /tmp/stolen}}
`,
    );
    const r = argosy(['run', f, '-o', 'json']);
    expect(r.out).not.toContain('host secret');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).status.nodes.links.message).toBe('failed to save outputs: open /tmp/stolen: no such file or directory');
    const ok = file('link-ok.yaml', `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: linkok}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, command: [sh, -c, "mkdir /tmp/d; echo mine > /tmp/d/real; ln -s d/real /tmp/ok"]}\n    outputs:\n      parameters: [{name: ok, valueFrom: {path: /tmp/ok}}]\n`);
    const r2 = argosy(['run', ok, '-o', 'json']);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.out).status.nodes.linkok.outputs.parameters).toEqual([{ name: 'ok', value: 'mine' }]);
  });
});

describe('container sets', () => {
  it("saves a container set's outputs once all its containers have ended, not when main has", () => {
    // `writer` produces the output after `main` has already ended.
    const f = file(
      'set.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: set}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes: [{name: ws, emptyDir: {}}]
    containerSet:
      volumeMounts: [{name: ws, mountPath: /ws}]
      containers:
      - {name: writer, image: alpine, command: [sh, -c, "sleep 0.5; echo late > /ws/out"]}
      - {name: main, image: alpine, command: [sh, -c, "echo from-main"]}
    outputs:
      parameters: [{name: out, valueFrom: {path: /ws/out}}]
`,
    );
    const r = argosy(['run', f, '-o', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const node = JSON.parse(r.out).status.nodes.set;
    expect(node.outputs.parameters).toEqual([{ name: 'out', value: 'late' }]);
    expect(node.outputs.result).toBe('from-main');
  });
});

describe('sandboxes', () => {
  const f = file('host.yaml', `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: host}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, command: [sh, -c, 'echo "$(hostname) $HOSTNAME"']}\n`);
  const result = (args: string[]) => {
    const r = argosy(['run', f, '-o', 'json', ...args]);
    expect(r.code).toBe(0);
    return JSON.parse(r.out).status.nodes.host.outputs.result;
  };

  it("runs a simple step in a warm sandbox (the node's hostname), or with --fresh-sandboxes in its own (the Pod's)", () => {
    expect(result([])).toBe('argosy-node host');
    expect(result(['--fresh-sandboxes'])).toBe('host host');
  });
});

import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, formatIssue, loadManifestFiles, parseFieldPath, parseManifests } from './manifest.js';

const WF = `# leading comment
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: dag-
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: a
        depends: "b"
      - name: b
        template: a
`;

describe('parseManifests', () => {
  it('parses multi-document YAML, skipping empty documents, with 0-based indexes', () => {
    const ms = parseManifests(`---\n---\n${WF}---\n# nothing\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`, 'f.yaml');
    expect(ms.map((m) => [m.index, m.object.kind])).toEqual([
      [1, 'Workflow'],
      [3, 'ConfigMap'],
    ]);
    expect(ms[0].file).toBe('f.yaml');
  });
  it('uses YAML 1.1 scalars like Kubernetes but keeps timestamps as strings', () => {
    const [m] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: on\n  b: yes\n  t: 2024-01-02T03:04:05Z\n  mode: 0755\n', 'c.yaml');
    expect(m.object.data).toEqual({ a: true, b: true, t: '2024-01-02T03:04:05Z', mode: 493 });
  });
  it('accepts JSON', () => {
    const [m] = parseManifests('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}', 'c.json');
    expect(m.object.metadata.name).toBe('j');
  });
  it('finds 1-based lines of field paths, falling back to the nearest ancestor', () => {
    const [m] = parseManifests(WF, 'wf.yaml');
    expect(m.line('spec.templates[0].dag.tasks[0].depends')).toBe(14);
    expect(m.line(['spec', 'templates', 0, 'dag', 'tasks', 1])).toBe(15);
    expect(m.line('spec.templates[0].dag.tasks[7].name')).toBe(11);
    expect(m.line('spec.entrypoint')).toBe(7);
    expect(m.line([])).toBe(2);
  });
  it('reports YAML syntax errors as FILE:LINE:COL', () => {
    expect(() => parseManifests('a: b: c\n', 'bad.yaml')).toThrowError(new ManifestError('bad.yaml', 'Nested mappings are not allowed in compact mappings', 1, 4));
    expect(() => parseManifests('a: b: c\n', 'bad.yaml')).toThrow(/^bad\.yaml:1:4: Nested mappings are not allowed in compact mappings$/);
  });
  it('rejects documents that are not objects or lack apiVersion/kind', () => {
    expect(() => parseManifests('- 1\n- 2\n', 'list.yaml')).toThrow(
      'list.yaml:1: document 0 is not a mapping (found a list); expected a Kubernetes object with apiVersion and kind',
    );
    expect(() => parseManifests('apiVersion: v1\nkind: X\n---\nfoo: 1\n', 'k.yaml')).toThrow(
      'k.yaml:4: document 1 is missing apiVersion and kind (every manifest needs e.g. "apiVersion: argoproj.io/v1alpha1" and "kind: Workflow")',
    );
  });
  it('accepts what go-yaml accepts: duplicate keys (last wins) and under-indented closing flow lines', () => {
    const [m] = parseManifests('apiVersion: v1\nkind: X\nmetadata: {name: a}\nmetadata: {name: b}\n', 'd.yaml');
    expect(m.object.metadata.name).toBe('b');
    const [n] = parseManifests('apiVersion: v1\nkind: X\nspec:\n  args: ["\n    echo hi\n  "]\n', 'f.yaml');
    expect(n.object.spec).toEqual({ args: [' echo hi '] });
  });
});

describe('parseFieldPath', () => {
  it('splits dots, indexes and quoted keys', () => {
    expect(parseFieldPath('spec.templates[2].dag.tasks[0].depends')).toEqual(['spec', 'templates', 2, 'dag', 'tasks', 0, 'depends']);
    expect(parseFieldPath('metadata.labels["a.b/c"]')).toEqual(['metadata', 'labels', 'a.b/c']);
    expect(parseFieldPath('spec.templates[0].steps[1][0].name')).toEqual(['spec', 'templates', 0, 'steps', 1, 0, 'name']);
  });
});

describe('formatIssue', () => {
  it('prints FILE:LINE: Kind/name: path: message', () => {
    const [m] = parseManifests(WF, 'wf.yaml');
    expect(formatIssue(m, { path: 'spec.templates[0].dag.tasks[0].depends', message: "dependency 'x' not defined" })).toBe(
      "wf.yaml:14: Workflow/dag-: spec.templates[0].dag.tasks[0].depends: dependency 'x' not defined",
    );
  });
});

describe('loadManifestFiles', () => {
  it('reads files and recurses into directories for yaml, yml and json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'argosy-manifest-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'a.yaml'), WF);
    await writeFile(join(dir, 'sub', 'b.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    await writeFile(join(dir, 'sub', 'c.json'), '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}');
    await writeFile(join(dir, 'notes.txt'), 'not yaml: [');
    const ms = await loadManifestFiles([dir]);
    expect(ms.map((m) => m.object.metadata.name ?? m.object.metadata.generateName)).toEqual(['dag-', 'b', 'c']);
    await expect(loadManifestFiles([join(dir, 'missing.yaml')])).rejects.toThrow(/missing\.yaml: no such file or directory/);
  });
});

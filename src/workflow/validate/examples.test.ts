// Every example shipped with Argo Workflows must lint cleanly: they are all valid Argo.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { WorkflowTemplate } from '../../model/argo.js';
import { formatIssue, loadManifestFiles, type Manifest } from '../../model/manifest.js';
import { validateObject, type ValidateContext } from './index.js';

const EXAMPLES = '/work/shared/conformance/argo-workflows/examples';

// Files in the corpus that are not Kubernetes manifests at all.
const NOT_MANIFESTS = new Set([
  'grafana-dashboard.json', // a Grafana dashboard export shipped next to the examples
]);

// Upstream examples that lint cleanly in Argo but that the Kubernetes API would reject on create because
// their YAML is mis-indented: they have neither metadata.name nor metadata.generateName.
const NAMELESS = new Set([
  'fun-with-gifs.yaml', // generateName is indented under metadata.labels
  'k8s-jobs.yaml', // "name: k8s-jobs" sits inside the no-test-reasons annotation's block scalar
]);

async function loadCorpus(): Promise<Manifest[]> {
  const all: Manifest[] = [];
  const files = (await readdir(EXAMPLES, { recursive: true })).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  for (const f of files) {
    if (NOT_MANIFESTS.has(f)) continue;
    all.push(...(await loadManifestFiles([`${EXAMPLES}/${f}`])));
  }
  return all;
}

describe.skipIf(!existsSync(EXAMPLES))('Argo examples', () => {
  it('every example lints with zero issues', async () => {
    const manifests = await loadCorpus();
    expect(manifests.length).toBeGreaterThan(200);
    const wts = new Map<string, WorkflowTemplate>();
    const cwts = new Map<string, WorkflowTemplate>();
    for (const m of manifests) {
      const name = m.object.metadata.name;
      if (!name) continue;
      if (m.object.kind === 'WorkflowTemplate') wts.set(name, m.object as WorkflowTemplate);
      if (m.object.kind === 'ClusterWorkflowTemplate') cwts.set(name, m.object as WorkflowTemplate);
    }
    const ctx: ValidateContext = { getWorkflowTemplate: (n) => wts.get(n), getClusterWorkflowTemplate: (n) => cwts.get(n) };
    const problems: string[] = [];
    let validated = 0;
    for (const m of manifests) {
      const issues = validateObject(m.object, ctx, { lint: true });
      if (['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'].includes(m.object.kind)) validated++;
      for (const i of issues) problems.push(formatIssue(m, i));
    }
    expect(validated).toBeGreaterThan(200);
    expect(problems).toEqual([]);
  });

  it('the nameless examples are the only ones rejected outside lint mode', async () => {
    const manifests = await loadCorpus();
    const ctx: ValidateContext = { getWorkflowTemplate: () => undefined, getClusterWorkflowTemplate: () => undefined };
    const files = new Set<string>();
    for (const m of manifests) {
      for (const i of validateObject(m.object, ctx, {})) {
        expect(i).toEqual({ path: 'metadata.name', message: 'name or generateName is required' });
        files.add(m.file.slice(EXAMPLES.length + 1));
      }
    }
    expect([...files].sort()).toEqual([...NAMELESS].sort());
  });
});

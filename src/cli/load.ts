// Loading the user's files for `run` and `lint`: parse, apply -p overrides, validate, and report
// problems as FILE:LINE: Kind/name: field: message.
import { readFile } from 'node:fs/promises';
import { parseYaml } from '../model/yaml-lib.js';
import type { Parameter, Workflow, WorkflowTemplate } from '../model/argo.js';
import { type Manifest, ManifestError, formatIssue, loadManifestFiles } from '../model/manifest.js';
import { type ValidateContext, validateObject } from '../workflow/validate/index.js';
import { UsageError } from './errors.js';

export async function loadFiles(files: string[]): Promise<Manifest[]> {
  if (!files.length) throw new UsageError('no files given: pass one or more workflow YAML files (or - for stdin)');
  try {
    return await loadManifestFiles(files);
  } catch (err) {
    if (err instanceof ManifestError) throw new UsageError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UsageError(`${e.path ?? files.join(', ')}: no such file or directory`);
    throw err;
  }
}

export function templateContext(manifests: Manifest[], extra: WorkflowTemplate[] = []): ValidateContext {
  const wts = [...manifests.map((m) => m.object), ...extra].filter((o) => o.kind === 'WorkflowTemplate') as WorkflowTemplate[];
  const cwts = [...manifests.map((m) => m.object), ...extra].filter((o) => o.kind === 'ClusterWorkflowTemplate') as WorkflowTemplate[];
  return {
    getWorkflowTemplate: (name) => wts.find((t) => t.metadata.name === name),
    getClusterWorkflowTemplate: (name) => cwts.find((t) => t.metadata.name === name),
  };
}

/** Validate every manifest; returns formatted problems (empty when all are valid). */
export function validateManifests(manifests: Manifest[], ctx: ValidateContext, opts: { lint?: boolean; submit?: boolean }): string[] {
  const problems: string[] = [];
  for (const m of manifests) {
    for (const issue of validateObject(m.object, ctx, opts)) problems.push(formatIssue(m, issue));
  }
  return problems;
}

/** `-p name=value` and `--parameter-file` values applied to a workflow's spec.arguments. */
export async function applyParameters(wf: Workflow, params: string[], parameterFile?: string): Promise<void> {
  const values = new Map<string, string>();
  if (parameterFile) {
    let parsed: unknown;
    try {
      parsed = parseYaml(await readFile(parameterFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`--parameter-file ${parameterFile}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--parameter-file ${parameterFile}: expected a map of parameter names to values`);
    for (const [k, v] of Object.entries(parsed)) values.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  for (const p of params) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`-p ${p}: expected name=value`);
    values.set(p.slice(0, i), p.slice(i + 1));
  }
  if (!values.size) return;
  const list: Parameter[] = [...(wf.spec.arguments?.parameters ?? [])];
  for (const [name, value] of values) {
    const existing = list.find((x) => x.name === name);
    if (existing) {
      existing.value = value;
      delete existing.valueFrom;
    } else list.push({ name, value });
  }
  wf.spec.arguments = { ...(wf.spec.arguments ?? {}), parameters: list };
}

// Data templates: list the files under an artifact location, then run the expression
// transformations over that list (`data` is the current value), as Argo's agent does. The result
// is the JSON text of the final value, recorded as the node's `outputs.result`.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Client } from '../client/types.js';
import type { Template, Workflow } from '../model/argo.js';
import type { ArtifactRepository } from './artifacts.js';
import { evaluateExpression } from './subst.js';
import { recordTaskResult } from './task-result.js';

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(root);
  return out.sort();
}

export async function performData(client: Client, repo: ArtifactRepository, req: { workflow: Workflow; nodeId: string; template: Template }): Promise<void> {
  const d = req.template.data!;
  let phase: 'Error' | undefined;
  let message: string | undefined;
  let result = '';
  try {
    const src = d.source?.artifactPaths;
    const key = src?.s3?.key ?? '';
    if (!src) throw new Error('data.source.artifactPaths is required');
    const base = repo.pathOf(key);
    let value: unknown = (await listFiles(base).catch(() => [] as string[])).map((f) => (key ? `${key.replace(/\/$/, '')}/` : '') + relative(base, f));
    for (const t of d.transformation ?? []) value = evaluateExpression(t.expression, {}, { data: value });
    result = JSON.stringify(value);
  } catch (err) {
    phase = 'Error';
    message = (err as Error).message;
  }
  await recordTaskResult(client, req.workflow, req.nodeId, phase ? {} : { result }, phase ? { phase, message } : undefined);
}

// `argosy lint PATH...`: Argo's validation rules, reported as FILE:LINE: Kind/name: field: message.
import { EXIT_INVALID, EXIT_OK } from './errors.js';
import { loadFiles, templateContext, validateManifests } from './load.js';

export async function lintCommand(paths: string[]): Promise<number> {
  const manifests = await loadFiles(paths);
  const problems = validateManifests(manifests, templateContext(manifests), { lint: true });
  if (problems.length) {
    process.stderr.write(problems.join('\n') + '\n');
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`no linting errors found in ${manifests.length} document${manifests.length === 1 ? '' : 's'}\n`);
  return EXIT_OK;
}

import { test } from 'vitest';
import { loadManifestFiles } from '../../model/manifest.js';
import { execSync } from 'node:child_process';
test('scratch', async () => {
  const files = execSync('find /work/shared/conformance/argo-workflows/examples -name "*.yaml"').toString().trim().split('\n');
  let n = 0; const kinds: Record<string, number> = {};
  for (const f of files) { try { const ms = await loadManifestFiles([f]); n += ms.length; for (const m of ms) kinds[m.object.kind] = (kinds[m.object.kind] ?? 0) + 1; } catch (e) { console.log((e as Error).message); } }
  console.log(n, kinds);
});

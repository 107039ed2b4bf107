// `argosy conformance DIR`: run Argo's example workflows against the expected final phases in
// DIR/expected.tsv, several at a time on one embedded control plane, and report a pass count.
// Like upstream's example test, every ConfigMap, PVC and (Cluster)WorkflowTemplate found under
// DIR/examples is loaded first and each workflow gets an activeDeadlineSeconds.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workflow } from '../model/argo.js';
import { type Manifest, loadManifestFiles } from '../model/manifest.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { runOne } from './run.js';
import { startEmbedded } from './runtime.js';

export interface ConformanceOptions {
  parallel: number;
  floor?: number;
  only?: string;
  timeoutSeconds: number;
}

interface Row {
  path: string;
  runnable: string;
  expected: string;
}

const FIXTURE_KINDS = new Set(['ConfigMap', 'PersistentVolumeClaim', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'Secret']);

export async function loadExpectations(dir: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(join(dir, 'expected.tsv'), 'utf8');
  } catch {
    throw new UsageError(`${join(dir, 'expected.tsv')}: not found; pass the directory that holds expected.tsv and examples/`);
  }
  const [header, ...lines] = text.split('\n').filter((l) => l.trim());
  const cols = header.split('\t');
  const at = (name: string) => cols.indexOf(name);
  return lines.map((l) => {
    const c = l.split('\t');
    return { path: c[at('path')], runnable: c[at('runnable_locally')] ?? '', expected: c[at('expected_phase')] ?? '' };
  });
}

/**
 * Examples that expected.tsv marks as not runnable on a laptop, which Argosy runs all the same, each
 * with the reason. They count like the others (their expected phase is expected.tsv's).
 */
export const MADE_RUNNABLE: Record<string, string> = {
  'examples/artifact-passing-explicit-plugin.yaml': "an artifact driver plugin's artifacts go to the local artifact repository",
  'examples/k8s-owner-reference.yaml': 'resource templates act on the embedded store, Workflows included',
  'examples/k8s-wait-wf.yaml': 'resource templates create and watch Workflows in the embedded store',
  'examples/synchronization-db-mutex-tmpl-level.yaml': 'a database mutex is held by the controller, as an in-memory one is',
  'examples/synchronization-db-mutex-wf-level.yaml': 'a database mutex is held by the controller, as an in-memory one is',
  'examples/volumes-emptydir.yaml': 'volumes are real bind mounts in the bubblewrap sandbox, listed in /proc/mounts',
};

/** The rows that count: runnable here (expected.tsv's say, or MADE_RUNNABLE), with a definite expected phase. */
export function countedRows(rows: Row[]): Row[] {
  return rows.filter((r) => (r.runnable.startsWith('yes') || r.path in MADE_RUNNABLE) && (r.expected === 'Succeeded' || r.expected === 'Failed'));
}

export async function conformanceCommand(dir: string, opts: ConformanceOptions): Promise<number> {
  const rows = countedRows(await loadExpectations(dir));
  const selected = opts.only ? rows.filter((r) => new RegExp(opts.only!).test(r.path)) : rows;
  const fixtures = (await loadFixtures(join(dir, 'examples'))).filter((m) => FIXTURE_KINDS.has(m.object.kind));
  const rt = await startEmbedded({ events: false });
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let n = 0;
  try {
    for (const f of fixtures) if (f.object.kind === 'ClusterWorkflowTemplate') await rt.client.create(f.object).catch(() => undefined);
    const queue = [...selected];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const ns = `ex${++n}`;
        const t0 = Date.now();
        let line: string;
        try {
          for (const f of fixtures) {
            if (f.object.kind === 'ClusterWorkflowTemplate') continue;
            await rt.client.create({ ...f.object, metadata: { ...f.object.metadata, namespace: ns } }).catch(() => undefined);
          }
          const docs = await loadManifestFiles([join(dir, row.path)]);
          const wfs = docs.filter((d) => d.object.kind === 'Workflow').map((d) => d.object as Workflow);
          for (const d of docs) {
            if (FIXTURE_KINDS.has(d.object.kind) && d.object.kind !== 'ClusterWorkflowTemplate') {
              await rt.client.create({ ...d.object, metadata: { ...d.object.metadata, namespace: ns } }).catch(() => undefined);
            }
          }
          if (!wfs.length) throw new Error('no Workflow in file');
          const phases: string[] = [];
          let message = '';
          for (const wf of wfs) {
            wf.metadata.namespace = ns;
            wf.spec.activeDeadlineSeconds ??= opts.timeoutSeconds;
            const final = await withTimeout(runOne(rt, wf, { quiet: true }), (opts.timeoutSeconds + 60) * 1000);
            phases.push(final.status?.phase ?? '');
            if (final.status?.message) message = final.status.message;
          }
          const phase = phases.find((p) => p !== 'Succeeded') ?? 'Succeeded';
          const secs = ((Date.now() - t0) / 1000).toFixed(1);
          if (phase === row.expected) {
            passed++;
            line = `PASS  ${row.path}  ${phase}  ${secs}s`;
          } else {
            failed++;
            line = `FAIL  ${row.path}  expected ${row.expected}, got ${phase}${message ? `: ${message}` : ''}  ${secs}s`;
          }
        } catch (err) {
          failed++;
          line = `FAIL  ${row.path}  ${(err as Error).message.split('\n')[0]}`;
        }
        process.stdout.write(line + '\n');
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.parallel) }, worker));
  } finally {
    await rt.stop();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\nconformance: ${passed} of ${selected.length} examples reached their expected phase (${failed} did not) in ${secs}s\n`);
  if (opts.floor !== undefined && passed < opts.floor) {
    process.stdout.write(`conformance: ${passed} is below the floor of ${opts.floor}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/** Every manifest under `dir`, file by file, skipping files that are not manifests (upstream keeps a
 * Grafana dashboard and Go files there too). */
async function loadFixtures(dir: string): Promise<Manifest[]> {
  const out: Manifest[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(...(await loadManifestFiles([p]).catch(() => [] as Manifest[])));
    }
  };
  await walk(dir).catch(() => undefined);
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not finish within ${Math.round(ms / 1000)}s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

// `argosy run FILE...`: run Argo workflows on an embedded control plane, no cluster needed.
import { Kinds } from '../client/types.js';
import type { Workflow } from '../model/argo.js';
import { LABEL_WORKFLOW } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { readPodLogs } from '../node/index.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { applyParameters, loadFiles, templateContext, validateManifests } from './load.js';
import { nodeTree, printWorkflow } from './render.js';
import { type EmbeddedRuntime, startEmbedded } from './runtime.js';

export interface RunOptions {
  parameter: string[];
  parameterFile?: string;
  entrypoint?: string;
  output?: string;
  log?: boolean;
  dataDir?: string;
  sandbox?: 'auto' | 'bwrap' | 'none';
  /** Reuse warm sandboxes for simple Pods (default true; see src/node/README.md). */
  warmSandboxes?: boolean;
  namespace?: string;
  /** Print nothing while running (used by the conformance runner). */
  quiet?: boolean;
}

const PRELOAD = new Set(['ConfigMap', 'Secret', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'PersistentVolumeClaim', 'Namespace', 'ServiceAccount']);

export async function runCommand(files: string[], opts: RunOptions): Promise<number> {
  if (opts.output && !['json', 'yaml', 'wide', 'name'].includes(opts.output)) {
    throw new UsageError(`--output ${opts.output}: must be one of json, yaml, wide, name`);
  }
  const manifests = await loadFiles(files);
  const namespace = opts.namespace ?? 'default';
  const workflows = manifests.filter((m) => m.object.kind === 'Workflow');
  if (!workflows.length) throw new UsageError(`${files.join(', ')}: no Workflow found (kinds present: ${[...new Set(manifests.map((m) => m.object.kind))].join(', ') || 'none'})`);
  for (const m of workflows) {
    const wf = m.object as Workflow;
    await applyParameters(wf, opts.parameter, opts.parameterFile);
    if (opts.entrypoint) wf.spec.entrypoint = opts.entrypoint;
  }
  const problems = validateManifests(manifests, templateContext(manifests), { submit: true });
  if (problems.length) throw new UsageError(problems.join('\n'));

  // No Kubernetes Events: nothing can read them once the run ends, and they were two writes per step.
  const rt = await startEmbedded({ dataDir: opts.dataDir, sandbox: opts.sandbox, warmSandboxes: opts.warmSandboxes, events: false });
  const stopOnSignal = () => {
    void rt.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    for (const m of manifests) {
      if (!PRELOAD.has(m.object.kind)) continue;
      const obj = { ...m.object, metadata: { ...m.object.metadata } };
      if (obj.kind !== 'ClusterWorkflowTemplate' && obj.kind !== 'Namespace') obj.metadata.namespace ??= namespace;
      await rt.client.create(obj);
    }
    let worst = EXIT_OK;
    for (const m of workflows) {
      const wf = m.object as Workflow;
      wf.metadata.namespace ??= namespace;
      const final = await runOne(rt, wf, opts);
      if (final.status?.phase !== 'Succeeded') worst = EXIT_FAILED;
      printFinal(final, opts);
    }
    return worst;
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await rt.stop();
  }
}

/** Submit one workflow and wait for it to finish, drawing its tree (TTY) and streaming logs (--log). */
export async function runOne(rt: EmbeddedRuntime, input: Workflow, opts: Pick<RunOptions, 'log' | 'output' | 'quiet'>): Promise<Workflow> {
  const created = await rt.client.create(input);
  const name = created.metadata.name!;
  const ns = created.metadata.namespace!;
  const live = !opts.quiet && !opts.output && process.stdout.isTTY;
  let drawn = 0;
  let lastDraw = 0;
  const draw = (wf: Workflow, force = false) => {
    if (!live) return;
    const now = Date.now();
    if (!force && now - lastDraw < 150) return;
    lastDraw = now;
    const text = nodeTree(wf, { colors: true });
    if (drawn) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
    process.stdout.write(text + '\n');
    drawn = text.split('\n').length;
  };
  const streams = new Map<string, AbortController>();
  const podWatch = opts.log
    ? await rt.client.watch(Kinds.Pod, { namespace: ns, labelSelector: `${LABEL_WORKFLOW}=${name}` }, {
        onEvent: (ev) => {
          const pod = ev.object as KObject;
          const podName = pod.metadata.name!;
          if (streams.has(podName) || ev.type === 'DELETED') return;
          const phase = (pod.status as { phase?: string } | undefined)?.phase;
          if (phase === 'Pending' || !phase) return;
          const ac = new AbortController();
          streams.set(podName, ac);
          void readPodLogs(rt.dataDir, pod, { container: 'main', follow: true, signal: ac.signal }, (text) => {
            for (const line of text.split('\n')) if (line) process.stdout.write(`${podName}: ${line}\n`);
          }).catch(() => undefined);
        },
      })
    : undefined;
  const final = await new Promise<Workflow>((resolve, reject) => {
    let watch: { stop(): void } | undefined;
    rt.client
      .watch<Workflow>(Kinds.Workflow, { namespace: ns, fieldSelector: `metadata.name=${name}` }, {
        onEvent: (ev) => {
          const wf = ev.object;
          const phase = wf.status?.phase;
          draw(wf);
          if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') {
            watch?.stop();
            draw(wf, true);
            resolve(wf);
          }
        },
      })
      .then((w) => (watch = w), reject);
  });
  // The live tree gives way to the final summary, which repeats it.
  if (live && drawn) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
  // Give followed logs a moment to drain their last lines.
  if (podWatch) {
    podWatch.stop();
    await new Promise((r) => setTimeout(r, 100));
    for (const ac of streams.values()) ac.abort();
  }
  return final;
}

function printFinal(wf: Workflow, opts: RunOptions): void {
  if (!opts.quiet) printWorkflow(wf, opts.output);
}

// The executor hook: the work Argo's init and wait containers do, done by the node agent around a
// workflow Pod's containers. Before start: write the script source and place input artifacts.
// After `main` ends: collect output parameters, artifacts and the result, and record them in a
// WorkflowTaskResult named after the node, which the controller reads.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ANNOTATION_NODE_ID, LABEL_WORKFLOW } from '../model/argo.js';
import type { Artifact, Outputs, Parameter, Template, WorkflowTaskResult } from '../model/argo.js';
import { isApiError } from '../model/errors.js';
import { type KObject, deepFreeze } from '../model/object.js';
import type { Client } from '../client/types.js';
import { ArtifactRepository } from './artifacts.js';
import { ANNOTATION_TEMPLATE, SCRIPT_PATH } from './pod.js';

/** The shape the node agent hands to hooks (kept structural so workflow/ does not import node/). */
export interface ExecutorContext {
  pod: KObject;
  podDir: string;
  hostPath(container: string, path: string): string;
  readStdout(container: string): Promise<string>;
  client: Client;
}

const MAX_RESULT = 256 * 1024;

/** Parsed template annotations (frozen), by their text: read before a Pod starts and after it ends. */
const parsedTemplates = new Map<string, Template>();

function templateOf(pod: KObject): Template | undefined {
  const raw = pod.metadata.annotations?.[ANNOTATION_TEMPLATE];
  if (!raw) return undefined;
  let t = parsedTemplates.get(raw);
  if (!t) {
    if (parsedTemplates.size >= 1000) parsedTemplates.clear();
    parsedTemplates.set(raw, (t = deepFreeze(JSON.parse(raw) as Template)));
  }
  return t;
}

export function trimOneNewline(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

export class WorkflowExecutor {
  readonly repo: ArtifactRepository;

  /** Container-set Pods: the containers that have ended so far, with their exit codes, by Pod uid. */
  private setExits = new Map<string, Map<string, number>>();

  constructor(artifactDir: string) {
    this.repo = new ArtifactRepository(artifactDir);
  }

  /** The hook object for the node agent. */
  hook() {
    return {
      beforeStart: (ctx: ExecutorContext) => this.beforeStart(ctx),
      afterContainer: (ctx: ExecutorContext, container: string, state: { exitCode: number }) => this.afterContainer(ctx, container, state),
    };
  }

  async beforeStart(ctx: ExecutorContext): Promise<void> {
    const t = templateOf(ctx.pod);
    if (!t) return;
    if (t.script) {
      const file = ctx.hostPath('main', SCRIPT_PATH);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, t.script.source ?? '');
      await chmod(file, 0o755);
    }
    const mainName = (t.containerSet?.containers.find((c) => c.name === 'main') ? 'main' : t.containerSet?.containers[0]?.name) ?? 'main';
    for (const art of t.inputs?.artifacts ?? []) {
      if (!art.path) continue;
      const dest = ctx.hostPath(mainName, art.path);
      try {
        await this.placeInput(art, dest);
      } catch (err) {
        if (art.optional) continue;
        throw new Error(`failed to load artifact '${art.name}': ${(err as Error).message}`);
      }
      if (art.mode !== undefined) await chmod(dest, art.mode).catch(() => undefined);
    }
  }

  private async placeInput(art: Artifact, dest: string): Promise<void> {
    if (art.raw) {
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, art.raw.data ?? '');
      return;
    }
    if (art.s3?.key) return this.repo.load(art.s3.key, dest, art.subPath);
    if (art.http?.url) {
      const res = await fetch(art.http.url, { headers: Object.fromEntries((art.http.headers ?? []).map((h) => [h.name, h.value])) });
      if (!res.ok) throw new Error(`GET ${art.http.url}: ${res.status} ${res.statusText}`);
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, Buffer.from(await res.arrayBuffer()));
      return;
    }
    if (!art.optional) throw new Error('no source (s3 key, raw, http) is set');
  }

  async afterContainer(ctx: ExecutorContext, container: string, state: { exitCode: number }): Promise<void> {
    const t = templateOf(ctx.pod);
    if (!t) return;
    const main = t.containerSet ? (t.containerSet.containers.find((c) => c.name === 'main')?.name ?? t.containerSet.containers.at(-1)?.name) : 'main';
    if (t.containerSet) {
      // As Argo's wait container does, a container set's outputs are saved once all of its containers
      // have ended: the one that writes an output may end after main.
      const uid = ctx.pod.metadata.uid ?? '';
      const ended = this.setExits.get(uid) ?? new Map<string, number>();
      ended.set(container, state.exitCode);
      this.setExits.set(uid, ended);
      if (!t.containerSet.containers.every((c) => ended.has(c.name ?? ''))) return;
      this.setExits.delete(uid);
      state = { exitCode: Math.max(...ended.values()) };
      container = main!;
    } else if (container !== main) return;
    const outputs: Outputs = {};
    let phase: 'Error' | undefined;
    let message: string | undefined;
    try {
      const stdout = await ctx.readStdout(container);
      let result = trimOneNewline(stdout);
      if (Buffer.byteLength(result) > MAX_RESULT) result = Buffer.from(result).subarray(-MAX_RESULT).toString('utf8');
      if (t.script || t.container || t.containerSet) outputs.result = result;
      const params: Parameter[] = [];
      for (const p of t.outputs?.parameters ?? []) {
        if (!p.valueFrom?.path) continue;
        const file = ctx.hostPath(container, p.valueFrom.path);
        try {
          const st = await stat(file);
          if (st.isDirectory()) throw new Error(`${p.valueFrom.path} is a directory, not a file`);
          params.push({ name: p.name, value: trimOneNewline(await readFile(file, 'utf8')), ...(p.globalName ? { globalName: p.globalName } : {}) });
        } catch (err) {
          if (p.valueFrom.default !== undefined) params.push({ name: p.name, value: p.valueFrom.default, ...(p.globalName ? { globalName: p.globalName } : {}) });
          else if (state.exitCode === 0) throw new Error(`failed to save outputs: open ${p.valueFrom.path}: no such file or directory`);
          void err;
        }
      }
      if (params.length) outputs.parameters = params;
      const arts: Artifact[] = [];
      const wfName = ctx.pod.metadata.labels?.[LABEL_WORKFLOW] ?? 'workflow';
      for (const a of t.outputs?.artifacts ?? []) {
        if (!a.path) continue;
        const file = ctx.hostPath(container, a.path);
        const exists = await stat(file).then(
          () => true,
          () => false,
        );
        if (!exists) {
          if (a.optional || state.exitCode !== 0) continue;
          throw new Error(`failed to save outputs: open ${a.path}: no such file or directory`);
        }
        const none = !!a.archive?.none;
        const key = a.s3?.key ?? `${wfName}/${ctx.pod.metadata.name}/${a.name}${none ? '' : '.tgz'}`;
        await this.repo.save(file, key, a.archive);
        const { from: _f, fromExpression: _fe, ...rest } = a;
        arts.push({ ...rest, s3: { ...(a.s3 ?? {}), key } });
      }
      const archiveLogs = t.archiveLocation?.archiveLogs;
      if (archiveLogs) {
        const key = `${wfName}/${ctx.pod.metadata.name}/main.log`;
        const file = this.repo.pathOf(key);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, stdout);
        arts.push({ name: 'main-logs', s3: { key } });
      }
      if (arts.length) outputs.artifacts = arts;
    } catch (err) {
      phase = 'Error';
      message = (err as Error).message;
    }
    await this.report(ctx, outputs, phase, message);
  }

  private async report(ctx: ExecutorContext, outputs: Outputs, phase?: 'Error', message?: string): Promise<void> {
    const pod = ctx.pod;
    const id = pod.metadata.annotations?.[ANNOTATION_NODE_ID];
    if (!id) return;
    const owner = pod.metadata.ownerReferences?.find((r) => r.kind === 'Workflow');
    const result: WorkflowTaskResult = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'WorkflowTaskResult',
      metadata: {
        name: id,
        namespace: pod.metadata.namespace,
        labels: {
          [LABEL_WORKFLOW]: pod.metadata.labels?.[LABEL_WORKFLOW] ?? '',
          'workflows.argoproj.io/report-outputs-completed': 'true',
        },
        ...(owner ? { ownerReferences: [{ ...owner, controller: false }] } : {}),
      },
      outputs,
      ...(phase ? { phase, message } : {}),
    };
    try {
      await ctx.client.create(result);
    } catch (err) {
      if (!isApiError(err, 'AlreadyExists')) throw err;
      const cur = await ctx.client.get<WorkflowTaskResult>(result, id, pod.metadata.namespace);
      await ctx.client.update({ ...result, metadata: { ...result.metadata, resourceVersion: cur.metadata.resourceVersion } });
    }
  }
}

// Shared by the node agent's tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import type { KObject } from '../model/object.js';
import { MemoryStore } from '../store/memory.js';
import { NodeAgent, type NodeAgentOptions } from './agent.js';
import type { Container, Pod } from './types.js';

export const quiet = { info: () => {}, warn: () => {}, error: (m: string) => console.error(m) };

export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms}ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Env {
  client: EmbeddedClient;
  dataDir: string;
  agent: NodeAgent;
  opts: NodeAgentOptions;
  cleanup(): Promise<void>;
}

export async function setup(extra: Partial<NodeAgentOptions> = {}): Promise<Env> {
  const client = new EmbeddedClient(new MemoryStore());
  const dataDir = mkdtempSync(join(tmpdir(), 'argosy-node-'));
  const opts: NodeAgentOptions = { client, dataDir, logger: quiet, ...extra };
  const agent = new NodeAgent(opts);
  await agent.start();
  const env: Env = {
    client,
    dataDir,
    agent,
    opts,
    cleanup: async () => {
      await env.agent.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}

export function pod(name: string, containers: Partial<Container>[] | Partial<Container>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  const list = (Array.isArray(containers) ? containers : [containers]).map((c, i) => ({ name: c.name ?? (i === 0 ? 'main' : `c${i}`), image: 'alpine:3.23', ...c }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...meta },
    spec: { restartPolicy: 'Never', containers: list as Container[], ...spec },
  };
}

export async function create(env: Env, p: Pod): Promise<Pod> {
  return env.client.create(p);
}

export async function get(env: Env, name: string): Promise<Pod> {
  return env.client.get<Pod>(Kinds.Pod, name, 'default');
}

export async function waitPhase(env: Env, name: string, phases: string[] = ['Succeeded', 'Failed'], ms = 15_000): Promise<Pod> {
  return until(async () => {
    const p = await get(env, name);
    return phases.includes(p.status?.phase ?? '') ? p : undefined;
  }, ms, `pod ${name} phase in ${phases.join('|')}`);
}

export async function logs(env: Env, p: KObject, opts: Parameters<typeof import('./logs.js').readPodLogs>[2] = {}): Promise<string> {
  const { readPodLogs } = await import('./logs.js');
  let out = '';
  await readPodLogs(env.dataDir, p, opts, (t) => (out += t));
  return out;
}

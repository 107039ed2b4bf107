// Container environment as the kubelet builds it: env (value / valueFrom), envFrom, $(VAR) expansion.
import type { KObject } from '../model/object.js';
import type { Container, Pod } from './types.js';

/** A clear, kubelet-like configuration error: the container waits with reason CreateContainerConfigError. */
export class ConfigError extends Error {
  constructor(message: string, readonly reason = 'CreateContainerConfigError') {
    super(message);
  }
}

export interface RefSource {
  configMap(namespace: string, name: string): Promise<KObject | undefined>;
  secret(namespace: string, name: string): Promise<KObject | undefined>;
}

/** Kubernetes' `$(VAR)` expansion: `$$(VAR)` is an escaped `$(VAR)`, unknown references stay as written. */
export function expand(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '$' && i + 1 < input.length) {
      const n = input[i + 1];
      if (n === '$') {
        out += '$';
        i++;
        continue;
      }
      if (n === '(') {
        const close = input.indexOf(')', i + 2);
        if (close > 0) {
          const name = input.slice(i + 2, close);
          if (Object.prototype.hasOwnProperty.call(vars, name)) {
            out += vars[name];
            i = close;
            continue;
          }
          out += input.slice(i, close + 1);
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

export function secretData(secret: KObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string>) ?? {})) out[k] = decode(v);
  for (const [k, v] of Object.entries((secret.stringData as Record<string, string>) ?? {})) out[k] = v;
  return out;
}

export function configMapData(cm: KObject): Record<string, string> {
  const out: Record<string, string> = { ...((cm.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries((cm.binaryData as Record<string, string>) ?? {})) out[k] = decode(v);
  return out;
}

/** `metadata.labels['k']` and friends, as fieldRef and downwardAPI volumes read them. */
export function fieldRefValue(pod: Pod, path: string, podIP = '127.0.0.1'): string {
  const md = pod.metadata;
  const m = /^metadata\.(labels|annotations)\[['"]?(.+?)['"]?\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? md.labels : md.annotations)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.hostIP':
      return podIP;
    case 'status.podIPs':
    case 'status.hostIPs':
      return podIP;
  }
  throw new ConfigError(`unsupported fieldRef fieldPath "${path}"`);
}

/** The downward API file format for label/annotation maps: `key="value"` lines, sorted. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function resourceValue(container: Container, resource: string, divisor?: string): string {
  const [kind, name] = resource.split('.');
  const q = (container.resources as Record<string, Record<string, string>> | undefined)?.[kind]?.[name];
  if (q !== undefined) return String(q);
  // No limit set: the kubelet reports node allocatable; constants stand in for it.
  if (name === 'cpu') return '1';
  if (name === 'memory') return String(8 * 1024 ** 3);
  return '0';
  void divisor;
}

/** Build a container's environment (without image defaults or PATH). */
export async function containerEnv(pod: Pod, container: Container, refs: RefSource): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await refs.configMap(ns, from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(configMapData(cm))) env[prefix + k] = v;
    } else if (from.secretRef) {
      const s = await refs.secret(ns, from.secretRef.name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(secretData(s))) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expand(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) env[e.name] = fieldRefValue(pod, vf.fieldRef.fieldPath);
    else if (vf.resourceFieldRef) env[e.name] = resourceValue(container, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor);
    else if (vf.configMapKeyRef) {
      const r = vf.configMapKeyRef;
      const cm = await refs.configMap(ns, r.name);
      const data = cm ? configMapData(cm) : undefined;
      if (!data) {
        if (r.optional) continue;
        throw new ConfigError(`configmap "${r.name}" not found`);
      }
      if (!(r.key in data)) {
        if (r.optional) continue;
        throw new ConfigError(`couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`);
      }
      env[e.name] = data[r.key];
    } else if (vf.secretKeyRef) {
      const r = vf.secretKeyRef;
      const s = await refs.secret(ns, r.name);
      const data = s ? secretData(s) : undefined;
      if (!data) {
        if (r.optional) continue;
        throw new ConfigError(`secret "${r.name}" not found`);
      }
      if (!(r.key in data)) {
        if (r.optional) continue;
        throw new ConfigError(`couldn't find key ${r.key} in Secret ${ns}/${r.name}`);
      }
      env[e.name] = data[r.key];
    }
  }
  return env;
}

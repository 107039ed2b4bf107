// Pod volumes as host directories, bound into the Pod's sandbox at each mount's path.
import { lstatSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { ConfigError, type RefSource, configMapData, fieldRefValue, secretData } from './env.js';
import type { Container, DownwardItem, KeyToPath, Pod, Volume } from './types.js';

export interface PreparedVolume {
  name: string;
  hostDir: string;
  /** Projections and read-only claims are always mounted read-only. */
  readOnly: boolean;
  /** A file, not a directory (hostPath of type File). */
  file?: boolean;
}

export interface Bind {
  source: string;
  target: string;
  readOnly: boolean;
  file?: boolean;
}

/** Keep a name safe as one path component. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** `<dataDir>/pods`, normalized once per data dir: joining paths showed in every Pod's start. */
const podsDirs = new Map<string, string>();

export function podDirOf(dataDir: string, pod: { metadata: { namespace?: string; name?: string; uid?: string } }): string {
  const m = pod.metadata;
  let pods = podsDirs.get(dataDir);
  if (pods === undefined) podsDirs.set(dataDir, (pods = join(dataDir, 'pods')));
  return `${pods}/${safe(m.namespace ?? 'default')}_${safe(m.name ?? '')}_${safe(m.uid ?? '')}`;
}

async function writeItems(dir: string, data: Record<string, string>, items: KeyToPath[] | undefined, mode: number, what: string): Promise<void> {
  const list: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of list) {
    if (!(item.key in data)) throw new ConfigError(`configmap references non-existent config key: ${item.key}`.replace('configmap', what));
    const file = join(dir, item.path);
    if (item.path !== item.key || item.path.includes('/')) await mkdir(dirname(file), { recursive: true });
    await writeFile(file, data[item.key]);
    await chmod(file, item.mode ?? mode);
  }
}

async function writeDownward(dir: string, pod: Pod, items: DownwardItem[] | undefined, mode: number): Promise<void> {
  for (const item of items ?? []) {
    let value = '';
    if (item.fieldRef) value = fieldRefValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) value = item.resourceFieldRef.resource.endsWith('cpu') ? '1' : String(8 * 1024 ** 3);
    const file = join(dir, item.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, value);
    await chmod(file, item.mode ?? mode);
  }
}

/** Materialise every volume of the Pod on the host. Throws ConfigError for a missing ConfigMap/Secret. */
export async function prepareVolumes(pod: Pod, podDir: string, dataDir: string, refs: RefSource): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec.volumes ?? []) {
    const own = join(podDir, 'volumes', safe(v.name));
    let prepared: PreparedVolume;
    if (v.persistentVolumeClaim) {
      const dir = join(dataDir, 'volumes', safe(ns), safe(v.persistentVolumeClaim.claimName));
      await mkdir(dir, { recursive: true });
      prepared = { name: v.name, hostDir: dir, readOnly: !!v.persistentVolumeClaim.readOnly };
    } else if (v.hostPath) {
      const t = v.hostPath.type ?? '';
      const file = t === 'File' || t === 'FileOrCreate';
      if (t === 'DirectoryOrCreate' || t === '') await mkdir(v.hostPath.path, { recursive: true });
      if (t === 'FileOrCreate') {
        await mkdir(dirname(v.hostPath.path), { recursive: true });
        await writeFile(v.hostPath.path, '', { flag: 'a' });
      }
      prepared = { name: v.name, hostDir: v.hostPath.path, readOnly: false, file };
    } else if (v.configMap || v.secret || v.downwardAPI || v.projected) {
      await mkdir(own, { recursive: true });
      await project(v, own, pod, ns, refs);
      prepared = { name: v.name, hostDir: own, readOnly: true };
    } else {
      // emptyDir, and anything unknown (ephemeral, csi…) as an empty per-pod directory
      await mkdir(own, { recursive: true });
      prepared = { name: v.name, hostDir: own, readOnly: false };
    }
    out.set(v.name, prepared);
  }
  return out;
}

async function project(v: Volume, dir: string, pod: Pod, ns: string, refs: RefSource): Promise<void> {
  if (v.configMap) {
    const cm = await refs.configMap(ns, v.configMap.name);
    if (!cm) {
      if (v.configMap.optional) return;
      throw new ConfigError(`configmap "${v.configMap.name}" not found`);
    }
    await writeItems(dir, configMapData(cm), v.configMap.items, v.configMap.defaultMode ?? 0o644, 'configmap');
  } else if (v.secret) {
    const s = await refs.secret(ns, v.secret.secretName);
    if (!s) {
      if (v.secret.optional) return;
      throw new ConfigError(`secret "${v.secret.secretName}" not found`);
    }
    await writeItems(dir, secretData(s), v.secret.items, v.secret.defaultMode ?? 0o644, 'secret');
  } else if (v.downwardAPI) {
    await writeDownward(dir, pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644);
  } else if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) await project({ name: v.name, configMap: { ...src.configMap, defaultMode: mode } }, dir, pod, ns, refs);
      else if (src.secret) await project({ name: v.name, secret: { ...src.secret, secretName: src.secret.name, defaultMode: mode } }, dir, pod, ns, refs);
      else if (src.downwardAPI) await writeDownward(dir, pod, src.downwardAPI.items, mode);
    }
  }
}

/** The binds a container asks for. */
export function containerBinds(c: Container, volumes: Map<string, PreparedVolume>): Bind[] {
  const out: Bind[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw new ConfigError(`volume "${m.name}" mounted by container "${c.name}" is not defined in spec.volumes`);
    const source = m.subPath ? join(v.hostDir, m.subPath) : v.hostDir;
    out.push({ source, target: posix.normalize(m.mountPath), readOnly: !!m.readOnly || v.readOnly, file: v.file && !m.subPath });
  }
  return out;
}

/**
 * The host path backing `path` as container `binds` see it: the deepest mount containing it, else
 * the sandbox root (`rootfs`). With sandbox 'none' there is no root to map: paths are host paths.
 */
export function hostPathFor(path: string, binds: Bind[], rootfs: string | undefined): string {
  const p = posix.normalize(posix.isAbsolute(path) ? path : '/' + path);
  let best: Bind | undefined;
  for (const b of binds) {
    if (p === b.target || p.startsWith(b.target.endsWith('/') ? b.target : b.target + '/')) {
      if (!best || b.target.length > best.target.length) best = b;
    }
  }
  if (best) return join(best.source, p.slice(best.target.length));
  return rootfs ? join(rootfs, p) : p;
}

/** As many links as Linux follows in one path before it gives up (ELOOP). */
const MAX_LINKS = 40;

/**
 * hostPathFor with the symbolic links on the way followed as the container sees them: a link the step
 * made (`/tmp/out -> /home/me/.ssh/id_rsa`, or `../../..` enough times) points into the sandbox's own
 * view, never at the host's files, when the agent reads outputs or writes inputs there. Mount points
 * are taken as they are (their host sources were resolved by the host when they were bound).
 */
export function resolveHostPath(path: string, binds: Bind[], rootfs: string | undefined): string {
  if (!rootfs) return hostPathFor(path, binds, rootfs);
  let parts = posix.normalize('/' + path).split('/').filter(Boolean);
  let links = 0;
  for (let i = 0; i < parts.length; i++) {
    const sub = '/' + parts.slice(0, i + 1).join('/');
    if (binds.some((b) => b.target === sub)) continue;
    const host = hostPathFor(sub, binds, rootfs);
    let target: string;
    try {
      if (!lstatSync(host).isSymbolicLink()) continue;
      target = readlinkSync(host);
    } catch {
      break; // the rest does not exist (yet): nothing more to follow
    }
    if (++links > MAX_LINKS) throw new Error(`${path}: too many levels of symbolic links`);
    // Relative links resolve from the link's directory, all of whose parts are real directories by now.
    const from = target.startsWith('/') ? '' : parts.slice(0, i).join('/');
    parts = posix.normalize(`/${from}/${target}/${parts.slice(i + 1).join('/')}`).split('/').filter(Boolean);
    i = -1; // the link's target may itself hold links: walk the new path from the top
  }
  return hostPathFor('/' + parts.join('/'), binds, rootfs);
}

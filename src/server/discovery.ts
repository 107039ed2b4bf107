// Discovery documents kubectl and @kubernetes/client-node read before anything else: /version, /api,
// /apis, the per-group-version resource lists (built from the kinds registry) and minimal OpenAPI.
import type { KindInfo, KindRegistry } from '../model/kinds.js';

export const SERVER_VERSION = '0.1.0';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function versionInfo(): Record<string, string> {
  // kubectl compares major/minor for skew warnings: present ourselves as the Kubernetes API level we follow.
  return {
    major: '1',
    minor: '33',
    gitVersion: `v1.33.0-argosy.${SERVER_VERSION}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch}`,
  };
}

export function groupVersions(kinds: KindRegistry): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const k of kinds.all()) {
    if (!groups.has(k.group)) groups.set(k.group, new Set());
    groups.get(k.group)!.add(k.version);
  }
  return groups;
}

export function coreApiVersions(host: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
}

export function apiGroupList(kinds: KindRegistry): Record<string, unknown> {
  const groups = [...groupVersions(kinds).entries()]
    .filter(([g]) => g !== '')
    .map(([name, versions]) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: vs, preferredVersion: vs[0] };
    });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(kinds: KindRegistry, group: string): Record<string, unknown> | undefined {
  const versions = groupVersions(kinds).get(group);
  if (!versions || group === '') return undefined;
  const vs = [...versions].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: vs, preferredVersion: vs[0] };
}

export function resourceList(kinds: KindRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const infos = kinds.all().filter((k) => k.group === group && k.version === version);
  if (!infos.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const k of infos) {
    resources.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: VERBS,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories?.length ? { categories: k.categories } : {}),
    });
    if (k.statusSubresource) resources.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
    if (k.kind === 'Pod') resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/**
 * OpenAPI v3 index. It lists no group-versions, so kubectl finds no server-side field validation and
 * falls back to client-side validation against /openapi/v2 — which has no schemas, so it accepts
 * every object and the server's own validation decides (422/400 with the field named).
 */
export function openApiV3Index(): Record<string, unknown> {
  return { paths: {} };
}

/** A minimal Swagger 2.0 document (JSON form); for the protobuf form we send an empty message. */
export function openApiV2Json(): Record<string, unknown> {
  return { swagger: '2.0', info: { title: 'Argosy', version: `v${SERVER_VERSION}` }, paths: {}, definitions: {} };
}

export function describeKind(k: KindInfo): string {
  return k.group ? `${k.plural}.${k.group}` : k.plural;
}

// The kinds registry: what the store, the API server and kubectl discovery know about each resource.
import { ApiError } from './errors.js';
import type { KObject } from './object.js';

export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in REST paths, e.g. `workflows`. */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** With a status subresource, a main update ignores `status` and a status update changes only `status`. */
  statusSubresource: boolean;
  /** Field selectors beyond metadata.name / metadata.namespace, each mapped to a getter. */
  fields: Record<string, (obj: KObject) => string | undefined>;
  categories?: string[];
}

type FieldGetter = (obj: KObject) => string | undefined;

const at = (path: string): FieldGetter => {
  const parts = path.split('.');
  return (obj) => {
    let v: unknown = obj;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v === undefined || v === null ? undefined : String(v);
  };
};

const podFields: Record<string, FieldGetter> = {
  'spec.nodeName': at('spec.nodeName'),
  'spec.restartPolicy': at('spec.restartPolicy'),
  'spec.schedulerName': at('spec.schedulerName'),
  'spec.serviceAccountName': at('spec.serviceAccountName'),
  'spec.hostNetwork': (o) => String(Boolean((o.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork)),
  'status.phase': at('status.phase'),
  'status.podIP': at('status.podIP'),
  'status.nominatedNodeName': at('status.nominatedNodeName'),
};

const eventFields: Record<string, FieldGetter> = {
  'involvedObject.kind': at('involvedObject.kind'),
  'involvedObject.namespace': at('involvedObject.namespace'),
  'involvedObject.name': at('involvedObject.name'),
  'involvedObject.uid': at('involvedObject.uid'),
  'involvedObject.apiVersion': at('involvedObject.apiVersion'),
  'involvedObject.resourceVersion': at('involvedObject.resourceVersion'),
  'involvedObject.fieldPath': at('involvedObject.fieldPath'),
  reason: at('reason'),
  reportingComponent: at('reportingComponent'),
  source: at('source.component'),
  type: at('type'),
};

function k(
  group: string,
  version: string,
  kind: string,
  plural: string,
  opts: Partial<Pick<KindInfo, 'shortNames' | 'namespaced' | 'statusSubresource' | 'fields' | 'categories'>> = {},
): KindInfo {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    shortNames: opts.shortNames ?? [],
    namespaced: opts.namespaced ?? true,
    statusSubresource: opts.statusSubresource ?? false,
    fields: opts.fields ?? {},
    categories: opts.categories,
  };
}

const ARGO = 'argoproj.io';

export const builtinKinds: KindInfo[] = [
  k('', 'v1', 'Namespace', 'namespaces', { shortNames: ['ns'], namespaced: false, statusSubresource: true, fields: { 'status.phase': at('status.phase') } }),
  k('', 'v1', 'Pod', 'pods', { shortNames: ['po'], statusSubresource: true, fields: podFields, categories: ['all'] }),
  k('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  k('', 'v1', 'Secret', 'secrets', { fields: { type: at('type') } }),
  k('', 'v1', 'Event', 'events', { shortNames: ['ev'], fields: eventFields }),
  k('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'], statusSubresource: true }),
  k('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  k('', 'v1', 'Service', 'services', { shortNames: ['svc'], statusSubresource: true, categories: ['all'] }),
  k('', 'v1', 'ResourceQuota', 'resourcequotas', { shortNames: ['quota'], statusSubresource: true }),
  k('apps', 'v1', 'Deployment', 'deployments', { shortNames: ['deploy'], statusSubresource: true, categories: ['all'] }),
  k('apps', 'v1', 'ReplicaSet', 'replicasets', { shortNames: ['rs'], statusSubresource: true, categories: ['all'] }),
  k('apps', 'v1', 'StatefulSet', 'statefulsets', { shortNames: ['sts'], statusSubresource: true, categories: ['all'] }),
  k('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  k(ARGO, 'v1alpha1', 'Workflow', 'workflows', { shortNames: ['wf'], categories: ['all', 'argo'] }),
  k(ARGO, 'v1alpha1', 'WorkflowTemplate', 'workflowtemplates', { shortNames: ['wftmpl'], categories: ['argo'] }),
  k(ARGO, 'v1alpha1', 'ClusterWorkflowTemplate', 'clusterworkflowtemplates', { shortNames: ['clusterwftmpl', 'cwft'], namespaced: false, categories: ['argo'] }),
  k(ARGO, 'v1alpha1', 'CronWorkflow', 'cronworkflows', { shortNames: ['cwf', 'cronwf'], categories: ['argo'] }),
  k(ARGO, 'v1alpha1', 'WorkflowTaskResult', 'workflowtaskresults', { shortNames: ['wftr'] }),
  k(ARGO, 'v1alpha1', 'WorkflowTaskSet', 'workflowtasksets', { shortNames: ['wfts'], statusSubresource: true }),
  k(ARGO, 'v1alpha1', 'WorkflowEventBinding', 'workfloweventbindings', { shortNames: ['wfeb'] }),
  k(ARGO, 'v1alpha1', 'WorkflowArtifactGCTask', 'workflowartifactgctasks', { shortNames: ['wfat'], statusSubresource: true }),
];

/** Resolves kinds by kind name, plural, singular, short name, or apiVersion+kind. */
export class KindRegistry {
  private byGroupKind = new Map<string, KindInfo>();
  private byGroupResource = new Map<string, KindInfo>();
  private byAlias = new Map<string, KindInfo[]>();

  constructor(kinds: KindInfo[] = builtinKinds) {
    for (const info of kinds) this.register(info);
  }

  register(info: KindInfo): void {
    this.byGroupKind.set(`${info.group}/${info.kind}`, info);
    this.byGroupResource.set(`${info.group}/${info.plural}`, info);
    for (const alias of [info.kind.toLowerCase(), info.plural, info.singular, ...info.shortNames]) {
      const list = this.byAlias.get(alias) ?? [];
      if (!list.includes(info)) list.push(info);
      this.byAlias.set(alias, list);
    }
  }

  all(): KindInfo[] {
    return [...this.byGroupKind.values()];
  }

  /** Look up by apiVersion (`argoproj.io/v1alpha1`, `v1`) and kind. */
  forApiVersionKind(apiVersion: string, kind: string): KindInfo {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const info = this.byGroupKind.get(`${group}/${kind}`);
    if (!info || info.version !== version) {
      const known = info ? ` (this server serves ${info.group ? info.group + '/' : ''}${info.version})` : '';
      throw new ApiError('NotFound', `no kind "${kind}" is registered for version "${apiVersion}"${known}`, { kind, group });
    }
    return info;
  }

  forGroupResource(group: string, plural: string): KindInfo | undefined {
    return this.byGroupResource.get(`${group}/${plural}`);
  }

  forObject(obj: { apiVersion?: string; kind?: string }): KindInfo {
    if (!obj.apiVersion || !obj.kind) {
      throw new ApiError('BadRequest', `object has no ${!obj.kind ? 'kind' : 'apiVersion'}: both apiVersion and kind must be set`);
    }
    return this.forApiVersionKind(obj.apiVersion, obj.kind);
  }

  /** Resolve what a user typed (`wf`, `workflows`, `workflows.argoproj.io`, `Workflow`). */
  resolve(name: string): KindInfo {
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    if (dot > 0) {
      const list = (this.byAlias.get(lower.slice(0, dot)) ?? []).filter((i) => i.group === lower.slice(dot + 1));
      if (list.length) return list[0];
    }
    const list = this.byAlias.get(lower);
    if (!list || list.length === 0) {
      throw new ApiError('NotFound', `the server doesn't have a resource type "${name}"`);
    }
    return list[0];
  }
}

export const defaultKinds = new KindRegistry();

export function apiVersionOf(info: KindInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** A stable key for one kind, used by stores: `argoproj.io/workflows`, `/pods`. */
export function resourceKey(info: KindInfo): string {
  return `${info.group}/${info.plural}`;
}

// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which is how
// `kubectl get` shows columns such as STATUS for Workflows and READY/STATUS/RESTARTS for Pods.
import type { KindInfo } from '../model/kinds.js';
import type { KObject } from '../model/object.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
  cell(o: KObject, now: number): string | number;
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

/** Kubernetes' HumanDuration: `45s`, `3m20s`, `25m`, `5h3m`, `2d4h`, `300d`. */
export function humanAge(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - new Date(ts).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), o);
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

const nameCol: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (o) => o.metadata.name ?? '' };
const ageCol: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp', priority: 0, cell: (o, now) => humanAge(o.metadata.creationTimestamp, now) };

interface PodStatus {
  phase?: string;
  reason?: string;
  podIP?: string;
  containerStatuses?: { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[];
}

function podStatusText(o: KObject): string {
  const st = (o.status ?? {}) as PodStatus;
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const c of st.containerStatuses ?? []) {
    const r = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (r && st.phase !== 'Succeeded' && r !== 'Completed') return r;
  }
  return st.reason ?? (st.phase === 'Succeeded' ? 'Completed' : st.phase ?? 'Pending');
}

function columnsFor(info: KindInfo): Column[] {
  switch (info.kind) {
    case 'Workflow':
      return [
        nameCol,
        { name: 'Status', type: 'string', description: 'Status of the workflow', priority: 0, cell: (o) => str(get(o, 'status.phase')) },
        { name: 'Age', type: 'date', description: 'When the workflow was started', priority: 0, cell: (o, now) => humanAge((get(o, 'status.startedAt') as string) ?? o.metadata.creationTimestamp, now) },
        { name: 'Message', type: 'string', description: 'Human readable message indicating details about why the workflow is in this condition.', priority: 1, cell: (o) => str(get(o, 'status.message')) },
      ];
    case 'Pod':
      return [
        nameCol,
        {
          name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0,
          cell: (o) => {
            const cs = ((o.status ?? {}) as PodStatus).containerStatuses ?? [];
            const total = ((o.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
            return `${cs.filter((c) => c.ready).length}/${total}`;
          },
        },
        { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.', priority: 0, cell: podStatusText },
        { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted.', priority: 0, cell: (o) => String((((o.status ?? {}) as PodStatus).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0)) },
        ageCol,
        { name: 'IP', type: 'string', description: 'IP address assigned to the pod', priority: 1, cell: (o) => str(((o.status ?? {}) as PodStatus).podIP) || '<none>' },
        { name: 'Node', type: 'string', description: 'Name of the Node', priority: 1, cell: (o) => str(get(o, 'spec.nodeName')) || '<none>' },
      ];
    case 'CronWorkflow':
      return [
        nameCol,
        { name: 'Schedule', type: 'string', description: 'Cron schedule', priority: 0, cell: (o) => str(get(o, 'spec.schedule') ?? (get(o, 'spec.schedules') as string[] | undefined)?.join(',')) },
        { name: 'Suspend', type: 'string', description: 'Whether scheduling is suspended', priority: 0, cell: (o) => String(Boolean(get(o, 'spec.suspend'))) },
        ageCol,
      ];
    case 'ConfigMap':
      return [nameCol, { name: 'Data', type: 'integer', description: 'Number of data entries', priority: 0, cell: (o) => Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length }, ageCol];
    case 'Namespace':
      return [nameCol, { name: 'Status', type: 'string', description: 'The status of the namespace', priority: 0, cell: (o) => str(get(o, 'status.phase')) || 'Active' }, ageCol];
    default:
      return [nameCol, ageCol];
  }
}

export function toTable(info: KindInfo, objects: KObject[], meta: { resourceVersion?: string; continue?: string }, includeObject: string | null): Record<string, unknown> {
  const cols = columnsFor(info);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: cols.map(({ cell: _c, ...c }) => c),
    rows: objects.map((o) => ({
      cells: cols.map((c) => c.cell(o, now)),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

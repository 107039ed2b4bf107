// Prometheus text exposition (format 0.0.4), written by hand: a handful of gauges and counters.
// Workflow and pod gauges use Argo's metric names and are computed from the store at scrape time.
import { defaultKinds } from '../model/kinds.js';
import type { Store } from '../store/types.js';

const WORKFLOW_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'];
const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'];

export class Metrics {
  private requests = new Map<string, number>();
  private activeWatches = 0;
  private readonly started = Date.now();

  request(method: string, code: number): void {
    const key = `method="${method}",code="${code}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  watchStarted(): void {
    this.activeWatches++;
  }

  watchEnded(): void {
    this.activeWatches--;
  }

  async render(store: Store): Promise<string> {
    const kinds = store.kinds ?? defaultKinds;
    const count = async (kind: string, apiVersion: string, phases: string[]) => {
      const counts = new Map(phases.map((p) => [p, 0]));
      const list = await store.list(kinds.forApiVersionKind(apiVersion, kind));
      for (const o of list.items) {
        const phase = ((o.status as { phase?: string } | undefined)?.phase || 'Pending') as string;
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      return counts;
    };
    const out: string[] = [];
    const gauge = (name: string, help: string, rows: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [labels, v] of rows) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    };
    const wf = await count('Workflow', 'argoproj.io/v1alpha1', WORKFLOW_PHASES);
    gauge('argo_workflows_count', 'Number of Workflows currently accessible by the controller by status', [...wf].map(([p, n]) => [`status="${p}"`, n]));
    const pods = await count('Pod', 'v1', POD_PHASES);
    gauge('argo_workflows_pods_count', 'Number of Pods from Workflows currently accessible by the controller by status', [...pods].map(([p, n]) => [`status="${p}"`, n]));
    gauge('argosy_watches_active', 'Open watch streams', [['', this.activeWatches]]);
    gauge('argosy_uptime_seconds', 'Seconds since the server started', [['', Math.round((Date.now() - this.started) / 1000)]]);
    out.push('# HELP argosy_http_requests_total HTTP requests served, by method and status code', '# TYPE argosy_http_requests_total counter');
    for (const [labels, n] of [...this.requests].sort()) out.push(`argosy_http_requests_total{${labels}} ${n}`);
    const mem = process.memoryUsage();
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes', [['', mem.rss]]);
    return out.join('\n') + '\n';
  }
}

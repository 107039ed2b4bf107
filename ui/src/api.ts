// The Argo Server REST API as the UI uses it, plus server-sent-event streams read with fetch (not
// EventSource: a finished log stream must end, not reconnect and replay).
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generateName?: string;
  creationTimestamp?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface Parameter {
  name: string;
  value?: string;
  default?: string;
  enum?: string[];
  description?: string;
}
export interface ArtifactRef {
  name: string;
  path?: string;
  s3?: { key?: string };
}
/** The parts of a template the UI reads: DAG tasks (pending nodes) and supplied outputs (resume form). */
export interface TemplateSpec {
  name: string;
  dag?: { tasks?: { name: string; dependencies?: string[]; depends?: string }[] };
  suspend?: unknown;
  outputs?: { parameters?: { name: string; description?: string; default?: string; valueFrom?: { supplied?: unknown; default?: string }; enum?: string[] }[] };
}
export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: string;
  templateName?: string;
  templateRef?: { name: string; template: string };
  phase: string;
  boundaryID?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  hostNodeName?: string;
  inputs?: { parameters?: Parameter[]; artifacts?: ArtifactRef[] };
  outputs?: { parameters?: Parameter[]; artifacts?: ArtifactRef[]; result?: string; exitCode?: string };
  children?: string[];
  outboundNodes?: string[];
}
export interface Workflow {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { suspend?: boolean; shutdown?: string; entrypoint?: string; arguments?: { parameters?: Parameter[] }; templates?: TemplateSpec[]; workflowTemplateRef?: { name: string } };
  status?: { phase?: string; startedAt?: string; finishedAt?: string; progress?: string; message?: string; nodes?: Record<string, NodeStatus>; storedWorkflowTemplateSpec?: { templates?: TemplateSpec[] } };
}
export interface WorkflowTemplate {
  metadata: ObjectMeta;
  spec: { entrypoint?: string; arguments?: { parameters?: Parameter[] }; templates?: { name: string }[] };
}
export interface CronWorkflow {
  metadata: ObjectMeta;
  spec: { schedule?: string; schedules?: string[]; timezone?: string; suspend?: boolean; concurrencyPolicy?: string };
  status?: { lastScheduledTime?: string; active?: unknown[]; succeeded?: number; failed?: number };
}
export interface List<T> {
  metadata?: { continue?: string; resourceVersion?: string };
  items?: T[] | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T = unknown>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers: Record<string, string> = { Accept: 'application/json', ...((rest.headers as Record<string, string>) ?? {}) };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  } catch (err) {
    throw new HttpError(0, `cannot reach the Argosy server (${(err as Error).message}); is \`argosy server\` running?`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = text;
  }
  if (!res.ok) {
    const msg = (body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : text) || res.statusText;
    throw new HttpError(res.status, `${res.status}: ${msg}`);
  }
  return body as T;
}

const enc = encodeURIComponent;
export const paths = {
  workflows: (ns: string) => `/api/v1/workflows/${enc(ns)}`,
  workflow: (ns: string, name: string) => `/api/v1/workflows/${enc(ns)}/${enc(name)}`,
  events: (ns: string) => `/api/v1/workflow-events/${enc(ns)}`,
  templates: (ns: string) => `/api/v1/workflow-templates/${enc(ns)}`,
  crons: (ns: string) => `/api/v1/cron-workflows/${enc(ns)}`,
};

export type WorkflowAction = 'suspend' | 'resume' | 'stop' | 'terminate' | 'retry' | 'resubmit';

export function workflowAction(ns: string, name: string, action: WorkflowAction | 'delete'): Promise<unknown> {
  if (action === 'delete') return api(paths.workflow(ns, name), { method: 'DELETE' });
  return api(`${paths.workflow(ns, name)}/${action}`, { method: 'PUT', json: { namespace: ns, name } });
}

export async function namespaces(): Promise<string[]> {
  try {
    const l = await api<List<{ metadata: ObjectMeta }>>('/api/v1/namespaces');
    const names = (l.items ?? []).map((n) => n.metadata.name);
    return names.length ? names.sort() : ['default'];
  } catch {
    return ['default'];
  }
}

/**
 * Read a server-sent-event (or newline-delimited JSON) stream, calling `onData` with each parsed
 * `data:` payload. Resolves when the server ends it; rejects on HTTP errors; abort with `signal`.
 */
export async function readStream(url: string, onData: (data: unknown) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) {
    let msg = res.statusText;
    try {
      const b = JSON.parse(await res.text());
      msg = b.message ?? msg;
    } catch {
      // keep the status text
    }
    throw new HttpError(res.status, `${res.status}: ${msg}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      try {
        onData(JSON.parse(data));
      } catch {
        // a malformed event is skipped
      }
    }
  }
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/**
 * Watch workflows through /api/v1/workflow-events: reconnects (with a short back-off) from the last
 * resourceVersion seen when the stream drops. Returns a stop function.
 */
export function watchWorkflows(
  ns: string,
  opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; fields?: string },
  onEvent: (ev: WatchEvent<Workflow>) => void,
  onStatus?: (connected: boolean, error?: string) => void,
): () => void {
  const ac = new AbortController();
  let rv = opts.resourceVersion;
  let delay = 500;
  const loop = async () => {
    while (!ac.signal.aborted) {
      const q = new URLSearchParams();
      if (opts.labelSelector) q.set('listOptions.labelSelector', opts.labelSelector);
      if (opts.fieldSelector) q.set('listOptions.fieldSelector', opts.fieldSelector);
      if (rv) q.set('listOptions.resourceVersion', rv);
      if (opts.fields) q.set('fields', opts.fields);
      try {
        onStatus?.(true);
        await readStream(`${paths.events(ns)}?${q}`, (d) => {
          const r = (d as { result?: WatchEvent<Workflow>; error?: { message: string } }).result;
          if (!r?.object) return;
          delay = 500;
          if (r.object.metadata?.resourceVersion) rv = r.object.metadata.resourceVersion;
          onEvent(r);
        }, ac.signal);
      } catch (err) {
        if (ac.signal.aborted) return;
        onStatus?.(false, (err as Error).message);
      }
      if (ac.signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void loop();
  return () => ac.abort();
}

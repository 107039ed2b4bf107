// The HTTP layer over a MemoryStore (no controller): Kubernetes REST details, bad input, Argo REST
// shapes, workflow actions on crafted statuses, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workflow } from '../model/argo.js';
import type { KObject } from '../model/object.js';
import { MemoryStore } from '../store/memory.js';
import { ApiServer } from './server.js';
import { planRetry } from './workflow-actions.js';

let store: MemoryStore;
let server: ApiServer;
let base: string;

beforeAll(async () => {
  store = new MemoryStore(undefined, { watchHistory: 50 });
  server = new ApiServer({ store });
  base = (await server.listen(0)).url;
});
afterAll(async () => {
  await server.close();
  await store.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, type: r.headers.get('content-type') };
}

const cm = (name: string, data: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const pod = (name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'alpine', env: [{ name: 'A', value: '1' }] }, { name: 'side', image: 'busybox' }] },
});
const wf = (name: string, extra: Partial<Workflow> = {}): Workflow =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine', command: ['echo', 'hi'] } }] },
    ...extra,
  }) as Workflow;

describe('discovery and health', () => {
  it('serves /version, /api, /apis and resource lists from the kinds registry', async () => {
    expect((await call('GET', '/version')).json.major).toBe('1');
    expect((await call('GET', '/api')).json.versions).toEqual(['v1']);
    const apis = (await call('GET', '/apis')).json;
    expect(apis.groups.map((g: { name: string }) => g.name)).toContain('argoproj.io');
    const argo = (await call('GET', '/apis/argoproj.io/v1alpha1')).json;
    const wfs = argo.resources.find((r: { name: string }) => r.name === 'workflows');
    expect(wfs).toMatchObject({ kind: 'Workflow', namespaced: true, shortNames: ['wf'], singularName: 'workflow', categories: ['all', 'argo'] });
    expect(wfs.verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']));
    const core = (await call('GET', '/api/v1')).json;
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/status', 'namespaces']));
    expect((await call('GET', '/apis/nope.io/v1')).status).toBe(404);
  });

  it('answers health, readiness and Prometheus metrics', async () => {
    expect((await call('GET', '/healthz')).text).toBe('ok');
    expect((await call('GET', '/livez')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    const m = await call('GET', '/metrics');
    expect(m.type).toMatch(/text\/plain; version=0.0.4/);
    expect(m.text).toMatch(/# TYPE argo_workflows_count gauge/);
    expect(m.text).toMatch(/argo_workflows_count\{status="Running"\} \d+/);
    expect(m.text).toMatch(/argosy_http_requests_total\{method="GET",code="200"\} \d+/);
  });

  it('serves OpenAPI documents kubectl can read', async () => {
    expect((await call('GET', '/openapi/v3')).json).toEqual({ paths: {} });
    const pb = await fetch(base + '/openapi/v2', { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(pb.status).toBe(200);
    expect((await pb.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('Kubernetes REST', () => {
  it('creates, gets, lists, updates and deletes in a namespace and across namespaces', async () => {
    const created = await call('POST', '/api/v1/namespaces/team-a/configmaps', cm('one', { a: '1' }));
    expect(created.status).toBe(201);
    expect(created.json.metadata.namespace).toBe('team-a');
    await call('POST', '/api/v1/namespaces/team-b/configmaps', cm('two'));
    expect((await call('GET', '/api/v1/namespaces/team-a/configmaps/one')).json.data).toEqual({ a: '1' });
    const all = (await call('GET', '/api/v1/configmaps')).json;
    expect(all.kind).toBe('ConfigMapList');
    expect(all.items.map((i: KObject) => i.metadata.name)).toEqual(expect.arrayContaining(['one', 'two']));
    const updated = await call('PUT', '/api/v1/namespaces/team-a/configmaps/one', { ...created.json, data: { a: '2' } });
    expect(updated.json.data).toEqual({ a: '2' });
    const stale = await call('PUT', '/api/v1/namespaces/team-a/configmaps/one', { ...created.json, data: { a: '3' } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    const del = await call('DELETE', '/api/v1/namespaces/team-a/configmaps/one', { propagationPolicy: 'Background' });
    expect(del.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/team-a/configmaps/one')).status).toBe(404);
  });

  it('answers bad input with a Status naming the problem and keeps serving', async () => {
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion": "v1", "kind":');
    expect(malformed.status).toBe(400);
    expect(malformed.json.message).toMatch(/not valid JSON/);
    const unknown = await call('GET', '/apis/argoproj.io/v1alpha1/namespaces/default/bananas');
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toMatch(/no resource "bananas"/);
    const wrongVersion = await call('GET', '/apis/argoproj.io/v1/namespaces/default/workflows');
    expect(wrongVersion.status).toBe(404);
    const invalid = await call('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    expect(invalid.status).toBe(422);
    expect(invalid.json.details.causes[0].field).toBe('metadata.name');
    const badData = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('x'), data: { n: 1 } });
    expect(badData.status).toBe(422);
    expect(badData.json.message).toMatch(/data\.n: Invalid value: 1: must be a string/);
    const sel = await call('GET', '/api/v1/configmaps?labelSelector=' + encodeURIComponent('a in ('));
    expect(sel.status).toBe(400);
    const field = await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3D1');
    expect(field.status).toBe(400);
    expect(field.json.message).toMatch(/field label not supported: spec.bogus/);
    const big = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ ...cm('big'), data: { x: 'y'.repeat(17 * 1024 * 1024) } }));
    expect(big.status).toBe(413);
    const mismatch = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('m'), metadata: { name: 'm', namespace: 'other' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.message).toMatch(/does not match the namespace/);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('pages lists with limit and continue', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/api/v1/namespaces/paging/configmaps', cm(`p${i}`));
    const first = (await call('GET', '/api/v1/namespaces/paging/configmaps?limit=2')).json;
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const second = (await call('GET', `/api/v1/namespaces/paging/configmaps?limit=10&continue=${first.metadata.continue}`)).json;
    expect(second.items).toHaveLength(3);
  });

  it('patches: merge, JSON, strategic (merge by name, $patch delete) for built-ins; 415 for custom kinds', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('sp'));
    const sp = await call('PATCH', '/api/v1/namespaces/default/pods/sp', { spec: { containers: [{ name: 'main', image: 'busybox', env: [{ name: 'B', value: '2' }] }, { name: 'side', $patch: 'delete' }] } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(sp.status).toBe(200);
    expect(sp.json.spec.containers).toEqual([{ name: 'main', image: 'busybox', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]);
    const jp = await call('PATCH', '/api/v1/namespaces/default/pods/sp', [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }], { 'Content-Type': 'application/json-patch+json' });
    expect(jp.json.metadata.labels).toEqual({ x: 'y' });
    await call('POST', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows', wf('patched'));
    const smp = await call('PATCH', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows/patched', { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(415);
    expect(smp.json.message).toMatch(/accepted media types include: application\/json-patch\+json, application\/merge-patch\+json/);
    const mp = await call('PATCH', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows/patched', { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(mp.json.metadata.labels).toEqual({ a: 'b' });
    const other = await call('PATCH', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows/patched', {}, { 'Content-Type': 'text/plain' });
    expect(other.status).toBe(415);
  });

  it('server-side apply creates, then merges; dryRun=All changes nothing', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
    const noManager = await call('PATCH', '/api/v1/namespaces/default/configmaps/applied', yaml, { 'Content-Type': 'application/apply-patch+yaml' });
    expect(noManager.status).toBe(400);
    const first = await call('PATCH', '/api/v1/namespaces/default/configmaps/applied?fieldManager=me', yaml, { 'Content-Type': 'application/apply-patch+yaml' });
    expect(first.status).toBe(201);
    const second = await call('PATCH', '/api/v1/namespaces/default/configmaps/applied?fieldManager=me', yaml.replace('a: "1"', 'b: "2"'), { 'Content-Type': 'application/apply-patch+yaml' });
    expect(second.json.data).toEqual({ a: '1', b: '2' });
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(dry.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
    expect((await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=Some', cm('dry'))).status).toBe(400);
  });

  it('prints tables for kubectl', async () => {
    await call('POST', '/apis/argoproj.io/v1alpha1/namespaces/tables/workflows', wf('t1'));
    const t = (await call('GET', '/apis/argoproj.io/v1alpha1/namespaces/tables/workflows', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })).json;
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Status', 'Age', 'Message']);
    expect(t.rows[0].cells[0]).toBe('t1');
    expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
  });

  it('watches as chunked JSON lines, with bookmarks, and a 410 ERROR event when too old', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/w/configmaps')).json.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/namespaces/w/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, { signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const lines: any[] = [];
    let buf = '';
    const readUntil = async (n: number) => {
      while (lines.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    };
    await readUntil(1);
    expect(lines[0].type).toBe('BOOKMARK');
    await call('POST', '/api/v1/namespaces/w/configmaps', cm('watched'));
    await readUntil(2);
    expect(lines[1]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watched' } } });
    ac.abort();
    for (let i = 0; i < 60; i++) await call('POST', '/api/v1/namespaces/w2/configmaps', cm(`churn-${i}`));
    const old = await call('GET', '/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=1');
    expect(old.status).toBe(200);
    const ev = JSON.parse(old.text.trim());
    expect(ev).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const timed = await call('GET', '/api/v1/namespaces/w/configmaps?watch=true&timeoutSeconds=1');
    expect(timed.status).toBe(200);
  });
});

describe('Argo Server REST', () => {
  it('creates (validating), gets, lists with fields and nameFilter, and deletes workflows', async () => {
    const bad = await call('POST', '/api/v1/workflows/argo', { workflow: { ...wf('bad'), spec: { entrypoint: 'nope', templates: [] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe(3);
    expect(bad.json.message).toMatch(/entrypoint|templates/);
    for (const n of ['alpha-1', 'alpha-2', 'beta-1']) expect((await call('POST', '/api/v1/workflows/argo', { workflow: wf(n) })).status).toBe(200);
    const dup = await call('POST', '/api/v1/workflows/argo', { workflow: wf('alpha-1') });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe(6);
    const dry = await call('POST', '/api/v1/workflows/argo', { workflow: wf('dry-one'), serverDryRun: true });
    expect(dry.json.metadata.name).toBe('dry-one');
    expect((await call('GET', '/api/v1/workflows/argo/dry-one')).status).toBe(404);
    const list = (await call('GET', '/api/v1/workflows/argo?fields=items.metadata.name')).json;
    expect(list.items.map((i: Workflow) => i.metadata.name).sort()).toEqual(['alpha-1', 'alpha-2', 'beta-1']);
    expect(Object.keys(list.items[0])).toEqual(['metadata']);
    expect(Object.keys(list.items[0].metadata)).toEqual(['name']);
    const prefix = (await call('GET', `/api/v1/workflows/argo?listOptions.fieldSelector=${encodeURIComponent('metadata.name=alpha')}&nameFilter=Prefix`)).json;
    expect(prefix.items.map((i: Workflow) => i.metadata.name).sort()).toEqual(['alpha-1', 'alpha-2']);
    const without = (await call('GET', '/api/v1/workflows/argo/alpha-1?fields=-spec')).json;
    expect(without.spec).toBeUndefined();
    expect(without.metadata.name).toBe('alpha-1');
    expect((await call('DELETE', '/api/v1/workflows/argo/beta-1')).json).toEqual({});
    const missing = await call('GET', '/api/v1/workflows/argo/beta-1');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe(5);
    expect((await call('POST', '/api/v1/workflows/argo/lint', { workflow: wf('linted') })).status).toBe(200);
    expect((await call('GET', '/api/v1/version')).json.version).toBe('v0.1.0');
    expect((await call('GET', '/api/v1/info')).json).toHaveProperty('managedNamespace');
    expect((await call('GET', '/api/v1/userinfo')).status).toBe(200);
  });

  it('manages workflow templates, cluster templates and cron workflows, and submits from them', async () => {
    const tmpl = { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'greet' }, spec: { entrypoint: 'main', arguments: { parameters: [{ name: 'who', value: 'world' }] }, templates: [{ name: 'main', inputs: { parameters: [{ name: 'who' }] }, container: { image: 'alpine', command: ['echo', '{{inputs.parameters.who}}'] } }] } };
    expect((await call('POST', '/api/v1/workflow-templates/argo', { template: tmpl })).status).toBe(200);
    expect((await call('GET', '/api/v1/workflow-templates/argo')).json.items).toHaveLength(1);
    const sub = await call('POST', '/api/v1/workflows/argo/submit', { resourceKind: 'WorkflowTemplate', resourceName: 'greet', submitOptions: { parameters: ['who=argosy'], labels: 'team=x' } });
    expect(sub.status).toBe(200);
    expect(sub.json.metadata.name).toMatch(/^greet-/);
    expect(sub.json.metadata.labels).toMatchObject({ team: 'x', 'workflows.argoproj.io/workflow-template': 'greet' });
    expect(sub.json.spec).toMatchObject({ workflowTemplateRef: { name: 'greet' }, arguments: { parameters: [{ name: 'who', value: 'argosy' }] } });
    const cwt = { ...tmpl, kind: 'ClusterWorkflowTemplate', metadata: { name: 'cgreet' } };
    expect((await call('POST', '/api/v1/cluster-workflow-templates', { template: cwt })).status).toBe(200);
    expect((await call('POST', '/api/v1/cluster-workflow-templates/lint', { template: cwt })).status).toBe(200);
    const csub = (await call('POST', '/api/v1/workflows/argo/submit', { resourceKind: 'ClusterWorkflowTemplate', resourceName: 'cgreet' })).json;
    expect(csub.spec.workflowTemplateRef).toEqual({ name: 'cgreet', clusterScope: true });
    const cron = { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'nightly' }, spec: { schedule: '0 2 * * *', workflowSpec: wf('x').spec } };
    expect((await call('POST', '/api/v1/cron-workflows/argo/lint', { cronWorkflow: { ...cron, spec: { ...cron.spec, schedule: 'not a cron' } } })).status).toBe(400);
    expect((await call('POST', '/api/v1/cron-workflows/argo', { cronWorkflow: cron })).status).toBe(200);
    expect((await call('PUT', '/api/v1/cron-workflows/argo/nightly/suspend', {})).json.spec.suspend).toBe(true);
    expect((await call('PUT', '/api/v1/cron-workflows/argo/nightly/resume', {})).json.spec.suspend).toBe(false);
    const fromCron = (await call('POST', '/api/v1/workflows/argo/submit', { resourceKind: 'cronworkflow', resourceName: 'nightly' })).json;
    expect(fromCron.metadata.labels['workflows.argoproj.io/cron-workflow']).toBe('nightly');
    expect(fromCron.metadata.ownerReferences[0].kind).toBe('CronWorkflow');
    const updated = await call('PUT', '/api/v1/workflow-templates/argo/greet', { template: { ...tmpl, metadata: { name: 'greet', labels: { v: '2' } } } });
    expect(updated.json.metadata.labels).toEqual({ v: '2' });
    expect((await call('DELETE', '/api/v1/workflow-templates/argo/greet')).status).toBe(200);
    expect((await call('DELETE', '/api/v1/cluster-workflow-templates/cgreet')).status).toBe(200);
  });

  it('suspends, resumes suspend nodes with supplied outputs, sets nodes, stops and terminates', async () => {
    const suspendWf: Workflow = {
      ...wf('approval'),
      spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'approve', template: 'approve' }]] }, { name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'ok', valueFrom: { supplied: {} } }] } }] },
    } as Workflow;
    await call('POST', '/api/v1/workflows/acts', { workflow: suspendWf });
    // Craft the status the controller would have written.
    const cur = (await call('GET', '/api/v1/workflows/acts/approval')).json as Workflow;
    cur.status = {
      phase: 'Running',
      nodes: {
        approval: { id: 'approval', name: 'approval', displayName: 'approval', type: 'Steps', phase: 'Running', templateName: 'main', children: ['approval-1'] },
        'approval-1': { id: 'approval-1', name: 'approval.approve', displayName: 'approve', type: 'Suspend', phase: 'Running', templateName: 'approve' },
      },
    };
    await call('PUT', '/apis/argoproj.io/v1alpha1/namespaces/acts/workflows/approval', cur);
    expect((await call('PUT', '/api/v1/workflows/acts/approval/suspend', {})).json.spec.suspend).toBe(true);
    const noDefault = await call('PUT', '/api/v1/workflows/acts/approval/resume', { nodeFieldSelector: 'displayName=approve' });
    expect(noDefault.status).toBe(400);
    expect(noDefault.json.message).toMatch(/raw output parameter 'ok' has not been set/);
    const set = await call('PUT', '/api/v1/workflows/acts/approval/set', { nodeFieldSelector: 'displayName=approve', outputParameters: '{"ok":"yes"}', message: 'approved' });
    expect(set.json.status.nodes['approval-1'].outputs.parameters).toEqual([{ name: 'ok', value: 'yes' }]);
    const resumed = (await call('PUT', '/api/v1/workflows/acts/approval/resume', {})).json as Workflow;
    expect(resumed.spec.suspend).toBeUndefined();
    expect(resumed.status!.nodes!['approval-1']).toMatchObject({ phase: 'Succeeded', message: 'approved' });
    expect(resumed.status!.nodes!['approval-1'].finishedAt).toBeTruthy();
    expect((await call('PUT', '/api/v1/workflows/acts/approval/stop', {})).json.spec.shutdown).toBe('Stop');
    expect((await call('PUT', '/api/v1/workflows/acts/approval/terminate', {})).json.spec.shutdown).toBe('Terminate');
    expect((await call('PUT', '/api/v1/workflows/acts/approval/retry', {})).status).toBe(400);
    expect((await call('PUT', '/api/v1/workflows/acts/approval/bogus', {})).status).toBe(404);
    const re = (await call('PUT', '/api/v1/workflows/acts/approval/resubmit', { parameters: ['x=1'] })).json as Workflow;
    expect(re.metadata.name).toMatch(/^approval-/);
    expect(re.metadata.labels!['workflows.argoproj.io/resubmitted-from-workflow']).toBe('approval');
    expect(re.spec.shutdown).toBeUndefined();
    expect(re.spec.arguments!.parameters).toEqual([{ name: 'x', value: '1' }]);
  });

  it('streams workflow events as server-sent events and as JSON lines', async () => {
    await call('POST', '/api/v1/workflows/events', { workflow: wf('ev-1') });
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/workflow-events/events?listOptions.fieldSelector=metadata.name%3Dev-1`, { headers: { Accept: 'text/event-stream' }, signal: ac.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('data: ')) text += new TextDecoder().decode((await reader.read()).value);
    while (!text.slice(text.indexOf('data: ')).includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const data = JSON.parse(text.slice(text.indexOf('data: ') + 6, text.indexOf('\n\n', text.indexOf('data: '))));
    expect(data.result.type).toBe('ADDED');
    expect(data.result.object.metadata.name).toBe('ev-1');
    ac.abort();
  });
});

describe('retry planning', () => {
  it('deletes failed pods, resets their failed ancestors, keeps successful steps, and drops exit handlers', () => {
    const n = (id: string, type: string, phase: string, children: string[] = [], name = id) => ({ id, name, displayName: id, type, phase, children }) as never;
    const w = {
      ...wf('r'),
      status: {
        phase: 'Failed',
        nodes: {
          r: n('r', 'Steps', 'Failed', ['g0', 'g1']),
          g0: n('g0', 'StepGroup', 'Succeeded', ['a']),
          a: n('a', 'Pod', 'Succeeded'),
          g1: n('g1', 'StepGroup', 'Failed', ['b']),
          b: n('b', 'Pod', 'Failed'),
          exit: n('exit', 'Pod', 'Succeeded', [], 'r.onExit'),
        },
      },
    } as Workflow;
    const plan = planRetry(w, () => false);
    expect([...plan.deleted].sort()).toEqual(['b', 'exit']);
    expect([...plan.reset].sort()).toEqual(['g1', 'r']);
    const again = planRetry(w, (x) => x.id === 'a');
    expect([...again.deleted].sort()).toEqual(['a', 'b', 'exit']);
    expect([...again.reset].sort()).toEqual(['g0', 'g1', 'r']);
  });
});

// /workflows/{ns}/{name}: header, phase-aware toolbar, tabs (graph, logs, YAML) and the node panel.
// Live through the workflow-events stream for this one workflow; the graph is re-laid out (in a
// worker) only when its shape changes, otherwise node phases are updated in place.
import { type ArtifactRef, type List, type NodeStatus, type ObjectMeta, type TemplateSpec, type Workflow, type WorkflowAction, api, paths, watchWorkflows, workflowAction } from '../api';
import { confirmDialog, h, replace, toast } from '../dom';
import { layoutInWorker } from '../graph/layout-client';
import { type GraphModel, buildGraph, pendingDagTasks } from '../graph/model';
import { GraphView, NODE_H, NODE_W, SMALL_W } from '../graph/view';
import { type RouteContext, navigate, setQuery } from '../router';
import { COMPLETED, duration, errorMessage, podNameOf } from '../util';
import { emptyState, errorBox, phaseBadge, time } from './common';
import { logsViewer } from './logs';

type Op = WorkflowAction | 'delete';
const OPS: { op: Op; label: string; danger?: boolean; enabled(wf: Workflow): boolean }[] = [
  { op: 'retry', label: 'Retry', enabled: (wf) => ['Failed', 'Error'].includes(wf.status?.phase ?? '') },
  { op: 'resubmit', label: 'Resubmit', enabled: () => true },
  { op: 'suspend', label: 'Suspend', enabled: (wf) => !done(wf) && !wf.spec?.suspend },
  { op: 'resume', label: 'Resume', enabled: (wf) => !done(wf) && (!!wf.spec?.suspend || Object.values(wf.status?.nodes ?? {}).some((n) => n.type === 'Suspend' && n.phase === 'Running')) },
  { op: 'stop', label: 'Stop', enabled: (wf) => !done(wf) },
  { op: 'terminate', label: 'Terminate', danger: true, enabled: (wf) => !done(wf) },
  { op: 'delete', label: 'Delete', danger: true, enabled: () => true },
];

const TABS = [
  { id: 'graph', label: 'Graph' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'logs', label: 'Logs' },
  { id: 'events', label: 'Events' },
  { id: 'yaml', label: 'YAML' },
];

function done(wf: Workflow): boolean {
  return COMPLETED.has(wf.status?.phase ?? '');
}

export function shownPhase(wf: Workflow): string {
  const p = wf.status?.phase || 'Pending';
  return p === 'Running' && wf.spec?.suspend ? 'Suspended' : p;
}

export function detailsView(root: HTMLElement, { params, query }: RouteContext): () => void {
  const { ns, name } = params;
  const tab = TABS.some((t) => t.id === query.get('tab')) ? query.get('tab')! : 'graph';
  let selected = query.get('node') ?? '';
  const collapsedParam = query.get('collapsed') ?? '';
  let collapsed: Set<string> | 'all' = collapsedParam === 'all' ? 'all' : new Set(collapsedParam.split(',').filter(Boolean));
  let wf: Workflow | undefined;
  let stopWatch: (() => void) | undefined;
  let disposed = false;
  const cleanups: (() => void)[] = [];

  const head = h('div', { class: 'page-head details-head' });
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Workflow actions' });
  const opButtons = OPS.map((o) => h('button', { type: 'button', class: o.danger ? 'btn danger-outline' : 'btn', 'data-action': o.op, disabled: true, onclick: () => void run(o.op, o.label) }, o.label));
  toolbar.append(...opButtons);
  const tabs = h('div', { class: 'tabs', role: 'tablist' },
    TABS.map((t) => h('button', { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-selected': String(t.id === tab), class: 'tab', onclick: () => {
      setQuery({ tab: t.id === 'graph' ? '' : t.id }, true);
      navigate(location.pathname + location.search, true);
    } }, t.label)));
  const body = h('div', { class: 'tab-body', role: 'tabpanel', 'aria-labelledby': `tab-${tab}` });
  root.append(h('p', { class: 'crumbs' }, h('a', { href: `/workflows?namespace=${encodeURIComponent(ns)}` }, `Workflows / ${ns}`)), head, toolbar, tabs, body);

  const run = async (op: Op, label: string) => {
    if (!wf) return;
    if (op === 'delete' || op === 'terminate') {
      const ok = await confirmDialog(`${label} ${name}?`, op === 'delete' ? 'The workflow, its pods and its logs are removed. This cannot be undone.' : 'Running steps are killed and exit handlers are skipped.', label, true);
      if (!ok) return;
    }
    try {
      const res = (await workflowAction(ns, name, op)) as Workflow;
      toast(`${label}: ${name}`);
      if (op === 'delete') navigate(`/workflows?namespace=${encodeURIComponent(ns)}`);
      else if (op === 'resubmit' && res?.metadata?.name) navigate(`/workflows/${encodeURIComponent(ns)}/${encodeURIComponent(res.metadata.name)}`);
      else if (res?.metadata) update(res);
    } catch (err) {
      toast(`${label} failed: ${errorMessage(err)}`, 'error');
    }
  };

  const renderHead = () => {
    if (!wf) return;
    const s = wf.status ?? {};
    const tmpl = wf.metadata.labels?.['workflows.argoproj.io/workflow-template'];
    const cron = wf.metadata.labels?.['workflows.argoproj.io/cron-workflow'];
    replace(head,
      h('h1', null, name),
      h('span', { id: 'workflow-phase' }, phaseBadge(shownPhase(wf))),
      h('dl', { class: 'meta' },
        h('dt', null, 'Started'), h('dd', null, time(s.startedAt)),
        h('dt', null, 'Duration'), h('dd', { 'data-duration': '' }, duration(s.startedAt, s.finishedAt)),
        h('dt', null, 'Progress'), h('dd', null, s.progress ?? '-'),
        tmpl ? [h('dt', null, 'Template'), h('dd', null, h('a', { href: `/workflow-templates?namespace=${encodeURIComponent(ns)}&name=${encodeURIComponent(tmpl)}` }, tmpl))] : null,
        cron ? [h('dt', null, 'Cron'), h('dd', null, h('a', { href: `/cron-workflows?namespace=${encodeURIComponent(ns)}` }, cron))] : null),
      s.message ? h('p', { class: 'message', role: 'note' }, s.message) : null);
    OPS.forEach((o, i) => (opButtons[i].disabled = !o.enabled(wf!)));
  };

  // ------------------------------------------------------------ graph tab
  let graph: GraphView | undefined;
  let model: GraphModel | undefined;
  let layoutSeq = 0;
  let drawnOnce = false;
  const panel = h('aside', { class: 'node-panel', 'aria-label': 'Node details', hidden: true });
  const search = h('input', { type: 'search', placeholder: 'Find node…', 'aria-label': 'Find a node by name', list: 'node-names' });
  const names = h('datalist', { id: 'node-names' });
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !wf) return;
    const t = search.value.toLowerCase();
    const n = Object.values(wf.status?.nodes ?? {}).find((x) => (x.displayName || x.name).toLowerCase() === t) ?? Object.values(wf.status?.nodes ?? {}).find((x) => (x.displayName || x.name).toLowerCase().includes(t));
    if (n) selectNode(n.id, true);
    else toast(`No node matches “${search.value}”`, 'error');
  });
  const setCollapsed = (c: Set<string> | 'all') => {
    collapsed = c;
    setQuery({ collapsed: c === 'all' ? 'all' : [...c].join(',') });
    refreshGraph(true);
  };
  const toggle = (id: string) => {
    const cur = collapsed === 'all' ? new Set(Object.values(wf?.status?.nodes ?? {}).map((n) => n.id)) : new Set(collapsed);
    if (cur.has(id)) cur.delete(id);
    else cur.add(id);
    setCollapsed(cur);
  };

  const refreshGraph = (force = false) => {
    if (!graph || !wf) return;
    const nodes = wf.status?.nodes ?? {};
    if (!Object.keys(nodes).length) {
      graph.el.hidden = true;
      if (!body.querySelector('.graph-empty')) body.prepend(emptyState('No nodes yet', 'The graph appears when the controller starts the workflow.'));
      body.querySelector('.empty')?.classList.add('graph-empty');
      return;
    }
    body.querySelector('.graph-empty')?.remove();
    graph.el.hidden = false;
    const next = buildGraph(nodes, collapsed, wf.status?.phase === 'Running' ? pendingDagTasks(nodes, templatesOf(wf)) : []);
    if (!force && model && next.shape === model.shape) {
      model = next;
      graph.updatePhases(next);
      return;
    }
    model = next;
    const seq = ++layoutSeq;
    const widths = new Float32Array(next.nodes.length);
    next.nodes.forEach((n, i) => (widths[i] = n.small ? SMALL_W : NODE_W));
    void layoutInWorker({ n: next.nodes.length, edges: next.edges.slice(), widths, nodeHeight: NODE_H, hGap: 24, vGap: 48, maxPerRow: 40 }).then((lay) => {
      if (seq !== layoutSeq || disposed || !graph) return;
      graph.setGraph(model!, lay, !drawnOnce);
      graph.select(selected || undefined, !drawnOnce && !!selected);
      graph.drawNow();
      if (!drawnOnce) {
        drawnOnce = true;
        performance.mark('argosy:graph-drawn');
        document.body.dataset.graphDrawn = String(Math.round(performance.now()));
        document.body.dataset.graphLayoutMs = String(Math.round(lay.ms));
      }
      names.replaceChildren(...Object.values(nodes).slice(0, 2000).map((n) => h('option', { value: n.displayName || n.name })));
    });
  };

  const selectNode = (id: string, center = false) => {
    selected = id;
    setQuery({ node: id, ntab: '' });
    // Open the panel first: it narrows the graph, and centring must measure the final size.
    openPanel(true);
    graph?.select(id, center);
  };

  // ------------------------------------------------------------ node panel
  let ntab = query.get('ntab') ?? 'summary';
  let panelLogs: { el: HTMLElement; destroy(): void } | undefined;
  let panelFor = '';
  const closePanel = () => {
    selected = '';
    setQuery({ node: '', ntab: '' });
    graph?.select(undefined);
    panel.hidden = true;
    panelLogs?.destroy();
    panelLogs = undefined;
    panelFor = '';
  };
  const openPanel = (fresh: boolean) => {
    if (!wf || !selected) {
      panel.hidden = true;
      return;
    }
    const n = wf.status?.nodes?.[selected];
    if (!n) {
      panel.hidden = true;
      return;
    }
    if (fresh && panelFor !== selected) {
      panelLogs?.destroy();
      panelLogs = undefined;
      if (panelFor) ntab = 'summary';
    }
    panelFor = selected;
    panel.hidden = false;
    const pod = n.type === 'Pod' ? podNameOf(name, n.name, n.templateName) : '';
    const tabBtn = (t: string, label: string, enabled = true) => h('button', { type: 'button', role: 'tab', class: 'tab', 'aria-selected': String(ntab === t), disabled: !enabled, 'data-ntab': t, onclick: () => {
      ntab = t;
      setQuery({ ntab: t === 'summary' ? '' : t });
      openPanel(false);
    } }, label);
    let content: HTMLElement;
    if (ntab === 'logs' && pod) {
      if (!panelLogs) {
        const containers = ['main'];
        panelLogs = logsViewer({ ns, name, pod, containers, completed: COMPLETED.has(n.phase), query: new URLSearchParams(location.search), prefix: 'n' });
        // The pod's containers, when it is still there.
        void api<{ spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] } }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}`).then((p) => {
          const sel = panelLogs?.el.querySelector('select[aria-label=Container]') as HTMLSelectElement | null;
          const all = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.name);
          if (sel && all.length) {
            const cur = sel.value;
            sel.replaceChildren(...[...new Set([cur, ...all])].map((c) => h('option', { value: c, selected: c === cur }, c)));
          }
        }, () => {});
      }
      content = panelLogs.el;
    } else if (ntab === 'io') content = ioView(n, ns, name);
    else content = h('div', null, resumeForm(n), summaryView(n, pod));
    const collapseBtn = model?.nodes.find((g) => g.id === n.id)?.collapsible
      ? h('button', { type: 'button', class: 'btn small', onclick: () => toggle(n.id) }, model.nodes.find((g) => g.id === n.id)!.collapsed ? 'Expand children' : 'Collapse children')
      : null;
    replace(panel,
      h('div', { class: 'panel-head' }, h('h2', null, n.displayName || n.name), phaseBadge(n.phase), h('div', { class: 'spacer' }), collapseBtn, h('button', { type: 'button', class: 'btn small ghost', 'aria-label': 'Close node details', onclick: closePanel }, '✕')),
      h('div', { class: 'tabs', role: 'tablist' }, tabBtn('summary', 'Summary'), tabBtn('io', 'Inputs/Outputs'), tabBtn('logs', 'Logs', !!pod)),
      content);
  };

  // A Running Suspend node whose template asks for supplied output parameters: a form to resume it
  // with values (PUT .../set with the node's id, the values and phase Succeeded). Kept across the
  // panel's live re-renders so typed values survive.
  let resume: { id: string; el: HTMLElement } | undefined;
  const resumeForm = (n: NodeStatus): HTMLElement | null => {
    if (n.type !== 'Suspend' || n.phase !== 'Running' || !wf) return null;
    if (resume?.id === n.id) return resume.el;
    const tpl = templatesOf(wf).find((t) => t.name === n.templateName);
    const supplied = (tpl?.outputs?.parameters ?? []).filter((p) => p.valueFrom && 'supplied' in p.valueFrom);
    if (!supplied.length) return null;
    const fields = supplied.map((p) => {
      const def = p.default ?? p.valueFrom?.default ?? '';
      const id = `supplied-${p.name}`;
      const input = p.enum?.length
        ? h('select', { id, name: p.name }, p.enum.map((v) => h('option', { value: v, selected: v === def }, v)))
        : h('input', { id, name: p.name, type: 'text', value: def });
      return { name: p.name, input, row: h('div', { class: 'form-row' }, h('label', { for: id }, p.name), input, p.description ? h('span', { class: 'help' }, p.description) : null) };
    });
    const submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'resume-node' }, 'Resume');
    const form = h('form', { class: 'form resume-form', 'data-testid': 'resume-form', onsubmit: (e: Event) => {
      e.preventDefault();
      submit.disabled = true;
      const values = Object.fromEntries(fields.map((f) => [f.name, f.input.value]));
      void api<Workflow>(`${paths.workflow(ns, name)}/set`, { method: 'PUT', json: { namespace: ns, name, nodeFieldSelector: `id=${n.id}`, outputParameters: JSON.stringify(values), phase: 'Succeeded' } }).then(
        (res) => {
          toast(`Resumed ${n.displayName || n.name}`);
          resume = undefined;
          if (res?.metadata) update(res);
        },
        (err) => {
          submit.disabled = false;
          toast(`Resume failed: ${errorMessage(err)}`, 'error');
        },
      );
    } }, h('fieldset', null, h('legend', null, 'Resume with values'), fields.map((f) => f.row), submit));
    resume = { id: n.id, el: form };
    return form;
  };

  // ------------------------------------------------------------ timeline and events tabs
  const timelineBox = h('div', { class: 'timeline', 'data-testid': 'timeline' });
  const renderTimeline = () => {
    if (!wf) return;
    const now = Date.now();
    const pods = Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Pod' && n.startedAt).sort((a, b) => a.startedAt!.localeCompare(b.startedAt!) || a.name.localeCompare(b.name));
    if (!pods.length) {
      replace(timelineBox, emptyState('No pods have started yet', 'Each pod gets a bar from its start to its finish.'));
      return;
    }
    const t0 = Math.min(...pods.map((n) => Date.parse(n.startedAt!)));
    // Timestamps have second resolution: a pod that started and finished within one second gets 1s.
    const end = (n: NodeStatus) => Math.max(n.finishedAt ? Date.parse(n.finishedAt) : now, Date.parse(n.startedAt!) + 1000);
    const t1 = Math.max(t0 + 1000, ...pods.map(end));
    const pct = (t: number) => `${(((t - t0) / (t1 - t0)) * 100).toFixed(3)}%`;
    replace(timelineBox,
      h('div', { class: 'timeline-axis muted' }, h('span', null, '0s'), h('span', null, duration(new Date(t0).toISOString(), new Date(t1).toISOString()))),
      pods.map((n) => {
        const s0 = Date.parse(n.startedAt!);
        const label = n.displayName || n.name;
        return h('div', { class: 'timeline-row', 'data-node-id': n.id, 'data-phase': n.phase },
          h('span', { class: 'timeline-label', title: n.name }, label),
          h('div', { class: 'timeline-track' },
            h('button', { type: 'button', class: `timeline-bar bar-${(n.phase || 'Pending').toLowerCase()}`, style: { left: pct(s0), width: `max(3px, calc(${pct(end(n))} - ${pct(s0)}))` }, title: `${label}: ${n.phase}, ${duration(n.startedAt, n.finishedAt)}`, 'aria-label': `${label}: ${n.phase}, ${duration(n.startedAt, n.finishedAt)}`, onclick: () => {
              setQuery({ tab: '', node: n.id, ntab: '' }, true);
              navigate(location.pathname + location.search, true);
            } })),
          h('span', { class: 'timeline-dur muted' }, duration(n.startedAt, n.finishedAt)));
      }));
  };

  const eventsBox = h('div', { class: 'events', 'data-testid': 'events' }, h('p', { class: 'muted' }, 'Loading…'));
  let eventsAt = 0;
  let eventsTimer = 0;
  const loadEvents = () => {
    // At most one request every 2s, however busy the workflow is.
    if (eventsTimer) return;
    eventsTimer = window.setTimeout(() => {
      eventsTimer = 0;
      eventsAt = Date.now();
      void api<List<KubeEvent>>(`/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`).then(
        (l) => {
          if (disposed) return;
          const when = (e: KubeEvent) => e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp || '';
          // Oldest first (as kubectl lists them); same-second events in the order they were written.
          const rv = (e: KubeEvent) => Number(e.metadata.resourceVersion) || 0;
          const items = (l.items ?? []).slice().sort((a, b) => when(a).localeCompare(when(b)) || rv(a) - rv(b));
          replace(eventsBox, items.length
            ? h('table', { class: 'table compact' },
                h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Type'), h('th', null, 'Reason'), h('th', null, 'Object'), h('th', null, 'Message'), h('th', null, 'Count'))),
                h('tbody', null, items.map((e) => h('tr', { 'data-reason': e.reason ?? '' },
                  h('td', null, time(when(e))),
                  h('td', { class: e.type === 'Warning' ? 'phase-failed' : '' }, e.type ?? ''),
                  h('td', null, e.reason ?? ''),
                  h('td', null, e.metadata.annotations?.['workflows.argoproj.io/node-name'] ?? `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`),
                  h('td', null, e.message ?? ''),
                  h('td', null, String(e.count ?? 1))))))
            : emptyState('No events', `Kubernetes has no events for ${name}.`));
        },
        (err) => !disposed && replace(eventsBox, errorBox(errorMessage(err), loadEvents)),
      );
    }, eventsAt ? Math.max(0, 2000 - (Date.now() - eventsAt)) : 0);
  };

  // ------------------------------------------------------------ tabs
  const renderTab = () => {
    if (tab === 'graph') {
      graph = new GraphView({ onSelect: (id) => selectNode(id), onToggle: toggle });
      cleanups.push(() => graph?.destroy());
      body.append(
        h('div', { class: 'toolbar graph-options' }, search, names,
          h('button', { type: 'button', class: 'btn small', onclick: () => setCollapsed('all') }, 'Collapse all'),
          h('button', { type: 'button', class: 'btn small', onclick: () => setCollapsed(new Set()) }, 'Expand all')),
        h('div', { class: 'graph-layout' }, graph.el, panel));
      refreshGraph(true);
      openPanel(true);
    } else if (tab === 'timeline') {
      body.append(timelineBox);
      renderTimeline();
    } else if (tab === 'events') {
      body.append(eventsBox);
      loadEvents();
    } else if (tab === 'logs') {
      const pods = Object.values(wf!.status?.nodes ?? {}).filter((n) => n.type === 'Pod').sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '')).map((n) => ({ name: podNameOf(name, n.name, n.templateName), label: n.displayName || n.name }));
      const v = logsViewer({ ns, name, pods, containers: ['main', 'init', 'wait'], completed: done(wf!), query, prefix: '' });
      cleanups.push(v.destroy);
      body.append(v.el);
    } else {
      const pre = h('pre', { class: 'yaml', tabindex: '0', 'aria-label': 'Workflow YAML' }, 'Loading…');
      body.append(h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn small', onclick: () => void navigator.clipboard?.writeText(pre.textContent ?? '').then(() => toast('Copied')) }, 'Copy')), pre);
      void import('yaml').then(({ stringify }) => {
        pre.textContent = stringify(wf, { lineWidth: 0 });
      });
    }
  };

  let pending: Workflow | undefined;
  let timer = 0;
  const rvOf = (w: Workflow | undefined) => Number(w?.metadata?.resourceVersion) || 0;
  const update = (next: Workflow) => {
    // Updates come from the watch and from action responses, which can arrive out of order: never
    // let an older version replace a newer one.
    if (rvOf(next) && rvOf(next) < Math.max(rvOf(pending), rvOf(wf))) return;
    pending = next;
    if (timer) return;
    timer = window.setTimeout(() => {
      timer = 0;
      if (!pending || disposed) return;
      wf = pending;
      pending = undefined;
      renderHead();
      if (tab === 'graph') {
        refreshGraph();
        if (selected && ntab !== 'logs') openPanel(false);
      } else if (tab === 'timeline') renderTimeline();
      else if (tab === 'events') loadEvents();
    }, 200);
  };
  // A safety net under the watch: while the workflow is unfinished, re-read it now and then.
  const resync = window.setInterval(() => {
    if (!wf || disposed || wf.status?.finishedAt) return;
    void api<Workflow>(paths.workflow(ns, name)).then((w) => !disposed && update(w), () => undefined);
  }, 5000);
  const tick = window.setInterval(() => {
    if (wf?.status?.startedAt && !wf.status.finishedAt) {
      const d = head.querySelector('[data-duration]');
      if (d) d.textContent = duration(wf.status.startedAt, undefined);
      if (tab === 'timeline') renderTimeline();
    }
  }, 1000);

  void (async () => {
    try {
      wf = await api<Workflow>(paths.workflow(ns, name));
    } catch (err) {
      if (disposed) return;
      const notFound = errorMessage(err).startsWith('404');
      replace(body, notFound ? emptyState(`Workflow “${name}” was not found in namespace “${ns}”`, h('a', { href: `/workflows?namespace=${encodeURIComponent(ns)}` }, 'Back to the list')) : errorBox(errorMessage(err), () => navigate(location.pathname + location.search, true)));
      head.replaceChildren(h('h1', null, name));
      return;
    }
    if (disposed) return;
    renderHead();
    renderTab();
    stopWatch = watchWorkflows(ns, { fieldSelector: `metadata.name=${name}`, resourceVersion: wf.metadata.resourceVersion }, (ev) => {
      if (ev.type === 'DELETED') {
        toast(`${name} was deleted`);
        replace(head, h('h1', null, name), h('span', { class: 'badge' }, 'Deleted'));
        OPS.forEach((_, i) => (opButtons[i].disabled = true));
        return;
      }
      update(ev.object);
    });
  })();

  return () => {
    disposed = true;
    stopWatch?.();
    clearTimeout(timer);
    clearTimeout(eventsTimer);
    clearInterval(tick);
    clearInterval(resync);
    panelLogs?.destroy();
    cleanups.forEach((c) => c());
  };
}

interface KubeEvent {
  metadata: ObjectMeta;
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

export function templatesOf(wf: Workflow): TemplateSpec[] {
  return [...(wf.spec?.templates ?? []), ...(wf.status?.storedWorkflowTemplateSpec?.templates ?? [])];
}

function row(label: string, value: Node | string | undefined | null): HTMLElement[] {
  return [h('dt', null, label), h('dd', null, value ?? '-')];
}

function summaryView(n: NodeStatus, pod: string): HTMLElement {
  return h('dl', { class: 'kv', 'data-testid': 'node-summary' },
    row('Name', n.name),
    row('ID', n.id),
    row('Type', n.type),
    row('Phase', n.phase),
    row('Message', n.message),
    row('Template', n.templateName ?? (n.templateRef ? `${n.templateRef.name}/${n.templateRef.template}` : undefined)),
    row('Started', time(n.startedAt)),
    row('Finished', time(n.finishedAt)),
    row('Duration', duration(n.startedAt, n.finishedAt)),
    row('Progress', n.progress),
    pod ? row('Pod name', pod) : [],
    n.hostNodeName ? row('Host node', n.hostNodeName) : []);
}

function paramTable(title: string, params: { name: string; value?: string }[] | undefined): HTMLElement | null {
  if (!params?.length) return null;
  return h('section', null, h('h3', null, title), h('table', { class: 'table compact' }, h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Value'))), h('tbody', null, params.map((p) => h('tr', null, h('td', null, p.name), h('td', null, h('code', null, p.value ?? '')))))));
}

function artifactList(title: string, root: 'artifacts' | 'input-artifacts', arts: ArtifactRef[] | undefined, n: NodeStatus, ns: string, wfName: string): HTMLElement | null {
  if (!arts?.length) return null;
  const e = encodeURIComponent;
  return h('section', null, h('h3', null, title), h('ul', { class: 'artifacts' }, arts.map((a) => h('li', null,
    a.s3?.key ? h('a', { href: `/${root}/${e(ns)}/${e(wfName)}/${e(n.id)}/${e(a.name)}`, download: '', 'data-artifact': a.name, title: `Download ${a.name} (${a.s3.key})` }, `⤓ ${a.name}`) : a.name,
    a.path ? h('span', { class: 'muted' }, ` (${a.path})`) : ''))));
}

function ioView(n: NodeStatus, ns: string, wfName: string): HTMLElement {
  const parts = [
    paramTable('Input parameters', n.inputs?.parameters),
    artifactList('Input artifacts', 'input-artifacts', n.inputs?.artifacts, n, ns, wfName),
    paramTable('Output parameters', n.outputs?.parameters),
    n.outputs?.result !== undefined ? h('section', null, h('h3', null, 'Result'), h('pre', { class: 'yaml' }, n.outputs.result)) : null,
    n.outputs?.exitCode !== undefined ? h('p', null, `Exit code: ${n.outputs.exitCode}`) : null,
    artifactList('Output artifacts', 'artifacts', n.outputs?.artifacts, n, ns, wfName),
  ].filter(Boolean) as HTMLElement[];
  return h('div', { class: 'io' }, parts.length ? parts : h('p', { class: 'muted' }, 'This node has no inputs or outputs.'));
}

// /workflows: the list. Server-side pagination (listOptions.limit/continue) with a `fields` projection
// so rows stay light; phase counts from a phase-only projection; live through the workflow-events
// stream; multi-select batch actions.
import { type List, type Workflow, type WorkflowAction, api, paths, watchWorkflows, workflowAction } from '../api';
import { confirmDialog, h, replace, toast } from '../dom';
import { type RouteContext, navigate, setQuery } from '../router';
import { WORKFLOW_PHASES, debounce, duration, errorMessage, throttle } from '../util';
import { currentNamespace, emptyState, errorBox, namespacePicker, phaseBadge, time } from './common';

const META = 'metadata.name,metadata.namespace,metadata.uid,metadata.creationTimestamp,metadata.labels,metadata.resourceVersion,spec.suspend,spec.shutdown,status.phase,status.startedAt,status.finishedAt,status.progress,status.message';
const LIST_FIELDS = `metadata.continue,metadata.resourceVersion,${META.split(',').map((f) => `items.${f}`).join(',')}`;
const EVENT_FIELDS = `type,${META.split(',').map((f) => `object.${f}`).join(',')}`;
const PHASE_LABEL = 'workflows.argoproj.io/phase';
const ACTIONS: { action: WorkflowAction | 'delete'; label: string; danger?: boolean }[] = [
  { action: 'suspend', label: 'Suspend' },
  { action: 'resume', label: 'Resume' },
  { action: 'stop', label: 'Stop' },
  { action: 'terminate', label: 'Terminate', danger: true },
  { action: 'delete', label: 'Delete', danger: true },
];

export function workflowsView(root: HTMLElement, { query }: RouteContext): () => void {
  const ns = currentNamespace(query);
  const phases = new Set((query.get('phase') ?? '').split(',').filter(Boolean));
  let nameFilter = query.get('name') ?? '';
  let labelFilter = query.get('label') ?? '';
  const limit = Number(query.get('limit')) || 50;
  let cont = query.get('continue') ?? '';
  const prevTokens: string[] = [];
  const selected = new Set<string>();
  let rows = new Map<string, { wf: Workflow; tr: HTMLTableRowElement }>();
  let stopWatch: (() => void) | undefined;
  let disposed = false;

  const labelSelector = () => {
    const parts = [labelFilter.trim()].filter(Boolean);
    if (phases.size) parts.push(`${PHASE_LABEL} in (${[...phases].join(',')})`);
    return parts.join(',');
  };
  const baseQuery = (withPhase: boolean) => {
    const q = new URLSearchParams();
    const sel = withPhase ? labelSelector() : labelFilter.trim();
    if (sel) q.set('listOptions.labelSelector', sel);
    if (nameFilter.trim()) {
      q.set('listOptions.fieldSelector', `metadata.name=${nameFilter.trim()}`);
      q.set('nameFilter', 'Contains');
    }
    return q;
  };

  // ------------------------------------------------------------ filters
  const phaseButtons = new Map<string, HTMLButtonElement>();
  const phaseBar = h('div', { class: 'phase-filter', role: 'group', 'aria-label': 'Filter by phase' },
    WORKFLOW_PHASES.map((p) => {
      const b = h('button', { type: 'button', class: `chip phase-${p.toLowerCase()}`, 'aria-pressed': String(phases.has(p)), 'data-phase': p, onclick: () => {
        if (phases.has(p)) phases.delete(p);
        else phases.add(p);
        b.setAttribute('aria-pressed', String(phases.has(p)));
        setQuery({ phase: [...phases].join(','), continue: '' });
        cont = '';
        prevTokens.length = 0;
        void load();
      } }, p, h('span', { class: 'count' }, '…'));
      phaseButtons.set(p, b);
      return b;
    }));
  const nameInput = h('input', { type: 'search', id: 'name-filter', placeholder: 'name contains…', value: nameFilter, 'aria-label': 'Filter by name' });
  const labelInput = h('input', { type: 'search', id: 'label-filter', placeholder: 'label selector, e.g. app=x', value: labelFilter, 'aria-label': 'Filter by label selector' });
  const refilter = debounce(() => {
    nameFilter = nameInput.value;
    labelFilter = labelInput.value;
    setQuery({ name: nameFilter, label: labelFilter, continue: '' });
    cont = '';
    prevTokens.length = 0;
    void load();
  }, 250);
  nameInput.addEventListener('input', refilter);
  labelInput.addEventListener('input', refilter);
  const limitSel = h('select', { 'aria-label': 'Rows per page', onchange: () => {
    setQuery({ limit: limitSel.value === '50' ? '' : limitSel.value, continue: '' });
    navigate(location.pathname + location.search, true);
  } }, [20, 50, 100, 500].map((n) => h('option', { value: String(n), selected: n === limit }, String(n))));

  // ------------------------------------------------------------ table
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all rows on this page', onchange: () => {
    for (const k of rows.keys()) (selectAll.checked ? selected.add(k) : selected.delete(k));
    for (const [k, r] of rows) (r.tr.querySelector('input[type=checkbox]') as HTMLInputElement).checked = selected.has(k);
    syncActions();
  } });
  const tbody = h('tbody');
  const table = h('table', { class: 'table', id: 'workflows-table' },
    h('thead', null, h('tr', null, h('th', { class: 'check' }, selectAll), h('th', null, 'Name'), ns ? null : h('th', null, 'Namespace'), h('th', null, 'Phase'), h('th', null, 'Started'), h('th', null, 'Duration'), h('th', null, 'Progress'), h('th', null, 'Message'))),
    tbody);
  const body = h('div', { class: 'table-wrap' });
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const live = h('span', { class: 'live', title: 'Live updates' }, '● live');
  const actionButtons = ACTIONS.map((a) => h('button', { type: 'button', class: a.danger ? 'btn danger-outline' : 'btn', disabled: true, 'data-action': a.action, onclick: () => void runBatch(a.action, a.label) }, a.label));
  const selCount = h('span', { class: 'muted' });
  const prevBtn = h('button', { type: 'button', class: 'btn', onclick: () => page(prevTokens.pop() ?? '', false) }, '‹ Previous');
  const nextBtn = h('button', { type: 'button', class: 'btn' }, 'Next ›');
  let nextToken = '';
  nextBtn.addEventListener('click', () => {
    prevTokens.push(cont);
    page(nextToken, true);
  });
  const page = (token: string, _forward: boolean) => {
    cont = token;
    setQuery({ continue: cont });
    void load();
  };

  const syncActions = () => {
    for (const b of actionButtons) b.disabled = selected.size === 0;
    selCount.textContent = selected.size ? `${selected.size} selected` : '';
    selectAll.checked = rows.size > 0 && [...rows.keys()].every((k) => selected.has(k));
    selectAll.indeterminate = !selectAll.checked && [...rows.keys()].some((k) => selected.has(k));
  };

  const runBatch = async (action: WorkflowAction | 'delete', label: string) => {
    const targets = [...selected].map((k) => k.split('/') as [string, string]);
    if (!targets.length) return;
    if (action === 'delete' || action === 'terminate') {
      const ok = await confirmDialog(`${label} ${targets.length} workflow${targets.length > 1 ? 's' : ''}?`, `${label}: ${targets.map((t) => t[1]).join(', ')}. This cannot be undone.`, label, true);
      if (!ok) return;
    }
    const results = await Promise.allSettled(targets.map(([n, name]) => workflowAction(n, name, action)));
    const failed = results.map((r, i) => (r.status === 'rejected' ? `${targets[i][1]}: ${errorMessage(r.reason)}` : '')).filter(Boolean);
    if (failed.length) toast(`${label} failed for ${failed.length}: ${failed.join('; ')}`, 'error');
    else toast(`${label}: ${targets.length} workflow${targets.length > 1 ? 's' : ''}`);
    if (action === 'delete') for (const [n, name] of targets) selected.delete(`${n}/${name}`);
    syncActions();
    void load();
  };

  const rowFor = (wf: Workflow): HTMLTableRowElement => {
    const key = `${wf.metadata.namespace}/${wf.metadata.name}`;
    const cb = h('input', { type: 'checkbox', 'aria-label': `Select ${wf.metadata.name}`, checked: selected.has(key), onchange: () => {
      if (cb.checked) selected.add(key);
      else selected.delete(key);
      syncActions();
    } });
    const s = wf.status ?? {};
    const phase = s.phase || 'Pending';
    const shown = wf.spec?.suspend && phase === 'Running' ? 'Suspended' : phase;
    return h('tr', { 'data-name': wf.metadata.name, 'data-phase': phase },
      h('td', { class: 'check' }, cb),
      h('td', null, h('a', { href: `/workflows/${encodeURIComponent(wf.metadata.namespace ?? ns)}/${encodeURIComponent(wf.metadata.name)}` }, wf.metadata.name)),
      ns ? null : h('td', null, wf.metadata.namespace),
      h('td', null, shown === 'Suspended' ? h('span', { class: 'badge phase-suspended', 'data-phase': 'Suspended' }, h('span', { class: 'dot' }), 'Suspended') : phaseBadge(phase)),
      h('td', null, time(s.startedAt ?? wf.metadata.creationTimestamp)),
      h('td', { class: 'num', 'data-duration': '' }, duration(s.startedAt, s.finishedAt)),
      h('td', { class: 'num' }, s.progress ?? '-'),
      h('td', { class: 'msg', title: s.message ?? '' }, s.message ?? ''));
  };

  const render = (items: Workflow[]) => {
    rows = new Map();
    const trs = items.map((wf) => {
      const tr = rowFor(wf);
      rows.set(`${wf.metadata.namespace}/${wf.metadata.name}`, { wf, tr });
      return tr;
    });
    tbody.replaceChildren(...trs);
    if (!items.length) {
      const filtered = phases.size || nameFilter || labelFilter;
      replace(body, emptyState(filtered ? 'No workflows match these filters' : `No workflows in namespace “${ns}”`, filtered ? 'Clear the phase, name or label filters to see more.' : h('span', null, 'Submit one from ', h('a', { href: `/workflow-templates?namespace=${encodeURIComponent(ns)}` }, 'a template'), ' or with `argosy submit`.')));
    } else replace(body, table);
    syncActions();
  };

  let loadSeq = 0;
  const load = async () => {
    const seq = ++loadSeq;
    const q = baseQuery(true);
    q.set('listOptions.limit', String(limit));
    if (cont) q.set('listOptions.continue', cont);
    q.set('fields', LIST_FIELDS);
    status.textContent = 'Loading…';
    try {
      const list = await api<List<Workflow>>(`${paths.workflows(ns)}?${q}`);
      if (seq !== loadSeq || disposed) return;
      const items = (list.items ?? []).filter((w) => w?.metadata?.name);
      for (const w of items) w.metadata.namespace ??= ns;
      nextToken = list.metadata?.continue ?? '';
      nextBtn.disabled = !nextToken;
      prevBtn.disabled = !cont;
      status.textContent = `${items.length} shown${nextToken ? ' (more on the next page)' : ''}`;
      render(items);
      if (!stopWatch) startWatch(list.metadata?.resourceVersion);
      void loadCounts();
    } catch (err) {
      if (seq !== loadSeq || disposed) return;
      status.textContent = '';
      replace(body, errorBox(errorMessage(err), () => void load()));
    }
  };

  const loadCounts = throttle(async () => {
    const q = baseQuery(false);
    q.set('fields', 'items.status.phase');
    try {
      const list = await api<List<Workflow>>(`${paths.workflows(ns)}?${q}`);
      const counts: Record<string, number> = {};
      for (const w of list.items ?? []) {
        const p = w?.status?.phase || 'Pending';
        counts[p] = (counts[p] ?? 0) + 1;
      }
      for (const [p, b] of phaseButtons) b.querySelector('.count')!.textContent = String(counts[p] ?? 0);
    } catch {
      for (const b of phaseButtons.values()) b.querySelector('.count')!.textContent = '?';
    }
  }, 1000) as unknown as () => Promise<void>;

  const reload = debounce(() => void load(), 300);
  const tick = () => {
    for (const { wf, tr } of rows.values()) {
      if (wf.status?.startedAt && !wf.status.finishedAt) tr.querySelector('[data-duration]')!.textContent = duration(wf.status.startedAt, undefined);
    }
  };
  const ticker = window.setInterval(tick, 1000);

  const startWatch = (rv?: string) => {
    stopWatch = watchWorkflows(ns, { labelSelector: labelSelector() || undefined, resourceVersion: rv, fields: EVENT_FIELDS }, (ev) => {
      const wf = ev.object;
      wf.metadata.namespace ??= ns;
      const key = `${wf.metadata.namespace}/${wf.metadata.name}`;
      const row = rows.get(key);
      if (ev.type === 'MODIFIED' && row) {
        const tr = rowFor(wf);
        row.tr.replaceWith(tr);
        rows.set(key, { wf, tr });
      } else if (ev.type !== 'MODIFIED' || !row) {
        // New, deleted, or now matching: the page's contents change; reload it.
        reload();
      }
      void loadCounts();
    }, (ok, err) => {
      live.classList.toggle('off', !ok);
      live.title = ok ? 'Live updates' : `Live updates interrupted: ${err ?? ''}; reconnecting`;
    });
  };

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Workflows'), live, h('div', { class: 'spacer' }), namespacePicker(ns, (n) => navigate(`/workflows?namespace=${encodeURIComponent(n)}`))),
    h('div', { class: 'filters' }, phaseBar, h('label', { class: 'field' }, h('span', null, 'Name'), nameInput), h('label', { class: 'field' }, h('span', null, 'Labels'), labelInput)),
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Actions on selected workflows' }, actionButtons, selCount, h('div', { class: 'spacer' }), status),
    body,
    h('div', { class: 'pager' }, prevBtn, nextBtn, h('label', { class: 'field inline' }, h('span', null, 'Rows per page'), limitSel)),
  );
  prevBtn.disabled = true;
  nextBtn.disabled = true;
  void load();
  return () => {
    disposed = true;
    stopWatch?.();
    reload.cancel();
    clearInterval(ticker);
  };
}

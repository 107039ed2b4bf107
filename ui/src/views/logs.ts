// The logs viewer: pod (or all pods) and container, follow over the SSE log stream, a regex filter
// with highlighting, and a virtualised list (only the visible lines are in the DOM), so a million
// lines scroll as smoothly as ten. After a workflow finishes, logs are read (not followed) in full.
import { paths, readStream } from '../api';
import { h } from '../dom';
import { setQuery } from '../router';
import { debounce, errorMessage } from '../util';

const LINE_H = 18;
const OVERSCAN = 20;

export interface LogsOptions {
  ns: string;
  name: string;
  /** A fixed pod (node panel); undefined shows the pod picker with "All pods". */
  pod?: string;
  pods?: { name: string; label: string }[];
  containers: string[];
  completed: boolean;
  query: URLSearchParams;
  /** Query-parameter prefix, so two viewers don't share state. */
  prefix: string;
}

export function logsViewer(o: LogsOptions): { el: HTMLElement; destroy(): void } {
  const qp = (k: string) => `${o.prefix}${k}`;
  let container = o.query.get(qp('container')) || o.containers[0] || 'main';
  let pod = o.pod ?? o.query.get(qp('pod')) ?? '';
  let follow = o.query.has(qp('follow')) ? o.query.get(qp('follow')) === 'true' : !o.completed;
  let filterText = o.query.get(qp('grep')) ?? '';
  let filterRe: RegExp | undefined;
  const lines: { pod: string; text: string }[] = [];
  let shown: number[] = [];
  let ac: AbortController | undefined;

  const status = h('span', { class: 'muted logs-status', 'aria-live': 'polite' });
  const filterErr = h('span', { class: 'field-error' });
  const count = h('span', { class: 'muted' });
  const viewport = h('div', { class: 'logs-viewport', tabindex: '0', role: 'log', 'aria-label': 'Log lines', 'data-testid': 'logs' });
  const spacer = h('div', { class: 'logs-spacer' });
  const win = h('div', { class: 'logs-window' });
  spacer.appendChild(win);
  viewport.appendChild(spacer);

  const containerSel = h('select', { 'aria-label': 'Container', onchange: () => {
    container = containerSel.value;
    setQuery({ [qp('container')]: container === (o.containers[0] ?? 'main') ? '' : container });
    restart();
  } }, [...new Set([...o.containers, container])].map((c) => h('option', { value: c, selected: c === container }, c)));
  const podSel = o.pod === undefined
    ? h('select', { 'aria-label': 'Pod', onchange: () => {
      pod = podSel!.value;
      setQuery({ [qp('pod')]: pod });
      restart();
    } }, h('option', { value: '' }, 'All pods'), (o.pods ?? []).map((p) => h('option', { value: p.name, selected: p.name === pod }, p.label)))
    : undefined;
  const followCb = h('input', { type: 'checkbox', checked: follow, onchange: () => {
    follow = followCb.checked;
    setQuery({ [qp('follow')]: String(follow) });
    restart();
  } });
  const filterIn = h('input', { type: 'search', placeholder: 'filter (regular expression)', value: filterText, 'aria-label': 'Filter log lines (regular expression)', 'data-testid': 'logs-filter' });
  filterIn.addEventListener('input', debounce(() => {
    filterText = filterIn.value;
    setQuery({ [qp('grep')]: filterText });
    compileFilter();
    refilter();
  }, 150));

  const compileFilter = () => {
    filterErr.textContent = '';
    filterRe = undefined;
    if (!filterText) return;
    try {
      filterRe = new RegExp(filterText, 'gi');
    } catch (err) {
      filterErr.textContent = `invalid regular expression (${errorMessage(err)}); matching it as text`;
      filterRe = new RegExp(filterText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    }
  };
  const matches = (i: number) => {
    if (!filterRe) return true;
    filterRe.lastIndex = 0;
    return filterRe.test(lines[i].text);
  };
  const refilter = () => {
    shown = [];
    for (let i = 0; i < lines.length; i++) if (matches(i)) shown.push(i);
    paint(true);
  };

  const highlight = (text: string): (Node | string)[] => {
    if (!filterRe || !text) return [text];
    const out: (Node | string)[] = [];
    let last = 0;
    filterRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = filterRe.exec(text))) {
      if (m[0] === '') {
        filterRe.lastIndex++;
        continue;
      }
      if (m.index > last) out.push(text.slice(last, m.index));
      out.push(h('mark', null, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  };

  let painted = '';
  const paint = (force = false) => {
    spacer.style.height = `${shown.length * LINE_H}px`;
    const top = viewport.scrollTop;
    const vh = viewport.clientHeight || 400;
    const from = Math.max(0, Math.floor(top / LINE_H) - OVERSCAN);
    const to = Math.min(shown.length, Math.ceil((top + vh) / LINE_H) + OVERSCAN);
    const key = `${from}:${to}:${shown.length}`;
    if (!force && key === painted) return;
    painted = key;
    win.style.transform = `translateY(${from * LINE_H}px)`;
    const showPod = !o.pod && !pod;
    const rows: HTMLElement[] = [];
    for (let k = from; k < to; k++) {
      const ln = lines[shown[k]];
      rows.push(h('div', { class: 'log-line' }, showPod ? h('span', { class: 'log-pod' }, ln.pod, ' ') : null, highlight(ln.text)));
    }
    win.replaceChildren(...rows);
    count.textContent = filterRe ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`;
    if (!lines.length) win.replaceChildren(h('div', { class: 'log-line muted' }, status.textContent === 'Loading…' ? '' : 'No log lines (yet).'));
  };
  viewport.addEventListener('scroll', () => paint());

  let pendingPaint = 0;
  const schedulePaint = () => {
    if (pendingPaint) return;
    pendingPaint = requestAnimationFrame(() => {
      pendingPaint = 0;
      const atBottom = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - LINE_H * 2;
      paint(true);
      if (follow || atBottom) viewport.scrollTop = viewport.scrollHeight;
    });
  };

  const restart = () => {
    ac?.abort();
    lines.length = 0;
    shown = [];
    paint(true);
    const me = new AbortController();
    ac = me;
    const q = new URLSearchParams();
    if (pod) q.set('podName', pod);
    q.set('logOptions.container', container);
    if (follow) q.set('logOptions.follow', 'true');
    status.textContent = 'Loading…';
    readStream(`${paths.workflow(o.ns, o.name)}/log?${q}`, (d) => {
      const r = (d as { result?: { content?: string; podName?: string } }).result;
      if (!r) return;
      lines.push({ pod: r.podName ?? '', text: r.content ?? '' });
      if (matches(lines.length - 1)) shown.push(lines.length - 1);
      if (status.textContent !== (follow ? 'Following…' : 'Reading…')) status.textContent = follow ? 'Following…' : 'Reading…';
      schedulePaint();
    }, me.signal).then(() => {
      if (me.signal.aborted) return;
      status.textContent = 'End of log.';
      paint(true);
    }, (err) => {
      if (me.signal.aborted) return;
      status.textContent = `Could not read logs: ${errorMessage(err)}`;
      paint(true);
    });
  };

  compileFilter();
  const el = h('div', { class: 'logs' },
    h('div', { class: 'toolbar' },
      podSel ? h('label', { class: 'field inline' }, h('span', null, 'Pod'), podSel) : null,
      h('label', { class: 'field inline' }, h('span', null, 'Container'), containerSel),
      h('label', { class: 'check-label' }, followCb, ' Follow'),
      h('label', { class: 'field inline grow' }, h('span', null, 'Filter'), filterIn),
      count),
    filterErr,
    viewport,
    status);
  restart();
  return {
    el,
    destroy: () => {
      ac?.abort();
      cancelAnimationFrame(pendingPaint);
    },
  };
}

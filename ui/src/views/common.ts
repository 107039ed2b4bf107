import { namespaces } from '../api';
import { h } from '../dom';
import { prefs } from '../prefs';
import { formatTime, timeTitle } from '../util';

export function phaseBadge(phase: string | undefined, extra?: string): HTMLElement {
  const p = phase || 'Pending';
  return h('span', { class: `badge phase-${p.toLowerCase()}`, 'data-phase': p, title: extra }, h('span', { class: 'dot', 'aria-hidden': 'true' }), p);
}

export function time(ts: string | undefined): HTMLElement {
  return h('time', { datetime: ts ?? '', title: timeTitle(ts) }, formatTime(ts));
}

export function errorBox(message: string, retry?: () => void): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', null, 'Something went wrong. '), h('span', null, message), retry ? h('button', { class: 'btn', type: 'button', onclick: retry }, 'Retry') : null);
}

export function emptyState(title: string, hint?: string | Node): HTMLElement {
  return h('div', { class: 'empty' }, h('h2', null, title), hint ? h('p', null, hint) : null);
}

/** The namespace picker: a <select> of namespaces (plus the current one if unknown to the server). */
export function namespacePicker(current: string, onChange: (ns: string) => void): HTMLElement {
  const sel = h('select', { id: 'namespace', 'aria-label': 'Namespace', onchange: () => {
    prefs.namespace = sel.value;
    onChange(sel.value);
  } }, h('option', { value: current, selected: true }, current));
  void namespaces().then((names) => {
    const all = [...new Set([...names, current])].sort();
    sel.replaceChildren(...all.map((n) => h('option', { value: n, selected: n === current }, n)));
  });
  return h('label', { class: 'field' }, h('span', null, 'Namespace'), sel);
}

export function currentNamespace(q: URLSearchParams): string {
  return q.get('namespace') || prefs.namespace || 'default';
}

// /workflow-templates: the list, and "Submit" with a form built from spec.arguments.parameters
// (enum → <select>, description → help text), an entrypoint choice and labels.
import { type List, type Parameter, type Workflow, type WorkflowTemplate, api, paths } from '../api';
import { h, replace } from '../dom';
import { type RouteContext, navigate, setQuery } from '../router';
import { errorMessage } from '../util';
import { currentNamespace, emptyState, errorBox, namespacePicker, time } from './common';

export function templatesView(root: HTMLElement, { query }: RouteContext): () => void {
  const ns = currentNamespace(query);
  let filter = query.get('name') ?? '';
  const body = h('div', { class: 'table-wrap' });
  const filterIn = h('input', { type: 'search', value: filter, placeholder: 'name contains…', 'aria-label': 'Filter templates by name', oninput: () => {
    filter = filterIn.value;
    setQuery({ name: filter });
    render();
  } });
  const labelIn = h('input', { type: 'search', value: query.get('label') ?? '', placeholder: 'label selector', 'aria-label': 'Filter templates by label selector', onchange: () => {
    setQuery({ label: labelIn.value });
    void load();
  } });
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Workflow templates'), h('div', { class: 'spacer' }), namespacePicker(ns, (n) => navigate(`/workflow-templates?namespace=${encodeURIComponent(n)}`))),
    h('div', { class: 'filters' }, h('label', { class: 'field' }, h('span', null, 'Name'), filterIn), h('label', { class: 'field' }, h('span', null, 'Labels'), labelIn)),
    body);
  let items: WorkflowTemplate[] = [];
  let disposed = false;

  const render = () => {
    const shown = items.filter((t) => t.metadata.name.includes(filter));
    if (!items.length) return replace(body, emptyState(`No workflow templates in namespace “${ns}”`, 'Create one with `argosy template create FILE` or kubectl.'));
    if (!shown.length) return replace(body, emptyState('No templates match this filter'));
    replace(body, h('table', { class: 'table', id: 'templates-table' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Parameters'), h('th', null, 'Created'), h('th', null, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, shown.map((t) => h('tr', { 'data-name': t.metadata.name },
        h('td', null, t.metadata.name),
        h('td', null, (t.spec.arguments?.parameters ?? []).map((p) => p.name).join(', ') || '-'),
        h('td', null, time(t.metadata.creationTimestamp)),
        h('td', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary small', 'data-submit': t.metadata.name, onclick: () => openSubmit(t) }, 'Submit')))))));
    const want = query.get('submit');
    if (want) {
      const t = items.find((i) => i.metadata.name === want);
      if (t && !document.querySelector('dialog.submit')) openSubmit(t);
    }
  };

  const openSubmit = (t: WorkflowTemplate) => {
    setQuery({ submit: t.metadata.name });
    const dlg = submitDialog(ns, t, () => setQuery({ submit: '' }));
    document.body.appendChild(dlg);
    dlg.showModal();
    (dlg.querySelector('select, input') as HTMLElement | null)?.focus();
  };

  const load = async () => {
    replace(body, h('p', { class: 'muted' }, 'Loading…'));
    const q = new URLSearchParams();
    if (labelIn.value) q.set('listOptions.labelSelector', labelIn.value);
    try {
      const list = await api<List<WorkflowTemplate>>(`${paths.templates(ns)}?${q}`);
      if (disposed) return;
      items = (list.items ?? []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      render();
    } catch (err) {
      if (!disposed) replace(body, errorBox(errorMessage(err), () => void load()));
    }
  };
  void load();
  return () => {
    disposed = true;
    document.querySelectorAll('dialog.submit').forEach((d) => d.remove());
  };
}

function paramField(p: Parameter, i: number): { el: HTMLElement; value(): string } {
  const id = `param-${i}`;
  const initial = p.value ?? p.default ?? '';
  const help = p.description ? h('small', { class: 'help', id: `${id}-help` }, p.description) : null;
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  if (p.enum?.length) {
    input = h('select', { id, name: p.name, 'aria-describedby': help ? `${id}-help` : undefined }, p.enum.map((v) => h('option', { value: v, selected: v === initial }, v)));
  } else if (initial.includes('\n')) {
    input = h('textarea', { id, name: p.name, rows: '4', 'aria-describedby': help ? `${id}-help` : undefined }, initial);
  } else {
    input = h('input', { id, name: p.name, value: initial, 'aria-describedby': help ? `${id}-help` : undefined });
  }
  return { el: h('div', { class: 'form-row' }, h('label', { for: id }, p.name), input, help), value: () => input.value };
}

export function submitDialog(ns: string, t: WorkflowTemplate, onClose: () => void): HTMLDialogElement {
  const params = t.spec.arguments?.parameters ?? [];
  const fields = params.map(paramField);
  const templates = (t.spec.templates ?? []).map((x) => x.name);
  const entry = h('select', { id: 'submit-entrypoint', name: 'entrypoint' }, templates.map((n) => h('option', { value: n, selected: n === t.spec.entrypoint }, n)));
  const labels = h('input', { id: 'submit-labels', name: 'labels', placeholder: 'key=value,key2=value2' });
  const err = h('p', { class: 'field-error', role: 'alert' });
  const submitBtn = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'submit-workflow' }, 'Submit');
  const cancel = h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, 'Cancel');
  const form = h('form', { class: 'form' },
    h('h2', null, `Submit ${t.metadata.name}`),
    fields.length ? h('fieldset', null, h('legend', null, 'Parameters'), fields.map((f) => f.el)) : h('p', { class: 'muted' }, 'This template takes no parameters.'),
    templates.length ? h('div', { class: 'form-row' }, h('label', { for: 'submit-entrypoint' }, 'Entrypoint'), entry) : null,
    h('div', { class: 'form-row' }, h('label', { for: 'submit-labels' }, 'Labels'), labels, h('small', { class: 'help' }, 'Optional labels for the new workflow.')),
    err,
    h('div', { class: 'dialog-actions' }, cancel, submitBtn));
  const dlg = h('dialog', { class: 'dialog submit', 'aria-label': `Submit ${t.metadata.name}` }, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submitBtn.disabled = true;
    err.textContent = '';
    try {
      const wf = await api<Workflow>(`${paths.workflows(ns)}/submit`, {
        method: 'POST',
        json: {
          namespace: ns,
          resourceKind: 'WorkflowTemplate',
          resourceName: t.metadata.name,
          submitOptions: {
            parameters: params.map((p, i) => `${p.name}=${fields[i].value()}`),
            ...(templates.length && entry.value !== t.spec.entrypoint ? { entryPoint: entry.value } : {}),
            ...(labels.value.trim() ? { labels: labels.value.trim() } : {}),
          },
        },
      });
      dlg.close();
      navigate(`/workflows/${encodeURIComponent(ns)}/${encodeURIComponent(wf.metadata.name)}`);
    } catch (e2) {
      err.textContent = errorMessage(e2);
      submitBtn.disabled = false;
    }
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    onClose();
  });
  return dlg;
}

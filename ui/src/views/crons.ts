// /cron-workflows: schedules in plain English, last run, active count, suspend and resume.
import { type CronWorkflow, type List, api, paths } from '../api';
import { h, replace, toast } from '../dom';
import { type RouteContext, navigate } from '../router';
import { describeCron, errorMessage } from '../util';
import { currentNamespace, emptyState, errorBox, namespacePicker, time } from './common';

export function cronView(root: HTMLElement, { query }: RouteContext): () => void {
  const ns = currentNamespace(query);
  const body = h('div', { class: 'table-wrap' });
  let disposed = false;
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Cron workflows'), h('div', { class: 'spacer' }), namespacePicker(ns, (n) => navigate(`/cron-workflows?namespace=${encodeURIComponent(n)}`))), body);

  const setSuspend = async (c: CronWorkflow, suspend: boolean) => {
    try {
      await api(`${paths.crons(ns)}/${encodeURIComponent(c.metadata.name)}/${suspend ? 'suspend' : 'resume'}`, { method: 'PUT', json: {} });
      toast(`${suspend ? 'Suspended' : 'Resumed'} ${c.metadata.name}`);
      void load();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  const load = async () => {
    try {
      const list = await api<List<CronWorkflow>>(paths.crons(ns));
      if (disposed) return;
      const items = (list.items ?? []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      if (!items.length) return replace(body, emptyState(`No cron workflows in namespace “${ns}”`, 'Create one with `argosy cron create FILE`.'));
      replace(body, h('table', { class: 'table', id: 'crons-table' },
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Schedule'), h('th', null, 'State'), h('th', null, 'Last run'), h('th', null, 'Active'), h('th', null, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', null, items.map((c) => {
          const schedules = c.spec.schedules?.length ? c.spec.schedules : c.spec.schedule ? [c.spec.schedule] : [];
          return h('tr', { 'data-name': c.metadata.name },
            h('td', null, h('a', { href: `/workflows?namespace=${encodeURIComponent(ns)}&label=${encodeURIComponent(`workflows.argoproj.io/cron-workflow=${c.metadata.name}`)}` }, c.metadata.name)),
            h('td', null, schedules.map((sch) => h('div', null, h('span', { class: 'human' }, describeCron(sch, c.spec.timezone)), ' ', h('code', { class: 'muted' }, sch)))),
            h('td', null, c.spec.suspend ? h('span', { class: 'badge phase-suspended' }, 'Suspended') : h('span', { class: 'badge phase-running' }, 'Active')),
            h('td', null, time(c.status?.lastScheduledTime)),
            h('td', { class: 'num' }, String(c.status?.active?.length ?? 0)),
            h('td', { class: 'actions' }, c.spec.suspend
              ? h('button', { type: 'button', class: 'btn small', onclick: () => void setSuspend(c, false) }, 'Resume')
              : h('button', { type: 'button', class: 'btn small', onclick: () => void setSuspend(c, true) }, 'Suspend')));
        }))));
    } catch (err) {
      if (!disposed) replace(body, errorBox(errorMessage(err), () => void load()));
    }
  };
  void load();
  const t = window.setInterval(() => void load(), 10_000);
  return () => {
    disposed = true;
    clearInterval(t);
  };
}

import './style.css';
import { h } from './dom';
import { prefs } from './prefs';
import { render, route, start } from './router';
import { cronView } from './views/crons';
import { detailsView } from './views/details';
import { templatesView } from './views/templates';
import { workflowsView } from './views/workflows';

route('/workflows', 'workflows', workflowsView);
route('/workflows/:ns/:name', 'workflows', detailsView);
route('/workflow-templates', 'templates', templatesView);
route('/cron-workflows', 'crons', cronView);

const links: Record<string, HTMLAnchorElement> = {
  workflows: h('a', { href: '/workflows' }, 'Workflows'),
  templates: h('a', { href: '/workflow-templates' }, 'Templates'),
  crons: h('a', { href: '/cron-workflows' }, 'Cron workflows'),
};
const themeBtn = h('button', { class: 'btn ghost', type: 'button', id: 'theme-toggle', onclick: () => (prefs.theme = prefs.theme === 'dark' ? 'light' : 'dark') });
const tzBtn = h('button', { class: 'btn ghost', type: 'button', id: 'tz-toggle', onclick: () => (prefs.utc = !prefs.utc) });
const syncPrefs = () => {
  themeBtn.textContent = prefs.theme === 'dark' ? '☀ Light' : '☾ Dark';
  themeBtn.setAttribute('aria-label', `Switch to ${prefs.theme === 'dark' ? 'light' : 'dark'} mode`);
  tzBtn.textContent = prefs.utc ? 'UTC' : 'Local time';
  tzBtn.setAttribute('aria-label', `Times are shown in ${prefs.utc ? 'UTC' : 'local time'}; switch`);
};
syncPrefs();
let lastUtc = prefs.utc;
prefs.onChange(() => {
  syncPrefs();
  // Times are rendered as text: re-render the view when the time zone changes; theme is CSS only
  // (the canvas graph listens for it itself).
  if (prefs.utc !== lastUtc) {
    lastUtc = prefs.utc;
    render();
  }
  window.dispatchEvent(new Event('argosy:prefs'));
});

const main = h('main', { id: 'main', tabindex: '-1' });
const app = document.getElementById('app')!;
app.append(
  h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
  h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '/workflows' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Argosy'), h('nav', { 'aria-label': 'Main' }, Object.values(links)), h('div', { class: 'spacer' }), tzBtn, themeBtn),
  main,
);
start(main, (nav) => {
  for (const [k, a] of Object.entries(links)) {
    if (k === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
});

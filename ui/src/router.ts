// History-API routing. All view state lives in the URL: views read `query` and write it back with
// setQuery (replaceState, no re-render) or navigate (pushState, re-render).
export type Cleanup = () => void;
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
}
type Render = (root: HTMLElement, ctx: RouteContext) => Cleanup | void;
interface Route {
  re: RegExp;
  keys: string[];
  render: Render;
  nav: string;
}

const routes: Route[] = [];
let root: HTMLElement;
let cleanup: Cleanup | void;
let onRoute: (nav: string) => void = () => {};

export function route(pattern: string, nav: string, render: Render): void {
  const keys: string[] = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, k) => (keys.push(k), '([^/]+)'))}/?$`);
  routes.push({ re, keys, render, nav });
}

export function start(el: HTMLElement, navChanged: (nav: string) => void): void {
  root = el;
  onRoute = navChanged;
  window.addEventListener('popstate', () => render());
  document.addEventListener('click', (e) => {
    const a = (e.target as Element).closest?.('a');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || a.target || a.hasAttribute('download') || href.startsWith('/api/')) return;
    e.preventDefault();
    navigate(href);
  });
  render();
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

/** Update query parameters in place (empty values removed) without re-rendering. */
export function setQuery(updates: Record<string, string | undefined | null>, push = false): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(updates)) {
    if (v === undefined || v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  const url = `${location.pathname}${s ? `?${s}` : ''}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

export function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  root.replaceChildren();
  const path = location.pathname;
  if (path === '/' || path === '') {
    navigate('/workflows', true);
    return;
  }
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    onRoute(r.nav);
    cleanup = r.render(root, { params, query: new URLSearchParams(location.search) });
    return;
  }
  onRoute('');
  const p = document.createElement('div');
  p.className = 'empty';
  p.innerHTML = '<h2>Page not found</h2><p><a href="/workflows">Go to workflows</a></p>';
  root.appendChild(p);
}

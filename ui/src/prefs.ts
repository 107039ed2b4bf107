// User preferences kept in localStorage (not the URL: they are the user's, not the view's): theme,
// local/UTC time, and the last namespace (used when a URL names none).
const get = (k: string) => {
  try {
    return localStorage.getItem(`argosy.${k}`);
  } catch {
    return null;
  }
};
const set = (k: string, v: string) => {
  try {
    localStorage.setItem(`argosy.${k}`, v);
  } catch {
    // private mode: preferences last for the page only
  }
};

type Listener = () => void;
const listeners = new Set<Listener>();

export const prefs = {
  get theme(): 'dark' | 'light' {
    return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
  },
  set theme(t: 'dark' | 'light') {
    document.documentElement.dataset.theme = t;
    set('theme', t);
    listeners.forEach((l) => l());
  },
  get utc(): boolean {
    return get('utc') === 'true';
  },
  set utc(v: boolean) {
    set('utc', String(v));
    listeners.forEach((l) => l());
  },
  get namespace(): string {
    return get('namespace') ?? 'default';
  },
  set namespace(ns: string) {
    set('namespace', ns);
  },
  onChange(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

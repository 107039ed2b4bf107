// Variables in scope and the `{{…}}` tags that use them.

/** A set of variable names plus name prefixes that are allowed wholesale. */
export class Scope {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(from?: Scope) {
    if (from) {
      for (const n of from.exact) this.exact.add(n);
      this.prefixes.push(...from.prefixes);
    }
  }

  add(...names: string[]): this {
    for (const n of names) this.exact.add(n);
    return this;
  }

  /** Allows every name starting with `prefix`. */
  addPrefix(prefix: string): this {
    this.prefixes.push(prefix);
    return this;
  }

  has(name: string): boolean {
    return this.exact.has(name) || this.prefixes.some((p) => name.startsWith(p));
  }

  clone(): Scope {
    return new Scope(this);
  }
}

export interface Tag {
  /** The text between the braces, trimmed. */
  name: string;
  /** `{{= expr }}`: an expression, not a variable. */
  expression: boolean;
}

/** The `{{…}}` tags of a string (a small scanner; expressions are reported but not parsed). */
export function scanTags(s: string): Tag[] {
  const out: Tag[] = [];
  const re = /\{\{([\s\S]*?)\}\}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const inner = m[1].trim();
    out.push({ name: inner, expression: inner.startsWith('=') });
  }
  return out;
}

/** Calls `fn` for every string inside a JSON value, with its field path. */
export function walkStrings(
  value: unknown,
  path: string,
  fn: (s: string, path: string) => void,
  skip?: (key: string, path: string) => boolean,
): void {
  if (typeof value === 'string') {
    fn(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walkStrings(v, `${path}[${i}]`, fn, skip));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = /^[A-Za-z0-9_-]+$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}["${k}"]`;
      if (skip?.(k, p)) continue;
      walkStrings(v, p, fn, skip);
    }
  }
}

/** Roots Argo checks; tags with any other root (Go/Helm/Jinja templates, `{{retries}}`…) pass through. */
const CHECKED_ROOTS = ['item.', 'steps.', 'inputs.', 'outputs.', 'pod.', 'workflow.', 'tasks.'];

/** Variables Argo resolves at run time and so never rejects. */
const RUNTIME_PREFIXES = [
  'outputs.',
  'workflow.creationTimestamp',
  'workflow.scheduledTime',
  'workflow.duration',
  'tasks.name',
  'steps.name',
  'node.name',
];

export function isCheckedVariable(name: string): boolean {
  return name === 'item' || CHECKED_ROOTS.some((r) => name.startsWith(r));
}

export function isRuntimeVariable(name: string): boolean {
  return RUNTIME_PREFIXES.some((p) => name.startsWith(p));
}

/** `{{…}}` present anywhere: the value is only known at run time. */
export function hasTag(s: unknown): boolean {
  return typeof s === 'string' && /\{\{[\s\S]*?\}\}/.test(s);
}

/**
 * Reports every checked variable tag inside `value` that `scope` does not have.
 * `special` may claim a tag (returning true when it handled it, e.g. DAG ancestry checks).
 */
export function checkVariables(
  value: unknown,
  path: string,
  scope: Scope,
  report: (path: string, message: string) => void,
  options: { skip?: (key: string, path: string) => boolean; special?: (tag: string, path: string) => boolean } = {},
): void {
  walkStrings(
    value,
    path,
    (s, p) => {
      if (!s.includes('{{')) return;
      for (const tag of scanTags(s)) {
        if (tag.expression || !isCheckedVariable(tag.name)) continue;
        if (options.special?.(tag.name, p)) continue;
        if (scope.has(tag.name) || isRuntimeVariable(tag.name)) continue;
        report(p, `failed to resolve {{${tag.name}}}`);
      }
    },
    options.skip,
  );
}

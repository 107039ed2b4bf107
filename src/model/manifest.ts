// Loading Kubernetes/Argo manifests (multi-document YAML or JSON) with source positions, so
// validation problems can be reported as `FILE:LINE: ...` the way compilers do.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Document, LineCounter, Node as YamlNode, Pair, Tags } from 'yaml';
import type { KObject } from './object.js';
import { fastParseYaml } from './yaml-fast.js';
import { yaml } from './yaml-lib.js';

export type FieldPath = (string | number)[];

export interface Manifest {
  object: KObject;
  file: string;
  /** 0-based index of the document in its file (counting empty documents too). */
  index: number;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  line(path: FieldPath | string): number | undefined;
}

/** A problem with the text of a manifest file; the message is `FILE:LINE:COL: what is wrong`. */
export class ManifestError extends Error {
  readonly file: string;
  readonly lineNumber?: number;
  readonly column?: number;

  constructor(file: string, message: string, line?: number, column?: number) {
    const where = line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
    super(`${where}: ${message}`);
    this.name = 'ManifestError';
    this.file = file;
    this.lineNumber = line;
    this.column = column;
  }
}

/** Parses `spec.templates[2].dag.tasks[0].depends` (also `a["b.c"]`) into its segments. */
export function parseFieldPath(path: string): FieldPath {
  const out: FieldPath = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[["']([^"']*)["']\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[3]);
  }
  return out;
}

// Kubernetes reads YAML 1.1 (yes/no/on/off are booleans, 0755 is octal) but keeps timestamps as strings.
const withoutTimestamps = (tags: Tags): Tags =>
  tags.filter((t) => t !== 'timestamp' && (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:timestamp'));

function firstLine(message: string): string {
  // yaml appends " at line L, column C:" followed by a source excerpt; we print the position ourselves.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '').trim();
}

function nodeLine(lc: LineCounter, node: YamlNode | Pair | null | undefined): number | undefined {
  if (!node) return undefined;
  if (yaml().isPair(node)) {
    const key = node.key as YamlNode | null;
    return nodeLine(lc, key) ?? nodeLine(lc, node.value as YamlNode | null);
  }
  const range = (node as { range?: [number, number, number] }).range;
  return range ? lc.linePos(range[0]).line : undefined;
}

function lookupLine(lc: LineCounter, doc: Document.Parsed, path: FieldPath): number | undefined {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  let node: YamlNode | Pair | null = doc.contents;
  let line = nodeLine(lc, node);
  for (const seg of path) {
    const current: unknown = isPair(node) ? node.value : node;
    let next: YamlNode | Pair | undefined;
    if (isMap(current)) {
      next = current.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
    } else if (isSeq(current) && typeof seg === 'number') {
      next = current.items[seg] as YamlNode | undefined;
    }
    if (!next) break;
    node = next;
    line = nodeLine(lc, node) ?? line;
  }
  return line;
}

function parseStream(text: string): { docs: Document.Parsed[]; lineCounter: LineCounter } {
  const Y = yaml();
  const lineCounter = new Y.LineCounter();
  const docs = Y.parseAllDocuments(text, {
    version: '1.1',
    customTags: withoutTimestamps,
    lineCounter,
    prettyErrors: false,
    // go-yaml (and so kubectl and argo) accepts duplicate keys; the last one wins.
    uniqueKeys: false,
  });
  // An empty stream (only comments or whitespace) is an empty array.
  return { docs: Array.from(docs), lineCounter };
}

/**
 * go-yaml (what Kubernetes and Argo use) accepts a multi-line flow collection or quoted scalar whose
 * closing line (`"]`, `]`, `}`) is indented no deeper than its key; the `yaml` package rejects it.
 * Re-indent such closing-only lines to match the line before them. Line numbers are unchanged.
 */
function relaxClosingLines(text: string): string {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const m = /^(\s*)(["'\]}][\]}"',\s]*)$/.exec(lines[i]);
    if (!m) continue;
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    if (j < 0) continue;
    const prevIndent = /^\s*/.exec(lines[j])![0].length;
    if (prevIndent > m[1].length) lines[i] = ' '.repeat(prevIndent) + m[2];
  }
  return lines.join('\n');
}

/** Every document of a text as the full parser reads it (null: empty; an Error: one it cannot read). */
export function fullParseYaml(text: string): unknown[] {
  return parseStream(text).docs.map((d) => (d.errors.length ? new Error(d.errors[0].message) : d.toJS({ maxAliasCount: 1000 }) ?? null));
}

/**
 * The manifests of a text the fast reader could read whole (yaml-fast.ts), all of them well-formed;
 * undefined otherwise, and the full parser reads it (and reports what is wrong, with lines). Lines of
 * fields are looked up in a full parse, made the first time one is asked for.
 */
function fastManifests(text: string, fileName: string): Manifest[] | undefined {
  const values = fastParseYaml(text);
  if (!values) return undefined;
  let full: { docs: Document.Parsed[]; lineCounter: LineCounter } | undefined;
  const out: Manifest[] = [];
  for (let index = 0; index < values.length; index++) {
    const obj = values[index] as Record<string, unknown> | null;
    if (obj === null) continue;
    if (typeof obj !== 'object' || Array.isArray(obj)) return undefined;
    if (typeof obj.apiVersion !== 'string' || !obj.apiVersion || typeof obj.kind !== 'string' || !obj.kind) return undefined;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) return undefined;
    out.push({
      object: obj as unknown as KObject,
      file: fileName,
      index,
      line: (path) => {
        full ??= parseStream(text);
        const doc = full.docs[index];
        return doc && lookupLine(full.lineCounter, doc, typeof path === 'string' ? parseFieldPath(path) : path);
      },
    });
  }
  return out;
}

/** Parses every document of a YAML (1.1) or JSON text into a manifest. */
export function parseManifests(text: string, fileName: string): Manifest[] {
  const fast = fastManifests(text, fileName);
  if (fast) return fast;
  let { docs: list, lineCounter } = parseStream(text);
  if (list.some((d) => d.errors.length > 0)) {
    const retry = parseStream(relaxClosingLines(text));
    if (!retry.docs.some((d) => d.errors.length > 0)) ({ docs: list, lineCounter } = retry);
  }
  const out: Manifest[] = [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
      throw new ManifestError(fileName, firstLine(err.message), pos.line, pos.col);
    }
    if (doc.contents === null || (yaml().isScalar(doc.contents) && doc.contents.value === null)) return;
    const docLine = nodeLine(lineCounter, doc.contents) ?? 1;
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ManifestError(fileName, `document ${index} is not a mapping (found ${Array.isArray(value) ? 'a list' : typeof value}); expected a Kubernetes object with apiVersion and kind`, docLine);
    }
    const obj = value as Record<string, unknown>;
    const missing = ['apiVersion', 'kind'].filter((f) => typeof obj[f] !== 'string' || obj[f] === '');
    if (missing.length > 0) {
      throw new ManifestError(fileName, `document ${index} is missing ${missing.join(' and ')} (every manifest needs e.g. "apiVersion: argoproj.io/v1alpha1" and "kind: Workflow")`, docLine);
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw new ManifestError(fileName, `document ${index}: metadata must be a mapping`, lookupLine(lineCounter, doc, ['metadata']));
    }
    out.push({
      object: obj as unknown as KObject,
      file: fileName,
      index,
      line: (path) => lookupLine(lineCounter, doc, typeof path === 'string' ? parseFieldPath(path) : path),
    });
  });
  return out;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function expand(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new ManifestError(path, 'no such file or directory');
  if (!st.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    const full = join(path, e.name);
    if (e.isDirectory()) out.push(...(await expand(full)));
    else if (MANIFEST_EXT.test(e.name)) out.push(full);
  }
  return out;
}

/** Loads manifests from files and directories (recursing into *.yaml, *.yml, *.json); `-` reads stdin. */
export async function loadManifestFiles(paths: string[]): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(await readStdin(), '<stdin>'));
      continue;
    }
    for (const file of await expand(p)) {
      out.push(...parseManifests(await readFile(file, 'utf8'), file));
    }
  }
  return out;
}

/** `FILE:LINE: Kind/name: field.path: message`, the form the CLI prints. */
export function formatIssue(manifest: Manifest, issue: { path: string; message: string }): string {
  const meta = manifest.object.metadata ?? {};
  const name = meta.name ?? meta.generateName ?? '<unnamed>';
  const line = issue.path ? manifest.line(issue.path) : manifest.line([]);
  const where = line === undefined ? manifest.file : `${manifest.file}:${line}`;
  const field = issue.path ? `${issue.path}: ` : '';
  return `${where}: ${manifest.object.kind}/${name}: ${field}${issue.message}`;
}

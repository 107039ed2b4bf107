// Container logs on disk, in the CRI format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line.
// Readable by any module from the files alone, without a running agent.
import { existsSync, readFileSync, statSync, watch as fsWatch } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KObject } from '../model/object.js';
import { podDirOf } from './volumes.js';

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** The text, with its newline when the line was complete. */
  text: string;
}

export function parseLogText(content: string): { lines: LogLine[]; rest: string } {
  const lines: LogLine[] = [];
  let start = 0;
  let i: number;
  while ((i = content.indexOf('\n', start)) >= 0) {
    const raw = content.slice(start, i);
    start = i + 1;
    const s1 = raw.indexOf(' ');
    const s2 = raw.indexOf(' ', s1 + 1);
    const s3 = raw.indexOf(' ', s2 + 1);
    if (s1 < 0 || s2 < 0) continue;
    const tag = s3 < 0 ? raw.slice(s2 + 1) : raw.slice(s2 + 1, s3);
    const text = s3 < 0 ? '' : raw.slice(s3 + 1);
    lines.push({ time: raw.slice(0, s1), stream: raw.slice(s1 + 1, s2) as LogLine['stream'], text: tag === 'P' ? text : text + '\n' });
  }
  return { lines, rest: content.slice(start) };
}

/** Join partial (P) fragments of one stream into logical lines (a line ends at a newline); also used for archived logs. */
export function logicalLines(lines: LogLine[]): LogLine[] {
  const out: LogLine[] = [];
  let open: LogLine | undefined;
  for (const l of lines) {
    if (open && open.stream === l.stream) {
      open.text += l.text;
    } else {
      if (open) out.push(open);
      open = { ...l };
    }
    if (open.text.endsWith('\n')) {
      out.push(open);
      open = undefined;
    }
  }
  if (open) out.push(open);
  return out;
}

function podContainers(pod: KObject): string[] {
  const spec = pod.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] } | undefined;
  return (spec?.containers ?? []).map((c) => c.name);
}

export function logPath(dataDir: string, pod: KObject, container: string): string {
  return join(podDirOf(dataDir, pod), 'logs', `${container}.log`);
}

function defaultContainer(pod: KObject): string {
  const names = podContainers(pod);
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated) return annotated;
  if (names.includes('main')) return 'main';
  if (names.length) return names[0];
  throw new Error(`pod "${pod.metadata.name}" has no containers`);
}

/** The container's stdout so far, as text. */
export async function readStdout(dataDir: string, pod: KObject, container: string): Promise<string> {
  let content: string;
  const file = logPath(dataDir, pod, container);
  try {
    // Most steps print a few lines: reading those directly beats a thread-pool round trip on every
    // Pod's way to Succeeded. Big logs are read off the thread.
    content = statSync(file).size < 64 * 1024 ? readFileSync(file, 'utf8') : await readFile(file, 'utf8');
  } catch {
    return '';
  }
  let out = '';
  for (const l of parseLogText(content).lines) if (l.stream === 'stdout') out += l.text;
  return out;
}

export interface ReadLogsOptions {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  follow?: boolean;
  signal?: AbortSignal;
}

export async function readPodLogs(dataDir: string, pod: KObject, opts: ReadLogsOptions, onChunk: (text: string) => void): Promise<void> {
  const container = opts.container ?? defaultContainer(pod);
  const file = logPath(dataDir, pod, container);
  const exitFile = join(podDirOf(dataDir, pod), 'exits', `${container}.json`);
  const since = opts.sinceSeconds !== undefined ? new Date(Date.now() - opts.sinceSeconds * 1000).toISOString() : undefined;
  const render = (lines: LogLine[]) => {
    let text = '';
    for (const l of lines) {
      if (since && l.time.replace(/(\.\d{3})\d*Z$/, '$1Z') < since) continue;
      text += opts.timestamps ? `${l.time} ${l.text}` : l.text;
    }
    if (text) onChunk(text);
  };
  let content = '';
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    if (!opts.follow) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
  const first = parseLogText(content);
  let lines = logicalLines(first.lines);
  if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
  render(lines);
  if (!opts.follow) return;

  // Follow: read appended bytes when the file changes, until the container's exit record appears.
  let offset = Buffer.byteLength(content, 'utf8') - Buffer.byteLength(first.rest, 'utf8');
  let rest = '';
  const readMore = async () => {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return;
    }
    if (size <= offset) return;
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const parsed = parseLogText(rest + buf.subarray(0, bytesRead).toString('utf8'));
      rest = parsed.rest;
      render(parsed.lines);
    } finally {
      await fh.close();
    }
  };
  await new Promise<void>((resolve) => {
    let busy = false;
    let again = false;
    let finished = false;
    const watchers: ReturnType<typeof fsWatch>[] = [];
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
      opts.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const tick = async () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const ended = existsSync(exitFile) || !existsSync(podDirOf(dataDir, pod));
          await readMore();
          if (ended) return finish();
        } while (again);
      } finally {
        busy = false;
      }
    };
    for (const dir of ['logs', 'exits']) {
      try {
        const w = fsWatch(join(podDirOf(dataDir, pod), dir), () => void tick());
        w.on('error', () => {});
        watchers.push(w);
      } catch {
        // not there yet: the poll below covers it
      }
    }
    // fs.watch can miss events; a slow poll backs it up (only while someone follows a log).
    const timer = setInterval(() => void tick(), 250);
    opts.signal?.addEventListener('abort', finish);
    if (opts.signal?.aborted) finish();
    void tick();
  });
}

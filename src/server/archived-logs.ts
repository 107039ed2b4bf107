// Reading the container logs kept in the workflow archive: the node agent's CRI lines
// (`<time> <stream> <F|P> <text>`), rendered with the same options as a live pod's log.
import { type LogLine, logicalLines, parseLogText } from '../node/logs.js';
import type { ArchivedLog } from '../workflow/archive.js';

export interface ArchivedLogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  now?: number;
}

/** The log's text lines (without newlines), after tailLines / sinceSeconds, optionally time-stamped. */
export function archivedLogLines(log: ArchivedLog, opts: ArchivedLogOptions = {}): string[] {
  const { lines: raw, rest } = parseLogText(log.content.toString('utf8'));
  // A final line without its newline (the file was cut while being written) still counts.
  if (rest.trim()) raw.push(...parseLogText(rest + '\n').lines);
  let lines = splitEmbeddedNewlines(logicalLines(raw));
  if (opts.sinceSeconds !== undefined) {
    const since = new Date((opts.now ?? Date.now()) - opts.sinceSeconds * 1000).toISOString();
    lines = lines.filter((l) => l.time.replace(/(\.\d{3})\d*Z$/, '$1Z') >= since);
  }
  if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
  return lines.map((l) => {
    const text = l.text.endsWith('\n') ? l.text.slice(0, -1) : l.text;
    return opts.timestamps ? `${l.time} ${text}` : text;
  });
}

/** A logical line may still hold several newlines (a P fragment ending mid-line): split them. */
function splitEmbeddedNewlines(lines: LogLine[]): LogLine[] {
  return lines.flatMap((l) => {
    const parts = l.text.split('\n');
    if (parts.length <= 2) return [l];
    const last = parts.pop()!;
    return [...parts.map((t) => ({ ...l, text: `${t}\n` })), ...(last ? [{ ...l, text: last }] : [])];
  });
}

/** The line that says a log was cut to its tail. */
export function droppedNotice(log: ArchivedLog, maxBytes: number): string {
  return `[argosy: the archive keeps the last ${Math.round(maxBytes / 1024 / 1024)} MiB of each container's log; the first ${log.droppedBytes} bytes of this one were dropped]`;
}

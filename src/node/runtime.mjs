// Shared by the launcher helper (launcher.mjs) and the in-sandbox supervisor (supervisor.mjs).
// Plain JavaScript on purpose: both run as small standalone `node` processes, from src/ or dist/ alike.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

/** RFC 3339 with nanosecond digits (millisecond precision padded), as CRI log lines carry. */
export function nanoTime(ms = Date.now()) {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}

/**
 * Writes one container's output in the CRI log format: `<time> <stream> <F|P> <text>` per line.
 * F: the text ended with a newline; P: a partial line (the stream ended or paused without one).
 * Writes are synchronous: the launcher and the supervisor do nothing else, and a write into the page
 * cache costs less than the thread-pool round trips a stream makes (one to open, one per write, one to
 * close), which sat between a container's exit and its report.
 */
export class LogWriter {
  /**
   * The file is made with the first line: a container that prints nothing leaves none (readers take a
   * missing log as an empty one), two system calls fewer for most steps.
   */
  constructor(path) {
    this.path = path;
    this.fd = undefined;
    this.failed = false;
    this.pending = { stdout: '', stderr: '' };
  }
  append(text) {
    if (this.fd === undefined && !this.failed) {
      try {
        this.fd = openSync(this.path, 'a');
      } catch {
        this.failed = true;
      }
    }
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch {}
  }
  write(stream, chunk) {
    const text = this.pending[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending[stream] = lines.pop();
    if (!lines.length) return;
    const ts = nanoTime();
    let buf = '';
    for (const line of lines) buf += `${ts} ${stream} F ${line}\n`;
    this.append(buf);
  }
  /** Append a marker line (e.g. when the agent re-runs a pod after a restart). */
  marker(text) {
    this.append(`${nanoTime()} stderr F ${text}\n`);
  }
  close() {
    const ts = nanoTime();
    for (const stream of ['stdout', 'stderr']) {
      if (this.pending[stream]) this.append(`${ts} ${stream} P ${this.pending[stream]}\n`);
      this.pending[stream] = '';
    }
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {}
      this.fd = undefined;
    }
    return Promise.resolve();
  }
}

/**
 * A file in a directory, for a normalized directory path (the agent's) and a plain file name (from a
 * container's name): what path.join would give, without its normalizing, which showed in every
 * container's start and end.
 */
export function inDir(dir, file) {
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

/**
 * The record of a container's exit, written BEFORE the exit is reported, so a restarted agent can
 * report it. In place, in one write (no temporary file and rename: a syscall less per container): a
 * record this small is written whole or not at all when the process dies, and a torn one is ignored
 * (PodRunner.adoptRecords), as a missing one is.
 */
export async function writeExitRecord(exitDir, rec) {
  writeFileSync(inDir(exitDir, `${rec.name}.json`), JSON.stringify(rec));
}

export const SIGNUM = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

export function exitCodeOf(code, signal) {
  if (code !== null && code !== undefined) return code;
  return 128 + (SIGNUM[signal] ?? 9);
}

/** JSON lines from a readable stream. */
export function onJsonLines(stream, fn) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      fn(msg);
    }
  });
}

/** SIGKILL a child started with `detached: true` and everything in its process group (or the child alone). */
export function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}

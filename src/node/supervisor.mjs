// The in-sandbox supervisor for multi-container Pods: one per Pod, started inside the Pod's sandbox.
// Reads JSON-line commands on stdin ({t:'exec'|'signal'|'signalAll'}), reports {t:'started'|'exited'|'error'}
// on stdout, and writes each container's log and exit record itself.
// argv: node supervisor.mjs <logDir> <exitDir>
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LogWriter, exitCodeOf, onJsonLines, writeExitRecord } from './runtime.mjs';

const [logDir, exitDir] = process.argv.slice(2);
const children = new Map(); // name → ChildProcess
const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

function exec(msg) {
  const { name, argv, env, cwd } = msg;
  let child;
  const startedAt = new Date().toISOString();
  const log = new LogWriter(join(logDir, `${name}.log`));
  if (msg.marker) log.marker(msg.marker);
  rm(join(exitDir, `${name}.json`), { force: true }).catch(() => {});
  try {
    child = spawn(argv[0], argv.slice(1), { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    void finish(name, log, 128, startedAt, String(err.message ?? err));
    return;
  }
  children.set(name, child);
  let exitCode;
  let spawnError;
  child.stdout.on('data', (d) => log.write('stdout', d));
  child.stderr.on('data', (d) => log.write('stderr', d));
  child.on('spawn', () => send({ t: 'started', name, pid: child.pid, startedAt }));
  child.on('error', (err) => {
    spawnError = err.code === 'ENOENT' ? `exec: "${argv[0]}": executable file not found in $PATH` : err.message;
    if (!child.pid && children.get(name) === child) {
      children.delete(name);
      void finish(name, log, 128, startedAt, spawnError);
    }
  });
  child.on('exit', (code, signal) => {
    exitCode = exitCodeOf(code, signal);
    // The container ends when its main process does: take stragglers of its process group with it.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  });
  child.on('close', () => {
    if (children.get(name) !== child) return;
    children.delete(name);
    void finish(name, log, spawnError ? 128 : exitCode ?? 137, startedAt, spawnError);
  });
}

async function finish(name, log, exitCode, startedAt, message) {
  if (message) log.marker(message);
  await log.close();
  const rec = { name, exitCode, startedAt, finishedAt: new Date().toISOString(), ...(message ? { message, startError: true } : {}) };
  await writeExitRecord(exitDir, rec).catch(() => {});
  send({ t: 'exited', ...rec });
}

// As the kubelet: a graceful signal goes to the container's main process, SIGKILL to all of it.
function signal(name, sig) {
  const child = children.get(name);
  if (!child?.pid) return;
  try {
    if (sig === 'SIGKILL') process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    try {
      child.kill(sig);
    } catch {}
  }
}

onJsonLines(process.stdin, (msg) => {
  if (msg.t === 'exec') exec(msg);
  else if (msg.t === 'signal') signal(msg.name, msg.sig ?? 'SIGTERM');
  else if (msg.t === 'signalAll') for (const name of children.keys()) signal(name, msg.sig ?? 'SIGTERM');
});
process.stdin.on('end', () => {
  for (const name of children.keys()) signal(name, 'SIGKILL');
  process.exit(0);
});
send({ t: 'ready' });

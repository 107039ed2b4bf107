// A warm sandbox: one bubblewrap sandbox kept from Pod to Pod, so that a Pod that needs nothing of its
// own but a root filesystem (one container, no volumes) starts with a vfork in a small shell instead of
// a fresh sandbox. Starting bwrap costs 3–10 ms of CPU (namespaces, mounts, pivot_root) and a Node
// `spawn` 1–7 ms more (the ranges are two machines of the same kind); the vfork, next to nothing.
//
// Inside: `/bin/sh -s` as PID 1 of the sandbox's PID namespace, reading commands on stdin. The launcher
// writes one command per container, which the shell runs to the end before it reads the next: it
// changes to the working directory and checks the program itself, then runs the program as a simple
// command with the container's environment as assignments in front of it. dash starts such a command
// with vfork (no copy of its page tables: about 40 % of a `true` step's CPU on a VM where those are
// dear), and the shell exports nothing of its own, so the program sees exactly its environment. Its
// events come back on the shell's stdout, one line each:
//   r RID        the checks passed and the program starts
//   n RID WHAT   it could not start (notfound | noperm | chdir); x still comes
//   x RID CODE   it exited: its other processes are killed, its output is complete
// The shell is busy waiting while a container runs, so signals go to the container's process directly
// (its host PID is the shell's earliest-started child: orphans the container leaves behind are
// adopted by the shell, but start later).
// The container's stdout and stderr are the sandbox's fds 3 and 4, shared by the runs one after the
// other; after a container exits the shell writes an end token on both, so the launcher knows where
// this run's output stops even though the pipes stay open.
//
// Between Pods the agent resets the root filesystem to its skeleton (warm-pool.ts) before it hands the
// slot to the next Pod, when the root's change times, which this side takes as a container ends, say a
// Pod changed it; only Pods with nothing else to mount get a slot.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LogWriter, inDir, killGroup, writeExitRecord } from './runtime.mjs';

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The shell's builtins (dash's, and bash's that name programs too): a command named so is not one to run as is. */
const SHELL_BUILTINS = new Set(['.', ':', '[', 'alias', 'bg', 'break', 'cd', 'chdir', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export', 'false', 'fg', 'getopts', 'hash', 'jobs', 'kill', 'local', 'printf', 'pwd', 'read', 'readonly', 'return', 'set', 'shift', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait', 'let', 'source', 'declare', 'typeset', 'enable', 'help', 'logout', 'dirs', 'pushd', 'popd', 'disown', 'suspend', 'builtin', 'caller', 'shopt', 'mapfile', 'readarray']);
/** Stdout up to this size comes with the exit event (a step's `result` is at most 256 KiB); beyond, it is read from the log. */
const STDOUT_KEPT = 256 * 1024;
/** A shell's own PATH when the container's environment sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A container that has run this long is not a short step: it gets every CPU (warm-pool.ts LONG_MS, cpuSplit). */
const UNPIN_MS = 50;
/** …and once more this much later, for a process forked while the first widening ran. */
const UNPIN_AGAIN_MS = 1000;
const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2', 'TERM', 'ALRM', 'PIPE', 'CONT', 'STOP']);

export class WarmSlot {
  /**
   * @param spec {{slot:number, rootfs:string, args:string[]}}
   * @param emit (ev) => void — launcher events, as for a direct-mode sandbox
   */
  constructor(spec, emit) {
    this.spec = spec;
    this.emit = emit;
    this.nonce = randomBytes(8).toString('hex');
    this.seq = 0;
    this.run = undefined;
    this.child = undefined;
    this.buf = '';
  }

  get alive() {
    return !!this.child && !this.closed;
  }

  spawnSandbox() {
    // The agent made the root (and resets it between Pods): it may hold the next Pod's files already.
    const [bwrap, ...args] = this.spec.args;
    const argv = [bwrap, ...args, '--as-pid-1', '--chdir', '/', '--', '/bin/sh', '-s'];
    // Decided when the sandbox starts: its shell keeps that set for as long as it lives.
    this.split = cpuSplit();
    if (this.split) argv.unshift(this.split.taskset, '-c', this.split.slots);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'], env: {}, detached: true });
    this.child = child;
    this.shellPid = undefined;
    this.closed = false;
    child.stdin.on('error', () => {});
    child.on('error', () => {});
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => this.onEvents(d));
    let errText = '';
    child.stderr.on('data', (d) => (errText = (errText + d).slice(-2000)));
    child.stdio[3].on('data', (d) => this.onOutput('stdout', d));
    child.stdio[4].on('data', (d) => this.onOutput('stderr', d));
    // DEVS: what /dev holds to begin with (globs are built into the shell: no process to list them).
    // The shell's own complaints (a foreground job's "Killed") are nobody's business: bwrap's still reach errText.
    child.stdin.write('exec 2>/dev/null; set -- /dev/* /dev/.[!.]*; DEVS="$*"; set --\n');
    child.on('close', () => {
      this.closed = true;
      const run = this.run;
      // The sandbox died under a running container: report it killed, with what the sandbox said.
      if (run) this.finish(run, { code: 137, message: errText.trim() ? `the sandbox ended: ${errText.trim().split('\n').pop()}` : undefined });
    });
  }

  /**
   * Start a container: msg as the launcher's direct-mode start ({gid, name, argv, env, cwd, logDir,
   * exitDir, marker?, clearExit?}).
   */
  start(msg) {
    if (!this.alive) this.spawnSandbox();
    const rid = ++this.seq;
    const token = `\0argosy-end-${this.nonce}-${rid}\0`;
    const log = new LogWriter(inDir(msg.logDir, `${msg.name}.log`));
    if (msg.marker) log.marker(msg.marker);
    if (msg.clearExit !== false) rmSync(inDir(msg.exitDir, `${msg.name}.json`), { force: true });
    this.run = { rid, times: !!msg.warm.times, gid: msg.gid, name: msg.name, argv: msg.argv, exitDir: msg.exitDir, log, token: Buffer.from(token, 'latin1'), startedAt: new Date().toISOString(), started: false, startError: undefined, pendingSignal: undefined, code: undefined, ended: { stdout: false, stderr: false }, hold: { stdout: undefined, stderr: undefined }, stdout: [], stdoutBytes: 0 };
    this.child.stdin.write(this.command(rid, msg, token));
  }

  command(rid, msg, token) {
    const env = Object.entries(msg.env ?? {}).filter(([k]) => ENV_NAME.test(k));
    const assign = env.map(([k, v]) => `${k}=${quote(v)} `).join('');
    const path = env.find(([k]) => k === 'PATH')?.[1];
    const arg0 = msg.argv[0];
    const args = msg.argv.slice(1).map(quote).join(' ');
    const run = (program) => `echo "r ${rid}"; ${assign}${program} ${args} </dev/null >&3 2>&4; c=$?`;
    // A program that cannot run is a start error (as a runtime reports it), not a shell's exit 127.
    let started;
    if (arg0.includes('/')) {
      started = `if [ ! -e ${quote(arg0)} ]; then echo "n ${rid} notfound"; elif [ ! -x ${quote(arg0)} ] || [ -d ${quote(arg0)} ]; then echo "n ${rid} noperm"; else ${run(quote(arg0))}; fi`;
    } else if (SHELL_BUILTINS.has(arg0)) {
      // The shell would run its own builtin of that name (`true`, `echo`…), not the program: look the
      // program up in PATH here (builtins only: no fork) and run it by its path.
      const file = (d) => `"\${${d}:-.}"/${quote(arg0)}`;
      started =
        `L=${quote(path ?? DEFAULT_PATH)}; p=; set -f; IFS=:; for d in $L; do [ -f ${file('d')} ] && [ -x ${file('d')} ] && { p=${file('d')}; break; }; done; unset IFS; set +f; ` +
        `if [ -z "$p" ]; then echo "n ${rid} notfound"; else ${run('"$p"')}; fi`;
    } else {
      started = `if ! ${path !== undefined ? `PATH=${quote(path)} ` : ''}command -v ${quote(arg0)} >/dev/null 2>&1; then echo "n ${rid} notfound"; else ${run(quote(arg0))}; fi`;
    }
    const tok = token.replace(/\0/g, '\\000');
    return (
      // (cd sets PWD and OLDPWD, which the shell would then pass on: a container's environment is only what it was given.)
      `c=127; if cd ${quote(msg.cwd || '/')} 2>/dev/null; then unset PWD OLDPWD; ${started}; else echo "n ${rid} chdir"; fi; ` +
      // The container ends with its main process (as its cgroup would): everything else in the sandbox goes too.
      `kill -9 -1 2>/dev/null; printf '${tok}' >&3; printf '${tok}' >&4; echo "x ${rid} $c"; ` +
      // /dev is the sandbox's own tmpfs: whatever the container added there (or in /dev/shm) goes too,
      // after the exit is reported (the next command is read only once this is done).
      `for f in /dev/* /dev/.[!.]* /dev/shm/* /dev/shm/.[!.]*; do case " $DEVS " in *" $f "*) ;; *) [ -e "$f" ] && rm -rf "$f";; esac; done\n`
    );
  }

  onEvents(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const [kind, ridText, arg] = this.buf.slice(0, i).split(' ');
      this.buf = this.buf.slice(i + 1);
      const run = this.run;
      if (!run || Number(ridText) !== run.rid) continue;
      if (kind === 'r') {
        run.started = true;
        if (this.split) run.widen = setTimeout(() => this.widen(run, UNPIN_AGAIN_MS), UNPIN_MS);
        this.emit({ t: 'started', gid: run.gid, name: run.name, startedAt: run.startedAt });
        if (run.pendingSignal) this.signal(run.pendingSignal);
      } else if (kind === 'n') {
        run.startError = arg === 'chdir' ? 'chdir: no such file or directory' : arg === 'noperm' ? `exec: "${run.argv[0]}": permission denied` : `exec: "${run.argv[0]}": executable file not found in $PATH`;
        this.maybeFinish(run);
      } else if (kind === 'x') {
        run.code = Number(arg);
        this.maybeFinish(run);
      }
    }
  }

  /** Output of the current run up to its end token; anything after it (a straggler's) is dropped. */
  onOutput(stream, d) {
    const run = this.run;
    if (!run || run.ended[stream]) return;
    const data = run.hold[stream] ? Buffer.concat([run.hold[stream], d]) : d;
    run.hold[stream] = undefined;
    const at = data.indexOf(run.token);
    if (at >= 0) {
      if (at > 0) this.output(run, stream, data.subarray(0, at));
      run.ended[stream] = true;
      return this.maybeFinish(run);
    }
    // Hold back a tail that could be the start of the token (it starts with a NUL byte).
    let keep = data.length;
    const from = data.lastIndexOf(0, data.length - 1);
    if (from >= 0 && data.length - from < run.token.length && run.token.subarray(0, data.length - from).equals(data.subarray(from))) keep = from;
    if (keep > 0) this.output(run, stream, data.subarray(0, keep));
    if (keep < data.length) run.hold[stream] = Buffer.from(data.subarray(keep));
  }

  /** Into the log; stdout is also kept (up to STDOUT_KEPT bytes) for the exit event, so hooks need not read the log back. */
  output(run, stream, chunk) {
    run.log.write(stream, chunk);
    if (stream !== 'stdout' || !run.stdout) return;
    run.stdoutBytes += chunk.length;
    if (run.stdoutBytes > STDOUT_KEPT) run.stdout = undefined;
    else run.stdout.push(Buffer.from(chunk));
  }

  maybeFinish(run) {
    if (run.code === undefined || !run.ended.stdout || !run.ended.stderr) return;
    if (run.startError) this.finish(run, { code: 128, message: run.startError, startError: true });
    else this.finish(run, { code: run.code });
  }

  finish(run, { code, message, startError }) {
    if (this.run !== run) return;
    this.run = undefined;
    clearTimeout(run.widen);
    for (const s of ['stdout', 'stderr']) if (run.hold[s]) this.output(run, s, run.hold[s]);
    if (message && startError) run.log.marker(message);
    run.log.close();
    if (!this.shuttingDown) {
      const rec = { name: run.name, exitCode: code, startedAt: run.startedAt, finishedAt: new Date().toISOString(), ...(message ? { message } : {}), ...(startError ? { startError: true } : {}) };
      try {
        writeExitRecord(run.exitDir, rec);
      } catch {}
      const rootTimes = run.times && this.spec.kept ? rootTimesOf(this.spec.kept) : undefined;
      const stdout = run.stdout && !startError ? Buffer.concat(run.stdout).toString('utf8') : undefined;
      this.emit({ t: 'exited', gid: run.gid, ...rec, ...(rootTimes ? { rootTimes } : {}), ...(stdout !== undefined ? { stdout } : {}) });
    }
    this.emit({ t: 'groupExited', gid: run.gid });
  }

  /**
   * The container has run a while: it is not a short step, so it gets every CPU this process may use
   * (see cpuSplit): all its processes that still have the narrow set (one that chose its CPUs itself
   * keeps them), from the sandbox's /proc tree. One forked while that runs may still inherit the narrow
   * set, so it runs once more later. The shell keeps the narrow set for the next container.
   */
  widen(run, again) {
    if (this.run !== run) return;
    const { taskset, slots, all } = this.split;
    const shell = this.shell();
    const pids = shell ? descendantsOf(shell).filter((pid) => allowedCpus(pid) === slots) : [];
    if (pids.length) {
      const p = spawn('/bin/sh', ['-c', 'for p; do "$0" -a -p -c "$ALL" "$p"; done >/dev/null 2>&1', taskset, ...pids.map(String)], { stdio: 'ignore', env: { ALL: all } });
      p.on('error', () => {});
      p.unref();
    }
    if (again) run.widen = setTimeout(() => this.widen(run, 0), again);
  }

  /** Signal the running container's main process (SIGKILL: all of it goes with the main process). */
  signal(sig) {
    const run = this.run;
    if (!run) return;
    if (!run.started) {
      run.pendingSignal = sig;
      return;
    }
    const name = String(sig).replace(/^SIG/, '');
    if (!SIGNALS.has(name)) return;
    this.signalMain(run, name, 5);
  }

  /**
   * The shell reports a start just before it forks: a signal sent in between finds no process yet and
   * looks again shortly (a few times). A SIGKILL that finds none kills the sandbox: a kill must kill.
   */
  signalMain(run, name, tries) {
    if (this.run !== run) return;
    const pid = this.containerPid();
    try {
      if (pid) return void process.kill(pid, `SIG${name}`);
    } catch {
      return; // exited meanwhile
    }
    if (tries > 0) setTimeout(() => this.signalMain(run, name, tries - 1), 2);
    else if (name === 'KILL') this.kill(false);
  }

  /**
   * The host PID of the container's main process: the shell's (bwrap's child's) earliest-started child.
   * Orphans of the container are adopted by the shell, the sandbox's PID 1, but started after it.
   */
  containerPid() {
    const shell = this.shell();
    if (!shell) return undefined;
    let best;
    for (const pid of childrenOf(shell)) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Field 22 (starttime), counted after the command name, which may hold spaces.
        const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
        if (!best || start < best.start) best = { pid, start };
      } catch {
        // gone
      }
    }
    return best?.pid;
  }

  /** The host PID of the sandbox's shell: bwrap's child. */
  shell() {
    return (this.shellPid ??= childrenOf(this.child.pid)[0]);
  }

  /** Tear the sandbox down now; at shutdown nothing is recorded, otherwise a later start makes a new one. */
  kill(shutdown = true) {
    if (shutdown) this.shuttingDown = true;
    if (this.child && !this.closed) killGroup(this.child);
  }
}

/**
 * The change times of the root's kept dirs (sandbox.ts RootTimes), taken here when a container ended:
 * its processes are gone and nothing else writes the root until the agent hands the slot on (in a
 * launcher helper, the stats cost the helper's time). Undefined when one is missing or not a dir.
 */
export function rootTimesOf(paths) {
  const out = [];
  for (const p of paths) {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) return undefined;
    out.push(String(st.ctimeMs));
  }
  return out;
}

/** Every process below PID (its children, theirs, and so on). */
function descendantsOf(pid) {
  const out = [];
  const pending = [pid];
  while (pending.length) {
    for (const c of childrenOf(pending.pop())) {
      out.push(c);
      pending.push(c);
    }
  }
  return out;
}

/** The CPUs a process may use, as cpuSplit writes a set ("0,1,2"); undefined when it is gone. */
function allowedCpus(pid) {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return list ? cpuList(list).join(',') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where warm sandboxes run, with ARGOSY_CPU_SPLIT=1: on every CPU this process may use but the first
 * (Cpus_allowed_list), when it may use two or more and taskset is installed; undefined otherwise.
 * Why: the agent wakes a slot's shell by writing a command to it, and Linux places a task woken that
 * way on the waker's CPU, where it preempts the agent, whose thread paces every short step (measured on
 * 2 vCPUs: 15 % of the agent's time in a 900-task lattice went to such preemptions, and the lattice ran
 * 9–14 % faster with the slots kept off one CPU, which the agent's thread then had to itself). A
 * container that runs longer than UNPIN_MS is widened to every CPU (WarmSlot.widen).
 * Why not by default: a program that sizes itself by the CPUs it may use when it starts (`nproc`,
 * Go's GOMAXPROCS, Java, libuv) would see one CPU fewer for good, and on 2 CPUs that halves it; on
 * Kubernetes a container sees all of the node's.
 */
let split;
export function cpuSplit() {
  if (process.env.ARGOSY_CPU_SPLIT !== '1') return undefined;
  if (split !== undefined) return split || undefined;
  split = false;
  try {
    const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
    const cpus = allowedCpus('self')?.split(',').map(Number) ?? [];
    if (taskset && cpus.length >= 2) split = { taskset, slots: cpus.slice(1).join(','), all: cpus.join(',') };
  } catch {
    // no /proc: no split
  }
  return split || undefined;
}

/** "0-3,8,10-11" → [0,1,2,3,8,10,11] */
export function cpuList(text) {
  const out = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let c = a; c <= (Number.isInteger(b) ? b : a); c++) out.push(c);
  }
  return out;
}

/**
 * A process's children, forked by any of its threads: from /proc/PID/task/TID/children, or (a kernel
 * without those files) from every process's PPid. None when it is gone.
 */
function childrenOf(pid) {
  if (!hasChildrenFiles()) return childrenByPPid(pid);
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone
  }
  const out = [];
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // the thread is gone
    }
  }
  return out;
}

let childrenFiles;
const hasChildrenFiles = () => (childrenFiles ??= existsSync(`/proc/self/task/${process.pid}/children`));

function childrenByPPid(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]) === pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

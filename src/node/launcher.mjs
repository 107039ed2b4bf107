// The launcher: spawns Pod sandboxes (bwrap, or bare processes), streams each container's output into
// its log file, records exits, and reports over JSON lines. It runs as a long-lived small helper
// process (`node launcher.mjs`, stdin/stdout) so that forks happen from a small heap, or in-process
// through createLauncherCore(). Plain JavaScript so the same file serves src/ (vitest) and dist/.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LogWriter, exitCodeOf, killGroup, onJsonLines, writeExitRecord } from './runtime.mjs';
import { WarmSlot } from './warm-slot.mjs';

/**
 * Commands:
 *  {t:'start', gid, mode:'direct'|'supervisor', argv, env, cwd?, name?, logDir, exitDir, marker?, clearExit?, warm?}
 *       warm: {slot, rootfs, args} (the first time; later {slot}) runs the container in that warm sandbox (see warm-slot.mjs)
 *  {t:'exec', gid, name, argv, env, cwd, marker?}       (supervisor mode: start a container)
 *  {t:'signal', gid, name?, sig}                        (graceful: the container(s), never the sandbox itself)
 *  {t:'kill', gid}                                      (SIGKILL the whole sandbox)
 *  {t:'closeSlot', slot}                                (an idle warm sandbox is no longer wanted)
 *  {t:'shutdown'}                                       (kill everything, record nothing)
 * Events: {t:'started', gid, name, pid, startedAt} {t:'exited', gid, name, exitCode, startedAt, finishedAt, message?}
 *         {t:'groupExited', gid} {t:'error', gid, message}
 */
export function createLauncherCore(emit) {
  const groups = new Map();
  const slots = new Map(); // warm sandboxes by slot number
  let shuttingDown = false;

  function startWarm(msg) {
    let slot = slots.get(msg.warm.slot);
    if (!slot) {
      // The agent sends a slot's full spec with its first start only.
      if (!msg.warm.args) {
        emit({ t: 'error', gid: msg.gid, message: `warm sandbox ${msg.warm.slot} is unknown here` });
        emit({ t: 'groupExited', gid: msg.gid });
        return;
      }
      const onEvent = (ev) => {
        if (ev.t === 'groupExited') groups.delete(ev.gid);
        emit(ev);
      };
      slot = new WarmSlot(msg.warm, onEvent);
      slots.set(msg.warm.slot, slot);
    }
    groups.set(msg.gid, { gid: msg.gid, mode: 'warm', slot });
    try {
      slot.start(msg);
    } catch (err) {
      groups.delete(msg.gid);
      emit({ t: 'error', gid: msg.gid, message: String(err?.message ?? err) });
      emit({ t: 'groupExited', gid: msg.gid });
    }
  }

  function start(msg) {
    if (msg.warm) return startWarm(msg);
    const { gid, mode, argv, env, cwd, name, logDir, exitDir } = msg;
    const g = { gid, mode, child: undefined, closed: false, exited: false };
    groups.set(gid, g);
    const startedAt = new Date().toISOString();
    const direct = mode === 'direct';
    const log = direct ? new LogWriter(join(logDir, `${name}.log`)) : undefined;
    if (direct) {
      if (msg.marker) log.marker(msg.marker);
      // A restarted container's previous exit record must not be read as this run's (a first run has none).
      if (msg.clearExit !== false) rm(join(exitDir, `${name}.json`), { force: true }).catch(() => {});
    }
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { env, cwd, detached: true, stdio: [direct ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (err) {
      groups.delete(gid);
      emit({ t: 'error', gid, message: String(err?.message ?? err) });
      emit({ t: 'groupExited', gid });
      return;
    }
    g.child = child;
    let exitCode;
    let spawnError;
    let errHead = '';
    const done = async () => {
      if (g.closed) return;
      g.closed = true;
      groups.delete(gid);
      if (direct) {
        // bwrap reports a command it cannot exec on stderr and exits 1: that is a StartError, as in CRI.
        // Matched on the head of stderr at exit, since the line may arrive in pieces.
        if (!spawnError && exitCode === 1 && argv[0].endsWith('bwrap')) {
          const m = /^bwrap: execvp (.*?): (.*)$/m.exec(errHead);
          if (m) spawnError = m[2].startsWith('No such file') ? `exec: "${m[1]}": executable file not found in $PATH` : `exec: "${m[1]}": ${m[2]}`;
        }
        if (spawnError) log.marker(spawnError);
        await log.close();
        if (!shuttingDown) {
          const rec = { name, exitCode: spawnError ? 128 : exitCode ?? 137, startedAt, finishedAt: new Date().toISOString(), ...(spawnError ? { message: spawnError, startError: true } : {}) };
          await writeExitRecord(exitDir, rec).catch(() => {});
          emit({ t: 'exited', gid, ...rec });
        }
      }
      emit({ t: 'groupExited', gid });
    };
    child.on('spawn', () => {
      if (direct) emit({ t: 'started', gid, name, pid: child.pid, startedAt });
    });
    child.on('error', (err) => {
      spawnError = err.code === 'ENOENT' ? `exec: "${argv[0]}": executable file not found in $PATH` : err.message;
      if (!child.pid) void done();
    });
    child.on('exit', (code, signal) => {
      exitCode = exitCodeOf(code, signal);
      g.exited = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // stragglers of the group (sandbox 'none'); bwrap's are gone with its PID namespace
      } catch {}
    });
    child.on('close', () => void done());
    if (direct) {
      child.stdout.on('data', (d) => log.write('stdout', d));
      child.stderr.on('data', (d) => {
        if (errHead.length < 1024) errHead += d.toString('utf8');
        log.write('stderr', d);
      });
    } else {
      child.stderr.on('data', (d) => process.stderr.write(d));
      child.stdin.on('error', () => {});
      onJsonLines(child.stdout, (ev) => {
        if (ev.t === 'ready') return;
        if (shuttingDown && ev.t === 'exited') return;
        emit({ ...ev, gid });
      });
    }
  }

  /**
   * The container's main process, as the kubelet signals it: with bwrap, the child of bwrap's in-sandbox
   * init (signalling bwrap itself would tear the sandbox down at once); without, the spawned process.
   */
  function mainPids(g) {
    const pgid = g.child?.pid;
    if (!pgid) return [];
    const procs = [];
    let entries = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [];
    }
    for (const e of entries) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const comm = stat.slice(stat.indexOf('(') + 1, close);
        const fields = stat.slice(close + 2).split(' ');
        if (Number(fields[2]) !== pgid) continue;
        procs.push({ pid: Number(e), ppid: Number(fields[1]), comm });
      } catch {}
    }
    const bwraps = new Set(procs.filter((p) => p.comm === 'bwrap').map((p) => p.pid));
    if (!bwraps.size) return [pgid];
    return procs.filter((p) => p.comm !== 'bwrap' && bwraps.has(p.ppid)).map((p) => p.pid);
  }

  function signal(msg) {
    const g = groups.get(msg.gid);
    if (!g?.child && g?.mode !== 'warm') return;
    const sig = msg.sig ?? 'SIGTERM';
    if (g.mode === 'warm') return g.slot.signal(sig);
    if (g.mode === 'supervisor') {
      if (sig === 'SIGKILL' && !msg.name) return kill(msg);
      g.child.stdin.write(JSON.stringify(msg.name ? { t: 'signal', name: msg.name, sig } : { t: 'signalAll', sig }) + '\n');
      return;
    }
    if (sig === 'SIGKILL') return kill(msg);
    const pids = mainPids(g);
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {}
    }
    if (!pids.length) {
      try {
        process.kill(-g.child.pid, sig);
      } catch {}
    }
  }

  function kill(msg) {
    const g = groups.get(msg.gid);
    if (g?.mode === 'warm') return g.slot.signal('SIGKILL');
    if (g?.child) killGroup(g.child);
  }

  function handle(msg) {
    switch (msg.t) {
      case 'start':
        return start(msg);
      case 'exec': {
        const g = groups.get(msg.gid);
        if (g?.child) g.child.stdin.write(JSON.stringify({ ...msg, t: 'exec' }) + '\n');
        else emit({ t: 'exited', gid: msg.gid, name: msg.name, exitCode: 128, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), message: 'the pod sandbox is gone' });
        return;
      }
      case 'signal':
        return signal(msg);
      case 'kill':
        return kill(msg);
      case 'endSupervisor': {
        const g = groups.get(msg.gid);
        if (g?.child?.stdin) g.child.stdin.end();
        return;
      }
      case 'closeSlot': {
        slots.get(msg.slot)?.kill();
        slots.delete(msg.slot);
        return;
      }
      case 'shutdown':
        shuttingDown = true;
        for (const slot of slots.values()) slot.kill();
        for (const g of groups.values()) kill({ gid: g.gid });
        if (!groups.size) emit({ t: 'shutdownDone' });
        else {
          const check = setInterval(() => {
            if (!groups.size) {
              clearInterval(check);
              emit({ t: 'shutdownDone' });
            }
          }, 5);
        }
        return;
    }
  }

  /** Kill every sandbox, recording nothing; returns how many there were. */
  function killAll() {
    shuttingDown = true;
    for (const slot of slots.values()) slot.kill();
    for (const g of groups.values()) kill({ gid: g.gid });
    return groups.size;
  }

  return { handle, killAll };
}

// Run as a helper process: JSON lines on stdin, events on stdout; die with the agent (stdin closes).
// (A flag, not a path comparison: the script may be reached through a symlink.)
if (process.argv.includes('--serve-argosy-launcher')) {
  const core = createLauncherCore((ev) => process.stdout.write(JSON.stringify(ev) + '\n'));
  // The agent is gone (it exited without stopping its helpers).
  process.stdout.on('error', () => {
    core.killAll();
    process.exit(0);
  });
  onJsonLines(process.stdin, (msg) => core.handle(msg));
  process.stdin.on('end', () => {
    // With sandboxes still alive, give the kills a moment to land before the helper goes.
    if (core.killAll()) setTimeout(() => process.exit(0), 20);
    else process.exit(0);
  });
  process.on('SIGTERM', () => {
    core.killAll();
    process.exit(0);
  });
  process.stdout.write(JSON.stringify({ t: 'ready' }) + '\n');
}

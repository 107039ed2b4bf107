import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { Kinds } from '../client/types.js';
import { NodeAgent } from './agent.js';
import type { PodContext } from './pod-runner.js';
import { locateNodeAsset } from './launcher.js';
import { findBwrap } from './sandbox.js';
import { type Env, create, get, logs, pod, quiet, setup, until, waitPhase } from './test-util.js';

let env: Env | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const pgrep = (marker: string): string[] => {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
type CpuSplit = { slots: string; all: string };
const { cpuSplit, cpuList } = (await import(locateNodeAsset('warm-slot.mjs'))) as { cpuSplit(): CpuSplit | undefined; cpuList(text: string): number[] };
/** A Cpus_allowed_list as cpuSplit writes its sets ("0-2" → "0,1,2"). */
const expandCpus = (text: string) => cpuList(text.trim()).join(',');
const unique = () => `m${Date.now()}${Math.floor(Math.random() * 1e6)}`;

describe('NodeAgent: running pods', () => {
  it('runs echo hi to Succeeded, binds the pod, writes kubelet-shaped status, and its log reads hi', async () => {
    env = await setup();
    await create(env, pod('hello', { command: ['echo', 'hi'] }));
    const done = await waitPhase(env, 'hello');
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.spec.nodeName).toBe('argosy-node');
    const st = done.status!;
    expect(st.podIP).toBe('127.0.0.1');
    expect(st.hostIP).toBe('127.0.0.1');
    expect(st.startTime).toMatch(/Z$/);
    expect(st.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
    expect(st.conditions!.find((c) => c.type === 'Ready')!.reason).toBe('PodCompleted');
    const cs = st.containerStatuses![0];
    expect(cs).toMatchObject({ name: 'main', image: 'alpine:3.23', ready: false, restartCount: 0, started: false });
    expect(cs.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(cs.state.terminated!.startedAt).toMatch(/Z$/);
    expect(await logs(env, done)).toBe('hi\n');
  });

  it('fails a pod whose container exits non-zero, with the exit code and reason Error', async () => {
    env = await setup();
    await create(env, pod('bad', { command: ['sh', '-c', 'echo oops >&2; exit 3'] }));
    const done = await waitPhase(env, 'bad');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await logs(env, done, { timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z oops\n$/);
  });

  it('reports a command that does not exist as StartError with exit code 128', async () => {
    env = await setup();
    await create(env, pod('nocmd', { command: ['no-such-program', 'x'] }));
    const done = await waitPhase(env, 'nocmd');
    expect(done.status!.phase).toBe('Failed');
    expect(done.status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: 'exec: "no-such-program": executable file not found in $PATH' });
  });

  it('gives each pod its own /tmp: two pods writing the same path at once read back their own content', async () => {
    env = await setup();
    const script = (v: string) => `echo ${v} > /tmp/shared.txt; sleep 0.3; cat /tmp/shared.txt`;
    await Promise.all([create(env, pod('one', { command: ['sh', '-c', script('first')] })), create(env, pod('two', { command: ['sh', '-c', script('second')] }))]);
    const [a, b] = await Promise.all([waitPhase(env, 'one'), waitPhase(env, 'two')]);
    expect(await logs(env, a)).toBe('first\n');
    expect(await logs(env, b)).toBe('second\n');
  });

  it('fails a pod whose image has no host mapping, naming the image and the fix', async () => {
    env = await setup();
    await create(env, pod('golang', { image: 'golang:1.18', command: ['go', 'version'] }));
    const done = await waitPhase(env, 'golang');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.message).toContain('image "golang:1.18" has no host mapping');
    expect(done.status?.message).toContain('imageMap');
    expect(done.status!.containerStatuses![0].state.waiting?.reason).toBe('ImageNotMapped');
  });

  it('maps images: argosay v2, python, and user entries from imageMap', async () => {
    env = await setup({ imageMap: { 'golang:*': { cmd: ['sh', '-c', 'echo mapped-go'] } } });
    await create(env, pod('say', { image: 'argoproj/argosay:v2', args: ['echo', 'hello world'] }));
    await create(env, pod('say-file', { image: 'docker.io/argoproj/argosay:v2', args: ['echo', 'x', '/tmp/deep/f.txt'] }));
    await create(env, pod('say-exit', { image: 'argoproj/argosay:v2', args: ['exit', '4'] }));
    await create(env, pod('py', { image: 'python:3.12-alpine', command: ['python', '-c', 'print(6*7)'] }));
    await create(env, pod('go', { image: 'golang:1.18' }));
    await create(env, pod('whale', { image: 'docker/whalesay', command: ['cowsay', 'moo'] }));
    await create(env, pod('node', { image: 'node:20-alpine', args: ['-e', 'console.log(process.version.startsWith("v"))'] }));
    expect(await logs(env, await waitPhase(env, 'whale'))).toContain('< moo >');
    expect(await logs(env, await waitPhase(env, 'node'))).toBe('true\n');
    expect(await logs(env, await waitPhase(env, 'say'))).toBe('hello world\n');
    expect((await waitPhase(env, 'say-file')).status?.phase).toBe('Succeeded');
    expect((await waitPhase(env, 'say-exit')).status!.containerStatuses![0].state.terminated!.exitCode).toBe(4);
    expect(await logs(env, await waitPhase(env, 'py'))).toBe('42\n');
    expect(await logs(env, await waitPhase(env, 'go'))).toBe('mapped-go\n');
  });

  it('resolves env from values, ConfigMaps, Secrets, fieldRefs and expands $(VAR) in command and args', async () => {
    env = await setup();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { color: 'blue', size: 'L' } });
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: 'default' }, data: { token: Buffer.from('s3cret').toString('base64') } });
    await create(
      env,
      pod(
        'envy',
        {
          command: ['sh', '-c', 'echo "$GREETING $COLOR $TOKEN $POD $NS $LBL $CFG_size ${OPT:-unset}"; printf "%s|" "$@"', 'sh'],
          args: ['$(GREETING)', '$(MISSING)', '$$(GREETING)', '$(POD)-arg'],
          env: [
            { name: 'GREETING', value: 'hey' },
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
            { name: 'OPT', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'LBL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          ],
          envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
        },
        {},
        { labels: { app: 'demo' } },
      ),
    );
    const done = await waitPhase(env, 'envy');
    expect(await logs(env, done)).toBe('hey blue s3cret envy default demo L unset\nhey|$(MISSING)|$(GREETING)|envy-arg|');
  });

  it('keeps a pod waiting with CreateContainerConfigError naming a missing ConfigMap, then runs once it exists', async () => {
    env = await setup();
    await create(env, pod('needs-cm', { command: ['sh', '-c', 'echo $V'], env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'late', key: 'v' } } }] }));
    const waiting = await until(async () => {
      const p = await get(env!, 'needs-cm');
      return p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
    });
    expect(waiting.status!.phase).toBe('Pending');
    expect(waiting.status!.containerStatuses![0].state.waiting!.message).toBe('configmap "late" not found');
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'default' }, data: { v: 'arrived' } });
    expect(await logs(env, await waitPhase(env, 'needs-cm'))).toBe('arrived\n');
  });

  it('shares an emptyDir between an init container and main, and projects ConfigMap and downward API files', async () => {
    env = await setup();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'files', namespace: 'default' }, data: { 'a.conf': 'A=1', b: 'bee' } });
    await create(
      env,
      pod(
        'vols',
        { command: ['sh', '-c', 'cat /work/from-init; cat /etc/cfg/a.conf; echo; cat /etc/cfg/sub/b; echo; cat /meta/name; echo; stat -c %a /etc/cfg/a.conf'], volumeMounts: [{ name: 'work', mountPath: '/work' }, { name: 'cfg', mountPath: '/etc/cfg' }, { name: 'meta', mountPath: '/meta' }] },
        {
          initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo from-init > /work/from-init'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
          volumes: [
            { name: 'work', emptyDir: {} },
            { name: 'cfg', configMap: { name: 'files', items: [{ key: 'a.conf', path: 'a.conf', mode: 0o600 }, { key: 'b', path: 'sub/b' }] } },
            { name: 'meta', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
          ],
        },
      ),
    );
    const done = await waitPhase(env, 'vols');
    expect(await logs(env, done)).toBe('from-init\nA=1\nbee\nvols\n600\n');
    expect(done.status!.initContainerStatuses![0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(done.status!.phase).toBe('Succeeded');
  });

  it('fails the pod when an init container fails (restartPolicy Never) and never starts main', async () => {
    env = await setup();
    await create(env, pod('init-fail', { command: ['sh', '-c', 'echo should-not-run'] }, { initContainers: [{ name: 'init', image: 'alpine', command: ['sh', '-c', 'exit 2'] }] }));
    const done = await waitPhase(env, 'init-fail');
    expect(done.status!.phase).toBe('Failed');
    expect(done.status!.initContainerStatuses![0].state.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(done.status!.containerStatuses![0].state.waiting?.reason).toBe('PodInitializing');
    expect(done.status!.conditions!.find((c) => c.type === 'Initialized')!.status).toBe('False');
  });

  it('persists a PVC directory across pods', async () => {
    env = await setup();
    const vol = { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'claim' } }] };
    await create(env, pod('writer', { command: ['sh', '-c', 'echo kept > /data/f'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }, vol));
    await waitPhase(env, 'writer');
    await create(env, pod('reader', { command: ['cat', '/data/f'], volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] }, vol));
    expect(await logs(env, await waitPhase(env, 'reader'))).toBe('kept\n');
  });

  it('restarts a failing container with restartPolicy OnFailure, counting restarts', async () => {
    env = await setup();
    await create(env, pod('flaky', { command: ['sh', '-c', 'if [ -f /tmp/ran ]; then echo ok; else touch /tmp/ran; exit 1; fi'] }, { restartPolicy: 'OnFailure' }));
    const done = await waitPhase(env, 'flaky');
    expect(done.status!.phase).toBe('Succeeded');
    const cs = done.status!.containerStatuses![0];
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('runs with sandbox none', async () => {
    env = await setup({ sandbox: 'none' });
    await create(env, pod('bare', { command: ['sh', '-c', 'echo bare $HOSTNAME'] }));
    expect(await logs(env, await waitPhase(env, 'bare'))).toBe('bare bare\n');
  });

  it('runs pods with the in-process launcher too', async () => {
    env = await setup({ launcher: 'inprocess' });
    await create(env, pod('inproc', [{ command: ['echo', 'a'] }, { name: 'side', command: ['echo', 'b'] }]));
    const done = await waitPhase(env, 'inproc');
    expect(done.status!.phase).toBe('Succeeded');
    expect(await logs(env, done, { container: 'side' })).toBe('b\n');
  });
});

describe('NodeAgent: sidecars, deadlines, deletion, restarts', () => {
  it('stops a never-ending sidecar when main ends (Argo pod) and the phase follows main', async () => {
    env = await setup();
    await create(
      env,
      pod('argo-pod', [{ name: 'main', command: ['sh', '-c', 'echo main-done; exit 0'] }, { name: 'sidecar', command: ['sleep', '1000'] }], { terminationGracePeriodSeconds: 2 }, { labels: { 'workflows.argoproj.io/workflow': 'wf' } }),
    );
    const done = await waitPhase(env, 'argo-pod');
    expect(done.status!.phase).toBe('Succeeded');
    const side = done.status!.containerStatuses!.find((c) => c.name === 'sidecar')!;
    expect(side.state.terminated).toBeDefined();
    expect(side.state.terminated!.exitCode).not.toBe(0);
  });

  it('runs native sidecars (init with restartPolicy Always) before main and stops them after', async () => {
    env = await setup();
    await create(
      env,
      pod('native', { command: ['sh', '-c', 'sleep 0.2; cat /tmp/side-up'] }, { terminationGracePeriodSeconds: 1, initContainers: [{ name: 'side', image: 'alpine', restartPolicy: 'Always', command: ['sh', '-c', 'echo up > /tmp/side-up; exec sleep 1000'] }] }),
    );
    const done = await waitPhase(env, 'native');
    expect(done.status!.phase).toBe('Succeeded');
    expect(await logs(env, done)).toBe('up\n');
    expect(done.status!.initContainerStatuses![0].state.terminated).toBeDefined();
  });

  it('fails a pod past activeDeadlineSeconds with DeadlineExceeded', async () => {
    env = await setup();
    await create(env, pod('slow', { command: ['sleep', '30'] }, { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 1 }));
    const done = await waitPhase(env, 'slow');
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
  });

  it('stops a running pod when a controller shortens activeDeadlineSeconds', async () => {
    env = await setup();
    await create(env, pod('shortened', { command: ['sleep', '30'] }, { activeDeadlineSeconds: 600, terminationGracePeriodSeconds: 1 }));
    const running = await until(async () => {
      const p = await get(env!, 'shortened');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    await env.client.update({ ...running, spec: { ...running.spec, activeDeadlineSeconds: 1 } });
    const done = await waitPhase(env, 'shortened');
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('leaves no process behind when a running pod is deleted', async () => {
    env = await setup();
    const marker = unique();
    await create(env, pod('doomed', { command: ['sh', '-c', `sleep 1000; echo ${marker}`] }, { terminationGracePeriodSeconds: 1 }));
    await until(async () => (await get(env!, 'doomed')).status?.phase === 'Running' && pgrep(marker).length > 0);
    await env.client.delete(Kinds.Pod, 'doomed', 'default');
    await until(() => pgrep(marker).length === 0, 10_000, 'processes gone');
    expect(pgrep(marker)).toEqual([]);
  });

  it('TERMs with a grace period, then reports a deleted pod that has finalizers', async () => {
    env = await setup();
    const marker = unique();
    await create(env, pod('graceful', [{ command: ['sh', '-c', `trap 'echo got-term; exit 0' TERM; while true; do sleep 0.05; done # ${marker}`] }, { name: 'other', command: ['sleep', '1000'] }], { terminationGracePeriodSeconds: 2 }, { finalizers: ['test/keep'] }));
    const running = await until(async () => {
      const p = await get(env!, 'graceful');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && pgrep(marker).length > 0 ? p : undefined;
    });
    expect(running.status!.phase).toBe('Running');
    expect(running.status!.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    for (const cs of running.status!.containerStatuses!) {
      expect(cs).toMatchObject({ ready: true, started: true, restartCount: 0 });
      expect(cs.state.running!.startedAt).toMatch(/Z$/);
    }
    await env.client.delete(Kinds.Pod, 'graceful', 'default');
    const done = await waitPhase(env, 'graceful');
    expect(await logs(env, done)).toBe('got-term\n');
    expect(done.status!.containerStatuses!.find((c) => c.name === 'main')!.state.terminated!.exitCode).toBe(0);
    expect(pgrep(marker)).toEqual([]);
  });

  it('re-runs a pod that was running when the agent stopped, and a new agent completes it', async () => {
    env = await setup();
    const marker = unique();
    await create(env, pod('survivor', { command: ['sh', '-c', `echo run; if [ -f /tmp/second ]; then echo done; exit 0; fi; touch /tmp/second; sleep 1000 # ${marker}`] }));
    await until(async () => (await get(env!, 'survivor')).status?.phase === 'Running' && pgrep(marker).length > 0);
    await env.agent.stop();
    expect(pgrep(marker)).toEqual([]);
    env.agent = new NodeAgent({ ...env.opts, logger: quiet });
    await env.agent.start();
    const done = await waitPhase(env, 'survivor');
    expect(done.status!.phase).toBe('Succeeded');
    const text = await logs(env, done);
    expect(text).toContain('argosy: the node agent restarted');
    expect(text.endsWith('run\ndone\n')).toBe(true);
  });

  it('re-runs a multi-container (supervised) pod after an agent restart without reporting the kill as a failure', async () => {
    env = await setup();
    const marker = unique();
    await create(
      env,
      pod('survivor2', [{ command: ['sh', '-c', `if [ -f /tmp/second ]; then echo done; exit 0; fi; touch /tmp/second; sleep 1000 # ${marker}`] }, { name: 'side', command: ['sleep', '1000'] }], { terminationGracePeriodSeconds: 1 }, { labels: { 'workflows.argoproj.io/workflow': 'wf' } }),
    );
    await until(async () => (await get(env!, 'survivor2')).status?.containerStatuses?.every((c) => c.state.running) && pgrep(marker).length > 0);
    await env.agent.stop();
    expect(pgrep(marker)).toEqual([]);
    expect((await get(env, 'survivor2')).status!.phase).toBe('Running');
    env.agent = new NodeAgent({ ...env.opts, logger: quiet });
    await env.agent.start();
    const done = await waitPhase(env, 'survivor2');
    expect(done.status!.phase).toBe('Succeeded');
    expect((await logs(env, done)).endsWith('done\n')).toBe(true);
  });

  it('reports an exit recorded before the agent stopped instead of re-running', async () => {
    env = await setup();
    // The agent cannot write status: the exit record is all that is left.
    await env.agent.stop();
    const { PodRunner } = await import('./pod-runner.js');
    void PodRunner;
    const p = await create(env, pod('recorded', { command: ['sh', '-c', 'echo once >> /tmp/count; exit 5'] }, {}, {}));
    const bound = await env.client.update({ ...p, spec: { ...p.spec, nodeName: 'argosy-node' } });
    const { podDirOf } = await import('./volumes.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = podDirOf(env.dataDir, bound);
    mkdirSync(`${dir}/exits`, { recursive: true });
    writeFileSync(`${dir}/exits/main.json`, JSON.stringify({ name: 'main', exitCode: 5, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() }));
    env.agent = new NodeAgent({ ...env.opts, logger: quiet });
    await env.agent.start();
    const done = await waitPhase(env, 'recorded');
    expect(done.status!.phase).toBe('Failed');
    expect(done.status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 5, reason: 'Error' });
  });
});

describe('NodeAgent: hooks and logs', () => {
  it('lets a hook read a file main wrote to /tmp/out.txt through hostPath, and stdout through readStdout', async () => {
    const seen: Record<string, string> = {};
    env = await setup({
      hooks: [
        {
          afterContainer: async (ctx, container, state) => {
            seen.file = readFileSync(ctx.hostPath(container, '/tmp/out.txt'), 'utf8');
            seen.stdout = await ctx.readStdout(container);
            seen.exit = String(state.exitCode);
            // The terminated state is not yet written when the hook runs.
            const p = await ctx.client.get(Kinds.Pod, 'hooked', 'default');
            seen.phaseDuringHook = String((p.status as { phase?: string }).phase);
          },
        },
      ],
    });
    await create(env, pod('hooked', { command: ['sh', '-c', 'echo result-value; echo noise >&2; echo file-content > /tmp/out.txt'] }));
    await waitPhase(env, 'hooked');
    expect(seen).toMatchObject({ file: 'file-content\n', stdout: 'result-value\n', exit: '0' });
    expect(seen.phaseDuringHook).not.toBe('Succeeded');
  });

  it("gives hooks a step's exact stdout, from memory or (past 256 KiB) from the log, and leaves no log for a silent step", async () => {
    const seen: Record<string, string> = {};
    env = await setup({ hooks: [{ afterContainer: async (ctx, container) => void (seen[ctx.pod.metadata.name!] = await ctx.readStdout(container)) }] });
    // A multibyte character split across writes, a line without its newline, stderr left out.
    await create(env, pod('exact', { command: ['sh', '-c', "printf '\\342\\202'; sleep 0.05; printf '\\254 euro\\n'; echo err >&2; printf 'no newline'"] }));
    await create(env, pod('big', { command: ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; echo'] }));
    await create(env, pod('silent', { command: ['true'] }));
    for (const name of ['exact', 'big', 'silent']) await waitPhase(env, name);
    expect(seen.exact).toBe('€ euro\nno newline');
    expect(seen.big).toBe('x'.repeat(300000) + '\n');
    expect(seen.silent).toBe('');
    expect(await logs(env, await get(env, 'silent'))).toBe('');
  });

  it('fails the pod when a beforeStart hook throws', async () => {
    env = await setup({ hooks: [{ beforeStart: async () => { throw new Error('artifact input missing'); } }] });
    await create(env, pod('hook-fail', { command: ['true'] }));
    const done = await waitPhase(env, 'hook-fail');
    expect(done.status).toMatchObject({ phase: 'Failed', message: 'artifact input missing' });
  });

  it('tails, filters by time and follows logs until the container ends', async () => {
    env = await setup();
    await create(env, pod('chatty', { command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; sleep 0.5; echo late; printf partial'] }));
    await until(async () => (await get(env!, 'chatty')).status?.phase === 'Running');
    const p = await get(env, 'chatty');
    let followed = '';
    const follow = (await import('./logs.js')).readPodLogs(env.dataDir, p, { follow: true }, (t) => (followed += t));
    const done = await waitPhase(env, 'chatty');
    await follow;
    expect(followed).toBe('line1\nline2\nline3\nline4\nline5\nlate\npartial');
    expect(await logs(env, done, { tailLines: 2 })).toBe('late\npartial');
    expect(await logs(env, done, { sinceSeconds: 60 })).toContain('line1');
    const ts = await logs(env, done, { tailLines: 1, timestamps: true });
    expect(ts).toMatch(/^\S+Z partial$/);
  });
});

describe.skipIf(!findBwrap())('NodeAgent: warm sandboxes (bwrap kept from Pod to Pod)', () => {
  it('runs Pods one after another in one sandbox, each starting clean: no files, processes or environment of the last', async () => {
    env = await setup();
    const marker = unique();
    // The first Pod leaves files at the root and in /tmp, a background process, and a shell variable.
    const first = `mkdir -p /work && echo left > /work/x && echo left > /tmp/x && echo left > /dev/x && echo left > /dev/shm/x && (sleep 1000 # ${marker}
) & FOO=bar; export FOO; echo first`;
    await create(env, pod('first', { command: ['sh', '-c', first], env: [{ name: 'ONLY_FIRST', value: 'yes' }] }));
    expect((await waitPhase(env, 'first')).status!.phase).toBe('Succeeded');
    expect(pgrep(marker)).toEqual([]);
    const second = `ls /work /tmp/x /dev/x /dev/shm/x 2>&1; env | sort | grep -v '^PWD=' | cut -d= -f1 | tr '\\n' ' '; echo; pwd`;
    await create(env, pod('second', { command: ['sh', '-c', second], workingDir: '/data/in', env: [{ name: 'MINE', value: 'mine' }] }));
    const done = await waitPhase(env, 'second');
    expect(done.status!.phase).toBe('Succeeded');
    const out = (await logs(env, done)).split('\n');
    expect(out[0]).toMatch(/ls: .*\/work.*No such file/);
    expect(out[1]).toMatch(/ls: .*\/tmp\/x.*No such file/);
    expect(out[2]).toMatch(/ls: .*\/dev\/x.*No such file/);
    expect(out[3]).toMatch(/ls: .*\/dev\/shm\/x.*No such file/);
    expect(out[4].trim().split(' ')).toEqual(['HOME', 'HOSTNAME', 'MINE', 'PATH']);
    expect(out[5]).toBe('/data/in');
    // One sandbox served both.
    expect(readdirSync(join(env.dataDir, 'slots'))).toEqual(['0']);
  });

  it("gives a Pod waiting for a slot the files its hooks wrote, not a reset of the last Pod's", async () => {
    // Each Pod's beforeStart hook writes its own name where its container reads it; with more Pods than
    // slots, most run in a slot another Pod has just left.
    const hook = {
      async beforeStart(ctx: PodContext) {
        const file = ctx.hostPath('main', '/in/name.txt');
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, ctx.pod.metadata.name!);
      },
    };
    env = await setup({ hooks: [hook] });
    const n = Math.min(32, 8 * availableParallelism()) + 8;
    await Promise.all(Array.from({ length: n }, (_, i) => create(env!, pod(`p${i}`, { command: ['cat', '/in/name.txt'] }))));
    for (let i = 0; i < n; i++) {
      const done = await waitPhase(env, `p${i}`);
      expect(`${done.status!.phase} ${await logs(env, done)}`).toBe(`Succeeded p${i}`);
    }
    expect(readdirSync(join(env.dataDir, 'slots')).length).toBeLessThan(n);
  });

  it('signals the container itself while the sandbox waits on it, and reports a start error, keeping the slot', async () => {
    env = await setup();
    const marker = unique();
    await create(env, pod('trapper', { command: ['sh', '-c', `trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.05; done # ${marker}`] }, { terminationGracePeriodSeconds: 5 }, { finalizers: ['test/keep'] }));
    await until(async () => (await get(env!, 'trapper')).status?.phase === 'Running' && pgrep(marker).length > 0);
    await env.client.delete(Kinds.Pod, 'trapper', 'default');
    const done = await waitPhase(env, 'trapper');
    expect(await logs(env, done)).toBe('ready\ngot-term\n');
    expect(done.status!.containerStatuses![0].state.terminated!.exitCode).toBe(3);
    expect(pgrep(marker)).toEqual([]);
    await create(env, pod('missing', { command: ['no-such-program'] }));
    const failed = await waitPhase(env, 'missing');
    expect(failed.status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: 'exec: "no-such-program": executable file not found in $PATH' });
    await create(env, pod('after', { command: ['echo', 'fine'] }));
    expect(await logs(env, await waitPhase(env, 'after'))).toBe('fine\n');
    expect(readdirSync(join(env.dataDir, 'slots'))).toEqual(['0']);
  });

  it("runs the program a command names, not the sandbox shell's builtin of that name", async () => {
    env = await setup();
    // dash's own echo would turn \t into a tab; the echo program prints it as it is.
    await create(env, pod('echo', { command: ['echo', 'a\\tb'] }));
    expect(await logs(env, await waitPhase(env, 'echo'))).toBe('a\\tb\n');
    await create(env, pod('false', { command: ['false'] }));
    expect((await waitPhase(env, 'false')).status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    // A builtin with no program of its name is a start error, as for any missing program.
    await create(env, pod('cd', { command: ['cd', '/'] }));
    expect((await waitPhase(env, 'cd')).status!.containerStatuses![0].state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
  });

  const cpus = 'grep Cpus_allowed_list /proc/self/status | tr -d "\\t" | cut -d: -f2';

  it('gives a step in a warm sandbox every CPU the agent may use, by default (as a Kubernetes container sees its node)', async () => {
    env = await setup();
    await create(env, pod('all', { command: ['sh', '-c', cpus] }));
    const mine = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    expect(expandCpus(await logs(env, await waitPhase(env, 'all')))).toBe(expandCpus(mine));
  });

  it.skipIf(availableParallelism() < 2)('with ARGOSY_CPU_SPLIT=1, keeps short steps off the CPU of the agent, and gives a step that runs on (and what it starts) every CPU', async () => {
    process.env.ARGOSY_CPU_SPLIT = '1';
    onTestFinished(() => void delete process.env.ARGOSY_CPU_SPLIT);
    const split = cpuSplit()!;
    expect(split).toBeDefined(); // taskset comes with util-linux
    env = await setup();
    await create(env, pod('short', { command: ['sh', '-c', cpus] }));
    expect(expandCpus(await logs(env, await waitPhase(env, 'short')))).toBe(split.slots);
    // Read at 0.3 s by the container (widened at 50 ms), at 0.6 s by a process it started at once,
    // before that, with the narrow set (widened with it), and at 0.9 s by one that chose its own CPU
    // (the first, which the narrow set leaves out): that choice stands.
    const own = `taskset -c ${split.all.split(',')[0]} sh -c 'sleep 0.9; ${cpus}'`;
    await create(env, pod('long', { command: ['sh', '-c', `sh -c 'sleep 0.6; ${cpus}' & ${own} & sleep 0.3; ${cpus}; wait`] }));
    const lines = (await logs(env, await waitPhase(env, 'long', ['Succeeded'], 10_000))).trim().split('\n');
    expect(lines.map(expandCpus)).toEqual([split.all, split.all, split.all.split(',')[0]]);
  });

  it('passes environment values through exactly, quotes and newlines included', async () => {
    env = await setup();
    const value = `it's "quoted" $HOME \`x\` \\ and\ntwo lines`;
    await create(env, pod('env', { command: ['sh', '-c', 'printf "%s" "$MINE"'], env: [{ name: 'MINE', value }] }));
    expect(await logs(env, await waitPhase(env, 'env'))).toBe(value);
  });

  it('does not hold Pods back behind long-running ones: more Pods than slots all run at once, in warm slots made for them and closed after', async () => {
    env = await setup();
    const max = Math.min(32, 8 * availableParallelism());
    const n = 2 * max;
    for (let i = 0; i < n; i++) await create(env, pod(`long${i}`, { command: ['sleep', '30'] }, { terminationGracePeriodSeconds: 1 }));
    const started = Date.now();
    await until(async () => {
      const pods = await Promise.all(Array.from({ length: n }, (_, i) => get(env!, `long${i}`)));
      return pods.every((p) => p.status?.containerStatuses?.[0]?.state.running);
    }, 10_000, `all ${n} pods running`);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Every Pod in a warm slot: no Pod directory holds a root of its own.
    expect(readdirSync(join(env.dataDir, 'slots')).length).toBe(n);
    expect(readdirSync(join(env.dataDir, 'pods')).filter((d) => existsSync(join(env!.dataDir, 'pods', d, 'rootfs')))).toEqual([]);
    // Once they are gone, the slots beyond max close after sitting free a while.
    for (let i = 0; i < n; i++) await env.client.delete(Kinds.Pod, `long${i}`, 'default');
    await until(async () => readdirSync(join(env!.dataDir, 'slots')).length <= max, 15_000, `surplus slots closed`);
  });
});

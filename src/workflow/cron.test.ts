import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedClient } from '../client/embedded.js';
import { Kinds } from '../client/types.js';
import type { CronWorkflow, Workflow } from '../model/argo.js';
import { MemoryStore } from '../store/memory.js';
import { ApiServer } from '../server/server.js';
import { type CronClock, type CronWorkflowStatus, CronWorkflowController, backfillCronWorkflow } from './cron.js';

class FakeClock implements CronClock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Move time forward, firing due timers in order and letting the controller settle after each. */
  async advanceTo(iso: string, ctl: CronWorkflowController): Promise<void> {
    const end = Date.parse(iso);
    for (;;) {
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await settle(ctl);
    }
    this.t = end;
  }
}

async function settle(ctl: CronWorkflowController): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    await ctl.idle();
  }
}

const unix = (iso: string) => Date.parse(iso) / 1000;

function cron(name: string, spec: Partial<CronWorkflow['spec']> = {}, status?: CronWorkflowStatus): CronWorkflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name, namespace: 'argo' },
    spec: {
      schedules: ['* * * * *'],
      timezone: 'UTC',
      workflowSpec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] },
      workflowMetadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
      ...spec,
    },
    ...(status ? { status: status as Record<string, unknown> } : {}),
  };
}

let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function setup(start: string, maxSleepMs?: number) {
  const store = new MemoryStore();
  const client = new EmbeddedClient(store);
  const clock = new FakeClock(Date.parse(start));
  const ctl = new CronWorkflowController({ client, clock, maxSleepMs });
  await ctl.start();
  stops.push(() => store.close(), () => ctl.stop());
  const workflows = async () => (await client.list<Workflow>(Kinds.Workflow, { namespace: 'argo' })).items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const getCron = (name: string) => client.get<CronWorkflow>(Kinds.CronWorkflow, name, 'argo');
  const finish = async (name: string, phase: 'Succeeded' | 'Failed' | 'Error', at: string) => {
    await client.patch(Kinds.Workflow, name, 'argo', 'merge', { status: { phase, startedAt: at, finishedAt: at } });
    await settle(ctl);
  };
  const create = async (cw: CronWorkflow) => {
    await client.create(cw);
    await settle(ctl);
  };
  return { store, client, clock, ctl, workflows, getCron, finish, create };
}

describe('CronWorkflow controller', () => {
  it('creates a workflow at each scheduled time, named <cron>-<unix>, with labels, annotations and owner', async () => {
    const { clock, ctl, workflows, getCron, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('hello'));
    expect(await workflows()).toEqual([]);
    expect(ctl.nextWakeup('argo', 'hello')).toBe(Date.parse('2026-01-01T00:01:00Z'));
    await clock.advanceTo('2026-01-01T00:01:00Z', ctl);
    const [wf] = await workflows();
    expect(wf.metadata.name).toBe(`hello-${unix('2026-01-01T00:01:00Z')}`);
    expect(wf.metadata.labels).toMatchObject({ 'workflows.argoproj.io/cron-workflow': 'hello', team: 'a' });
    expect(wf.metadata.annotations).toMatchObject({ 'workflows.argoproj.io/scheduled-time': '2026-01-01T00:01:00Z', note: 'x' });
    const cw = await getCron('hello');
    expect(wf.metadata.ownerReferences).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', name: 'hello', uid: cw.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const st = cw.status as CronWorkflowStatus;
    expect(st.lastScheduledTime).toBe('2026-01-01T00:01:00Z');
    expect(st.active?.map((a) => a.name)).toEqual([wf.metadata.name]);
    expect(st.phase).toBe('Active');
    await clock.advanceTo('2026-01-01T00:03:10Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`hello-${unix('2026-01-01T00:01:00Z')}`, `hello-${unix('2026-01-01T00:02:00Z')}`, `hello-${unix('2026-01-01T00:03:00Z')}`]);
  });

  it('re-evaluates at least every 60 s even when the next run is far away', async () => {
    const { ctl, create } = await setup('2026-01-01T00:00:00Z');
    await create(cron('daily', { schedules: ['0 3 * * *'] }));
    expect(ctl.nextWakeup('argo', 'daily')).toBe(Date.parse('2026-01-01T00:01:00Z'));
  });

  it('concurrencyPolicy Forbid skips a run while one is active', async () => {
    const { clock, ctl, workflows, finish, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('forbid', { concurrencyPolicy: 'Forbid' }));
    await clock.advanceTo('2026-01-01T00:02:10Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`forbid-${unix('2026-01-01T00:01:00Z')}`]);
    await finish(`forbid-${unix('2026-01-01T00:01:00Z')}`, 'Succeeded', '2026-01-01T00:02:20Z');
    await clock.advanceTo('2026-01-01T00:03:10Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`forbid-${unix('2026-01-01T00:01:00Z')}`, `forbid-${unix('2026-01-01T00:03:00Z')}`]);
  });

  it('concurrencyPolicy Replace terminates the running workflow and starts the new one', async () => {
    const { clock, ctl, workflows, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('replace', { concurrencyPolicy: 'Replace' }));
    await clock.advanceTo('2026-01-01T00:02:00Z', ctl);
    const [first, second] = await workflows();
    expect(first.metadata.name).toBe(`replace-${unix('2026-01-01T00:01:00Z')}`);
    expect(first.spec.shutdown).toBe('Terminate');
    expect(second.metadata.name).toBe(`replace-${unix('2026-01-01T00:02:00Z')}`);
    expect(second.spec.shutdown).toBeUndefined();
  });

  it('prunes finished children beyond the history limits and counts completions', async () => {
    const { clock, ctl, workflows, finish, getCron, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('hist', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
    await clock.advanceTo('2026-01-01T00:05:00Z', ctl);
    const names = (await workflows()).map((w) => w.metadata.name!);
    expect(names).toHaveLength(5);
    await finish(names[0], 'Succeeded', '2026-01-01T00:05:01Z');
    await finish(names[1], 'Succeeded', '2026-01-01T00:05:02Z');
    await finish(names[2], 'Succeeded', '2026-01-01T00:05:03Z');
    await finish(names[3], 'Failed', '2026-01-01T00:05:04Z');
    await finish(names[4], 'Failed', '2026-01-01T00:05:05Z');
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([names[1], names[2], names[4]]);
    const st = (await getCron('hist')).status as CronWorkflowStatus;
    expect([st.succeeded, st.failed, st.active]).toEqual([3, 2, []]);
  });

  it('catches up the most recent missed run within startingDeadlineSeconds, and not outside it', async () => {
    const { ctl, workflows, create, clock } = await setup('2026-01-01T00:05:30Z');
    await create(cron('late', { startingDeadlineSeconds: 60 }, { lastScheduledTime: '2026-01-01T00:00:00Z' }));
    await create(cron('lost', {}, { lastScheduledTime: '2026-01-01T00:00:00Z' }));
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`late-${unix('2026-01-01T00:05:00Z')}`]);
    await clock.advanceTo('2026-01-01T00:06:00Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`late-${unix('2026-01-01T00:05:00Z')}`, `late-${unix('2026-01-01T00:06:00Z')}`, `lost-${unix('2026-01-01T00:06:00Z')}`]);
  });

  it('does nothing while suspended, and resumes at the next tick', async () => {
    const { clock, ctl, client, workflows, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('sus', { suspend: true }));
    await clock.advanceTo('2026-01-01T00:03:30Z', ctl);
    expect(await workflows()).toEqual([]);
    await client.patch(Kinds.CronWorkflow, 'sus', 'argo', 'merge', { spec: { suspend: false } });
    await settle(ctl);
    expect(await workflows()).toEqual([]);
    await clock.advanceTo('2026-01-01T00:04:00Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`sus-${unix('2026-01-01T00:04:00Z')}`]);
  });

  it('honours when (cron-when.yaml: at most one run per 6 minutes)', async () => {
    const { clock, ctl, workflows, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('when', { when: '{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 }}' }));
    await clock.advanceTo('2026-01-01T00:10:00Z', ctl);
    expect((await workflows()).map((w) => w.metadata.name)).toEqual([`when-${unix('2026-01-01T00:01:00Z')}`, `when-${unix('2026-01-01T00:08:00Z')}`]);
  });

  it('stopStrategy suspends the cron workflow once the expression holds', async () => {
    const { clock, ctl, workflows, finish, getCron, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('stop', { stopStrategy: { expression: 'cronworkflow.failed >= 2' } }));
    await clock.advanceTo('2026-01-01T00:02:00Z', ctl);
    const names = (await workflows()).map((w) => w.metadata.name!);
    await finish(names[0], 'Failed', '2026-01-01T00:02:01Z');
    expect((await getCron('stop')).spec.suspend).toBeFalsy();
    await finish(names[1], 'Error', '2026-01-01T00:02:02Z');
    const cw = await getCron('stop');
    expect(cw.spec.suspend).toBe(true);
    expect((cw.status as CronWorkflowStatus).phase).toBe('Stopped');
    expect(cw.metadata.labels?.['workflows.argoproj.io/cron-workflow-completed']).toBe('true');
    await clock.advanceTo('2026-01-01T00:05:00Z', ctl);
    expect(await workflows()).toHaveLength(1); // the failed one beyond failedJobsHistoryLimit 1 was pruned, nothing new
  });

  it('records a SubmissionError when the workflow it would create is invalid', async () => {
    const { clock, ctl, workflows, getCron, create } = await setup('2026-01-01T00:00:30Z');
    await create(cron('bad', { workflowSpec: { entrypoint: 'main', workflowTemplateRef: { name: 'missing' } } as Workflow['spec'] }));
    await clock.advanceTo('2026-01-01T00:01:00Z', ctl);
    expect(await workflows()).toEqual([]);
    const st = (await getCron('bad')).status as CronWorkflowStatus;
    expect(st.conditions?.[0]).toMatchObject({ type: 'SubmissionError', status: 'True' });
    expect(st.conditions?.[0].message).toMatch(/^Failed to submit Workflow: .*missing/);
  });

  it('runs in the cron workflow time zone', async () => {
    const { clock, ctl, workflows, create } = await setup('2026-03-07T12:00:00Z', 3_600_000);
    await create(cron('ny', { schedules: ['30 2 * * *'], timezone: 'America/New_York' }));
    await clock.advanceTo('2026-03-09T12:00:00Z', ctl);
    // 2026-03-08 02:30 does not exist in New York: skipped (robfig/Argo behaviour).
    expect((await workflows()).map((w) => w.metadata.annotations?.['workflows.argoproj.io/scheduled-time'])).toEqual(['2026-03-09T06:30:00Z']);
  });
});

describe('cron backfill', () => {
  it('creates one workflow per scheduled time in the range, named like scheduled runs, idempotently', async () => {
    const store = new MemoryStore();
    stops.push(() => store.close());
    const client = new EmbeddedClient(store);
    const cw = await client.create(cron('daily', { schedules: ['0 2 * * *'] }));
    const r = await backfillCronWorkflow(client, cw, { start: new Date('2026-05-19T00:00:00Z'), end: new Date('2026-05-21T02:00:00Z'), name: 'bf' });
    expect(r.created).toEqual([`daily-${unix('2026-05-19T02:00:00Z')}`, `daily-${unix('2026-05-20T02:00:00Z')}`, `daily-${unix('2026-05-21T02:00:00Z')}`]);
    const wf = await client.get<Workflow>(Kinds.Workflow, r.created[0], 'argo');
    expect(wf.metadata.annotations?.['workflows.argoproj.io/scheduled-time']).toBe('2026-05-19T02:00:00Z');
    expect(wf.metadata.labels).toMatchObject({ 'workflows.argoproj.io/cron-workflow': 'daily', 'workflows.argoproj.io/cron-workflow-backfill': 'bf' });
    expect(wf.spec.arguments?.parameters).toEqual([{ name: 'cronScheduleTime', value: '2026-05-19T02:00:00Z' }]);
    expect(wf.spec.synchronization).toEqual({ mutex: { name: 'daily-backfill-bf' } });
    const again = await backfillCronWorkflow(client, cw, { start: new Date('2026-05-19T00:00:00Z'), end: new Date('2026-05-22T00:00:00Z'), parallel: true });
    expect(again.existing).toHaveLength(3);
    expect(again.created).toEqual([]);
    await expect(backfillCronWorkflow(client, cw, { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-12-31T00:00:00Z'), maxWorkflowCount: 10 })).rejects.toThrow(/more than 10/);
  });
});

describe('CronWorkflow API validation', () => {
  it('refuses a bad schedule or time zone at create with 400 naming the field', async () => {
    const store = new MemoryStore();
    const server = new ApiServer({ store });
    const base = (await server.listen(0)).url;
    stops.push(() => store.close(), () => server.close());
    const post = async (cw: CronWorkflow) => {
      const r = await fetch(`${base}/api/v1/cron-workflows/argo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ cronWorkflow: cw }) });
      return { status: r.status, json: (await r.json()) as { message: string } };
    };
    const bad = await post(cron('bad', { schedules: ['* * *'] }));
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('spec.schedules[0]: cron schedule * * * is malformed: expected exactly 5 fields (minute hour day-of-month month day-of-week)');
    const tz = await post(cron('badtz', { timezone: 'Mars/Olympus' }));
    expect(tz.status).toBe(400);
    expect(tz.json.message).toContain('spec.timezone: unknown time zone "Mars/Olympus": use an IANA name such as America/Los_Angeles');
    expect((await post(cron('good'))).status).toBe(200);
  });

  it('backfills through the server endpoint', async () => {
    const store = new MemoryStore();
    const server = new ApiServer({ store });
    const base = (await server.listen(0)).url;
    stops.push(() => store.close(), () => server.close());
    await fetch(`${base}/api/v1/cron-workflows/argo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ cronWorkflow: cron('hourly', { schedules: ['@hourly'] }) }) });
    const r = await fetch(`${base}/api/v1/cron-workflows/argo/hourly/backfill`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ start: '2026-01-01T00:00:00Z', end: '2026-01-01T02:30:00Z', parallel: true }) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { created: string[]; scheduledTimes: string[] };
    expect(body.scheduledTimes).toEqual(['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z']);
    expect(body.created).toHaveLength(3);
    const badRange = await fetch(`${base}/api/v1/cron-workflows/argo/hourly/backfill`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ start: 'yesterday' }) });
    expect(badRange.status).toBe(400);
  });
});

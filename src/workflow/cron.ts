// The CronWorkflow controller: watches CronWorkflows and the Workflows they created, and at each
// scheduled time creates a Workflow named `<cron>-<unix seconds>` from spec.workflowSpec (Argo's
// workflow/cron). Schedule math lives in cron-schedule.ts (a robfig/cron v3 port); this file owns
// policies (concurrency, missed runs, history limits, when, stopStrategy) and status.
//
// Missed runs: a tick is run on time when the controller reaches it within ON_TIME_MS; a later tick
// (the controller was down or busy) is caught up — the most recent one only — when it is within
// spec.startingDeadlineSeconds, judged from status.lastScheduledTime. A CronWorkflow that has never
// run, or whose schedule or zone just changed, only runs ticks after the controller saw it.
// Ticks skipped while suspended, by `when`, or by concurrencyPolicy Forbid are not caught up later.
//
// stopStrategy.expression (v3.6; `condition` is the older name): evaluated when a child workflow
// completes; when true the CronWorkflow gets status.phase Stopped, the label
// workflows.argoproj.io/cron-workflow-completed=true, and spec.suspend=true. `argosy cron resume`
// clears suspend, which returns the phase to Active (the expression is checked again at the next
// completion).
import { Informer } from '../client/informer.js';
import { type Client, Kinds } from '../client/types.js';
import { evalExpr } from '../expr/exprlang.js';
import { evalWhen } from '../expr/govaluate.js';
import { timeFromMillis } from '../expr/gotypes.js';
import { buildExprEnv, replaceTags } from '../expr/template.js';
import type { CronWorkflow, Parameter, Workflow, WorkflowTemplate } from '../model/argo.js';
import { isApiError } from '../model/errors.js';
import { type KObject, clone, rfc3339 } from '../model/object.js';
import { type Logger, silentLogger } from './controller.js';
import { type CronSchedule, cronScheduleStrings, lastActivation, nextOfAll, parseCronSchedule, activationsBetween } from './cron-schedule.js';
import { validateObject } from './validate/index.js';
import type { ValidateContext } from './validate/types.js';

export const LABEL_CRON_WORKFLOW = 'workflows.argoproj.io/cron-workflow';
export const LABEL_CRON_COMPLETED = 'workflows.argoproj.io/cron-workflow-completed';
export const LABEL_CRON_BACKFILL = 'workflows.argoproj.io/cron-workflow-backfill';
export const ANNOTATION_SCHEDULED_TIME = 'workflows.argoproj.io/scheduled-time';

/** How late a tick may be reached and still count as on time (not "missed"). */
export const ON_TIME_MS = 10_000;

const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);
const isDone = (wf: Workflow) => COMPLETED.has(wf.status?.phase ?? '');

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronCondition {
  type: string;
  status: string;
  message?: string;
}

export interface CronWorkflowStatus {
  active?: ObjectRef[];
  lastScheduledTime?: string;
  succeeded?: number;
  failed?: number;
  phase?: 'Active' | 'Stopped';
  conditions?: CronCondition[];
}

/** Time source and timers; tests inject a fake one. */
export interface CronClock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: CronClock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface CronControllerOptions {
  client: Client;
  namespace?: string;
  logger?: Logger;
  clock?: CronClock;
  /** Zone for CronWorkflows without spec.timezone; the machine's zone when omitted. */
  defaultTimezone?: string;
  /** Longest sleep between evaluations of one CronWorkflow (default 60 s). */
  maxSleepMs?: number;
}

/** Argo's ConvertCronWorkflowToWorkflowWithProperties: the Workflow a CronWorkflow runs at `scheduled`. */
export function cronWorkflowToWorkflow(cw: CronWorkflow, scheduled: Date, name = `${cw.metadata.name}-${Math.floor(scheduled.getTime() / 1000)}`): Workflow {
  const meta = cw.spec.workflowMetadata ?? {};
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace: cw.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [LABEL_CRON_WORKFLOW]: cw.metadata.name! },
      annotations: { ...(meta.annotations ?? {}), [ANNOTATION_SCHEDULED_TIME]: rfc3339(scheduled) },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', name: cw.metadata.name!, uid: cw.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: clone(cw.spec.workflowSpec ?? ({} as Workflow['spec'])),
  };
}

/** Parse every schedule of a CronWorkflow; throws with the offending field path. */
export function cronSchedulesOf(cw: CronWorkflow, defaultTimezone?: string): CronSchedule[] {
  const strings = cronScheduleStrings(cw.spec ?? {});
  if (!strings.length) throw new Error('spec.schedules: a schedule is required');
  const field = cw.spec.schedules?.length ? 'spec.schedules' : 'spec.schedule';
  return strings.map((s, i) => {
    try {
      return parseCronSchedule(s, cw.spec.timezone || defaultTimezone);
    } catch (err) {
      throw new Error(`${field === 'spec.schedules' ? `${field}[${i}]` : field}: cron schedule ${s} is malformed: ${(err as Error).message}`);
    }
  });
}

/** The `cronworkflow.*` variables of `when` and stopStrategy expressions. */
export function cronVariables(cw: CronWorkflow, status: CronWorkflowStatus, now: Date): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    'cronworkflow.name': cw.metadata.name,
    'cronworkflow.namespace': cw.metadata.namespace,
    'cronworkflow.labels': { ...(cw.metadata.labels ?? {}) },
    'cronworkflow.annotations': { ...(cw.metadata.annotations ?? {}) },
    'cronworkflow.lastScheduledTime': status.lastScheduledTime ? timeFromMillis(Date.parse(status.lastScheduledTime)) : null,
    'cronworkflow.failed': status.failed ?? 0,
    'cronworkflow.succeeded': status.succeeded ?? 0,
    now: () => timeFromMillis(now.getTime()),
  };
  return vars;
}

/** Evaluate a `when` (Argo: `{{…}}` substitution, then a govaluate boolean) or a bare expr expression. */
export function evalCronWhen(when: string, vars: Record<string, unknown>): boolean {
  if (!when.trim()) return true;
  if (when.includes('{{')) return evalWhen(replaceTags(when, vars));
  return evalExpr(when, buildExprEnv(vars)) === true;
}

/** stopStrategy: `expression` over `cronworkflow.*`, or the older `condition` over `failed`/`succeeded`. */
export function evalStopStrategy(cw: CronWorkflow, vars: Record<string, unknown>): boolean {
  const ss = cw.spec.stopStrategy;
  const expr = ss?.expression || ss?.condition;
  if (!expr) return false;
  const env = buildExprEnv(vars);
  env.failed = vars['cronworkflow.failed'];
  env.succeeded = vars['cronworkflow.succeeded'];
  return evalExpr(expr, env) === true;
}

async function templateContext(client: Client, namespace: string | undefined): Promise<ValidateContext> {
  const [wts, cwts] = await Promise.all([
    client.list<WorkflowTemplate>(Kinds.WorkflowTemplate, namespace ? { namespace } : {}),
    client.list<WorkflowTemplate>(Kinds.ClusterWorkflowTemplate),
  ]);
  return {
    getWorkflowTemplate: (name) => wts.items.find((t) => t.metadata.name === name),
    getClusterWorkflowTemplate: (name) => cwts.items.find((t) => t.metadata.name === name),
  };
}

async function validationError(client: Client, wf: Workflow): Promise<string | undefined> {
  const issues = validateObject(wf, await templateContext(client, wf.metadata.namespace), { submit: true });
  if (!issues.length) return undefined;
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

// ------------------------------------------------------------------ backfill

export interface BackfillOptions {
  start: Date;
  end: Date;
  /** Names this backfill (label value, mutex name); random when omitted. */
  name?: string;
  /** Run them all at once; otherwise one at a time, oldest first, through a mutex. */
  parallel?: boolean;
  /** Workflow argument that receives the scheduled time (RFC 3339); '' for none. Argo's default: cronScheduleTime. */
  argName?: string;
  maxWorkflowCount?: number;
  dryRun?: boolean;
  defaultTimezone?: string;
}

export interface BackfillResult {
  name: string;
  scheduledTimes: string[];
  created: string[];
  existing: string[];
}

/**
 * `argo cron backfill`: one Workflow per activation in (start, end], named as the scheduler would
 * name it (so a time that already ran is not run twice), with the scheduled-time annotation.
 */
export async function backfillCronWorkflow(client: Client, cw: CronWorkflow, opts: BackfillOptions): Promise<BackfillResult> {
  if (!(opts.start instanceof Date) || Number.isNaN(opts.start.getTime())) throw new Error('backfill: a valid start time is required');
  if (!(opts.end instanceof Date) || Number.isNaN(opts.end.getTime())) throw new Error('backfill: a valid end time is required');
  if (opts.end < opts.start) throw new Error(`backfill: end ${rfc3339(opts.end)} is before start ${rfc3339(opts.start)}`);
  const max = opts.maxWorkflowCount ?? 1000;
  const schedules = cronSchedulesOf(cw, opts.defaultTimezone);
  // Inclusive of start: look from one second before it.
  const times = activationsBetween(schedules, new Date(opts.start.getTime() - 1000), opts.end, max + 1);
  if (times.length > max) throw new Error(`backfill: more than ${max} scheduled times between ${rfc3339(opts.start)} and ${rfc3339(opts.end)}: narrow the range or raise maxWorkflowCount`);
  const name = opts.name || Math.random().toString(36).slice(2, 7);
  const argName = opts.argName ?? 'cronScheduleTime';
  const result: BackfillResult = { name, scheduledTimes: times.map((t) => rfc3339(t)), created: [], existing: [] };
  const build = (t: Date): Workflow => {
    const wf = cronWorkflowToWorkflow(cw, t);
    wf.metadata.labels![LABEL_CRON_BACKFILL] = name;
    if (argName) {
      const params: Parameter[] = (wf.spec.arguments?.parameters ?? []).filter((p) => p.name !== argName);
      params.push({ name: argName, value: rfc3339(t) });
      wf.spec.arguments = { ...(wf.spec.arguments ?? {}), parameters: params };
    }
    if (!opts.parallel && !wf.spec.synchronization) wf.spec.synchronization = { mutex: { name: `${cw.metadata.name}-backfill-${name}` } } as Workflow['spec']['synchronization'];
    return wf;
  };
  if (times.length) {
    const err = await validationError(client, build(times[0]));
    if (err) throw new Error(`backfill: the workflow would be invalid: ${err}`);
  }
  if (opts.dryRun) return result;
  for (const t of times) {
    const wf = build(t);
    try {
      await client.create(wf);
      result.created.push(wf.metadata.name!);
    } catch (err) {
      if (!isApiError(err, 'AlreadyExists')) throw err;
      result.existing.push(wf.metadata.name!);
    }
  }
  return result;
}

// ------------------------------------------------------------------ controller

interface CronState {
  /** When this controller first saw the CronWorkflow. */
  seenAt: Date;
  /** The latest tick already acted on (run or deliberately skipped). */
  handled?: Date;
  /** Schedules + zone last seen: a change resets the catch-up window. */
  specKey?: string;
  /** Workflows created but not yet seen by the informer: name → ref and when. */
  created: Map<string, { ref: ObjectRef; at: number }>;
  timer?: unknown;
  timerAt?: number;
}

const cronKey = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class CronWorkflowController {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly clock: CronClock;
  private readonly crons: Informer<CronWorkflow>;
  private readonly workflows: Informer<Workflow>;
  private readonly states = new Map<string, CronState>();
  private busy = new Set<string>();
  private dirty = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: CronControllerOptions) {
    this.client = opts.client;
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    const ns = opts.namespace ? { namespace: opts.namespace } : {};
    this.crons = new Informer<CronWorkflow>(this.client, Kinds.CronWorkflow, ns);
    this.workflows = new Informer<Workflow>(this.client, Kinds.Workflow, { ...ns, labelSelector: LABEL_CRON_WORKFLOW });
  }

  async start(): Promise<void> {
    const wake = (wf: Workflow) => {
      const owner = wf.metadata.labels?.[LABEL_CRON_WORKFLOW];
      if (owner) this.enqueue(`${wf.metadata.namespace ?? ''}/${owner}`);
    };
    this.workflows.on({ add: wake, update: (_o, n) => wake(n), delete: wake });
    this.crons.on({
      add: (cw) => this.enqueue(cronKey(cw)),
      update: (_o, cw) => this.enqueue(cronKey(cw)),
      delete: (cw) => this.forget(cronKey(cw)),
    });
    await this.workflows.start();
    await this.crons.start();
  }

  stop(): void {
    this.stopped = true;
    this.crons.stop();
    this.workflows.stop();
    for (const k of [...this.states.keys()]) this.forget(k);
  }

  /** Resolves when no reconcile is queued or running (timers may be pending). */
  idle(): Promise<void> {
    if (!this.busy.size) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** When the next evaluation of a CronWorkflow is due (ms since the epoch), for inspection. */
  nextWakeup(namespace: string, name: string): number | undefined {
    return this.states.get(`${namespace}/${name}`)?.timerAt;
  }

  private forget(k: string): void {
    const st = this.states.get(k);
    if (st?.timer !== undefined) this.clock.clearTimeout(st.timer);
    this.states.delete(k);
  }

  enqueue(k: string): void {
    if (this.stopped) return;
    if (this.busy.has(k)) {
      this.dirty.add(k);
      return;
    }
    this.busy.add(k);
    setImmediate(() => void this.run(k));
  }

  private async run(k: string): Promise<void> {
    try {
      await this.reconcile(k);
    } catch (err) {
      this.log.error('cron reconcile failed', { cronWorkflow: k, error: String((err as Error).stack ?? err) });
    }
    if (this.dirty.delete(k) && !this.stopped) {
      setImmediate(() => void this.run(k));
      return;
    }
    this.busy.delete(k);
    if (!this.busy.size) for (const w of this.idleWaiters.splice(0)) w();
  }

  private state(k: string, now: Date): CronState {
    let st = this.states.get(k);
    if (!st) this.states.set(k, (st = { seenAt: now, created: new Map() }));
    return st;
  }

  private setTimer(k: string, st: CronState, at: number | undefined, now: Date): void {
    if (st.timer !== undefined) this.clock.clearTimeout(st.timer);
    st.timer = undefined;
    st.timerAt = undefined;
    if (at === undefined || this.stopped) return;
    const delay = Math.max(0, Math.min(at - now.getTime(), this.opts.maxSleepMs ?? 60_000));
    st.timerAt = now.getTime() + delay;
    st.timer = this.clock.setTimeout(() => {
      st.timer = undefined;
      this.enqueue(k);
    }, delay);
  }

  private async reconcile(k: string): Promise<void> {
    if (this.stopped) return;
    const i = k.indexOf('/');
    const ns = k.slice(0, i);
    const name = k.slice(i + 1);
    const cw = this.crons.get(name, ns || undefined);
    if (!cw || cw.metadata.deletionTimestamp) {
      this.forget(k);
      return;
    }
    const now = this.clock.now();
    const st = this.state(k, now);
    const before = (cw.status ?? {}) as CronWorkflowStatus;
    const status: CronWorkflowStatus = clone(before);
    const children = this.workflows.list().filter((w) => w.metadata.namespace === cw.metadata.namespace && w.metadata.labels?.[LABEL_CRON_WORKFLOW] === name);
    let suspend = !!cw.spec.suspend;
    const labels = { ...(cw.metadata.labels ?? {}) };

    // Completions of workflows we had as active feed the succeeded/failed counters.
    const byUid = new Map(children.map((w) => [w.metadata.uid, w]));
    let completions = 0;
    for (const ref of before.active ?? []) {
      const wf = byUid.get(ref.uid);
      if (!wf || !isDone(wf)) continue;
      completions++;
      if (wf.status?.phase === 'Succeeded') status.succeeded = (status.succeeded ?? 0) + 1;
      else status.failed = (status.failed ?? 0) + 1;
    }
    for (const [n, c] of st.created) if (children.some((w) => w.metadata.name === n) || now.getTime() - c.at > 60_000) st.created.delete(n);
    const active = (): ObjectRef[] => [
      ...children.filter((w) => !isDone(w)).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)).map(refOf),
      ...[...st.created.values()].map((c) => c.ref),
    ];
    status.active = active();

    await this.enforceHistoryLimits(cw, children);

    // stopStrategy, checked when something completed.
    if (status.phase === 'Stopped' && !suspend) {
      status.phase = 'Active';
      delete labels[LABEL_CRON_COMPLETED];
    }
    if (completions > 0 && status.phase !== 'Stopped' && (cw.spec.stopStrategy?.expression || cw.spec.stopStrategy?.condition)) {
      try {
        if (evalStopStrategy(cw, cronVariables(cw, status, now))) {
          status.phase = 'Stopped';
          labels[LABEL_CRON_COMPLETED] = 'true';
          suspend = true;
          this.log.info('cron workflow stopped by its stopStrategy', { cronWorkflow: k });
        }
      } catch (err) {
        upsertCondition(status, 'SpecError', `invalid stopStrategy: ${(err as Error).message}`);
      }
    }
    status.phase ??= 'Active';

    // Scheduling.
    let schedules: CronSchedule[] | undefined;
    try {
      schedules = cronSchedulesOf(cw, this.opts.defaultTimezone);
      removeCondition(status, 'SpecError');
    } catch (err) {
      upsertCondition(status, 'SpecError', (err as Error).message);
    }
    let nextAt: number | undefined;
    if (schedules) {
      const specKey = JSON.stringify([cronScheduleStrings(cw.spec), cw.spec.timezone ?? '']);
      if (st.specKey !== undefined && st.specKey !== specKey) st.handled = now;
      st.specKey = specKey;
      const last = status.lastScheduledTime ? new Date(status.lastScheduledTime) : undefined;
      let from = last ?? st.seenAt;
      if (st.handled && st.handled > from) from = st.handled;
      const due = lastActivation(schedules, from, now);
      const blocked = suspend || status.phase === 'Stopped';
      if (due) {
        st.handled = due;
        const late = now.getTime() - due.getTime();
        const deadline = (cw.spec.startingDeadlineSeconds ?? 0) * 1000;
        if (blocked) this.log.info('cron workflow suspended: tick skipped', { cronWorkflow: k, scheduledTime: rfc3339(due) });
        else if (late > Math.max(ON_TIME_MS, deadline)) this.log.info('missed a scheduled run outside startingDeadlineSeconds', { cronWorkflow: k, scheduledTime: rfc3339(due) });
        else await this.runOnce(cw, status, st, due, now);
        status.active = active();
      }
      if (!blocked) nextAt = nextOfAll(schedules, st.handled && st.handled > from ? st.handled : from)?.getTime();
    }

    // Persist.
    const patch: Record<string, unknown> = {};
    if (JSON.stringify(normalise(status)) !== JSON.stringify(normalise(before))) patch.status = normalise(status);
    if (suspend !== !!cw.spec.suspend) patch.spec = { suspend };
    if (JSON.stringify(labels) !== JSON.stringify(cw.metadata.labels ?? {})) patch.metadata = { labels: { ...labels, ...(labels[LABEL_CRON_COMPLETED] ? {} : { [LABEL_CRON_COMPLETED]: null }) } };
    if (Object.keys(patch).length) {
      try {
        await this.client.patch(Kinds.CronWorkflow, name, ns || undefined, 'merge', patch);
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
    this.setTimer(k, st, nextAt, now);
  }

  private async runOnce(cw: CronWorkflow, status: CronWorkflowStatus, st: CronState, due: Date, now: Date): Promise<void> {
    const k = cronKey(cw);
    if (cw.spec.when) {
      let ok: boolean;
      try {
        ok = evalCronWhen(cw.spec.when, cronVariables(cw, status, now));
      } catch (err) {
        upsertCondition(status, 'SubmissionError', `failed to evaluate when: ${(err as Error).message}`);
        return;
      }
      if (!ok) {
        this.log.info('when evaluated false: run skipped', { cronWorkflow: k, scheduledTime: rfc3339(due) });
        return;
      }
    }
    const active = status.active ?? [];
    const policy = cw.spec.concurrencyPolicy || 'Allow';
    if (policy === 'Forbid' && active.length) {
      this.log.info("concurrencyPolicy Forbid and a workflow is still active: run skipped", { cronWorkflow: k, scheduledTime: rfc3339(due) });
      return;
    }
    if (policy === 'Replace') {
      for (const ref of active) {
        try {
          const wf = await this.client.get<Workflow>(Kinds.Workflow, ref.name, ref.namespace);
          if (!isDone(wf) && wf.spec.shutdown !== 'Terminate') await this.client.patch(Kinds.Workflow, ref.name, ref.namespace, 'merge', { spec: { shutdown: 'Terminate' } });
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
        }
      }
    }
    const wf = cronWorkflowToWorkflow(cw, due);
    const invalid = await validationError(this.client, wf);
    if (invalid) {
      upsertCondition(status, 'SubmissionError', `Failed to submit Workflow: ${invalid}`);
      return;
    }
    let created: Workflow;
    try {
      created = await this.client.create(wf);
    } catch (err) {
      if (isApiError(err, 'AlreadyExists')) return;
      upsertCondition(status, 'SubmissionError', `Failed to submit Workflow: ${(err as Error).message}`);
      return;
    }
    this.log.info('cron workflow scheduled a run', { cronWorkflow: k, workflow: created.metadata.name, scheduledTime: rfc3339(due) });
    st.created.set(created.metadata.name!, { ref: refOf(created), at: now.getTime() });
    status.lastScheduledTime = rfc3339(due);
    removeCondition(status, 'SubmissionError');
  }

  private async enforceHistoryLimits(cw: CronWorkflow, children: Workflow[]): Promise<void> {
    const done = children.filter(isDone).sort((a, b) => (b.status?.finishedAt ?? '').localeCompare(a.status?.finishedAt ?? '') || (b.metadata.name! < a.metadata.name! ? -1 : 1));
    const succeeded = done.filter((w) => w.status?.phase === 'Succeeded');
    const failed = done.filter((w) => w.status?.phase !== 'Succeeded');
    const keepOk = cw.spec.successfulJobsHistoryLimit ?? 3;
    const keepFailed = cw.spec.failedJobsHistoryLimit ?? 1;
    for (const wf of [...succeeded.slice(Math.max(0, keepOk)), ...failed.slice(Math.max(0, keepFailed))]) {
      try {
        await this.client.delete(Kinds.Workflow, wf.metadata.name!, wf.metadata.namespace);
        this.log.info('deleted workflow: cron history limit', { cronWorkflow: cronKey(cw), workflow: wf.metadata.name });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
  }
}

function refOf(wf: Workflow): ObjectRef {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata.name!, namespace: wf.metadata.namespace, uid: wf.metadata.uid, resourceVersion: wf.metadata.resourceVersion };
}

function upsertCondition(status: CronWorkflowStatus, type: string, message: string): void {
  const conds = (status.conditions ?? []).filter((c) => c.type !== type);
  conds.push({ type, status: 'True', message });
  status.conditions = conds;
}

function removeCondition(status: CronWorkflowStatus, type: string): void {
  if (status.conditions?.some((c) => c.type === type)) status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** A stable shape for comparison and writing: active refs without resourceVersion churn. */
function normalise(s: CronWorkflowStatus): CronWorkflowStatus {
  const out: CronWorkflowStatus = {
    active: (s.active ?? []).map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, namespace: r.namespace, uid: r.uid })),
    succeeded: s.succeeded ?? 0,
    failed: s.failed ?? 0,
    phase: s.phase ?? 'Active',
    conditions: s.conditions ?? [],
  };
  if (s.lastScheduledTime) out.lastScheduledTime = s.lastScheduledTime;
  return out;
}

// Lease-based leader election, as client-go's leaderelection does it, over a `coordination.k8s.io/v1`
// Lease and optimistic concurrency (resourceVersion). Works over a Store or a Client, so over every
// backend (memory, SQLite, PostgreSQL shared by several processes) and over a remote server.
//
// A candidate takes the lease when it is free (no holder) or expired: the holder's record has not
// changed for `leaseDurationSeconds`, measured on the candidate's own clock from when it first
// observed that record (so clock skew between processes does not matter). The leader renews every
// `renewSeconds`; if it cannot renew for `renewDeadlineSeconds` (less than the lease) it stops
// leading before anyone else may start. Every write is a compare-and-swap on resourceVersion, so
// two candidates can never both win the same record.
import { ApiError } from '../model/errors.js';
import type { KObject } from '../model/object.js';
import type { Client } from '../client/types.js';
import type { Store } from './types.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  /** Name of the Lease object. */
  name: string;
  namespace: string;
  /** This candidate's identity, unique among candidates (e.g. `${hostname}_${pid}`). */
  identity: string;
  /** How long a lease stays valid without renewal. Default 15. Stored rounded up to whole seconds. */
  leaseSeconds?: number;
  /** How often the leader renews and candidates retry. Default leaseSeconds / 5. */
  renewSeconds?: number;
  /** A leader that has not renewed for this long steps down. Default leaseSeconds * 2/3. */
  renewDeadlineSeconds?: number;
  /** Clear the holder on stop() so another candidate takes over at once. Default true. */
  releaseOnStop?: boolean;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes (including to this identity). */
  onNewLeader?: (identity: string) => void;
  /** Reports errors from the store (other than conflicts), which are otherwise retried quietly. */
  onError?: (err: unknown) => void;
  /** Clock, for tests. */
  now?: () => number;
}

interface LeaseApi {
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

function isStore(x: Store | Client): x is Store {
  return typeof (x as Store).currentResourceVersion === 'function';
}

function leaseApi(target: Store | Client, namespace: string, name: string): LeaseApi {
  const missing = (err: unknown) => {
    if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
    throw err;
  };
  if (isStore(target)) {
    const info = target.kinds.forApiVersionKind(LEASE.apiVersion, LEASE.kind);
    return {
      get: () => target.get<Lease>(info, namespace, name).catch(missing),
      create: (l) => target.create(l),
      update: (l) => target.update(l),
    };
  }
  return {
    get: () => target.get<Lease>(LEASE, name, namespace).catch(missing),
    create: (l) => target.create(l),
    update: (l) => target.update(l),
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const isConflict = (err: unknown) => err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists');

export class LeaderElector {
  private readonly api: LeaseApi;
  private readonly opts: Required<Pick<LeaderElectorOptions, 'leaseSeconds' | 'renewSeconds' | 'renewDeadlineSeconds' | 'releaseOnStop'>> &
    LeaderElectorOptions;
  private readonly now: () => number;
  private running = false;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** The last record seen, and when (our clock) it was first seen. */
  private observed?: { rv: string; holder: string; at: number; lease: Lease };
  private lastRenew = 0;
  private lastLeader = '';

  constructor(target: Store | Client, opts: LeaderElectorOptions) {
    const leaseSeconds = opts.leaseSeconds ?? 15;
    const renewSeconds = opts.renewSeconds ?? leaseSeconds / 5;
    const renewDeadlineSeconds = opts.renewDeadlineSeconds ?? (leaseSeconds * 2) / 3;
    if (!(renewSeconds > 0 && renewSeconds < renewDeadlineSeconds && renewDeadlineSeconds < leaseSeconds)) {
      throw new ApiError(
        'BadRequest',
        `leader election needs 0 < renewSeconds (${renewSeconds}) < renewDeadlineSeconds (${renewDeadlineSeconds}) < leaseSeconds (${leaseSeconds})`,
      );
    }
    if (!opts.identity) throw new ApiError('BadRequest', 'leader election needs a non-empty identity');
    this.opts = { ...opts, leaseSeconds, renewSeconds, renewDeadlineSeconds, releaseOnStop: opts.releaseOnStop ?? true };
    this.now = opts.now ?? Date.now;
    this.api = leaseApi(target, opts.namespace, opts.name);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder as last observed ('' when none). */
  get leader(): string {
    return this.lastLeader;
  }

  /** Start campaigning in the background. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop campaigning; a leader steps down (and releases the lease unless `releaseOnStop` is false). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    // A round that won the lease while we were stopping still counts as holding it.
    if (this.opts.releaseOnStop && (this.leading || this.observed?.holder === this.opts.identity)) {
      await this.release().catch((err) => this.opts.onError?.(err));
    }
    this.setLeading(false);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
      } catch (err) {
        this.opts.onError?.(err);
      }
      if (!this.running) break;
      // Candidates jitter their retries so they do not collide in lockstep.
      const base = this.opts.renewSeconds * 1000;
      const delay = this.leading ? base : base * (1 + Math.random() * 0.2);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
    }
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      if (!isConflict(err)) this.opts.onError?.(err);
    }
    if (!this.running) return;
    if (ok) {
      this.lastRenew = this.now();
      if (!this.leading) this.setLeading(true);
    } else if (this.leading) {
      const holderIsOther = this.observed && this.observed.holder !== this.opts.identity;
      if (holderIsOther || this.now() - this.lastRenew > this.opts.renewDeadlineSeconds * 1000) this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) this.opts.onStartedLeading?.();
    else this.opts.onStoppedLeading?.();
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const rv = lease.metadata.resourceVersion ?? '';
    if (!this.observed || this.observed.rv !== rv) this.observed = { rv, holder, at: this.now(), lease };
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder) this.opts.onNewLeader?.(holder);
    }
  }

  /** One round: create the lease, renew ours, or take an expired or free one. True when we hold it. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const me = this.opts.identity;
    const now = this.now();
    const duration = Math.ceil(this.opts.leaseSeconds);
    const current = await this.api.get();
    if (!current) {
      const created = await this.api.create({
        apiVersion: LEASE.apiVersion,
        kind: LEASE.kind,
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: { holderIdentity: me, leaseDurationSeconds: duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      });
      this.observe(created);
      return true;
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== me;
    if (held && this.now() < this.observed!.at + (spec.leaseDurationSeconds ?? duration) * 1000) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: me,
        leaseDurationSeconds: duration,
        renewTime: microTime(now),
        acquireTime: holder === me ? spec.acquireTime ?? microTime(now) : microTime(now),
        leaseTransitions: holder === me ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    // Carries current.metadata.resourceVersion: a concurrent writer makes this a Conflict.
    const updated = await this.api.update(next);
    this.observe(updated);
    return true;
  }

  /** Give the lease up so the next candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    const current = await this.api.get();
    if (!current || current.spec?.holderIdentity !== this.opts.identity) return;
    const updated = await this.api.update({
      ...current,
      spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
    });
    this.observe(updated);
  }
}

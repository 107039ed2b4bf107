import { describe, expect, it } from 'vitest';
import { ApiError } from '../model/errors.js';
import { defaultKinds } from '../model/kinds.js';
import { type Lease, LeaderElector } from './leader.js';
import { duel, until } from './test-util.js';
import { MemoryStore } from './memory.js';
import type { Store } from './types.js';

const leases = defaultKinds.forApiVersionKind('coordination.k8s.io/v1', 'Lease');

describe('LeaderElector over MemoryStore', () => {
  it('elects exactly one leader; the other takes over only after the lease expires when the leader vanishes', async () => {
    const store = new MemoryStore();
    const d = duel(store, store, { releaseOnStop: false });
    d.a.start();
    await until(() => d.a.isLeader);
    d.b.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(d.b.isLeader).toBe(false);
    expect(d.b.leader).toBe('a');
    const lease = await store.get<Lease>(leases, 'argo', 'controller');
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await d.a.stop(); // as if the process died: the lease is left to expire
    const took = await until(() => d.b.isLeader);
    expect(took).toBeGreaterThanOrEqual(800); // not before the 1 s lease has run out (minus b's poll phase)
    expect(took).toBeLessThan(2500);
    const after = await store.get<Lease>(leases, 'argo', 'controller');
    expect(after.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await d.b.stop();
    expect(d.log).toEqual(['+a', '-a', '+b', '-b']);
    expect(d.overlap()).toBe(false);
  });

  it('hands over at once when the leader stops and releases the lease', async () => {
    const store = new MemoryStore();
    const d = duel(store, store);
    d.a.start();
    d.b.start();
    await until(() => d.a.isLeader || d.b.isLeader);
    const [leader, other] = d.a.isLeader ? [d.a, d.b] : [d.b, d.a];
    await new Promise((r) => setTimeout(r, 300));
    expect(other.isLeader).toBe(false);
    await leader.stop();
    const took = await until(() => other.isLeader);
    expect(took).toBeLessThan(600);
    await other.stop();
    expect(d.overlap()).toBe(false);
    expect((await store.get<Lease>(leases, 'argo', 'controller')).spec?.holderIdentity).toBe('');
  });

  it('a leader that cannot renew steps down before its lease could be taken', async () => {
    const store = new MemoryStore();
    let broken = false;
    // The same store, but writes from `a` fail while `broken`.
    const flaky: Store = Object.create(store, {
      update: {
        value: (obj: Lease) => (broken ? Promise.reject(new ApiError('ServiceUnavailable', 'down')) : store.update(obj)),
      },
    });
    const d = duel(flaky, store);
    d.a.start();
    await until(() => d.a.isLeader);
    d.b.start();
    broken = true;
    const t0 = Date.now();
    await until(() => !d.a.isLeader);
    const steppedDown = Date.now() - t0;
    await until(() => d.b.isLeader);
    const tookOver = Date.now() - t0;
    expect(steppedDown).toBeLessThan(tookOver);
    expect(d.overlap()).toBe(false);
    expect(d.log).toEqual(['+a', '-a', '+b']);
    broken = false;
    await d.a.stop();
    await d.b.stop();
  });

  it('refuses inconsistent timings', () => {
    expect(() => new LeaderElector(new MemoryStore(), { name: 'x', namespace: 'y', identity: 'i', leaseSeconds: 1, renewSeconds: 2 })).toThrow(/renewSeconds/);
  });
});

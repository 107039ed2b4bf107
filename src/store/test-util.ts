// Helpers shared by the store tests (excluded from the build).
import { LeaderElector, type LeaderElectorOptions } from './leader.js';
import type { Store } from './types.js';

/** Two electors on one store, with a log of who leads when; also checks that at most one leads at a time. */
export function duel(storeA: Store, storeB: Store, extra: Partial<LeaderElectorOptions> = {}) {
  const log: string[] = [];
  const leading = new Set<string>();
  let overlap = false;
  const make = (store: Store, identity: string) =>
    new LeaderElector(store, {
      name: 'controller',
      namespace: 'argo',
      identity,
      leaseSeconds: 1,
      renewSeconds: 0.1,
      onStartedLeading: () => {
        leading.add(identity);
        if (leading.size > 1) overlap = true;
        log.push(`+${identity}`);
      },
      onStoppedLeading: () => {
        leading.delete(identity);
        log.push(`-${identity}`);
      },
      ...extra,
    });
  const a = make(storeA, 'a');
  const b = make(storeB, 'b');
  return { a, b, log, leading, overlap: () => overlap };
}

export async function until(cond: () => boolean, ms = 5000): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

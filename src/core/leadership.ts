// Several cores on one PostgreSQL store, one leading: a core takes the leader lease
// (src/store/dialects/postgres/lease.ts) before it starts its modules. Until then it is a
// follower, and it starts the moment the leader's session is gone (kill -9 included),
// loading the state the leader left in the store. The leader's batch writes are fenced by
// its term (src/store/fence.ts). A leader whose lease another core took stops.
// While it waits it is a follower: it serves the API by forwarding to the leader
// (src/core/replica/follower.ts).
// A SQLite store has one core: none of this runs.
import { openStoreAt } from '../store/index.js';
import { LeaderLease } from '../store/dialects/postgres/lease.js';
import type { CoreConfig, Leadership } from './context.js';
import { advertisedAddress, holderName } from './replica/address.js';
import { startFollower, type Follower } from './replica/follower.js';

/** Waits (as a follower) until this core holds the lease; the store is migrated first. */
export async function awaitLeadership(config: CoreConfig, token: string, log: (line: string) => void): Promise<Leadership> {
  if (config.store.dialect !== 'postgres') throw new Error('leadership needs a PostgreSQL store');
  const url = config.store.url;
  // the lease's table must exist before the first try
  const store = await openStoreAt(config.store);
  const holder = holderName(advertisedAddress(config.listen, config.advertise));
  const lease = new LeaderLease(url, holder, { intervalMs: 500 }).start();
  const elected = new Promise<number>((resolve) => lease.once('elected', resolve));
  let follower: Follower | undefined;
  const first = await Promise.race([elected, new Promise<undefined>((r) => setTimeout(r, 1500, undefined))]);
  if (first === undefined) {
    log(`follower: another core holds the leader lease; this one (${holder}) forwards to it and leads when it is released`);
    try {
      follower = await startFollower(store, { config, token, holder, log });
    } catch (e) {
      await lease.stop();
      await store.close();
      throw e;
    }
    await elected;
  }
  log(`leader: term ${lease.term} (${holder})`);
  let released = false;
  const releasePort = async () => {
    if (released) return;
    released = true;
    await follower?.close();
    await store.close();
  };
  return {
    lease,
    holder,
    releasePort,
    fenceWith(store, onLost) {
      store.fence.enabled = true;
      store.fence.term = lease.term;
      let last = lease.term;
      lease.on('deposed', (why) => {
        // fenced writes fail (503) until the lease is back, or for good if another core took it
        store.fence.term = undefined;
        log(`leader lease lost: ${why}`);
      });
      lease.on('elected', (term) => {
        // the same core again after a PostgreSQL restart: nobody led in between, memory is current
        if (last !== undefined && term !== last + 1) return onLost(`term ${term} follows ${last}: another core led meanwhile`);
        last = term;
        store.fence.term = term;
        log(`leader again: term ${term}`);
      });
      lease.on('taken', () => onLost('another core holds the leader lease'));
    },
    async stop() {
      await releasePort();
      await lease.stop();
    },
  };
}

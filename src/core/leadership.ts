// Several cores on one PostgreSQL store, active/standby: a core takes the leader lease
// (src/store/dialects/postgres/lease.ts) before it starts its modules. Until then it is a
// standby: its address answers 503 (a load balancer's health check sends traffic to the
// leader only), and it starts the moment the leader's session is gone (kill -9 included),
// loading the state the leader left in the store. The leader's batch writes are fenced by
// its term (src/store/fence.ts). A leader whose lease another core took stops.
// A SQLite store has one core: none of this runs.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { openStoreAt } from '../store/index.js';
import { LeaderLease } from '../store/dialects/postgres/lease.js';
import { errorBody } from '../shared/http-errors.js';
import type { CoreConfig, Leadership } from './context.js';

/** Serves 503 on the core's address while it waits (plain HTTP only; with TLS it just waits). */
async function standbyServer(config: CoreConfig, holder: string): Promise<Server | undefined> {
  if (config.tls || config.listen.port === 0) return undefined;
  const body = JSON.stringify(
    errorBody('OSMO_UNAVAILABLE', `standby: this core (${holder}) waits for the leader lease; send requests to the leading core`),
  );
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  return server;
}

/** Waits (as a standby) until this core holds the lease; the store is migrated first. */
export async function awaitLeadership(config: CoreConfig, log: (line: string) => void): Promise<Leadership> {
  if (config.store.dialect !== 'postgres') throw new Error('leadership needs a PostgreSQL store');
  const url = config.store.url;
  // the lease's table must exist before the first try
  await (await openStoreAt(config.store)).close();
  const holder = `${hostname()}:${process.pid}@${config.listen.host}:${config.listen.port}`;
  const lease = new LeaderLease(url, holder, { intervalMs: 500 }).start();
  const elected = new Promise<number>((resolve) => lease.once('elected', resolve));
  let standby: Server | undefined;
  const first = await Promise.race([elected, new Promise<undefined>((r) => setTimeout(r, 1500, undefined))]);
  if (first === undefined) {
    log(`standby: another core holds the leader lease; this one (${holder}) starts when it is released`);
    try {
      standby = await standbyServer(config, holder);
    } catch (e) {
      await lease.stop();
      throw e;
    }
    await elected;
    const s = standby;
    if (s) {
      const closed = new Promise<void>((r) => s.close(() => r()));
      s.closeAllConnections();
      await closed;
    }
  }
  log(`leader: term ${lease.term} (${holder})`);
  return {
    lease,
    holder,
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
    stop: () => lease.stop(),
  };
}

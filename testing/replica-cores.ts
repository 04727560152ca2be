// Several cores on one private PostgreSQL and one nats-server, as the failover and cluster
// benches set them up (docs/production.md "Several cores"): the engines, each core's argv,
// the files a second core needs from the first, and which role a core plays now.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNats, type NatsCluster } from './nats.js';
import { startPostgres, type TestPostgres } from './pg.js';

export interface PgNats {
  /** postgres:// URL of a fresh database */
  store: string;
  nats: NatsCluster;
  pg: TestPostgres;
  stop(): Promise<void>;
}

/** A private PostgreSQL (one fresh database `db`) and one nats-server with JetStream. */
export async function startPgNats(db: string): Promise<PgNats> {
  const [pg, nats] = await Promise.all([startPostgres(), startNats(1)]);
  const store = await pg.database(db);
  return {
    store,
    nats,
    pg,
    async stop() {
      await nats.stop();
      await pg.stop();
    },
  };
}

/** `osmo core` arguments for one core of the cluster on 127.0.0.1:port (plain HTTP on loopback). */
export function replicaCoreArgs(o: { port: number; dataDir: string; store: string; bus: string }): string[] {
  return ['core', '--listen', `127.0.0.1:${o.port}`, '--data-dir', o.dataDir, '--store', o.store, '--bus', o.bus];
}

/** What a core joining a cluster needs from a running one: the join token and the command key. */
export function copyClusterSecrets(fromDir: string, toDir: string): void {
  for (const f of ['join-token', 'command-key']) copyFileSync(join(fromDir, f), join(toDir, f));
}

/** "leader", "follower" (its answer came through it from the leader) or undefined (no answer). */
export async function coreRole(url: string): Promise<'leader' | 'follower' | undefined> {
  try {
    const r = await fetch(`${url}/healthz`);
    await r.arrayBuffer();
    if (r.status !== 200) return undefined;
    return r.headers.get('x-osmo-via')?.startsWith('follower ') ? 'follower' : 'leader';
  } catch {
    return undefined;
  }
}

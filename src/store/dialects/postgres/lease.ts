// Leader election among cores sharing one PostgreSQL: a session advisory lock on a
// connection of its own (not the pool's: the lock lives exactly as long as that session, and
// PostgreSQL drops it the moment the holder's process dies or its connection is cut). The
// winner bumps the term in `core_leader`; its writes are fenced by that term (../../fence.ts).
// The core uses it when its store is PostgreSQL (src/core/leadership.ts).
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema.js';

/** The advisory lock key of the leader lease (the migration lock uses another). */
const LEADER_LOCK = 0x6f736d6c; // "osml"

export interface LeaseOptions {
  /** how often a follower tries the lock and a leader checks its session (ms, default 1000) */
  intervalMs?: number;
}

export interface LeaseEvents {
  elected: [term: number];
  deposed: [reason: string];
  /** after leading, the lock is found held by another holder: this one will not lead again soon */
  taken: [];
}

export class LeaderLease extends EventEmitter<LeaseEvents> {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy = false;
  /** the term this holder leads, while it leads */
  term: number | undefined;
  /** rounds done (tried the lock or checked the session) */
  rounds = 0;
  private led = false;

  constructor(
    private readonly url: string,
    readonly holder: string,
    private readonly opts: LeaseOptions = {},
  ) {
    super();
  }

  start(): this {
    const tick = () => {
      if (this.stopped) return;
      void this.round().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000);
      });
    };
    tick();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (this.term !== undefined) this.lose('stopped');
    // closing the session releases the lock at once: a successor need not wait for a timeout
    await c?.end().catch(() => undefined);
  }

  private lose(reason: string): void {
    const was = this.term;
    this.term = undefined;
    if (was !== undefined) this.emit('deposed', reason);
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, application_name: `osmo-lease:${this.holder}` });
    // a cut session means the lock is gone: stop leading at once, reconnect on the next round
    const drop = (why: string) => {
      if (this.client === c) this.client = undefined;
      this.lose(why);
      void c.end().catch(() => undefined);
    };
    c.on('error', (e) => drop(`lease connection lost: ${e.message}`));
    c.on('end', () => drop('lease connection ended'));
    await c.connect();
    return c;
  }

  private async round(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.client ??= await this.connect();
      const c = this.client;
      if (this.term !== undefined) {
        // still our session, so still our lock
        await c.query('select 1');
        return;
      }
      const got = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [LEADER_LOCK]);
      if (!got.rows[0]?.ok) {
        if (this.led) {
          this.led = false;
          this.emit('taken');
        }
        return;
      }
      const r = await c.query<{ term: string }>(
        `insert into core_leader (id, term, holder, since) values (1, 1, $1, $2)
         on conflict (id) do update set term = core_leader.term + 1, holder = excluded.holder, since = excluded.since
         returning term`,
        [this.holder, Date.now()],
      );
      this.term = Number(r.rows[0]!.term);
      this.led = true;
      this.emit('elected', this.term);
    } catch (e) {
      const c = this.client;
      this.client = undefined;
      this.lose(`lease check failed: ${(e as Error).message}`);
      await c?.end().catch(() => undefined);
    } finally {
      this.rounds++;
      this.busy = false;
    }
  }
}

/** Who holds or waits for the lease now (every holder keeps a session named after itself), and the term. */
export async function leaseMembers(db: Kysely<Database>): Promise<LeaseMembers> {
  const a = await sql<{ name: string }>`select application_name as name from pg_stat_activity
      where datname = current_database() and application_name like 'osmo-lease:%' order by 1`.execute(db);
  const row = await db.selectFrom('core_leader').select(['holder', 'term', 'since']).where('id', '=', 1).executeTakeFirst();
  return {
    holders: a.rows.map((r) => r.name.slice('osmo-lease:'.length)),
    leader: row ? { holder: row.holder, term: Number(row.term), since: Number(row.since) } : null,
  };
}

export interface LeaseMembers {
  holders: string[];
  leader: { holder: string; term: number; since: number } | null;
}

// The SLA manager (WS-Agreement, after the Atos SLA core): its tables migrate themselves, its
// service measures the MELs its terms are bound to (state, the metrics store) and acts on
// violations through the MEL service and the policy engine; its routes serve /sla-service/.
import type { Kysely } from 'kysely';
import { DEFAULT_POLL_MS } from '../../sla/index.js';
import { SlaRepo, type SlaDatabase } from '../../store/repos/sla.js';
import { migrateSla } from '../../store/sla-migrations.js';
import { defineModule } from '../module.js';
import slaRoutes from './routes.js';
import { SlaService } from './service.js';

/** The poll interval of enforcement jobs: OSMO_SLA_POLL_MS, 10 s by default. */
export function slaPollMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.OSMO_SLA_POLL_MS ?? DEFAULT_POLL_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_POLL_MS;
}

export const sla = defineModule({
  name: 'sla',
  deps: ['store', 'state', 'events', 'mels', 'engine', 'plans'],
  leaderOnly: true,
  auth: 'client', // /sla-service/…, the Atos SLA core's API
  async start({ store, state, events, mels, engine, plans }) {
    await migrateSla(store.db as unknown as Kysely<unknown>);
    const svc = new SlaService(
      new SlaRepo(store.db as unknown as Kysely<SlaDatabase>),
      { pollMs: slaPollMs(), now: Date.now },
      { store, state, events, mels, engine, plans },
    );
    svc.start();
    return { service: svc, routes: slaRoutes(svc), stop: () => svc.stop() };
  },
});

// GET /healthz: up, with counts (public: load balancers and probes send no token).
// GET /api/v1/system/cores: the cores on this store (several on PostgreSQL) and the leader.
import { CoreHealth, CoresView } from '../../model/index.js';
import { leaseMembers } from '../../store/dialects/postgres/lease.js';
import { VERSION } from '../../shared/version.js';
import type { CoreRoutes } from '../module.js';

const systemRoutes: CoreRoutes<'state' | 'store'> = async (app, { ctx }) => {
  app.get(
    '/api/v1/system/cores',
    { schema: { tags: ['system'], summary: 'the cores sharing this store and which one leads', response: { 200: CoresView } } },
    async (): Promise<CoresView> => {
      const lead = ctx.leadership;
      if (!lead) return { store: 'sqlite', self: 'this core', leader: null, cores: [{ holder: 'this core', leader: true }] };
      const m = await leaseMembers(ctx.store.db);
      return {
        store: 'postgres',
        self: lead.holder,
        leader: m.leader,
        cores: m.holders.map((holder) => ({ holder, leader: holder === m.leader?.holder })),
      };
    },
  );

  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['system'], response: { 200: CoreHealth } } }, async () => ({
    status: 'ok' as const,
    version: VERSION,
    nodes: ctx.state.nodes.size,
    mels: ctx.state.mels.size,
  }));
};

export default systemRoutes;

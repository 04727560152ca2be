// GET /healthz: up, with counts (public: load balancers and probes send no token).
// GET /api/v1/system/cores: the cores on this store (several on PostgreSQL) and the leader.
// GET /api/v1/system/ca: the core's own CA certificate (public: an agent fetches it before it
// trusts anything, and believes it only if its SHA-256 is the one its join token carries).
import { CoreHealth, CoresView, ErrorBody } from '../../model/index.js';
import { notFound } from '../../shared/errors.js';
import { leaseMembers } from '../../store/dialects/postgres/lease.js';
import { VERSION } from '../../shared/version.js';
import type { CoreRoutes } from '../module.js';
import { renderedAs } from '../http/statuses.js';

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

  app.get(
    '/api/v1/system/ca',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['system'],
        summary: "the core's own CA certificate (PEM); 404 when the core has none (plain HTTP, or --tls-cert)",
        response: { 200: renderedAs('the CA certificate, PEM', ['application/x-pem-file']), 404: ErrorBody },
      },
    },
    async (_req, reply) => {
      const ca = ctx.config.ca;
      if (!ca) throw notFound('this core has no CA of its own (it serves plain HTTP, or the certificate given with --tls-cert)');
      return reply.type('application/x-pem-file').send(ca.pem);
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

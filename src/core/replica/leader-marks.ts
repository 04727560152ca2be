// The leader's side of the x-osmo-via mark (client/via.ts): its answers say they come from
// the leader and where it is, so a client given several cores that reached it through a
// follower moves here; and the requests that arrive forwarded are counted by route, so an
// operator sees how much of the leader's work reaches it twice over (each one cost a
// follower too).
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import { leaderVia, VIA } from '../../client/via.js';
import { holderUrl } from './address.js';

export function installLeaderMarks(
  app: FastifyInstance,
  o: { holder: string; scheme: 'http' | 'https'; forwarded: Counter<'route'> },
): void {
  const mark = leaderVia(holderUrl(o.holder, o.scheme) ?? o.holder);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header(VIA, mark);
    if (req.headers[VIA] !== undefined) o.forwarded.inc({ route: req.routeOptions.url ?? 'unmatched' });
  });
}

// GET /api/v1/events: the event log as server-sent events (history from ?since= or
// Last-Event-ID, then live), or as JSON with ?follow=false. Samples are live-only and
// only sent when asked for with ?type=sample (they would drown everything else).
import { z } from 'zod';
import { OsmoEvent } from '../../bus/events.js';
import { invalid } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';

const Query = z
  .object({
    type: z
      .string()
      .regex(/^[a-z-]+(,[a-z-]+)*$/, 'type: comma-separated event types, e.g. node,placement')
      .optional(),
    node: z.string().min(1).optional(),
    since: z.string().optional().describe('ms since epoch or an ISO date: replay history from then'),
    follow: z.enum(['true', 'false']).default('true'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

function parseSince(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw invalid(`querystring.since: "${s}" is neither ms since epoch nor a date`);
  return n;
}

const eventRoutes: CoreRoutes<'events' | 'store'> = async (app, { ctx }) => {
  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'event stream (text/event-stream, the default: it never ends), or JSON history with follow=false',
        querystring: Query,
        response: {
          200: {
            description: 'follow=true (the default): server-sent events, history first and then live; follow=false: the history as JSON',
            content: {
              'text/event-stream': {
                schema: z
                  .string()
                  .describe(
                    'server-sent events: "id: <n>", "event: <type>", "data: <one event as JSON>" per event; ": ping" comments every 15 s',
                  ),
              },
              'application/json': { schema: z.object({ events: z.array(OsmoEvent) }) },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const types = q.type?.split(',');
      const sinceTs = parseSince(q.since);
      const lastId = Number(req.headers['last-event-id']);
      const match = (e: OsmoEvent) =>
        (!types || types.includes(e.type)) &&
        (!q.node || e.node === q.node) &&
        (types?.includes(e.type) || (e.type !== 'sample' && e.type !== 'probe' && e.type !== 'sensor'));
      const history =
        sinceTs !== undefined || Number.isFinite(lastId) || q.follow === 'false'
          ? await ctx.events.history({
              ...(sinceTs !== undefined ? { sinceTs } : {}),
              ...(Number.isFinite(lastId) ? { afterId: lastId } : {}),
              ...(types ? { types } : {}),
              ...(q.node ? { node: q.node } : {}),
              limit: q.limit,
            })
          : [];
      if (q.follow === 'false') return { events: history };

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (e: OsmoEvent) => {
        res.write(`${e.id > 0 ? `id: ${e.id}\n` : ''}event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      res.write(': osmo events\n\n');
      let lastSent = 0;
      for (const e of history) {
        send(e);
        lastSent = e.id;
      }
      const off = ctx.events.live.subscribe('*', (e) => {
        if (e.id > 0 && e.id <= lastSent) return;
        if (match(e)) send(e);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      req.raw.on('close', () => {
        off();
        clearInterval(ping);
      });
    },
  );
};

export default eventRoutes;

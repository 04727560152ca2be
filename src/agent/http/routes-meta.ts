// GET /api/v1 (who am I), /healthz, /metrics and the server-sent event stream.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServerResponse } from 'node:http';
import { VERSION } from '../../shared/version.js';
import type { AgentContext } from './context.js';
import { EventsQuery, HealthResponse, WhoAmIResponse } from './schemas.js';

const KEEPALIVE_MS = 15_000;

export function metaRoutes(ctx: AgentContext, streams: Set<ServerResponse>): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1', { schema: { response: { 200: WhoAmIResponse } } }, async () => ({
      response: true as const,
      status: 200 as const,
      comment: 'osmo agent: the Osmotic Agent API (deploy, monitor) of an osmotic computing node',
      node: ctx.nodeId,
      version: VERSION,
      layer: ctx.layer,
      domain: ctx.domain,
      driver: ctx.driver,
    }));

    app.get('/healthz', { config: { auth: 'public' }, schema: { response: { 200: HealthResponse } } }, async () => ({
      status: 'ok' as const,
      node: ctx.nodeId,
    }));

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus text format',
          response: { 200: { description: 'the agent metrics', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      async (_req, reply) => {
        const text = await ctx.metrics.text();
        return reply.type(ctx.metrics.contentType).send(text);
      },
    );

    // SSE: one "event: <type>" per agent event, id = seq, optional ?type=sample,instance filter.
    app.get(
      '/api/v1/events',
      {
        schema: {
          summary: 'server-sent events of this node (it never ends)',
          querystring: EventsQuery,
          response: {
            200: {
              description: 'one "id: <seq>", "event: <type>", "data: <the event as JSON>" per event; ": keep-alive" comments every 15 s',
              content: { 'text/event-stream': { schema: z.string() } },
            },
          },
        },
      },
      (req, reply) => {
        const types = req.query.type ? new Set<string>(req.query.type) : undefined;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(`: osmo agent ${ctx.nodeId} events\n\n`);
        streams.add(res);
        const off = ctx.producer.onEvent((e) => {
          if (types && !types.has(e.type)) return;
          res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        });
        const ka = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
        ka.unref();
        const done = () => {
          off();
          clearInterval(ka);
          streams.delete(res);
        };
        req.raw.on('close', done);
        res.on('close', done);
        // a client gone mid-write must never become an unhandled 'error' event (a crash)
        res.on('error', done);
      },
    );
  };
}

// GET /api/v1/sensors/{id}/stream: a started sensor's published values as server-sent
// events (the `stream` publisher's face, and what `osmo sensor tail` reads). Every value
// any of the sensor's publishers delivers is sent, tagged with the publisher and channel.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SENSOR_ID } from '../../monitoring/index.js';
import { notFound } from '../../shared/errors.js';
import { ErrorBody } from '../../model/index.js';
import { renderedAs } from '../http/statuses.js';
import type { SensorDeployer } from './deploy.js';
import type { OcciService } from './service.js';

const Params = z.object({ id: z.string().min(1).max(200) });
const Query = z.object({ publisher: z.string().max(50).optional().describe('only the values of this publisher, e.g. stream') }).strict();

export function sensorStreamRoutes(svc: OcciService, deployer: SensorDeployer): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/sensors/:id/stream',
      {
        schema: {
          tags: ['occi'],
          summary: "a sensor's published values (text/event-stream, event `value`)",
          params: Params,
          querystring: Query,
          response: { 200: renderedAs('server-sent events, `value` each (it never ends)', ['text/event-stream']), 404: ErrorBody },
        },
      },
      async (req, reply) => {
        const loc = `${svc.reg.kind(SENSOR_ID)!.location!}${req.params.id}`;
        if (!svc.get(loc)) throw notFound(`no sensor ${req.params.id}`);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
        res.write(`: osmo sensor ${req.params.id}\n\n`);
        const only = req.query.publisher;
        const off = deployer.live.subscribe(req.params.id, (v) => {
          if (!only || v.publisher === only) res.write(`event: value\ndata: ${JSON.stringify(v)}\n\n`);
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
}

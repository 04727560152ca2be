// GET /api/v1/metrics: stored samples, bucketed by step (raw within the last hour,
// 1-minute averages beyond). GET /metrics: the core's own metrics, Prometheus text format.
import { z } from 'zod';
import { ErrorBody, MetricName } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';
import { renderedAs } from '../http/statuses.js';
import { querySeries } from './service.js';

const Point = z.object({ ts: z.number(), avg: z.number(), min: z.number(), max: z.number(), n: z.number() });
const Series = z.object({
  node: z.string(),
  target: z.string(),
  metric: z.string(),
  field: z.string(),
  unit: z.string(),
  points: z.array(Point),
});

const Query = z
  .object({
    node: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
    metric: MetricName.optional(),
    field: z.string().min(1).optional(),
    from: z.coerce.number().int().nonnegative().optional().describe('ms since epoch; default: an hour ago'),
    to: z.coerce.number().int().nonnegative().optional().describe('ms since epoch; default: now'),
    step: z.coerce.number().int().min(1000).max(86_400_000).optional().describe('bucket width, ms; default: about 300 points'),
  })
  .strict();

const metricRoutes: CoreRoutes<'metrics' | 'store'> = async (app, { ctx }) => {
  app.get(
    '/api/v1/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'time series of stored samples',
        querystring: Query,
        response: { 200: z.object({ from: z.number(), to: z.number(), step: z.number(), series: z.array(Series) }), 400: ErrorBody },
      },
    },
    async (req) => querySeries(ctx.store, req.query),
  );

  app.get(
    '/metrics',
    { schema: { tags: ['system'], summary: 'Prometheus text format', response: { 200: renderedAs('the metrics', ['text/plain']) } } },
    async (_req, reply) => {
      reply.header('content-type', ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );
};

export default metricRoutes;

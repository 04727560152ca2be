// GET /api/v1/metrics: stored samples, bucketed by step (raw within the last hour,
// 1-minute averages beyond).
import { z } from 'zod';
import { invalid } from '../../shared/errors.js';
import { ErrorBody } from '../model.js';
import type { CoreRoutes } from './plugin.js';

const Point = z.object({ ts: z.number(), avg: z.number(), min: z.number(), max: z.number(), n: z.number() });
const Series = z.object({ node: z.string(), target: z.string(), metric: z.string(), field: z.string(), unit: z.string(), points: z.array(Point) });

const Query = z
  .object({
    node: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
    metric: z.enum(['cpu', 'mem', 'net', 'disk']).optional(),
    field: z.string().min(1).optional(),
    from: z.coerce.number().int().nonnegative().optional().describe('ms since epoch; default: an hour ago'),
    to: z.coerce.number().int().nonnegative().optional().describe('ms since epoch; default: now'),
    step: z.coerce.number().int().min(1000).max(86_400_000).optional().describe('bucket width, ms; default: about 300 points'),
  })
  .strict();

export const RAW_RETENTION_MS = 3_600_000;

const metricRoutes: CoreRoutes = async (app, { ctx }) => {
  app.get('/api/v1/metrics', { schema: { tags: ['metrics'], summary: 'time series of stored samples', querystring: Query, response: { 200: z.object({ from: z.number(), to: z.number(), step: z.number(), series: z.array(Series) }), 400: ErrorBody } } }, async (req) => {
    const now = Date.now();
    const to = req.query.to ?? now;
    const from = req.query.from ?? to - 3_600_000;
    if (from >= to) throw invalid(`querystring.from (${from}) must be before to (${to})`);
    const step = req.query.step ?? Math.max(1000, Math.ceil((to - from) / 300 / 1000) * 1000);
    const points = await ctx.store.samples.query({ ...req.query, from, to, step }, now - RAW_RETENTION_MS);
    const series = new Map<string, z.infer<typeof Series>>();
    for (const p of points) {
      const key = `${p.node}\u0000${p.target}\u0000${p.metric}\u0000${p.field}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { node: p.node, target: p.target, metric: p.metric, field: p.field, unit: p.unit, points: [] }));
      s.points.push({ ts: p.ts, avg: p.avg, min: p.min, max: p.max, n: p.n });
    }
    return { from, to, step, series: [...series.values()] };
  });
};

export default metricRoutes;

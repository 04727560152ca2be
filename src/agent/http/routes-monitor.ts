// PUT / DELETE /api/v1/monitor/<option> (the seed) and GET /api/v1/monitor.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../shared/errors.js';
import { ErrorBody } from '../../model/errors.js';
import type { AgentContext } from './context.js';
import {
  MONITOR_OPTIONS,
  MonitorStartBody,
  MonitorStartResponse,
  MonitorStopBody,
  MonitorsResponse,
  OkResponse,
  ProbeBody,
  ProbeParams,
  ProbesResponse,
} from './schemas.js';

const Params = z.object({ option: z.string().max(64) });

function metricOf(option: string) {
  const m = MONITOR_OPTIONS[option.toLowerCase()];
  if (!m) throw notFound(`unknown monitor option "${option.slice(0, 64)}": use cpu, mem (memory), net (network) or disk`);
  return m;
}

export function monitorRoutes(ctx: AgentContext): FastifyPluginAsyncZod {
  return async (app) => {
    // the option is checked before the body, so an unknown option is 404 whatever the body
    const optionFirst = async (req: { params: unknown }) => {
      const o = (req.params as { option?: unknown }).option;
      metricOf(typeof o === 'string' ? o : '');
    };

    app.put(
      '/api/v1/monitor/:option',
      {
        preValidation: optionFirst,
        schema: { params: Params, body: MonitorStartBody, response: { 200: MonitorStartResponse, 404: ErrorBody } },
      },
      async (req) => {
        const metric = metricOf(req.params.option);
        const action = await ctx.monitors.start(metric, req.body.source, req.body.time, req.body.holder);
        return {
          response: true as const,
          status: 200 as const,
          monitor: { metric, source: req.body.source, period: req.body.time, action },
        };
      },
    );

    app.delete(
      '/api/v1/monitor/:option',
      { preValidation: optionFirst, schema: { params: Params, body: MonitorStopBody, response: { 200: OkResponse, 404: ErrorBody } } },
      async (req) => {
        ctx.monitors.stop(metricOf(req.params.option), req.body.source, req.body.holder || undefined);
        return { response: true as const, status: 200 as const };
      },
    );

    // beyond the seed: probes the agent runs next to the target (OCCI http-probe, tcp-reachable)
    app.put('/api/v1/probe/:id', { schema: { params: ProbeParams, body: ProbeBody, response: { 200: OkResponse } } }, async (req) => {
      ctx.probes.put(req.params.id, req.body);
      return { response: true as const, status: 200 as const };
    });
    app.delete('/api/v1/probe/:id', { schema: { params: ProbeParams, response: { 200: OkResponse, 404: ErrorBody } } }, async (req) => {
      ctx.probes.stop(req.params.id);
      return { response: true as const, status: 200 as const };
    });
    app.get('/api/v1/probe', { schema: { response: { 200: ProbesResponse } } }, async () => ({
      response: true as const,
      status: 200 as const,
      probes: ctx.probes.list(),
    }));

    app.get('/api/v1/monitor', { schema: { response: { 200: MonitorsResponse } } }, async () => ({
      response: true as const,
      status: 200 as const,
      monitors: ctx.monitors.list(),
    }));
  };
}

// Beyond the seed: edge sensors, OCCI sensors whose pipe the core placed next to their target
// (`osmo.sensor.placement=edge`). PUT runs one (a child process), DELETE stops it, GET lists.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EdgeSensorSpec } from '../../sensors/edge-protocol.js';
import { invalid, notFound } from '../../shared/errors.js';
import { ErrorBody } from '../../model/errors.js';
import type { AgentContext } from './context.js';
import { OkResponse, SensorPutResponse, SensorsResponse } from './schemas.js';

const Params = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'sensor ids are letters, digits, ".", "_", ":" and "-"'),
});

export function sensorRoutes(ctx: AgentContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.put(
      '/api/v1/sensor/:id',
      { schema: { params: Params, body: EdgeSensorSpec, response: { 200: SensorPutResponse } } },
      async (req) => {
        if (req.body.sensor.id !== req.params.id) throw invalid(`sensor.id "${req.body.sensor.id}" is not the path's "${req.params.id}"`);
        return { response: true as const, status: 200 as const, sensor: ctx.sensors.put(req.params.id, req.body) };
      },
    );
    app.delete('/api/v1/sensor/:id', { schema: { params: Params, response: { 200: OkResponse, 404: ErrorBody } } }, async (req) => {
      if (!ctx.sensors.delete(req.params.id)) throw notFound(`no edge sensor "${req.params.id}" on this node`);
      return { response: true as const, status: 200 as const };
    });
    app.get('/api/v1/sensor', { schema: { response: { 200: SensorsResponse } } }, async () => ({
      response: true as const,
      status: 200 as const,
      sensors: ctx.sensors.list(),
    }));
  };
}

import { z } from 'zod';
import { ErrorBody, MelBody, MelName, MelSpec, MelView, OkBody } from '../../model/index.js';
import { ScaleBody } from './schema.js';
import { invalid } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';

const Name = z.object({ name: MelName });

const melRoutes: CoreRoutes<'mels'> = async (app, { ctx }) => {
  const tags = ['mels'];
  app.get(
    '/api/v1/mels',
    { schema: { tags, summary: 'all MELs with a status summary', response: { 200: z.object({ mels: z.array(MelView) }) } } },
    async () => ({ mels: ctx.mels.list() }),
  );

  app.post(
    '/api/v1/mels',
    {
      schema: {
        tags,
        summary: 'create a MEL (409 if the name exists)',
        body: MelSpec,
        response: { 201: MelView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      reply.status(201);
      return ctx.mels.create(req.body);
    },
  );

  app.get('/api/v1/mels/:name', { schema: { tags, params: Name, response: { 200: MelView, 404: ErrorBody } } }, async (req) =>
    ctx.mels.get(req.params.name),
  );

  app.put(
    '/api/v1/mels/:name',
    {
      schema: {
        tags,
        summary: 'create or replace; a changed template (image, command, ports, ...) replaces running instances',
        params: Name,
        body: MelBody.extend({ name: MelName.optional() }),
        response: { 200: MelView, 201: MelView, 400: ErrorBody },
      },
    },
    async (req, reply) => {
      const { name, ...body } = req.body;
      if (name !== undefined && name !== req.params.name)
        throw invalid(`body.name: "${name}" differs from the path's "${req.params.name}"`);
      const { view, created } = await ctx.mels.put(req.params.name, body);
      reply.status(created ? 201 : 200);
      return view;
    },
  );

  app.delete(
    '/api/v1/mels/:name',
    { schema: { tags, summary: 'delete a MEL; its instances are stopped', params: Name, response: { 200: OkBody, 404: ErrorBody } } },
    async (req) => {
      await ctx.mels.remove(req.params.name);
      return { response: true as const, status: 200 };
    },
  );

  app.post(
    '/api/v1/mels/:name/scale',
    {
      schema: {
        tags,
        summary: 'set the replica count',
        params: Name,
        body: ScaleBody,
        response: { 200: MelView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => ctx.mels.scale(req.params.name, req.body.replicas),
  );
};

export default melRoutes;

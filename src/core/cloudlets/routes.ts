// /api/v1/services (the cloudlet catalog) and /api/v1/apps (the app repository). Reads are
// client routes (read-only tokens may list), writes admin; the agent-protocol routes a
// cloudlet agent reads the catalog through are in routes-agent.ts.
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { AppView, ErrorBody, OkBody, parseTags, ServiceBody, ServiceId, ServiceSpec, ServiceView } from '../../model/index.js';
import { invalid } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';
import { renderedAs } from '../http/statuses.js';
import { MAX_APP_BYTES, type Upload } from './catalog.js';

const Id = z.object({ id: ServiceId });
const AppId = z.object({ id: z.string().min(1).max(64) });
const AppQuery = z
  .object({
    name: z.string().optional(),
    serviceId: z.string().optional(),
    description: z.string().optional(),
    packageName: z.string().optional(),
    appVersion: z.string().optional(),
    minAndroidVersion: z.string().optional(),
    tags: z.string().optional(),
    fileName: z.string().optional(),
  })
  .strict();

/** Text fields (multipart fields or query parameters) → the AppFields shape zod then judges. */
export function appFieldsOf(raw: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (k === 'tags') out.tags = parseTags(v);
    else if (k === 'minAndroidVersion') out.minAndroidVersion = /^\d+$/.test(v) ? Number(v) : v;
    else out[k] = v;
  }
  return out;
}

const catalogRoutes: CoreRoutes<'cloudlets'> = async (app, { ctx }) => {
  const c = ctx.cloudlets.catalog;
  const tags = ['cloudlets'];
  await app.register(multipart, { limits: { fileSize: MAX_APP_BYTES, files: 1, fields: 32, fieldSize: 8192, parts: 40 } });
  // the raw-body upload: handed on as a stream, counted and hashed by the catalog
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.get(
    '/api/v1/services',
    {
      config: { auth: 'client' },
      schema: { tags, summary: 'the cloudlet catalog', response: { 200: z.object({ services: z.array(ServiceView) }) } },
    },
    async () => ({ services: await c.services() }),
  );
  app.get(
    '/api/v1/services/:id',
    { config: { auth: 'client' }, schema: { tags, params: Id, response: { 200: ServiceView, 404: ErrorBody } } },
    async (req) => c.service(req.params.id),
  );
  app.post(
    '/api/v1/services',
    {
      schema: {
        tags,
        summary: 'add a service (409 if the id exists)',
        body: ServiceSpec,
        response: { 201: ServiceView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      reply.status(201);
      return c.create(req.body);
    },
  );
  app.put(
    '/api/v1/services/:id',
    {
      schema: {
        tags,
        summary: 'create or replace a service',
        params: Id,
        body: ServiceBody.extend({ id: ServiceId.optional() }),
        response: { 200: ServiceView, 201: ServiceView, 400: ErrorBody },
      },
    },
    async (req, reply) => {
      const { id, ...body } = req.body;
      if (id !== undefined && id !== req.params.id) throw invalid(`body.id: "${id}" differs from the path's "${req.params.id}"`);
      const { view, created } = await c.put(req.params.id, body);
      reply.status(created ? 201 : 200);
      return view;
    },
  );
  app.delete(
    '/api/v1/services/:id',
    { schema: { tags, summary: 'remove a service from the catalog', params: Id, response: { 200: OkBody, 404: ErrorBody } } },
    async (req) => {
      await c.remove(req.params.id);
      return { response: true as const, status: 200 };
    },
  );

  app.get(
    '/api/v1/apps',
    {
      config: { auth: 'client' },
      schema: {
        tags,
        summary: 'the app repository; ?tags=a,b keeps the apps carrying every tag',
        querystring: z.object({ tags: z.string().max(4096).optional() }),
        response: { 200: z.object({ apps: z.array(AppView) }) },
      },
    },
    async (req) => ({ apps: await c.apps(parseTags(req.query.tags)) }),
  );
  app.get(
    '/api/v1/apps/:id',
    { config: { auth: 'client' }, schema: { tags, params: AppId, response: { 200: AppView, 404: ErrorBody } } },
    async (req) => c.app(req.params.id),
  );
  app.get(
    '/api/v1/apps/:id/file',
    {
      config: { auth: 'client' },
      schema: {
        tags,
        summary: 'the app file (Content-Disposition: attachment; X-Md5 header)',
        params: AppId,
        response: { 200: renderedAs('the file', ['application/octet-stream']), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const { app: a } = await c.appFile(req.params.id);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${a.fileName}"`)
        .header('content-length', String(a.size))
        .header('x-md5', a.md5)
        .send(c.openApp(a));
    },
  );
  app.post(
    '/api/v1/apps',
    {
      schema: {
        tags,
        summary:
          'upload an app: multipart/form-data (fields name, serviceId, description, packageName, appVersion, minAndroidVersion, tags, fileName; the file as part "file"), or the file as an application/octet-stream body with the same fields as query parameters',
        querystring: AppQuery,
        response: { 201: AppView, 400: ErrorBody, 413: ErrorBody },
      },
    },
    async (req, reply) => {
      let upload: Upload | undefined;
      let fields: Record<string, string | undefined>;
      try {
        if (req.isMultipart()) {
          fields = {};
          for await (const part of req.parts()) {
            if (part.type === 'file') {
              if (part.fieldname !== 'file' || upload) {
                part.file.resume();
                throw invalid(`multipart: one file part named "file" expected, got "${part.fieldname}"`);
              }
              upload = await c.receive(part.file);
              if (part.file.truncated) throw invalid(`app file larger than ${MAX_APP_BYTES} bytes`);
              if (part.filename && fields.fileName === undefined) fields.fileName = part.filename;
            } else {
              if (typeof part.value !== 'string') throw invalid(`multipart field ${part.fieldname}: text expected`);
              fields[part.fieldname] = part.value;
            }
          }
          for (const [k, v] of Object.entries(req.query)) if (v !== undefined && fields[k] === undefined) fields[k] = v;
        } else {
          if (!req.body || typeof (req.body as Readable).pipe !== 'function')
            throw invalid('send the app as multipart/form-data or as an application/octet-stream body');
          fields = req.query;
          upload = await c.receive(req.body as Readable);
        }
        if (!upload) throw invalid('multipart: the file part "file" is missing');
      } catch (e) {
        if (upload) c.discard(upload);
        throw e;
      }
      reply.status(201);
      return c.commit(upload, appFieldsOf(fields));
    },
  );
  app.delete(
    '/api/v1/apps/:id',
    { schema: { tags, summary: 'remove an app and its file', params: AppId, response: { 200: OkBody, 404: ErrorBody } } },
    async (req) => {
      await c.removeApp(req.params.id);
      return { response: true as const, status: 200 };
    },
  );
};

export default catalogRoutes;

// PUT / DELETE /api/v1/deploy (the seed) and the GET extensions.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeploySpec } from '../../runtime/types.js';
import { isOsmoError, notFound } from '../../shared/errors.js';
import { ErrorBody } from '../../model/errors.js';
import { describeError } from '../../shared/http-errors.js';
import type { AgentContext } from './context.js';
import {
  CheckBody,
  CheckResponse,
  DeployBatchBody,
  DeployBatchResponse,
  DeployBody,
  InstanceName,
  InstanceResponse,
  InstancesResponse,
  LogsResponse,
  UndeployBody,
  UndeployResponse,
} from './schemas.js';

/** deployments of one batch carried out at once (the engine serialises much of it anyway) */
const BATCH_CONCURRENCY = 4;

export function toSpec(b: DeployBody): DeploySpec {
  const spec: DeploySpec = { name: b.name, image: b.image };
  // an empty command list means "not given" too: the image's own CMD runs
  if (b.command && b.command.length > 0) spec.command = b.command;
  if (b.ports) spec.ports = b.ports;
  if (b.volumes) spec.volumes = b.volumes;
  if (b.privileged !== undefined) spec.privileged = b.privileged;
  if (b.env) spec.env = b.env;
  if (b.labels) spec.labels = b.labels;
  if (b.resources) {
    spec.resources = {};
    if (b.resources.cpus !== undefined) spec.resources.cpus = b.resources.cpus;
    if (b.resources.memoryBytes !== undefined) spec.resources.memoryBytes = b.resources.memoryBytes;
  }
  if (b.workdir) spec.workdir = b.workdir;
  return spec;
}

export function deployRoutes(ctx: AgentContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.put(
      '/api/v1/deploy',
      { schema: { body: DeployBody, response: { 200: InstanceResponse, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        try {
          const instance = await ctx.deploy.deploy(toSpec(req.body));
          ctx.metrics.deploys.inc({ result: 'ok' });
          return { response: true as const, status: 200 as const, instance };
        } catch (e) {
          ctx.metrics.deploys.inc({ result: isOsmoError(e) ? e.kind : 'internal' });
          throw e;
        }
      },
    );

    // The core's command for many instances on this node at once: one request instead of one
    // per instance (at 1,000 nodes the per-instance requests saturated the core's loop,
    // docs/benchmarks.md). Each item gets the status and body the seed's PUT would have
    // answered; a few run at once, as concurrent PUTs from the core did.
    app.post('/api/v1/deploy/batch', { schema: { body: DeployBatchBody, response: { 200: DeployBatchResponse } } }, async (req) => {
      const items = req.body.deployments;
      const results = new Array<z.infer<typeof DeployBatchResponse>['results'][number]>(items.length);
      let next = 0;
      const worker = async () => {
        for (let k = next++; k < items.length; k = next++) {
          const d = items[k]!;
          try {
            const instance = await ctx.deploy.deploy(toSpec(d));
            ctx.metrics.deploys.inc({ result: 'ok' });
            results[k] = { name: d.name, status: 200, instance };
          } catch (e) {
            ctx.metrics.deploys.inc({ result: isOsmoError(e) ? e.kind : 'internal' });
            const { status, code, error } = describeError(e);
            if (status >= 500) req.log.error({ err: e, name: d.name }, 'deploy in a batch failed');
            results[k] = { name: d.name, status, code, error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, worker));
      return { response: true as const, status: 200 as const, results };
    });

    app.delete(
      '/api/v1/deploy',
      { schema: { body: UndeployBody, response: { 200: UndeployResponse, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        const r = await ctx.deploy.remove(req.body.name, req.body.keepImage ? undefined : req.body.image);
        return { response: true as const, status: 200 as const, imageRemoved: r.imageRemoved };
      },
    );

    app.get('/api/v1/deploy', { schema: { response: { 200: InstancesResponse } } }, async () => ({
      response: true as const,
      status: 200 as const,
      instances: await ctx.deploy.list(),
    }));

    app.get(
      '/api/v1/deploy/:name',
      { schema: { params: z.object({ name: InstanceName }), response: { 200: InstanceResponse, 404: ErrorBody } } },
      async (req) => {
        const instance = await ctx.deploy.get(req.params.name);
        if (!instance) throw notFound(`no deployment named "${req.params.name}" on node ${ctx.nodeId}`);
        return { response: true as const, status: 200 as const, instance };
      },
    );

    // the core's make-before-break migration asks here, so that the check runs where the instance does
    app.post(
      '/api/v1/deploy/:name/check',
      { schema: { params: z.object({ name: InstanceName }), body: CheckBody, response: { 200: CheckResponse, 404: ErrorBody } } },
      async (req) => {
        const r = await ctx.deploy.check(req.params.name, req.body);
        return { response: true as const, status: 200 as const, name: req.params.name, healthy: r.healthy, detail: r.detail };
      },
    );

    app.get(
      '/api/v1/deploy/:name/logs',
      {
        schema: {
          params: z.object({ name: InstanceName }),
          querystring: z.object({
            bytes: z.coerce
              .number()
              .int()
              .min(1)
              .max(1 << 20)
              .default(64 * 1024),
          }),
          response: { 200: LogsResponse, 404: ErrorBody },
        },
      },
      async (req) => {
        // the driver answers not_found for a name it does not run: no separate lookup
        return {
          response: true as const,
          status: 200 as const,
          name: req.params.name,
          logs: await ctx.deploy.logs(req.params.name, req.query.bytes),
        };
      },
    );
  };
}

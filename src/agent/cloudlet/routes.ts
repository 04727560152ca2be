// The cloudlet API, pycloud's paths and field names (base /api; all GET, as pycloud's
// clients call them). Devices carry no token: the API only starts what the catalog lists,
// and identifies a device by its X-Device-ID header when it sends one.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeviceId, MailboxMessage, parseTags } from '../../model/index.js';
import { invalid, notFound, unavailable } from '../../shared/errors.js';
import type { CoreClient } from '../events/core-client.js';
import type { CatalogCache } from './cache.js';
import type { DeviceInstances } from './instances.js';
import type { CloudletSync } from './sync.js';
import { appView, instanceView, serviceView } from './views.js';

const Bool = z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((v) => v === 'true' || v === 'True' || v === '1');
const Id = z.string().min(1, 'serviceId: required').max(128);

function device(h: unknown, required: boolean): string | undefined {
  if (h === undefined) {
    if (required) throw invalid('X-Device-ID: header required (the device mailbox is per device)');
    return undefined;
  }
  const r = DeviceId.safeParse(h);
  if (!r.success) throw invalid(r.error.issues[0]!.message);
  return r.data;
}

/** What the pycloud routes work with. */
export interface CloudletParts {
  nodeId: string;
  layer: string;
  domain: string;
  address: string;
  cache: CatalogCache;
  instances: DeviceInstances;
  core?: CoreClient;
  sync?: CloudletSync;
}

export function cloudletRoutes(p: CloudletParts): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/services', async () => p.cache.services().map(serviceView));

    app.get('/api/services/get', { schema: { querystring: z.object({ serviceId: Id }) } }, async (req) => {
      const s = p.cache.service(req.query.serviceId);
      if (!s) throw notFound(`service ${req.query.serviceId} not found`);
      return serviceView(s);
    });

    app.get(
      '/api/servicevm/start',
      { schema: { querystring: z.object({ serviceId: Id, join: Bool.optional(), isolated: Bool.optional() }) } },
      async (req) => {
        const dev = device(req.headers['x-device-id'], false) ?? `anonymous-${randomUUID()}`;
        const s = p.cache.service(req.query.serviceId);
        if (!s) throw notFound(`service ${req.query.serviceId} not found in this cloudlet's catalog`);
        // the older client's isolated=true means join=false
        const join = req.query.join ?? (req.query.isolated !== undefined ? !req.query.isolated : false);
        const r = await p.instances.start(s, join, dev);
        return instanceView(r.instance, p.address, { joined: r.joined });
      },
    );

    app.get(
      '/api/servicevm/stop',
      { schema: { querystring: z.object({ instanceId: z.string().min(1, 'instanceId: required').max(128) }) } },
      async (req) => {
        const dev = device(req.headers['x-device-id'], false);
        const r = await p.instances.stop(req.query.instanceId, dev);
        return { ...instanceView(r.instance, p.address), running: !r.removed, ready: !r.removed, STATUS: 'OK' };
      },
    );

    app.get('/api/apps', { schema: { querystring: z.object({ tags: z.string().max(4096).optional() }) } }, async (req) =>
      p.cache.listApps(parseTags(req.query.tags)).map(appView),
    );

    app.get(
      '/api/apps/get',
      { schema: { querystring: z.object({ appId: z.string().min(1, 'appId: required').max(128) }) } },
      async (req, reply) => {
        const a = p.cache.app(req.query.appId);
        if (!a) throw notFound(`app ${req.query.appId} not found`);
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${a.fileName}"`)
          .header('content-length', String(a.size))
          .header('x-md5', a.md5)
          .send(createReadStream(p.cache.appPath(a)));
      },
    );

    app.get('/api/system', { schema: { querystring: z.object({ services: Bool.optional(), apps: Bool.optional() }) } }, async (req) => {
      const n = cpus();
      const load = Math.min(1, loadavg()[0]! / Math.max(1, n.length));
      return {
        memory_info: { max_memory: totalmem(), free_memory: freemem() },
        cpu_info: { max_cores: n.length, usage: Math.round(load * 1000) / 10, speed: n[0]?.speed ?? 0, cache: 0 },
        node: p.nodeId,
        layer: p.layer,
        domain: p.domain,
        load_factor: load,
        address: p.address,
        connected: p.sync?.connected ?? false,
        running: p.instances.list().map((i) => ({ _id: i.id, service_id: i.serviceId, num_current_users: i.users.length })),
        ...(req.query.services ? { services: p.cache.services().map(serviceView) } : {}),
        ...(req.query.apps ? { apps: p.cache.listApps().map(appView) } : {}),
      };
    });

    app.get(
      '/api/system/get_messages',
      { schema: { querystring: z.object({ serviceId: z.string().max(128).optional() }) } },
      async (req) => {
        const dev = device(req.headers['x-device-id'], true)!;
        if (!p.core) return [];
        try {
          const r = await p.core.call(
            'GET',
            '/api/v1/agent/cloudlet/messages',
            z.object({ messages: z.array(MailboxMessage) }),
            undefined,
            {
              node: p.nodeId,
              device: dev,
              ...(req.query.serviceId ? { serviceId: req.query.serviceId } : {}),
            },
          );
          return r.messages;
        } catch (e) {
          throw unavailable(`the mailbox is kept by the core, which is unreachable now (${(e as Error).message})`);
        }
      },
    );
  };
}

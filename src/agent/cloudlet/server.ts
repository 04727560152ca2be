// `osmo agent --cloudlet [port]`: the pycloud-compatible cloudlet API on its own listener
// (default port 9999, pycloud's), next to the devices. It serves the catalog and apps from
// the agent's cache, starts services as containers through the agent's deploy service, and
// keeps the core in agreement (sync.ts).
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { frameworkErrors, installErrorHandlers, zodCompilers } from '../../shared/http-errors.js';
import { conflict, invalid } from '../../shared/errors.js';
import type { DeployService } from '../deploy/service.js';
import type { CoreClient } from '../events/core-client.js';
import { CatalogCache } from './cache.js';
import { DeviceInstances } from './instances.js';
import { cloudletRoutes, type CloudletParts } from './routes.js';
import { CloudletSync } from './sync.js';

export const DEFAULT_CLOUDLET_PORT = 9999;

export interface CloudletOptions {
  /** default 9999 */
  port?: number;
  /** default 0.0.0.0: devices are on the LAN */
  host?: string;
  /** the address devices reach this node on (returned as IP_ADDRESS); default: the first non-loopback IPv4 */
  address?: string;
  nodeId: string;
  layer: string;
  domain: string;
  dataDir: string;
  deploy: DeployService;
  core?: CoreClient;
  logger: Logger;
  /** how often the catalog is refreshed and instance state reconciled with the core */
  syncPeriodMs?: number;
}

/** What an mDNS announcer (src/discovery) needs to announce a running cloudlet. */
export interface CloudletInfo {
  nodeId: string;
  layer: string;
  domain: string;
  /** device-facing address and the API's port */
  address: string;
  port: number;
  /** base path of the API */
  path: '/api';
}

export interface RunningCloudlet {
  url: string;
  info(): CloudletInfo;
  close(): Promise<void>;
}

/** The first non-internal IPv4 address of this host (its namespace), or 127.0.0.1. */
export function defaultAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export async function startCloudlet(o: CloudletOptions): Promise<RunningCloudlet> {
  const dir = join(o.dataDir, 'cloudlet');
  const address = o.address ?? defaultAddress();
  const cache = new CatalogCache(dir);
  const instances = new DeviceInstances(dir, o.deploy, address);
  await instances.reconcile().catch((e: unknown) => o.logger.warn(`cloudlet: could not list containers: ${(e as Error).message}`));
  const sync = o.core ? new CloudletSync(o.core, o.nodeId, cache, instances, (m) => o.logger.info(m), o.syncPeriodMs ?? 2000) : undefined;
  const parts: CloudletParts = {
    nodeId: o.nodeId,
    layer: o.layer,
    domain: o.domain,
    address,
    cache,
    instances,
    ...(o.core ? { core: o.core } : {}),
    ...(sync ? { sync } : {}),
  };
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    frameworkErrors,
    schemaController: zodCompilers,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app, (req, d, err) => {
    if (d.status >= 500) o.logger.warn({ err }, `cloudlet ${req.method} ${req.url.split('?')[0]}: ${d.error}`);
  });
  await app.register(cloudletRoutes(parts));
  const host = o.host ?? '0.0.0.0';
  const port = o.port ?? DEFAULT_CLOUDLET_PORT;
  try {
    await app.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw conflict(`--cloudlet ${port}: the port is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw invalid(`--cloudlet ${host}:${port}: cannot listen there (${code})`);
    throw e;
  }
  const a = app.server.address();
  const realPort = typeof a === 'object' && a ? a.port : port;
  sync?.start();
  return {
    url: `http://${host === '0.0.0.0' ? address : host}:${realPort}`,
    info: () => ({ nodeId: o.nodeId, layer: o.layer, domain: o.domain, address, port: realPort, path: '/api' }),
    async close() {
      sync?.stop();
      await app.close();
      await sync?.settle();
    },
  };
}

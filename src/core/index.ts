// startCore(): the control plane in this process. Order matters for crash safety:
// open + migrate the store, rebuild memory from it, and only then start the reconciler
// (it will not touch an agent before that agent has been seen again) and the HTTP API.
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../store/index.js';
import { AgentClient } from './agents/client.js';
import type { CoreConfig, CoreContext } from './context.js';
import { EventLog } from './events/log.js';
import { buildApp } from './http/app.js';
import { isLoopback } from './http/auth.js';
import { MelService } from './mels/service.js';
import { CoreMetrics } from './metrics.js';
import { DEFAULT_RECONCILER, Reconciler, type ReconcilerOptions } from './reconciler/reconciler.js';
import { Ingest } from './registry/ingest.js';
import { DEFAULT_LIVENESS, Registry, type LivenessOptions } from './registry/registry.js';
import { services } from './services/index.js';
import { ClusterState } from './state.js';
import { loadOrCreateToken } from './token.js';

export interface CoreOptions {
  /** "HOST:PORT"; port 0 picks a free one. Default 127.0.0.1:7700 */
  listen?: string;
  dataDir?: string;
  liveness?: Partial<LivenessOptions>;
  reconciler?: Partial<ReconcilerOptions>;
  /** default: open on a loopback listen address */
  openClientApi?: boolean;
  /** Node's default process metrics in /metrics (off in tests running many cores) */
  processMetrics?: boolean;
}

export interface CoreHandle {
  url: string;
  token: string;
  dataDir: string;
  ctx: CoreContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s.trim());
  if (!m || Number(m[2]) > 65535) throw new Error(`--listen: "${s}" is not HOST:PORT (e.g. 127.0.0.1:7700)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function startCore(options: CoreOptions = {}): Promise<CoreHandle> {
  const listen = parseListen(options.listen ?? '127.0.0.1:7700');
  const dataDir = resolve(options.dataDir ?? './.osmo');
  const token = loadOrCreateToken(dataDir);
  const store = await openStore(dataDir);
  const state = new ClusterState(store);
  await state.load();
  const config: CoreConfig = { listen, dataDir, openClientApi: options.openClientApi ?? isLoopback(listen.host) };
  const events = new EventLog(store);
  const metrics = new CoreMetrics(state, options.processMetrics ?? true);
  const agents = new AgentClient(token);
  const reconciler = new Reconciler(state, events, agents, metrics, { ...DEFAULT_RECONCILER, ...options.reconciler });
  const registry = new Registry(state, events, reconciler, { ...DEFAULT_LIVENESS, ...options.liveness });
  const ingest = new Ingest(state, events, reconciler, metrics);
  const mels = new MelService(state, events, reconciler);
  const ctx: CoreContext = { config, token, store, state, events, agents, registry, reconciler, ingest, mels, metrics };

  const app = await buildApp(ctx);
  await app.listen({ host: listen.host, port: listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host;
  const url = `http://${host}:${port}`;

  registry.start();
  reconciler.start();
  const stops = services.map((s) => s(ctx)).filter((s): s is () => void | Promise<void> => typeof s === 'function');
  await events.core('core', null, { action: 'start', url, nodes: state.nodes.size, mels: state.mels.size, instances: state.instances.size });

  let closed = false;
  return {
    url,
    token,
    dataDir,
    ctx,
    app,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of stops) await s();
      registry.stop();
      await reconciler.close();
      await app.close();
      await state.flushNodes();
      await store.close();
    },
  };
}

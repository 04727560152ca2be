// startCore(): the control plane in this process. The list below is what runs, in the
// order it starts (module.ts checks each module comes after its deps): the store and the
// memory rebuilt from it first, then the policies and the scheduler the reconciler is built
// with, the reconciler (it will not touch an agent before that agent has been seen again),
// the services on top of it, and last the HTTP API over every module's routes. Close runs
// the other way: the API stops taking requests, then the modules stop in reverse order.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { agents, ingest } from './agents/module.js';
import { bus, busEvents } from './bus/module.js';
import type { BusOptions } from '../bus/nats/connect.js';
import { cloudlets } from './cloudlets/module.js';
import type { CoreConfig, CoreContext } from './context.js';
import { dashboard } from './dashboard/module.js';
import { events, retention } from './events/module.js';
import { buildApp } from './http/app.js';
import { isLoopback } from './http/auth.js';
import { idempotency } from './idempotency/module.js';
import { instances } from './instances/module.js';
import { mels } from './mels/module.js';
import { metrics } from './metrics/module.js';
import { engine, policyState } from './migration/module.js';
import { monitoring } from './monitoring/module.js';
import { startModules, type AnyCoreModule } from './module.js';
import { nodes } from './nodes/module.js';
import { DEFAULT_LIVENESS, type LivenessOptions } from './nodes/service.js';
import { plans } from './planner/module.js';
import { policies } from './policies/module.js';
import { reconciler } from './reconciler/module.js';
import { DEFAULT_RECONCILER, type ReconcilerOptions } from './reconciler/options.js';
import { scheduler } from './scheduler/module.js';
import { security } from './security/module.js';
import { sla } from './sla/module.js';
import { state, store } from './state-module.js';
import { system } from './system/module.js';
import { loadOrCreateToken, writeJoinToken } from './token.js';
import { loadOrCreateCa, servingNames } from './security/ca.js';
import { loadClusterCa } from './security/cluster-ca.js';
import { trustCa } from '../client/exchange.js';
import { parseListen } from '../shared/net.js';
import { readTls } from '../shared/tls.js';
import { openStoreAt, parseStoreUrl, type Store } from '../store/index.js';
import { awaitLeadership } from './leadership.js';
import { publishRoutes, routeTable } from './replica/routes-table.js';

/** Every module of a core, in start order. */
export const CORE_MODULES: readonly AnyCoreModule[] = [
  store,
  bus,
  state,
  security,
  idempotency,
  events,
  metrics,
  agents,
  policies,
  policyState,
  scheduler,
  reconciler,
  nodes,
  ingest,
  busEvents,
  mels,
  instances,
  engine,
  plans,
  sla,
  monitoring,
  cloudlets,
  retention,
  system,
  dashboard,
];

export interface CoreOptions {
  /** "HOST:PORT"; port 0 picks a free one. Default 127.0.0.1:7700 */
  listen?: string;
  dataDir?: string;
  /** `sqlite:PATH` or `postgres://user:pass@host:port/db`; default `<dataDir>/osmo.db` */
  store?: string;
  liveness?: Partial<LivenessOptions>;
  reconciler?: Partial<ReconcilerOptions>;
  /** default: open on a loopback listen address */
  openClientApi?: boolean;
  /** Node's default process metrics in /metrics (off in tests running many cores) */
  processMetrics?: boolean;
  /** PEM certificate and key files: the API speaks HTTPS only (plain HTTP gets a 400 saying so) */
  tlsCert?: string;
  /** several cores on a PostgreSQL store: called when another core took the lead (default: close this core) */
  onLeadershipLost?: (why: string) => void;
  /** follower and leadership messages (default: stderr) */
  log?: (line: string) => void;
  tlsKey?: string;
  /**
   * Off loopback without `tlsCert` the core serves HTTPS with a CA of its own (made in the data
   * dir); true keeps plain HTTP there instead (a trusted network, or TLS ended in front of it)
   */
  insecureHttp?: boolean;
  /** PEM file of the CA that issued the cores' `tlsCert` (a private CA): trusted beside the system's */
  tlsCa?: string;
  /** more names (DNS or IP) for the serving certificate of the core's own CA, e.g. a public address */
  tlsNames?: string[];
  /** NATS servers and auth files (--bus): agents on the bus, the event stream */
  bus?: BusOptions;
  /** replicas of the event stream when this core creates it (default 3 on a NATS cluster, else 1) */
  busReplicas?: number;
  /** HOST:PORT the other cores forward to when this one leads (default: the listen address; a wildcard becomes the host name) */
  advertise?: string;
}

export interface CoreHandle {
  url: string;
  /** the join token in force (it changes when rotated) */
  readonly token: string;
  dataDir: string;
  ctx: CoreContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

async function withStore<T>(config: CoreConfig, f: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStoreAt(config.store);
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

function readTlsCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--tls-ca ${file}: ${(e as Error).message}`, { cause: e });
  }
}

export async function startCore(options: CoreOptions = {}): Promise<CoreHandle> {
  const listen = parseListen(options.listen ?? '127.0.0.1:7700', 7700);
  const dataDir = resolve(options.dataDir ?? './.osmo');
  const token = loadOrCreateToken(dataDir);
  const config: CoreConfig = {
    listen,
    dataDir,
    store: parseStoreUrl(options.store, dataDir),
    openClientApi: options.openClientApi ?? isLoopback(listen.host),
    liveness: { ...DEFAULT_LIVENESS, ...options.liveness },
    reconciler: { ...DEFAULT_RECONCILER, ...options.reconciler },
    processMetrics: options.processMetrics ?? true,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.busReplicas ? { busReplicas: options.busReplicas } : {}),
    ...(options.advertise ? { advertise: options.advertise } : {}),
  };
  const tls = readTls(options.tlsCert, options.tlsKey);
  // the CA of the other cores' --tls-cert: a follower checks the leader against it when it forwards
  if (options.tlsCa) trustCa(readTlsCa(options.tlsCa));
  if (tls) config.tls = tls;
  else if (!isLoopback(listen.host) && !options.insecureHttp) {
    const names = servingNames(listen.host, options.tlsNames);
    // several cores on one store: one CA for all of them (security/cluster-ca.ts)
    const ca =
      config.store.dialect === 'postgres'
        ? await withStore(config, (s) => loadClusterCa(s, dataDir, names))
        : await loadOrCreateCa(dataDir, names);
    config.ca = ca;
    config.tls = ca.serving;
    // the agents' certificates come from this CA: the core's calls to them check against it
    trustCa(ca.pem);
    writeJoinToken(dataDir, token, ca.fingerprint);
  } else writeJoinToken(dataDir, token, undefined);
  const log = options.log ?? ((line: string) => process.stderr.write(`osmo core: ${line}\n`));
  // on PostgreSQL, one core leads: until this one does, it follows (forwards the API to the leader)
  const leadership = config.store.dialect === 'postgres' ? await awaitLeadership(config, token, log) : undefined;
  let core: Awaited<ReturnType<typeof startModules>>;
  try {
    core = await startModules(CORE_MODULES, { config, token, ...(leadership ? { leadership } : {}) });
  } catch (e) {
    await leadership?.stop();
    throw e;
  }
  const { ctx } = core;
  // the handle is made below; losing the lead before then closes it when it exists
  const made: { handle?: CoreHandle } = {};
  leadership?.fenceWith(ctx.store, (why) => {
    log(`stepping down: ${why}`);
    if (options.onLeadershipLost) options.onLeadershipLost(why);
    else void made.handle?.close();
  });

  let app: FastifyInstance;
  try {
    app = await buildApp(ctx, core.routes);
    await app.ready();
    // the followers match and authorize requests on this table before they forward them
    if (leadership) await publishRoutes(ctx.store, routeTable(app));
    await leadership?.releasePort();
    await app.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    await core.stop();
    await leadership?.stop();
    throw e;
  }
  // agents on the bus register and heartbeat through this core's own routes
  ctx.bus.serveAgents(
    async (r) => {
      const res = await app.inject({
        method: r.method,
        url: r.path,
        headers: r.authorization ? { authorization: r.authorization } : {},
        ...(r.body !== undefined ? { payload: r.body as object } : {}),
      });
      return { status: res.statusCode, text: res.body };
    },
    (m) => process.emitWarning(m),
  );
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  await ctx.events.core('core', null, {
    action: 'start',
    url,
    nodes: ctx.state.nodes.size,
    mels: ctx.state.mels.size,
    instances: ctx.state.instances.size,
  });

  let closed = false;
  const handle: CoreHandle = {
    url,
    get token() {
      return ctx.security.currentJoinToken;
    },
    dataDir,
    ctx,
    app,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await core.stop();
      await leadership?.stop();
    },
  };
  made.handle = handle;
  return handle;
}

// startAgent(): the whole node agent in one call — the CLI (`osmo agent`) and the core's
// `osmo up` (which embeds an agent in-process) both use it. Wiring, in data-flow order:
//   runtime driver -> deploy service --\
//   /proc + driver -> monitor service ---> bus (PubSub) -> event producer -> file/stdout, core
//   REST API (fastify) -> deploy / monitor services; SSE + /metrics read the producer's stream
import { hostname, cpus, totalmem } from 'node:os';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { PubSub } from '../bus/pubsub.js';
import type { AgentEvent, AgentEventBody } from '../bus/events.js';
import type { DriverName, NodeCapacity, NodeLayer } from '../model/index.js';
import type { Runtime } from '../runtime/types.js';
import { conflict, invalid } from '../shared/errors.js';
import { isLoopback, parseListen } from '../shared/net.js';
import { readTls, type TlsFiles } from '../shared/tls.js';
import { parseJoinToken, type JoinToken } from '../shared/join-token.js';
import { agentCertificate, trustCore } from './tls-join.js';
import { VERSION } from '../shared/version.js';
import { announce, announceProblem, type Announcement } from '../discovery/announcer.js';
import { resolveToken } from './auth.js';
import { DeployService } from './deploy/service.js';
import { DisconnectGuard } from './deploy/disconnect-guard.js';
import { CoreClient, CoreError } from './events/core-client.js';
import { CoreLink } from './events/core-link.js';
import { loadCredential, saveCredential, type NodeCredential } from './events/credential.js';
import { EventProducer } from './events/producer.js';
import { buildServer } from './http/server.js';
import { AgentMetrics } from './metrics.js';
import { MonitorService } from './monitor/service.js';
import { ProbeService } from './monitor/probes.js';
import { openRuntime } from './runtime.js';
import { EdgeSensors } from '../sensors/edge-host.js';
import type { BusOptions } from '../bus/nats/connect.js';
import { subjectSafe } from '../bus/nats/subjects.js';
import type { BusAuthFiles } from '../bus/nats/url.js';
import type { AgentBus } from './events/bus.js';
import type { CloudletInfo, RunningCloudlet } from './cloudlet/server.js';

export interface AgentOptions {
  /** "HOST:PORT" ("[::1]:5000" for IPv6); port 0 picks a free port. Default 127.0.0.1:5000 */
  listen?: string;
  nodeId?: string;
  layer?: NodeLayer;
  domain?: string;
  driver?: DriverName;
  dataDir?: string;
  /** base URL of the core: register, heartbeat, and event batches go there */
  core?: string;
  /**
   * NATS servers (nats://host:4222[,…]) instead of `core`: events to JetStream, register and
   * heartbeat to the cores over request/reply, commands answered from the bus
   */
  bus?: BusOptions['url'];
  /** files for the bus's auth (creds, nkey seed, CA, client certificate) */
  busAuth?: BusAuthFiles;
  /** false: no REST port at all (a bus-only agent); the API is still served over the bus */
  listenHttp?: boolean;
  /** API token (and the token sent to the core); falls back to OSMO_TOKEN */
  token?: string;
  /** JSON lines of every event; "-" = stdout */
  eventsFile?: string;
  capacity?: Partial<NodeCapacity>;
  labels?: Record<string, string>;
  allowPrivileged?: boolean;
  allowHostVolumes?: boolean;
  /** seconds between SIGTERM and SIGKILL when an instance is removed */
  stopGraceSeconds?: number;
  /** docker driver: guest stats from the containers' cgroup files when reachable (`auto`, default) or always from the engine */
  guestStats?: 'auto' | 'engine';
  /** bound of the on-disk event outbox */
  outboxMaxBytes?: number;
  /** an existing driver (embedding); the agent does not close it */
  runtime?: Runtime;
  logger?: Logger;
  logLevel?: string;
  /** PEM certificate and key files: the agent's API speaks HTTPS only */
  tlsCert?: string;
  tlsKey?: string;
  /** off loopback, serve plain HTTP instead of asking the core's CA for a certificate */
  insecureHttp?: boolean;
  /**
   * mDNS announcements (src/discovery): `agent` announces this REST API as `_osmo._tcp`; the
   * cloudlet API, when it runs, is announced as pycloud's `_cloudlet._tcp` unless `cloudlet`
   * is false. Withdrawn (goodbye packets) by close().
   */
  announce?: { agent?: boolean; cloudlet?: boolean; interface?: string };
  /**
   * How to start `osmo sensor-edge` (program and arguments) for sensors the core places here
   * with `osmo.sensor.placement=edge`. The CLI passes its own; default: this process's node,
   * its exec arguments and its main script.
   */
  edgeSensorCommand?: readonly string[];
  /** serve the pycloud-compatible cloudlet API (src/agent/cloudlet) */
  cloudlet?: { port?: number; host?: string; address?: string; syncPeriodMs?: number };
}

/**
 * The agent API's certificate: --tls-cert/--tls-key; else, off loopback and not
 * --insecure-http, one from the core's CA (src/agent/tls-join.ts); else none (plain HTTP).
 * Trusts the core's CA for the calls to the core on the way, when the token pins one.
 */
async function apiTls(
  o: AgentOptions,
  a: {
    host: string;
    dataDir: string;
    nodeId: string;
    joinToken: JoinToken | undefined;
    log: (level: 'info' | 'warn', msg: string) => void;
  },
): Promise<TlsFiles | undefined> {
  const given = readTls(o.tlsCert, o.tlsKey);
  // several cores (--core A,B) share one CA (docs/production.md): the first one is asked for it
  const core = o.core?.split(',')[0]?.trim();
  const httpsCore = core !== undefined && core !== '' && !o.bus && new URL(core).protocol === 'https:';
  const ca = httpsCore ? await trustCore(core, a.dataDir, a.joinToken?.caSha256, a.log) : undefined;
  if (given || o.listenHttp === false || isLoopback(a.host) || o.insecureHttp) return given;
  if (!ca)
    throw invalid(
      `--listen ${a.host} is not a loopback address, so the agent API speaks HTTPS there: give --tls-cert/--tls-key, ` +
        `or --core https://… with the join token the core prints (its CA then issues this agent a certificate), ` +
        `or --insecure-http on a network you trust`,
    );
  if (a.host === '0.0.0.0' || a.host === '::')
    throw invalid(`--listen ${a.host}: the core's CA certifies one address; listen on the address the core reaches this agent at`);
  return agentCertificate({
    core: core!,
    dataDir: a.dataDir,
    node: a.nodeId,
    host: a.host.replace(/^\[|\]$/g, ''),
    ca,
    bearer: () => loadCredential(a.dataDir, a.nodeId)?.credential ?? a.joinToken?.secret,
    log: a.log,
  });
}

export interface RunningAgent {
  url: string;
  nodeId: string;
  /** the cloudlet API, when started with `cloudlet` (info() is what an mDNS announcer needs) */
  cloudlet?: { url: string; info(): CloudletInfo };
  /** undefined when the API is open */
  token: string | undefined;
  close(): Promise<void>;
}

export async function startAgent(o: AgentOptions = {}): Promise<RunningAgent> {
  const { host, port } = parseListen(o.listen ?? '127.0.0.1:5000');
  const announceError = announceProblem(host, o.announce);
  if (announceError) throw invalid(announceError);
  const nodeId = o.nodeId ?? hostname();
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(nodeId))
    throw invalid(`--node-id: "${nodeId}" must be 1-128 letters, digits, "_", "." or "-"`);
  const layer = o.layer ?? 'edge';
  const domain = o.domain ?? 'default';
  const driver = o.driver ?? 'docker';
  const dataDir = resolve(o.dataDir ?? '.osmo/agent');
  mkdirSync(dataDir, { recursive: true });
  const logger = o.logger ?? pino({ level: o.logLevel ?? 'info', base: { node: nodeId } }, pino.destination(2));
  if (o.bus && o.core) throw invalid('--bus and --core: give one (on the bus, the agent reaches the cores through NATS)');
  if (o.listenHttp === false && !o.bus) throw invalid('--no-listen needs --bus (the API is then served over the bus only)');
  if (o.bus && !subjectSafe(nodeId))
    throw invalid(`--node-id: "${nodeId}" cannot name a bus subject (letters, digits, "_", "-", dots between)`);
  const resolved = resolveToken(host, dataDir, o.token);
  // a pinned join token: the secret is the token, the pin says which CA the core must have
  const joinToken = resolved.token ? parseJoinToken(resolved.token) : undefined;
  const auth = { ...resolved, token: joinToken?.secret };
  if (auth.source === 'generated') logger.info(`generated an API token in ${dataDir}/agent-token (non-loopback --listen needs one)`);
  const tls = await apiTls(o, { host, dataDir, nodeId, joinToken, log: (level, msg) => logger[level](msg) });

  // a cloudlet tells the core where devices reach it (the mailbox names the new address after a
  // migration) and publishes its containers' ports there, not on loopback
  // the NATS client and the cloudlet API are loaded only by agents that use them (their memory
  // is most of what a plain agent would otherwise carry for nothing: docs/benchmarks.md)
  const cloudletServer = o.cloudlet ? await import('./cloudlet/server.js') : undefined;
  const cloudletAddress = o.cloudlet ? (o.cloudlet.address ?? cloudletServer!.defaultAddress()) : undefined;
  const runtime =
    o.runtime ??
    (await openRuntime({
      driver,
      nodeId,
      dataDir,
      ...(o.stopGraceSeconds !== undefined ? { stopGraceSeconds: o.stopGraceSeconds } : {}),
      ...(cloudletAddress ? { hostIp: cloudletAddress } : {}),
      ...(o.guestStats ? { guestStats: o.guestStats } : {}),
    }));
  const bus = new PubSub<AgentEventBody>();
  // the core issues this node its own credential at the first registration; kept across restarts
  let saved: NodeCredential = loadCredential(dataDir, nodeId) ?? { node: nodeId };
  let link: CoreLink | undefined;
  let guard: DisconnectGuard | undefined;
  let agentBus: AgentBus | undefined;
  if (o.bus) {
    const { connectBus } = await import('../bus/nats/connect.js');
    const { AgentBus } = await import('./events/bus.js');
    const nc = await connectBus({ url: o.bus, name: `osmo-agent ${nodeId}`, inboxPrefix: `_INBOX.${nodeId}`, ...o.busAuth }, (m) =>
      logger.warn(m),
    ).catch(async (e: unknown) => {
      if (!o.runtime) await runtime.close();
      throw e;
    });
    agentBus = new AgentBus(nc, nodeId);
  }
  const coreUrl = o.core ?? (agentBus ? 'nats://osmo-core' : undefined);
  const core = coreUrl
    ? new CoreClient({
        url: coreUrl,
        ...(auth.token ? { token: auth.token } : {}),
        ...(saved.credential ? { credential: saved.credential } : {}),
        ...(agentBus ? { exchange: agentBus.coreExchange } : {}),
      })
    : undefined;
  const bus1 = agentBus;
  const send = bus1
    ? async (events: AgentEvent[]) => {
        // the stream takes anything; the core counts a node's events only once it knows the node
        if (!link?.registered) throw new CoreError('not registered with a core yet', 0);
        await bus1.publish(events);
      }
    : async (events: AgentEvent[]) => {
        await core!.sendEvents({ node: nodeId, events });
      };
  const producer = new EventProducer({
    nodeId,
    dataDir,
    bus,
    ...(o.eventsFile ? { eventsFile: o.eventsFile } : {}),
    ...(core
      ? {
          remote: {
            send,
            ...(o.outboxMaxBytes ? { maxBytes: o.outboxMaxBytes } : {}),
          },
        }
      : {}),
    log: (level, msg) => logger[level](msg),
  });
  const deploy = new DeployService(runtime, bus, { allowPrivileged: !!o.allowPrivileged, allowHostVolumes: !!o.allowHostVolumes });
  // a source that stays broken (engine down) fails every tick: say so once per new message
  const lastMonitorError = new Map<string, string>();
  const monitors = new MonitorService(bus, deploy, (e, m) => {
    const key = `${m.metric}/${m.source}`;
    const msg = (e as Error).message;
    if (lastMonitorError.get(key) === msg) return;
    lastMonitorError.set(key, msg);
    logger.warn(`monitor ${key}: ${msg}`);
  });
  const probes = new ProbeService(bus, (name) => deploy.get(name));
  const metrics = new AgentMetrics(
    {
      instances: () => deploy.list(),
      outboxBytes: () => producer.outbox?.bytes ?? 0,
      outboxDropped: () => producer.outbox?.dropped ?? 0,
      rejected: () => producer.forwarder?.rejected ?? 0,
      engine: () => runtime.engineLoad?.(),
    },
    nodeId,
  );
  const offMetrics = producer.onEvent((e) => metrics.observe(e));
  const sensors = new EdgeSensors({
    command: o.edgeSensorCommand ?? [process.execPath, ...process.execArgv, process.argv[1] ?? '', 'sensor-edge'],
    logDir: resolve(dataDir, 'sensors'),
    log: (level, msg) => logger[level](msg),
    onValue: (v) => bus.publish('sensor', { type: 'sensor', sensor: v.sensor, channel: v.channel, publisher: v.publisher, value: v.value }),
  });
  const offSensors = producer.onEvent((e) => sensors.onEvent(e));

  const adopted = await deploy.adopt().catch((e: unknown) => {
    logger.warn(`could not list existing instances: ${(e as Error).message}`);
    return [];
  });
  if (adopted.length > 0) logger.info(`adopted ${adopted.length} instance(s): ${adopted.map((i) => i.name).join(', ')}`);

  const app = await buildServer(
    {
      nodeId,
      layer,
      domain,
      driver,
      deploy,
      monitors,
      probes,
      sensors,
      producer,
      metrics,
      token: auth.token,
      coreToken: () => saved.agentToken,
    },
    logger,
    tls,
  );
  try {
    if (o.listenHttp === false) await app.ready();
    else await app.listen({ host, port });
  } catch (e) {
    // leave nothing running behind a failed start (an embedding caller may carry on)
    monitors.close();
    probes.close();
    offMetrics();
    offSensors();
    await sensors.close();
    deploy.close();
    await producer.close(0);
    await agentBus?.close();
    if (!o.runtime) await runtime.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw conflict(`--listen ${host}:${port}: the address is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw invalid(`--listen ${host}:${port}: cannot listen there (${code})`);
    throw e;
  }
  const addr = o.listenHttp === false ? null : app.server.address();
  const realPort = typeof addr === 'object' && addr ? addr.port : port;
  const url =
    o.listenHttp === false ? `nats://${nodeId}` : `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${realPort}`;
  if (agentBus) {
    agentBus.serveCommands(
      async (r) => {
        const res = await app.inject({
          method: r.method,
          url: r.path,
          headers: r.authorization ? { authorization: r.authorization } : {},
          ...(r.body !== undefined ? { payload: r.body as object } : {}),
        });
        return { status: res.statusCode, text: res.body };
      },
      () => [saved.agentToken, auth.token],
      (m) => logger.warn(m),
    );
  }

  let cloudlet: RunningCloudlet | undefined;
  if (o.cloudlet) {
    try {
      cloudlet = await cloudletServer!.startCloudlet({
        ...o.cloudlet,
        address: cloudletAddress!,
        nodeId,
        layer,
        domain,
        dataDir,
        deploy,
        ...(core ? { core } : {}),
        logger,
      });
    } catch (e) {
      await app.close();
      monitors.close();
      probes.close();
      offMetrics();
      offSensors();
      await sensors.close();
      deploy.close();
      await producer.close(0);
      await agentBus?.close();
      if (!o.runtime) await runtime.close();
      throw e;
    }
  }

  // on the LAN once what it names answers (src/discovery); a cloudlet on a loopback address
  // is not announced: every device would be sent to a port it cannot reach
  const cloudletHost = o.cloudlet?.host ?? '0.0.0.0';
  if (cloudlet && o.announce?.cloudlet !== false && isLoopback(cloudletHost))
    logger.warn(`mDNS: the cloudlet API listens on ${cloudletHost}, which devices cannot reach: not announcing it`);
  const announcement: Announcement = await announce({
    nodeId,
    layer,
    domain,
    ...(o.announce?.agent ? { agent: { port: realPort, path: '/api/v1', tls: !!tls } } : {}),
    ...(cloudlet && o.announce?.cloudlet !== false && !isLoopback(cloudletHost) ? { cloudlet: { port: cloudlet.info().port } } : {}),
    ...(o.announce?.interface ? { interface: o.announce.interface } : {}),
    log: (level, msg) => logger[level](msg),
  });

  const cloudletLabels: Record<string, string> = cloudlet
    ? { 'osmo.cloudlet/address': cloudletAddress!, 'osmo.cloudlet/port': String(cloudlet.info().port) }
    : {};

  if (core) {
    const capacity: NodeCapacity = {
      cpus: o.capacity?.cpus ?? cpus().length,
      memoryBytes: o.capacity?.memoryBytes ?? totalmem(),
    };
    link = new CoreLink({
      client: core,
      registration: () => ({
        id: nodeId,
        // on the bus the core commands this node through NATS, whatever it listens on
        address: agentBus ? `nats://${nodeId}` : url,
        layer,
        domain,
        labels: { ...(o.labels ?? {}), ...cloudletLabels },
        capacity,
        drivers: [driver],
        version: VERSION,
        lastSeq: producer.lastSeq,
      }),
      instances: async () => (await deploy.list()).map((i) => i.name),
      onCredentials: (r) => {
        const next = { node: nodeId, credential: r.credential ?? saved.credential, agentToken: r.agentToken ?? saved.agentToken };
        if (next.credential === saved.credential && next.agentToken === saved.agentToken) return;
        saved = next;
        try {
          saveCredential(dataDir, saved);
          if (r.credential) logger.info(`the core issued this node its credential (kept in ${dataDir}/node-credential.json)`);
        } catch (e) {
          logger.warn(`could not store the node credential: ${(e as Error).message}`);
        }
      },
      onRegistered: (acked) => {
        logger.info(`registered with core ${o.core ?? 'on the bus'} (core has events up to seq ${acked})`);
        producer.forwarder?.resume();
      },
      log: (m) => logger.warn(m),
    });
    link.start();
    guard = new DisconnectGuard({ deploy, link, log: (m) => logger.warn(m) });
    guard.start();
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await announcement.close();
      link?.stop();
      guard?.stop();
      await cloudlet?.close();
      monitors.close();
      probes.close();
      await app.close();
      offMetrics();
      offSensors();
      await sensors.close();
      deploy.close();
      await producer.close();
      await agentBus?.close();
      if (!o.runtime) await runtime.close();
      // instances keep running: the next start adopts them
    })());

  return { url, nodeId, token: auth.token, ...(cloudlet ? { cloudlet: { url: cloudlet.url, info: cloudlet.info } } : {}), close };
}

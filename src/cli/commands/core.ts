// `osmo core`: the control plane as its own process.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { startCore, type CoreHandle } from '../../core/index.js';
import { DEFAULT_LIVENESS } from '../../core/nodes/service.js';
import { DEFAULT_RECONCILER } from '../../core/reconciler/options.js';
import { busAuthFromEnv } from '../../bus/nats/url.js';
import { dashboardUrl } from '../dashboard-url.js';

export function positiveMs(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number of milliseconds`);
    return n;
  };
}

function nonNegativeMs(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a number of milliseconds, 0 or more`);
    return n;
  };
}

/** A number within [min, max] (a whole one if `whole`), else a usage error naming the flag. */
function numberIn(flag: string, min: number, max: number, whole = false) {
  return (v: string): number => {
    const n = Number(v);
    if (!(whole ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a ${whole ? 'whole number' : 'number'} from ${min} to ${max}`);
    }
    return n;
  };
}

/** SIGINT/SIGTERM close everything once; a second signal or a hung close exits hard. */
export function stopOnSignals(name: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`${name}: ${sig}, shutting down\n`);
    const hard = setTimeout(() => process.exit(1), 15_000);
    hard.unref();
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`${name}: shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

interface Flags {
  listen: string;
  dataDir: string;
  store?: string;
  heartbeat: number;
  maxHeartbeats: number;
  suspectAfter: number;
  downAfter: number;
  downPhi: number;
  restartGrace: number;
  probeOnSuspect?: boolean;
  probeTimeout: number;
  rolloutBusyMax: number;
  agentConcurrency: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  insecureHttp?: boolean;
  tlsSan?: string[];
  bus?: string;
  busReplicas?: number;
  advertise?: string;
}

export function register(program: Command): void {
  program
    .command('core')
    .description('run the control plane: registry, scheduler, reconciler, REST API (agents register here)')
    .option('--listen <host:port>', 'address of the API', '127.0.0.1:7700')
    .option('--data-dir <dir>', 'store (osmo.db) and join token', './.osmo')
    .addOption(
      new Option('--store <url>', 'the store: sqlite:PATH or postgres://user:pass@host:port/db (default: <data-dir>/osmo.db)').env(
        'OSMO_STORE',
      ),
    )
    .option('--heartbeat <ms>', 'heartbeat interval asked of agents', positiveMs('--heartbeat'), DEFAULT_LIVENESS.heartbeatMs)
    .option(
      '--max-heartbeats <n>',
      'most heartbeats a second asked of the whole fleet: with more nodes, the interval (and --suspect-after, --down-after) grows in proportion (0: no limit)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--max-heartbeats must be a whole number, 0 or more');
        return n;
      },
      DEFAULT_LIVENESS.maxHeartbeatsPerSecond,
    )
    .option(
      '--suspect-after <ms>',
      'a node is never suspect before this much silence (later where its heartbeats have been irregular)',
      positiveMs('--suspect-after'),
      DEFAULT_LIVENESS.suspectMs,
    )
    .option(
      '--down-after <ms>',
      'a node is never down (its instances replaced) before this much silence (later where its heartbeats have been irregular)',
      positiveMs('--down-after'),
      DEFAULT_LIVENESS.downMs,
    )
    .option(
      '--down-phi <phi>',
      'suspicion level (phi, -log10 of the chance a heartbeat this late still comes) from which a silent node is down',
      numberIn('--down-phi', 1, 30),
      DEFAULT_LIVENESS.downPhi,
    )
    .option(
      '--probe-on-suspect',
      "when a node turns suspect, open one TCP connection to its agent's address: refused (the host is up, the agent process is gone) makes it down at once, before --down-after; any other outcome leaves it to the detector; agents on the bus are never probed (default: on)",
    )
    .option('--no-probe-on-suspect', 'no probe: a silent node is down only by the detector (phi and --down-after)')
    .option(
      '--probe-timeout <ms>',
      'how long that connection may take; past it the probe says nothing',
      positiveMs('--probe-timeout'),
      DEFAULT_LIVENESS.probeTimeoutMs,
    )
    .option(
      '--rollout-busy-max <fraction>',
      'while instances are placed and deployed, the core starts a reconcile pass or a deploy request only when its event loop was busy less than this fraction of the last 20 ms (waiting at most 250 ms), so heartbeats and API calls keep the rest; e.g. 0.8: medians of heartbeats and API calls 2–5x shorter while placing, rollouts 5–30 % slower; 1 (default): never wait',
      numberIn('--rollout-busy-max', 0.1, 1),
      DEFAULT_RECONCILER.headroomUtilization,
    )
    .option(
      '--agent-concurrency <n>',
      'commands to agents (deploy, stop) in flight at once, all agents together; the deploys a node is waiting for go in its next request as one batch',
      numberIn('--agent-concurrency', 1, 1024, true),
      DEFAULT_RECONCILER.concurrency,
    )
    .option(
      '--restart-grace <ms>',
      'after a start, nodes already in the store get this long to heartbeat before they can be suspect or down',
      nonNegativeMs('--restart-grace'),
      10_000,
    )
    .addOption(
      new Option(
        '--advertise <host:port>',
        'where the other cores reach this one, with several cores on PostgreSQL (default: the --listen address; 0.0.0.0 becomes the host name)',
      )
        .env('OSMO_ADVERTISE')
        .argParser((v: string) => {
          if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(v)) throw new InvalidArgumentError('--advertise takes HOST:PORT');
          return v;
        }),
    )
    .option(
      '--tls-cert <file>',
      'PEM certificate (chain): the API speaks HTTPS only (with --tls-key). Default off loopback: a CA of its own in the data dir (ca.pem), whose SHA-256 the join token carries',
    )
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-ca <file>', "PEM of the private CA that issued the cores' --tls-cert: a follower checks the leader against it")
    .option('--insecure-http', 'off loopback, serve plain HTTP instead of HTTPS (a network you trust, or TLS ended in front of the core)')
    .option(
      '--tls-san <name>',
      "another DNS name or IP address for the certificate of the core's own CA, e.g. an address behind NAT (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--bus <nats-urls>',
      'NATS JetStream servers (nats://[user:pass@]host:4222[,…]; default $OSMO_BUS): agents on the bus, the event stream; auth files in $OSMO_BUS_CREDS, $OSMO_BUS_NKEY, $OSMO_BUS_CA, $OSMO_BUS_CERT, $OSMO_BUS_KEY',
    )
    .option(
      '--bus-replicas <n>',
      'replicas of the event stream when this core creates it (default: 3 on a NATS cluster, else 1)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError('--bus-replicas must be 1 to 5');
        return n;
      },
    )
    .action(async (f: Flags) => {
      let core: CoreHandle;
      const busUrl = f.bus ?? (process.env.OSMO_BUS || undefined);
      try {
        if (f.suspectAfter >= f.downAfter) throw new Error('--suspect-after must be shorter than --down-after');
        core = await startCore({
          listen: f.listen,
          dataDir: f.dataDir,
          ...(f.store ? { store: f.store } : {}),
          // another core leads now: exit, and a supervisor's restart makes this one a follower
          onLeadershipLost: () => {
            void core.close().finally(() => process.exit(1));
          },
          liveness: {
            heartbeatMs: f.heartbeat,
            maxHeartbeatsPerSecond: f.maxHeartbeats,
            suspectMs: f.suspectAfter,
            downMs: f.downAfter,
            downPhi: f.downPhi,
            restartGraceMs: f.restartGrace,
            probeOnSuspect: f.probeOnSuspect ?? DEFAULT_LIVENESS.probeOnSuspect,
            probeTimeoutMs: f.probeTimeout,
          },
          reconciler: { headroomUtilization: f.rolloutBusyMax, concurrency: f.agentConcurrency },
          ...(f.tlsCert ? { tlsCert: f.tlsCert } : {}),
          ...(f.tlsKey ? { tlsKey: f.tlsKey } : {}),
          ...(f.tlsCa ? { tlsCa: f.tlsCa } : {}),
          ...(f.insecureHttp ? { insecureHttp: true } : {}),
          ...(f.tlsSan ? { tlsNames: f.tlsSan } : {}),
          ...(busUrl ? { bus: { url: busUrl, name: `osmo-core ${f.listen}`, ...busAuthFromEnv() } } : {}),
          ...(f.busReplicas ? { busReplicas: f.busReplicas } : {}),
          ...(f.advertise ? { advertise: f.advertise } : {}),
        });
      } catch (e) {
        process.stderr.write(`osmo core: ${(e as Error).message}\n`);
        process.exit(1);
      }
      const ca = core.ctx.config.ca;
      process.stdout.write(
        `osmo core listening on ${core.url}\n  dashboard: ${dashboardUrl(core.url, core.token, process.stdout.isTTY === true)}\n  API docs: ${core.url}/docs\n  join token: ${core.dataDir}/join-token${ca ? ` (pinned to the CA ${core.dataDir}/ca.pem, SHA-256 ${ca.fingerprint})` : ''}\n`,
      );
      stopOnSignals('osmo core', () => core.close());
    });
}

// `osmo agent`: runs one node agent (src/agent) until SIGINT/SIGTERM. Shutdown stops the
// monitors and the API, tries to deliver the event outbox, and leaves instances running:
// the next start adopts them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { startAgent } from '../../agent/index.js';
import { busAuthFromEnv } from '../../bus/nats/url.js';
import { isOsmoError } from '../../shared/errors.js';
import { DriverName, NodeLayer } from '../../model/node.js';

const positive =
  (what: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
    return n;
  };

/** bytes, with an optional k/m/g/t suffix (powers of 1024): 512m, 8g */
export function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a size (e.g. 8g, 512m, 1073741824)`);
  const mul = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mul);
}

const label = (v: string, prev: Record<string, string> = {}): Record<string, string> => {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`--label "${v}" is not k=v`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
};

interface Flags {
  /** false: --no-listen */
  listen: string | false;
  bus?: string;
  nodeId?: string;
  layer: NodeLayer;
  domain: string;
  driver: DriverName;
  dataDir: string;
  core?: string;
  token?: string;
  eventsFile?: string;
  capacityCpus?: number;
  capacityMemory?: number;
  label?: Record<string, string>;
  allowPrivileged?: boolean;
  allowHostVolumes?: boolean;
  stopGrace?: number;
  guestStats: 'auto' | 'engine';
  outboxMax?: number;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  cloudlet?: number | true;
  cloudletListen?: string;
  cloudletAddress?: string;
  mdns?: boolean;
  mdnsInterface?: string;
  cloudletMdns: boolean;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--cloudlet: port must be 0..65535, got "${v}"`);
  return n;
};

export function register(program: Command): void {
  program
    .command('agent')
    .description('run a node agent: the seed-compatible deploy/monitor REST API on this machine')
    .option('--listen <host:port>', 'address of the REST API', '127.0.0.1:5000')
    .option('--no-listen', 'no REST port at all: the API is served over the bus only (needs --bus)')
    .option('--node-id <id>', 'node id (default: the hostname)')
    .addOption(new Option('--layer <layer>', 'layer of this node').choices(NodeLayer.options).default('edge'))
    .option('--domain <name>', 'proximity domain (same domain = near)', 'default')
    .addOption(new Option('--driver <driver>', 'runtime driver').choices(DriverName.options).default('docker'))
    .option('--data-dir <dir>', 'state: event outbox, sequence numbers, generated token', './.osmo/agent')
    .addOption(
      new Option(
        '--core <urls>',
        'core to register with and send events to; several cores, comma-separated, are tried in turn when one is unreachable or has no leader',
      ).env('OSMO_CORE'),
    )
    .option(
      '--bus <nats-urls>',
      'NATS servers instead of --core (nats://[user:pass@]host:4222[,…]; default $OSMO_BUS): events to JetStream, commands over request/reply; auth files in $OSMO_BUS_CREDS, $OSMO_BUS_NKEY, $OSMO_BUS_CA, $OSMO_BUS_CERT, $OSMO_BUS_KEY',
    )
    .option(
      '--token <token>',
      "API token (required by clients) and core join token; default $OSMO_TOKEN. A token carrying the core's CA fingerprint (osmoj1-…) makes the agent check the core's CA against it before it sends anything",
    )
    .option('--events-file <path>', 'write every event as a JSON line to this file ("-" = stdout)')
    .option('--capacity-cpus <n>', 'declared CPU capacity (default: the CPU count)', positive('--capacity-cpus'))
    .option('--capacity-memory <bytes>', 'declared memory capacity, e.g. 8g (default: total memory)', parseBytes)
    .option('--label <k=v>', 'node label (repeatable)', label)
    .option('--allow-privileged', 'permit privileged deployments (refused by default)')
    .option('--allow-host-volumes', 'permit host-path volumes (refused by default; named volumes are always fine)')
    .option('--stop-grace <seconds>', 'seconds between SIGTERM and SIGKILL when removing an instance', positive('--stop-grace'))
    .addOption(
      new Option(
        '--guest-stats <source>',
        "docker: where guest monitors read a container's cpu/mem/net/disk: auto = its cgroup files when this host runs the engine, else the engine's stats stream; engine = always the engine",
      )
        .choices(['auto', 'engine'])
        .default('engine'),
    )
    .option('--outbox-max <bytes>', 'bound of the on-disk event outbox (default 64m)', parseBytes)
    .option('--log-level <level>', 'pino log level', 'info')
    .option(
      '--tls-cert <file>',
      "PEM certificate (chain): the REST API speaks HTTPS only (with --tls-key). Default off loopback: a certificate from the core's CA (with --core https://… and the join token the core prints)",
    )
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--insecure-http', 'off loopback, serve the REST API over plain HTTP instead of HTTPS (a network you trust)')
    .option('--cloudlet [port]', 'serve the pycloud-compatible cloudlet API to devices on this port (default 9999)', port)
    .option('--cloudlet-listen <host>', 'address the cloudlet API listens on', '0.0.0.0')
    .option('--cloudlet-address <ip>', 'address devices reach this node on (default: the first non-loopback IPv4)')
    .option('--no-cloudlet-mdns', 'with --cloudlet: do not announce it on the LAN as _cloudlet._tcp (announced by default)')
    .option('--mdns', 'announce this agent API on the LAN over mDNS as _osmo._tcp (TXT: node id, layer, domain, API path); off by default')
    .option('--mdns-interface <ipv4>', 'send mDNS announcements on the interface with this address (default: the multicast route)')
    .action(async (f: Flags, cmd: Command) => {
      let agent;
      // an explicit --bus wins over OSMO_CORE in the environment (set there for the CLI, say)
      if (f.bus && cmd.getOptionValueSource('core') === 'env') delete f.core;
      try {
        const busUrl = f.bus ?? (f.core ? undefined : process.env.OSMO_BUS || undefined);
        agent = await startAgent({
          ...(f.listen === false ? { listenHttp: false } : { listen: f.listen }),
          ...(busUrl ? { bus: busUrl, busAuth: busAuthFromEnv() } : {}),
          ...(f.nodeId ? { nodeId: f.nodeId } : {}),
          layer: f.layer,
          domain: f.domain,
          driver: f.driver,
          dataDir: f.dataDir,
          ...(f.core ? { core: f.core } : {}),
          ...(f.token ? { token: f.token } : {}),
          ...(f.eventsFile ? { eventsFile: f.eventsFile } : {}),
          capacity: {
            ...(f.capacityCpus ? { cpus: f.capacityCpus } : {}),
            ...(f.capacityMemory ? { memoryBytes: f.capacityMemory } : {}),
          },
          ...(f.label ? { labels: f.label } : {}),
          allowPrivileged: !!f.allowPrivileged,
          allowHostVolumes: !!f.allowHostVolumes,
          ...(f.stopGrace ? { stopGraceSeconds: f.stopGrace } : {}),
          guestStats: f.guestStats,
          ...(f.outboxMax ? { outboxMaxBytes: f.outboxMax } : {}),
          logLevel: f.logLevel,
          ...(f.tlsCert ? { tlsCert: f.tlsCert } : {}),
          ...(f.tlsKey ? { tlsKey: f.tlsKey } : {}),
          ...(f.insecureHttp ? { insecureHttp: true } : {}),
          ...(f.cloudlet !== undefined
            ? {
                cloudlet: {
                  ...(f.cloudlet !== true ? { port: f.cloudlet } : {}),
                  ...(f.cloudletListen ? { host: f.cloudletListen } : {}),
                  ...(f.cloudletAddress ? { address: f.cloudletAddress } : {}),
                },
              }
            : {}),
          announce: { agent: !!f.mdns, cloudlet: f.cloudletMdns, ...(f.mdnsInterface ? { interface: f.mdnsInterface } : {}) },
        });
      } catch (e) {
        process.stderr.write(`osmo agent: ${isOsmoError(e) ? e.message : ((e as Error).stack ?? String(e))}\n`);
        process.exit(1);
      }
      process.stderr.write(
        agent.url.startsWith('nats:')
          ? `osmo agent ${agent.nodeId} on the bus only (no REST port; commands on osmo.cmd.${agent.nodeId})\n`
          : `osmo agent ${agent.nodeId} listening on ${agent.url}${agent.token ? ' (token required)' : ''}\n`,
      );
      if (agent.cloudlet) process.stderr.write(`osmo agent ${agent.nodeId}: cloudlet API on ${agent.cloudlet.url}/api\n`);
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`osmo agent: ${sig}, shutting down (instances keep running)\n`);
        const hard = setTimeout(() => process.exit(1), 15_000);
        hard.unref();
        agent.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`osmo agent: shutdown failed: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

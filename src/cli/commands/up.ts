// `osmo up`: the embedded default — a core and a local agent in one process, state in
// the data dir. Running it again resumes the same state (same store, same node id).
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { startCore, type CoreHandle } from '../../core/index.js';
import { startAgent, type RunningAgent } from '../../agent/index.js';
import { stopOnSignals } from './core.js';
import Docker from '../../runtime/dockerode.js';
import { dashboardUrl } from '../dashboard-url.js';
import type { DriverName, NodeLayer } from '../../model/index.js';

interface Flags {
  listen: string;
  dataDir: string;
  agentListen: string;
  nodeId: string;
  layer: NodeLayer;
  domain: string;
  driver: DriverName;
  cloudlet?: number | true;
  cloudletAddress?: string;
  cloudletMdns: boolean;
  mdnsInterface?: string;
  insecureHttp?: boolean;
}

/** A missing engine is the commonest first-run problem: say so once, with the fix, instead of a warning per request. */
async function dockerHint(): Promise<string | undefined> {
  try {
    await new Docker().ping();
    return undefined;
  } catch (e) {
    const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    return (
      `no Docker engine answers at ${where} (${(e as Error).message.split('\n')[0]}): containers cannot run until one does.\n` +
      `  Start one (e.g. eval "$(bash scripts/test-docker.sh)" gives a private engine and sets DOCKER_HOST), or use --driver process.`
    );
  }
}

export function register(program: Command): void {
  program
    .command('up')
    .description('run a single-node platform: a core and a local agent in one process (Ctrl-C stops both)')
    .option('--listen <host:port>', 'address of the core API and dashboard', '127.0.0.1:7700')
    .option('--data-dir <dir>', 'store, join token, agent state', './.osmo')
    .option('--agent-listen <host:port>', 'address of the local agent API', '127.0.0.1:5000')
    .option('--node-id <id>', 'node id of the local agent', 'local')
    .option(
      '--layer <layer>',
      'layer of the local node: cloud | edge | iot',
      (v: string) => {
        if (v !== 'cloud' && v !== 'edge' && v !== 'iot') throw new InvalidArgumentError('--layer must be cloud, edge or iot');
        return v;
      },
      'edge',
    )
    .option('--domain <name>', 'proximity domain of the local node', 'default')
    .option('--insecure-http', 'off loopback, serve plain HTTP instead of HTTPS from a CA of its own (core and agent)')
    .option(
      '--driver <driver>',
      'runtime driver of the local agent: docker | process',
      (v: string) => {
        if (v !== 'docker' && v !== 'process') throw new InvalidArgumentError('--driver must be docker or process');
        return v;
      },
      'docker',
    )
    .option('--cloudlet [port]', "serve the cloudlet API (pycloud's) from the local node, default port 9999", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--cloudlet: port must be 0..65535, got "${v}"`);
      return n;
    })
    .option('--cloudlet-address <ip>', 'address devices reach this node on (default: the first non-loopback IPv4)')
    .option('--no-cloudlet-mdns', 'with --cloudlet: do not announce it on the LAN as _cloudlet._tcp (announced by default)')
    .option('--mdns-interface <ipv4>', 'send mDNS announcements on the interface with this address (default: the multicast route)')
    .action(async (f: Flags) => {
      let core: CoreHandle | undefined;
      let agent: RunningAgent | undefined;
      try {
        if (f.driver === 'docker') {
          const hint = await dockerHint();
          if (hint) process.stderr.write(`osmo up: ${hint}\n`);
        }
        core = await startCore({ listen: f.listen, dataDir: f.dataDir, ...(f.insecureHttp ? { insecureHttp: true } : {}) });
        agent = await startAgent({
          driver: f.driver,
          listen: f.agentListen,
          nodeId: f.nodeId,
          layer: f.layer,
          domain: f.domain,
          dataDir: join(core.dataDir, 'agent'),
          core: core.url,
          token: core.token,
          ...(f.insecureHttp ? { insecureHttp: true } : {}),
          logLevel: 'warn',
          ...(f.cloudlet !== undefined
            ? {
                cloudlet: {
                  ...(f.cloudlet !== true ? { port: f.cloudlet } : {}),
                  ...(f.cloudletAddress ? { address: f.cloudletAddress } : {}),
                },
              }
            : {}),
          announce: { cloudlet: f.cloudletMdns, ...(f.mdnsInterface ? { interface: f.mdnsInterface } : {}) },
        });
      } catch (e) {
        process.stderr.write(`osmo up: ${(e as Error).message}\n`);
        await core?.close().catch(() => undefined);
        process.exit(1);
      }
      process.stdout.write(
        [
          `osmo is up (node ${agent.nodeId}, data in ${core.dataDir})`,
          `  API:        ${core.url}/api/v1   (docs ${core.url}/docs)`,
          `  dashboard:  ${dashboardUrl(core.url, core.token, process.stdout.isTTY === true)}`,
          `  agent:      ${agent.url}`,
          ...(agent.cloudlet
            ? [`  cloudlet:   ${agent.cloudlet.url}/api   (devices; osmo service add ... then GET /api/servicevm/start)`]
            : []),
          `  try:        osmo deploy --name hello --image osmo-test/httpd:1 --port 80   then   osmo ps`,
          '',
        ].join('\n'),
      );
      const c = core;
      const a = agent;
      stopOnSignals('osmo up', async () => {
        await a.close();
        await c.close();
      });
    });
}

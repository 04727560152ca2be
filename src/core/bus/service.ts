// The core on the NATS bus (--bus). One connection per core for three jobs:
//  - commands to agents on the bus: an exchange per node (osmo.cmd.<node>) that the agent
//    client's HTTP layer uses instead of fetch (src/core/agents/client.ts);
//  - register and heartbeat from agents on the bus: requests on osmo.agent.<node> (queue group
//    osmo-core: any replica answers) replayed into this core's own routes, so they pass the
//    same auth (join token, then the node's credential) and validation as over HTTP;
//  - the event stream (consumer.ts), on the leader.
// Without --bus nothing here connects and every method says the bus is off.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connectBus, type BusOptions } from '../../bus/nats/connect.js';
import { busExchange, serveBus, type BusReply, type BusRequest, type Exchange } from '../../bus/nats/rpc.js';
import { CORE_QUEUE, nodeOf, subjects } from '../../bus/nats/subjects.js';
import { redactBusUrl } from '../../bus/nats/url.js';
import { OsmoError } from '../../shared/errors.js';

/** what agents may call on a core over the bus */
const AGENT_ROUTES = new Set(['POST /api/v1/agent/register', 'POST /api/v1/agent/heartbeat']);

export class CoreBus {
  private agents: Subscription | undefined;

  private constructor(
    /** undefined: this core has no --bus */
    readonly nc: NatsConnection | undefined,
    readonly url: string | undefined,
  ) {}

  static async open(o: BusOptions | undefined, log: (m: string) => void): Promise<CoreBus> {
    if (!o) return new CoreBus(undefined, undefined);
    const nc = await connectBus(o, log);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error')
          log(`bus: ${s.type}${'server' in s ? ` ${String(s.server)}` : ''}`);
      }
    })().catch(() => undefined);
    return new CoreBus(nc, redactBusUrl(o.url));
  }

  /** The transport for commands to an agent on the bus. */
  exchangeFor(node: string): Exchange {
    const nc = this.nc;
    if (!nc) throw new OsmoError('unavailable', `node ${node} is on the bus and this core has no --bus: it cannot command it`);
    return busExchange(nc, subjects.command(node));
  }

  /** Answers agents' register and heartbeat requests with this core's routes (`inject`). */
  serveAgents(inject: (r: BusRequest) => Promise<BusReply>, log: (m: string) => void): void {
    if (!this.nc || this.agents) return;
    this.agents = serveBus(this.nc, subjects.allAgents, {
      queue: CORE_QUEUE,
      allow: (r, subject) => {
        if (!AGENT_ROUTES.has(`${r.method} ${r.path}`)) return `not found: ${r.method} ${r.path} is not served over the bus`;
        const node = nodeOf('agent', subject);
        const id = (r.body as { id?: unknown } | undefined)?.id;
        // the subject is what NATS permissions pin to a node's user: the body must agree with it
        if (id !== node) return `forbidden: a request on ${subject} speaks for node ${node}, not ${String(id)}`;
        return true;
      },
      handle: inject,
      log,
    });
  }

  async close(): Promise<void> {
    this.agents?.unsubscribe();
    this.agents = undefined;
    await this.nc?.drain().catch(() => undefined);
  }
}

// The agent on the NATS bus (--bus): it only dials out, so a node behind NAT is fully managed.
//  - events: each batch the forwarder takes from the outbox is one JetStream message on
//    osmo.events.<node>, its message id "<node>:<first seq>-<last seq>", published one at a
//    time and acknowledged by the stream before the outbox lets go of it (a retried batch
//    inside the dedup window is stored once; after it, the core still drops seqs it has);
//  - register and heartbeat: the core's own routes, over request/reply (src/bus/nats/rpc.ts);
//  - commands: the agent's own REST routes, answered from osmo.cmd.<node> through the app,
//    for callers holding the command token the core was issued for this node (or the agent's
//    own API token), as on REST.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { AgentEvent } from '../../bus/events.js';
import { busExchange, serveBus, type BusReply, type BusRequest, type Exchange } from '../../bus/nats/rpc.js';
import { subjects } from '../../bus/nats/subjects.js';
import { bearerMatches } from '../auth.js';
import { CoreError } from './core-client.js';

/** the agent API paths a core may call over the bus (not the SSE stream: it never ends) — what AgentApi calls */
const COMMANDS = /^\/(healthz$|api\/v1$|api\/v1\/(deploy|monitor|probe|sensor)(\/|$|\?))/;

export class AgentBus {
  private readonly js: JetStreamClient;
  private commands: Subscription | undefined;

  constructor(
    readonly nc: NatsConnection,
    private readonly node: string,
  ) {
    this.js = jetstream(nc, { timeout: 10_000 });
  }

  /** Register and heartbeat go to whichever core of the queue group answers. */
  get coreExchange(): Exchange {
    return busExchange(this.nc, subjects.agent(this.node));
  }

  /**
   * One batch into the stream, in messages under the servers' max_payload (each its own seq
   * range), one after the other so the stream holds them in seq order. Throws a retryable
   * CoreError when the stream did not take one: the forwarder sends the batch again.
   */
  async publish(events: AgentEvent[]): Promise<void> {
    const limit = Math.max(4096, (this.nc.info?.max_payload ?? 1024 * 1024) - 1024);
    let chunk: string[] = [];
    let bytes = 2;
    let first = 0;
    const flush = async (last: number): Promise<void> => {
      if (chunk.length === 0) return;
      const id = `${this.node}:${first}-${last}`;
      try {
        await this.js.publish(subjects.events(this.node), `[${chunk.join(',')}]`, { msgID: id });
      } catch (e) {
        throw new CoreError(`bus: the event stream did not take batch ${id}: ${(e as Error).message}`, 0);
      }
      chunk = [];
      bytes = 2;
    };
    let prev = 0;
    for (const e of events) {
      const line = JSON.stringify(e);
      const size = Buffer.byteLength(line) + 1;
      if (chunk.length > 0 && bytes + size > limit) await flush(prev);
      if (chunk.length === 0) first = e.seq;
      chunk.push(line);
      bytes += size;
      prev = e.seq;
    }
    await flush(prev);
  }

  /**
   * Answers the core's commands with the agent's routes (`inject`). `tokens()` are the bearer
   * tokens accepted: the core's command token for this node, and the agent's API token.
   */
  serveCommands(inject: (r: BusRequest) => Promise<BusReply>, tokens: () => Array<string | undefined>, log: (m: string) => void): void {
    this.commands = serveBus(this.nc, subjects.command(this.node), {
      allow: (r) => {
        if (!COMMANDS.test(r.path)) return `not found: ${r.method} ${r.path} is not served over the bus`;
        const accepted = tokens().filter((t): t is string => !!t);
        if (accepted.length === 0) return 'forbidden: this agent has no command token yet (it has not registered with a core)';
        if (!accepted.some((t) => bearerMatches(r.authorization, t))) return 'forbidden: the command token does not match';
        return true;
      },
      handle: inject,
      log,
    });
  }

  async close(): Promise<void> {
    this.commands?.unsubscribe();
    await this.nc.drain().catch(() => undefined);
  }
}

// A simulated agent speaking the real protocol over HTTP on 127.0.0.1, or on the NATS bus
// as an agent started with --bus: it registers, heartbeats, sends event batches, and answers
// the agent deploy API from memory (no containers) and the monitor API (accepted, no samplers). Used by the API tests and the control-plane benchmark; the end-to-end
// tests use real agents.
import { Agent as HttpAgent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NatsConnection } from '@nats-io/nats-core';
import { busExchange, BusRequest, type Exchange } from '../src/bus/nats/rpc.js';
import { subjects } from '../src/bus/nats/subjects.js';
import type { AgentEvent } from '../src/bus/events.js';
import type { RegisterRequest } from '../src/bus/protocol.js';
import type { AgentInstance } from '../src/client/index.js';
import { exchange } from '../src/client/exchange.js';
import { ApiError } from '../src/client/errors.js';
import { Bases, tryAgain } from '../src/client/failover.js';

/**
 * what the simulator "runs": the agent contract's instance shape (so its answers pass the
 * client's schemas), plus the environment the core asked for (tests read it; the client drops it)
 */
export type SimContainer = AgentInstance & { env: Record<string, string> };

export interface SimAgentOptions {
  id: string;
  /** the core's URL; several, comma-separated, as a real agent's --core: it settles on the leader (client/failover.ts) */
  core: string;
  token: string;
  layer?: 'cloud' | 'edge' | 'iot';
  domain?: string;
  labels?: Record<string, string>;
  cpus?: number;
  memoryBytes?: number;
  /** the heartbeat interval (default 1000 ms); 'core': the one the core asks for, as a real agent does (it grows with the fleet) */
  heartbeatMs?: number | 'core';
  /** ms the fake deploy takes */
  deployDelayMs?: number;
  /** false: answers 404 to POST /api/v1/deploy/batch, as an agent from before the batch route */
  batch?: boolean;
  /** called with each heartbeat's round-trip time, ms */
  onHeartbeat?: (ms: number) => void;
  /**
   * on the bus, as an agent with --bus and no listener: registers nats://<id>, speaks to the
   * cores by request on osmo.agent.<id>, and takes commands on osmo.cmd.<id> through
   * `serveSimCommands`. The connection may be shared by many simulators (the cores cannot
   * tell: each request carries its node's own credential), as a process shares its CPU.
   */
  bus?: NatsConnection;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const s = Buffer.concat(chunks).toString();
  return s ? (JSON.parse(s) as Record<string, unknown>) : {};
}

/** node id -> the credential a core issued it: what a real agent keeps in its data dir */
const issued = new Map<string, string>();

export class SimAgent {
  readonly containers = new Map<string, SimContainer>();
  private server: Server | undefined;
  address = '';
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  deploys = 0;
  /** POST /api/v1/deploy/batch requests received */
  batches = 0;
  /** seed PUT deploys received */
  singles = 0;
  monitors = 0;
  /** why heartbeats failed: an HTTP status or an error code, with how often */
  readonly heartbeatFailures = new Map<string, number>();
  /** how many heartbeats failed, whatever the reason */
  get heartbeatErrors(): number {
    let n = 0;
    for (const k of this.heartbeatFailures.values()) n += k;
    return n;
  }
  paused = false;
  /** this node's own credential, once the core has issued it */
  credential: string | undefined;

  private readonly pool = new HttpAgent({ keepAlive: true, maxFreeSockets: 1, timeout: 9000 });
  private readonly bases: Bases;
  private readonly toCores: Exchange | undefined;

  constructor(readonly o: SimAgentOptions) {
    this.bases = new Bases(o.core);
    this.toCores = o.bus ? busExchange(o.bus, subjects.agent(o.id)) : undefined;
  }

  /** the core URL this agent talks to now (with several, the one it settled on; 'bus' on the bus) */
  get core(): string {
    return this.toCores ? 'bus' : this.bases.current;
  }

  async start(): Promise<this> {
    if (this.toCores) this.address = `nats://${this.o.id}`;
    else {
      const server = (this.server = createServer((req, res) => void this.handle(req, res)));
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const a = server.address();
      this.address = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    }
    await this.register();
    const every = this.o.heartbeatMs === 'core' ? this.asked : (this.o.heartbeatMs ?? 1000);
    // spread first heartbeats so a thousand agents do not beat in lockstep
    setTimeout(() => this.beatEvery(every), Math.random() * every).unref();
    return this;
  }

  private every = 0;
  /** the interval the core asked for in its last answer */
  private asked = 1000;

  private beatEvery(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.every = ms;
    this.timer = setInterval(() => void this.heartbeat(), ms);
    this.timer.unref();
  }

  private async post(path: string, b: unknown): Promise<Response> {
    // node:http keep-alive like the real clients (src/client/exchange.ts): a thousand
    // simulators beating each second through fetch would make this process the bottleneck.
    // Each on its own pool, as each real agent is its own process: through the process's one
    // pool (4 idle sockets per origin) a thousand simulators opened ~750 connections a second,
    // ran out of ephemeral ports (EADDRNOTAVAIL) and overflowed the core's accept queue.
    // the node credential the core issued at registration, the join token before that
    const authorization = `Bearer ${this.credential ?? this.o.token}`;
    if (this.toCores) {
      const r = await this.toCores({ method: 'POST', path, authorization, body: b, timeoutMs: 30_000 });
      return new Response(r.text === '' || r.status === 204 ? null : r.text, { status: r.status });
    }
    const headers = { 'content-type': 'application/json', authorization };
    const r = await this.bases.call(
      (base) =>
        exchange(`${base}${path}`, 'POST', headers, JSON.stringify(b), 30_000, this.pool).catch((e: Error & { timedOut?: boolean }) => {
          // a core that refused the connection: the next one, as the real client does (not one that timed out)
          if (e.timedOut) throw e;
          throw new ApiError(
            'unreachable',
            `cannot reach the core at ${base}`,
            { service: 'core', base, method: 'POST', path },
            { cause: e },
          );
        }),
      (x) => tryAgain(x.status, x.text),
      (x) => x.via,
    );
    return new Response(r.text === '' || r.status === 204 ? null : r.text, { status: r.status });
  }

  async register(): Promise<void> {
    const req: RegisterRequest = {
      id: this.o.id,
      address: this.address,
      layer: this.o.layer ?? 'cloud',
      domain: this.o.domain ?? 'd1',
      labels: this.o.labels ?? {},
      capacity: { cpus: this.o.cpus ?? 4, memoryBytes: this.o.memoryBytes ?? 8 * 1024 ** 3 },
      drivers: ['docker'],
      version: 'sim',
      lastSeq: this.seq,
    };
    // like a real agent's data dir: a new SimAgent for the same id speaks with the credential
    // the core issued before; one the core does not know (a fresh core) is dropped for the join token
    this.credential ??= issued.get(this.o.id);
    let r = await this.post('/api/v1/agent/register', req);
    if (r.status === 401 && this.credential) {
      await r.arrayBuffer();
      this.credential = undefined;
      r = await this.post('/api/v1/agent/register', req);
    }
    if (r.status !== 200) throw new Error(`register ${this.o.id}: ${r.status} ${await r.text()}`);
    const body = (await r.json()) as { credential?: string; heartbeatIntervalMs?: number };
    if (body.heartbeatIntervalMs) this.asked = body.heartbeatIntervalMs;
    if (body.credential) {
      this.credential = body.credential;
      issued.set(this.o.id, body.credential);
    }
  }

  async heartbeat(): Promise<void> {
    if (this.paused) return;
    try {
      const t0 = performance.now();
      const r = await this.post('/api/v1/agent/heartbeat', { id: this.o.id, instances: [...this.containers.keys()] });
      const text = await r.text();
      this.o.onHeartbeat?.(performance.now() - t0);
      if (this.o.heartbeatMs === 'core' && r.status === 200) {
        this.asked = (JSON.parse(text) as { heartbeatIntervalMs: number }).heartbeatIntervalMs;
        if (this.asked !== this.every) this.beatEvery(this.asked);
      }
      if (r.status === 404) await this.register();
      else if (r.status !== 200) this.failed(String(r.status));
    } catch (e) {
      // the transport's error under the client's (post() wraps a refused connection)
      const err = (e instanceof ApiError ? e.cause : e) as Error & { code?: string; cause?: { code?: string }; timedOut?: boolean };
      this.failed(err.timedOut ? 'timeout' : (err.code ?? err.cause?.code ?? err.cause?.toString() ?? err.name));
    }
  }

  private failed(why: string): void {
    this.heartbeatFailures.set(why, (this.heartbeatFailures.get(why) ?? 0) + 1);
  }

  async send(events: Array<Omit<AgentEvent, 'seq' | 'node' | 'ts'> & Partial<AgentEvent>>): Promise<Response> {
    const stamped = events.map((e) => ({ ...e, seq: e.seq ?? ++this.seq, node: e.node ?? this.o.id, ts: e.ts ?? Date.now() }));
    return this.post('/api/v1/agent/events', { node: this.o.id, events: stamped });
  }

  private json(res: ServerResponse, status: number, b: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(b));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = await this.command(req.method ?? 'GET', req.url ?? '/', await body(req));
    this.json(res, r.status, r.body);
  }

  /** One call of the agent API, over HTTP or the bus alike. */
  async command(method: string, url: string, b: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    if (url === '/api/v1/deploy' && method === 'PUT') {
      this.singles++;
      return this.deployOne(b);
    }
    if (url === '/api/v1/deploy/batch' && method === 'POST' && this.o.batch !== false) {
      const ds = (b as { deployments?: Array<Record<string, unknown>> }).deployments ?? [];
      this.batches++;
      const results = (await Promise.all(ds.map((d) => this.deployOne(d)))).map((r, k) => ({
        name: String(ds[k]!.name),
        status: r.status,
        ...(r.status === 200 ? { instance: r.body.instance } : { error: r.body.error }),
      }));
      return { status: 200, body: { response: true, status: 200, results } };
    }
    if (url === '/api/v1/deploy' && method === 'DELETE') {
      const name = String(b.name);
      if (!this.containers.delete(name)) return { status: 404, body: { response: false, status: 404, error: `no ${name}` } };
      return { status: 200, body: { response: true, status: 200, imageRemoved: false } };
    }
    if (url === '/api/v1/deploy' && method === 'GET') {
      return { status: 200, body: { response: true, status: 200, instances: [...this.containers.values()] } };
    }
    if (url.startsWith('/api/v1/monitor/') && (method === 'PUT' || method === 'DELETE')) {
      // the seed monitor API: accepted and ignored (the simulator sends no samples unless told)
      this.monitors++;
      if (method === 'DELETE') return { status: 200, body: { response: true, status: 200 } };
      const metric =
        ({ memory: 'mem', network: 'net' } as Record<string, string>)[url.slice('/api/v1/monitor/'.length)] ??
        url.slice('/api/v1/monitor/'.length);
      return {
        status: 200,
        body: { response: true, status: 200, monitor: { metric, source: b.source, period: Number(b.time), action: 'started' } },
      };
    }
    return { status: 404, body: { response: false, status: 404, error: 'sim: no such route' } };
  }

  private async deployOne(b: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const name = String(b.name);
    if (this.containers.has(name)) return { status: 409, body: { response: false, status: 409, error: `name ${name} taken` } };
    // lets tests exercise an agent that answers and refuses, like a failed pull
    if (String(b.image).startsWith('sim-fail/'))
      return { status: 500, body: { response: false, status: 500, error: `pull ${String(b.image)}: not found` } };
    if (this.o.deployDelayMs) await new Promise((r) => setTimeout(r, this.o.deployDelayMs));
    const c: SimContainer = {
      name,
      id: `sim-${name}`,
      driver: 'docker',
      image: String(b.image),
      command: [],
      state: 'running',
      createdAt: new Date().toISOString(),
      ports: [],
      labels: (b.labels ?? {}) as Record<string, string>,
      env: (b.env ?? {}) as Record<string, string>,
    };
    this.containers.set(name, c);
    this.deploys++;
    return { status: 200, body: { response: true, status: 200, instance: c } };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.pool.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Routes the commands the cores send on osmo.cmd.<node> to the simulators of `agents` (by
 * node id) over one subscription, and answers as an agent on the bus does (src/bus/nats/rpc.ts).
 *
 * @example
 * const sub = serveSimCommands(nc, new Map(agents.map((a) => [a.o.id, a])));
 */
export function serveSimCommands(nc: NatsConnection, agents: Map<string, SimAgent>): { unsubscribe(): void } {
  const prefix = subjects.command('');
  return nc.subscribe(`${prefix}*`, {
    callback: (err, m) => {
      if (err || !m.reply) return;
      void (async () => {
        const a = agents.get(m.subject.slice(prefix.length));
        const req = BusRequest.safeParse(JSON.parse(dec.decode(m.data)));
        const r = !a
          ? { status: 404, body: { response: false, status: 404, error: 'sim: no such node' } }
          : !req.success
            ? { status: 400, body: { response: false, status: 400, error: 'not a bus request' } }
            : await a.command(req.data.method, req.data.path, (req.data.body ?? {}) as Record<string, unknown>);
        m.respond(enc.encode(JSON.stringify({ status: r.status, text: JSON.stringify(r.body) })));
      })();
    },
  });
}

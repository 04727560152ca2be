// The core stub peer: a tiny real fastify server that speaks the core's side of
// src/bus/protocol.ts (register, heartbeat, event batches) for the agent tests, since the
// real core is another issue. It validates with the contract's schemas, checks the bearer
// token, and drops duplicate events by seq as the real core must.
import Fastify, { type FastifyInstance } from 'fastify';
import { EventBatch, HeartbeatRequest, RegisterRequest, type HeartbeatResponse } from '../src/bus/protocol.js';
import type { AgentEvent } from '../src/bus/events.js';

export interface CoreStubPeer {
  url: string;
  port: number;
  registrations: RegisterRequest[];
  heartbeats: HeartbeatRequest[];
  /** events kept after dedupe by seq, per node, in arrival order */
  events: AgentEvent[];
  /** every event received, duplicates included */
  received: number;
  batches: number;
  unauthorized: number;
  /** the interval its answers ask for (changeable, as a core's grows with its fleet) */
  heartbeatIntervalMs: number;
  close(): Promise<void>;
}

export async function startCoreStubPeer(opts: { port?: number; token?: string; heartbeatIntervalMs?: number } = {}): Promise<CoreStubPeer> {
  const app: FastifyInstance = Fastify({ bodyLimit: 64 * 1024 * 1024 });
  const lastSeq = new Map<string, number>();
  const peer: Omit<CoreStubPeer, 'url' | 'port' | 'close'> = {
    registrations: [],
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 200,
    heartbeats: [],
    events: [],
    received: 0,
    batches: 0,
    unauthorized: 0,
  };
  app.addHook('onRequest', async (req, reply) => {
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      peer.unauthorized++;
      return reply.code(401).send({ error: 'unauthorized' });
    }
  });
  app.post('/api/v1/agent/register', async (req, reply) => {
    const r = RegisterRequest.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.message });
    peer.registrations.push(r.data);
    return { heartbeatIntervalMs: peer.heartbeatIntervalMs, ackedSeq: lastSeq.get(r.data.id) ?? 0 };
  });
  app.post('/api/v1/agent/heartbeat', async (req, reply) => {
    const r = HeartbeatRequest.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.message });
    peer.heartbeats.push(r.data);
    const answer: HeartbeatResponse = { status: 'ready', heartbeatIntervalMs: peer.heartbeatIntervalMs };
    return answer;
  });
  app.post('/api/v1/agent/events', async (req, reply) => {
    const r = EventBatch.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.message });
    peer.batches++;
    for (const e of r.data.events) {
      peer.received++;
      const last = lastSeq.get(e.node) ?? 0;
      if (e.seq <= last) continue;
      lastSeq.set(e.node, e.seq);
      peer.events.push(e);
    }
    return { ackedSeq: lastSeq.get(r.data.node) ?? 0 };
  });
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return Object.assign(peer, { url: `http://127.0.0.1:${port}`, port, close: () => app.close() });
}

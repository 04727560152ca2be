// The agent <-> core wire contract. Agents call the core (register, heartbeat, events);
// the core calls the agent's REST API (src/agent, DESIGN.md "Agent API") for commands.
// Agents authenticate with `Authorization: Bearer <token>`: the core's join token for a
// node's first registration, then the node credential that registration hands out.
import { z } from 'zod';
import { DriverName, NodeCapacity, NodeLayer } from '../model/node.js';
import { AgentEvent } from './events.js';

/**
 * Where the core will send commands: an http(s) URL with a host, or nats://<node id> for an
 * agent on the bus (commands then go to its subject, osmo.cmd.<node id>), no credentials, no query,
 * at most 512 characters (a registration is the one place a caller names a URL the core
 * then calls, so it is held to what an agent's address looks like).
 */
export const AgentAddress = z
  .string()
  .max(512)
  .superRefine((s, c) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      c.addIssue({ code: 'custom', message: 'not a URL' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'nats:')
      c.addIssue({ code: 'custom', message: `must be http://, https:// or nats:// (on the bus), not ${u.protocol}` });
    else if (!u.hostname) c.addIssue({ code: 'custom', message: 'names no host' });
    if (u.username || u.password) c.addIssue({ code: 'custom', message: 'must not carry credentials' });
    if (u.search || u.hash) c.addIssue({ code: 'custom', message: 'must not carry a query or fragment' });
  });

/** POST /api/v1/agent/register */
/** the longest node id (UTF-16 code units, as zod counts): registration and every /api/v1/nodes/{id} route agree on it */
export const NODE_ID_MAX = 128;

export const RegisterRequest = z.object({
  id: z.string().min(1).max(NODE_ID_MAX),
  /** base URL of the agent's REST API, e.g. http://127.0.0.1:5001 */
  address: AgentAddress,
  layer: NodeLayer,
  domain: z.string().min(1).max(128),
  labels: z.record(z.string(), z.string()).default({}),
  capacity: NodeCapacity,
  drivers: z.array(DriverName).min(1),
  version: z.string(),
  /** last event seq the agent has produced; lets the core tell a restarted agent what it has */
  lastSeq: z.number().int().nonnegative().optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;
export const RegisterResponse = z.object({
  heartbeatIntervalMs: z.number().int().positive(),
  /** highest event seq the core has stored from this node: the agent resends anything after it */
  ackedSeq: z.number().int().nonnegative(),
  /** this node's own credential, on its first registration only: every later call sends it */
  credential: z.string().optional(),
  /** the token the core sends with its commands to this agent; the agent accepts it on its API */
  agentToken: z.string().optional(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/** POST /api/v1/agent/heartbeat */
export const HeartbeatRequest = z.object({
  id: z.string().min(1),
  /** names of instances the agent currently runs (lets the core detect drift cheaply) */
  instances: z.array(z.string()).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;
export const HeartbeatResponse = z.object({ status: z.string(), heartbeatIntervalMs: z.number() });
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** POST /api/v1/agent/events — at-least-once; the core drops seq <= its last stored seq */
export const EventBatch = z.object({
  node: z.string().min(1),
  events: z.array(AgentEvent).max(5000),
});
export type EventBatch = z.infer<typeof EventBatch>;
export const EventBatchResponse = z.object({ ackedSeq: z.number().int().nonnegative() });
export type EventBatchResponse = z.infer<typeof EventBatchResponse>;

/**
 * POST /api/v1/agent/certificate: an agent asks the core's CA for its API's certificate, for
 * the one host its address will name (a DNS name or an IP address).
 */
export const CertificateRequest = z.object({
  node: z.string().min(1).max(NODE_ID_MAX),
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]+)$/, 'an IP address or a DNS name'),
  /** PKCS#10, PEM */
  csr: z.string().min(1).max(16_384),
});
export type CertificateRequest = z.infer<typeof CertificateRequest>;

export const CertificateResponse = z.object({
  /** PEM: the agent's certificate, then the CA's */
  certificate: z.string(),
  ca: z.string(),
});
export type CertificateResponse = z.infer<typeof CertificateResponse>;

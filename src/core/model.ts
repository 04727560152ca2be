// API views of nodes and instances (zod, so they also document the responses).
import { z } from 'zod';
import { NodeLayer } from '../bus/protocol.js';

export const NodeStatus = z.enum(['ready', 'suspect', 'down', 'draining']);

export const NodeView = z.object({
  id: z.string(),
  address: z.string(),
  status: NodeStatus,
  layer: NodeLayer,
  domain: z.string(),
  labels: z.record(z.string(), z.string()),
  capacity: z.object({ cpus: z.number(), memoryBytes: z.number() }),
  allocated: z.object({ cpus: z.number(), memoryBytes: z.number() }),
  drivers: z.array(z.string()),
  version: z.string(),
  schedulable: z.boolean(),
  draining: z.boolean(),
  lastHeartbeat: z.string(),
  /** latest host CPU/memory measurements, percent, when the agent sends samples */
  load: z.object({ cpu: z.number().optional(), mem: z.number().optional(), at: z.string().optional() }),
  instances: z.number().int(),
});
export type NodeView = z.infer<typeof NodeView>;

export const InstanceState = z.enum(['pending', 'starting', 'running', 'stopping', 'stopped', 'failed', 'lost']);

export const InstanceView = z.object({
  id: z.string(),
  mel: z.string(),
  node: z.string().nullable(),
  name: z.string(),
  state: InstanceState,
  desired: z.enum(['run', 'stop']),
  generation: z.number().int(),
  reason: z.string().nullable(),
  ports: z.array(z.object({ containerPort: z.number(), protocol: z.enum(['tcp', 'udp']), hostIp: z.string(), hostPort: z.number() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InstanceView = z.infer<typeof InstanceView>;

export const ErrorBody = z.object({ response: z.literal(false), status: z.number().int(), error: z.string() });
export const OkBody = z.object({ response: z.literal(true), status: z.number().int() });

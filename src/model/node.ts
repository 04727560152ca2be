// Nodes: where a node sits (layer), how the core sees it (status), what it offers.
import { z } from 'zod';
import { Resources } from './resources.js';

/** The osmotic layers, from the data centre down to the devices. */
export const NodeLayer = z.enum(['cloud', 'edge', 'iot']);
export type NodeLayer = z.infer<typeof NodeLayer>;

/** The core's view of a node's liveness (draining is shown over ready while a drain runs). */
export const NodeStatus = z.enum(['ready', 'suspect', 'down', 'draining']);
export type NodeStatus = z.infer<typeof NodeStatus>;

/** The runtime drivers an agent can run instances with. */
export const DriverName = z.enum(['docker', 'process']);
export type DriverName = z.infer<typeof DriverName>;

/** When a node takes a new or migrating instance (the acceptance policy). */
export const Acceptance = z.enum(['always', 'if-unloaded-before', 'if-unloaded-after', 'never']);
export type Acceptance = z.infer<typeof Acceptance>;

/** What an agent declares at registration: both must be real amounts. */
export const NodeCapacity = z.object({
  cpus: z.number().positive(),
  memoryBytes: z.number().int().positive(),
});
export type NodeCapacity = Resources;

/** GET /api/v1/nodes: a node as the API shows it. */
export const NodeView = z.object({
  id: z.string(),
  address: z.string(),
  status: NodeStatus,
  layer: NodeLayer,
  domain: z.string(),
  labels: z.record(z.string(), z.string()),
  capacity: Resources,
  allocated: Resources,
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

// Instances: one replica of a MEL, as the core tracks it (InstanceState) and as an
// agent's runtime driver reports its container or process (ContainerState).
import { z } from 'zod';

/**
 * The core's lifecycle of an instance, from placement to its end. `unknown`: its node stopped
 * answering and the MEL's disconnect.lostAfter has not run out (it still counts); `lost`: it
 * no longer counts (replaced unless disconnect.replace is false).
 */
export const InstanceState = z.enum(['pending', 'starting', 'running', 'stopping', 'stopped', 'failed', 'unknown', 'lost']);
export type InstanceState = z.infer<typeof InstanceState>;

/** What the core wants of an instance. */
export const DesiredState = z.enum(['run', 'stop']);
export type DesiredState = z.infer<typeof DesiredState>;

/** The state of a container or process on its node, as the runtime driver reports it. */
export const ContainerState = z.enum(['pulling', 'created', 'running', 'restarting', 'exited', 'failed', 'removed']);
export type ContainerState = z.infer<typeof ContainerState>;

/** A container port published on the node. */
export const PublishedPort = z.object({
  containerPort: z.number(),
  protocol: z.enum(['tcp', 'udp']),
  hostIp: z.string(),
  hostPort: z.number(),
});
export type PublishedPort = z.infer<typeof PublishedPort>;

/** GET /api/v1/instances: an instance as the API shows it. */
export const InstanceView = z.object({
  id: z.string(),
  mel: z.string(),
  node: z.string().nullable(),
  name: z.string(),
  state: InstanceState,
  desired: DesiredState,
  generation: z.number().int(),
  reason: z.string().nullable(),
  ports: z.array(PublishedPort),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InstanceView = z.infer<typeof InstanceView>;

/** Why an instance moves to another node: its node overloaded, back towards the edge, or an operator. */
export const MoveKind = z.enum(['overload', 'flow-back', 'manual']);
export type MoveKind = z.infer<typeof MoveKind>;

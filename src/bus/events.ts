// The event types that cross process boundaries (agent -> core, core -> dashboard).
// Zod schemas are the single source: TypeScript types are inferred from them and the
// core validates incoming batches with them.
import { z } from 'zod';

export const MetricName = z.enum(['cpu', 'mem', 'net', 'disk']);
export type MetricName = z.infer<typeof MetricName>;
export const SampleSource = z.enum(['host', 'guest']);
export type SampleSource = z.infer<typeof SampleSource>;

/** A measured value with its unit: "percent", "bytes", "bytes/s", "packets", "packets/s", "count". */
export const Field = z.object({ value: z.number(), unit: z.string() });
export type Field = z.infer<typeof Field>;

const base = {
  /** producer-local, strictly increasing; the receiver drops seq <= last seen */
  seq: z.number().int().nonnegative(),
  /** node id of the producer */
  node: z.string().min(1),
  /** ms since epoch */
  ts: z.number(),
};

export const SampleEvent = z.object({
  ...base,
  type: z.literal('sample'),
  source: SampleSource,
  /** "host", or the instance name for guest samples */
  target: z.string(),
  metric: MetricName,
  /** flat names, e.g. "total", "core0", "eth0.rx_bytes", "used", "/.used" */
  fields: z.record(z.string(), Field),
});
export type SampleEvent = z.infer<typeof SampleEvent>;

export const InstanceEvent = z.object({
  ...base,
  type: z.literal('instance'),
  name: z.string(),
  image: z.string().optional(),
  state: z.enum(['pulling', 'created', 'running', 'restarting', 'exited', 'failed', 'removed']),
  reason: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type InstanceEvent = z.infer<typeof InstanceEvent>;

export const PullEvent = z.object({
  ...base,
  type: z.literal('pull'),
  image: z.string(),
  status: z.string(),
  current: z.number().optional(),
  total: z.number().optional(),
});
export type PullEvent = z.infer<typeof PullEvent>;

export const MonitorEvent = z.object({
  ...base,
  type: z.literal('monitor'),
  metric: MetricName,
  source: SampleSource,
  action: z.enum(['started', 'retimed', 'stopped']),
  period: z.number().optional(),
});
export type MonitorEvent = z.infer<typeof MonitorEvent>;

export const AgentEvent = z.discriminatedUnion('type', [SampleEvent, InstanceEvent, PullEvent, MonitorEvent]);
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentEventType = AgentEvent['type'];
/** An event before the producer stamps seq/node/ts on it. */
export type AgentEventBody = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, 'seq' | 'node' | 'ts'> : never) : never;

// What the core puts on an agent for an edge sensor (PUT /api/v1/sensor/{id}) and the JSON
// lines the agent and its edge sensor process exchange over the child's stdin/stdout.
import { z } from 'zod';
import type { SensorValue } from './value.js';

/** Where a collector's samples come from on this agent (the core resolved the target). */
export const EdgeWhere = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('monitor'),
      metric: z.enum(['cpu', 'mem', 'net', 'disk']),
      source: z.enum(['host', 'guest']),
      /** "host", or the instance name */
      target: z.string().min(1).max(256),
    }),
    z.strictObject({ kind: z.literal('probe'), id: z.string().min(1).max(200) }),
  ],
  { error: 'where.kind must be "monitor" (metric, source, target) or "probe" (id)' },
);
export type EdgeWhere = z.infer<typeof EdgeWhere>;

const Entity = {
  kind: z.string().min(1).max(512),
  id: z.string().min(1).max(200),
  mixins: z.array(z.string().max(512)).max(64),
  attributes: z.record(z.string().max(256), z.unknown()),
};

/** The sensor as the core's OCCI server keeps it (already checked there), and its bindings. */
export const EdgeSensorSpec = z.strictObject({
  sensor: z.looseObject({
    ...Entity,
    class: z.literal('resource'),
    links: z
      .array(
        z.looseObject({
          ...Entity,
          class: z.literal('link'),
          source: z.looseObject({ location: z.string().max(1024) }),
          target: z.looseObject({ location: z.string().max(1024) }),
        }),
      )
      .max(256),
  }),
  bindings: z.array(z.strictObject({ collector: z.string().min(1).max(200), where: EdgeWhere })).max(256),
});
export type EdgeSensorSpec = z.infer<typeof EdgeSensorSpec>;

/** agent → edge process */
export type ToEdge =
  | { t: 'spec'; spec: EdgeSensorSpec; logDir: string }
  | { t: 'sample'; ts: number; metric: string; source: string; target: string; fields: Record<string, { value: number }> }
  | { t: 'probe'; ts: number; id: string; fields: Record<string, { value: number }> };

/** edge process → agent */
export type FromEdge = { t: 'ready' } | { t: 'value'; v: SensorValue } | { t: 'problem'; m: string } | { t: 'fatal'; m: string };

/** The key a sample or probe is matched by. */
export const whereKey = (w: EdgeWhere): string =>
  eventKey(w.kind === 'monitor' ? { metric: w.metric, source: w.source, target: w.target } : { id: w.id });

/** The same key for a sample (metric, source, target) or a probe run (id), as the agent sees them. */
export const eventKey = (e: { metric?: string; source?: string; target?: string; id?: string }): string =>
  e.id !== undefined ? `p|${e.id}` : `m|${e.metric}|${e.source}|${e.target}`;

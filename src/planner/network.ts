// The closed queueing network a user writes (JSON / YAML / POST /api/v1/solve) and the
// normalized numeric form the solvers iterate over. Validation happens once, here, so the
// solvers can assume a well-formed model.
import { z } from 'zod';
import { invalid } from '../shared/errors.js';

const name = z.string().min(1, { error: 'must be a non-empty name' });
const demand = z
  .number({ error: 'must be a number (seconds)' })
  .nonnegative({ error: 'must not be negative (a service demand is seconds of work per request)' })
  .finite();

export const ClassSchema = z.object({
  name,
  population: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer (a closed class has a whole number of jobs)' })
    .nonnegative({ error: 'must not be negative' }),
  thinkTime: z.number().nonnegative({ error: 'must not be negative' }).finite().default(0),
});

export const StationSchema = z.object({
  name,
  type: z.enum(['queue', 'delay'], { error: 'must be "queue" or "delay"' }).default('queue'),
  servers: z.number().int({ error: 'must be an integer' }).positive({ error: 'must be at least 1' }).default(1),
  demands: z.record(z.string(), demand).default({}),
});

export const NetworkSchema = z
  .object({
    classes: z.array(ClassSchema).min(1, { error: 'the network is empty: give at least one class' }),
    stations: z.array(StationSchema).min(1, { error: 'the network is empty: give at least one station' }),
  })
  .superRefine((net, ctx) => {
    const classes = new Set<string>();
    net.classes.forEach((c, i) => {
      if (classes.has(c.name)) ctx.addIssue({ code: 'custom', path: ['classes', i, 'name'], message: `duplicate class "${c.name}"` });
      classes.add(c.name);
    });
    const stations = new Set<string>();
    net.stations.forEach((s, i) => {
      if (stations.has(s.name)) ctx.addIssue({ code: 'custom', path: ['stations', i, 'name'], message: `duplicate station "${s.name}"` });
      stations.add(s.name);
      for (const c of Object.keys(s.demands)) {
        if (!classes.has(c))
          ctx.addIssue({
            code: 'custom',
            path: ['stations', i, 'demands', c],
            message: `unknown class "${c}" (classes: ${[...classes].join(', ')})`,
          });
      }
    });
    net.classes.forEach((c, i) => {
      if (c.population === 0 || c.thinkTime > 0) return;
      const total = net.stations.reduce((a, s) => a + (s.demands[c.name] ?? 0), 0);
      if (total === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['classes', i],
          message: `class "${c.name}" has no think time and no demand anywhere: its throughput would be infinite`,
        });
    });
  });

export type Network = z.output<typeof NetworkSchema>;

/** Formats zod issues as "path: message; ..." so an error names the offending field. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

export function parseNetwork(input: unknown): Network {
  const r = NetworkSchema.safeParse(input);
  if (!r.success) throw invalid(`invalid network: ${describeIssues(r.error.issues)}`);
  return r.data;
}

/**
 * The numeric form. `copies` lets the planner describe n identical load-balanced replicas
 * as one entry: identical stations have identical MVA recurrences, so solving one and
 * counting it `copies` times is exact, and a 60-VM tier costs no more than a 1-VM tier.
 */
export interface NumStation {
  name: string;
  delay: boolean;
  servers: number;
  copies: number;
  /** demand per class, per copy (seconds) */
  D: number[];
}
export interface NumNetwork {
  classes: string[];
  /** populations; integers for exact MVA, any non-negative number for amva */
  N: number[];
  Z: number[];
  stations: NumStation[];
}

export function toNumeric(net: Network): NumNetwork {
  return {
    classes: net.classes.map((c) => c.name),
    N: net.classes.map((c) => c.population),
    Z: net.classes.map((c) => c.thinkTime),
    stations: net.stations.map((s) => ({
      name: s.name,
      delay: s.type === 'delay',
      servers: s.type === 'delay' ? 1 : s.servers,
      copies: 1,
      D: net.classes.map((c) => s.demands[c.name] ?? 0),
    })),
  };
}

/** What every solver returns, indexed [class] and [station][class]; per copy for replicated stations. */
export interface NumResult {
  X: number[];
  /** residence time per visit-set of one copy */
  R: number[][];
  Q: number[][];
  U: number[][];
  iterations?: number;
}

// The planner's input: application (request classes, tiers), a 24-hour workload, a provider
// catalog and constraints. One zod schema validates JSON, YAML and POST bodies alike.
import { z } from 'zod';
import { invalid } from '../shared/errors.js';
import { describeIssues } from './network.js';

const name = z.string().min(1, { error: 'must be a non-empty name' });
const seconds = z.number().nonnegative({ error: 'must not be negative' }).finite();
const fraction = z.number().min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' });

export const VmTypeSchema = z.object({
  name,
  cores: z.number().int({ error: 'must be an integer' }).positive({ error: 'must be at least 1' }),
  /** relative to the reference core the demands were measured on: demand scales as 1/speed */
  speed: z.number().positive({ error: 'must be positive' }).default(1),
  memoryGb: z.number().nonnegative().default(0),
  pricePerHour: z.number().nonnegative({ error: 'must not be negative' }),
  /** the provider's availability figure for this type, e.g. 0.999 */
  availability: fraction.default(1),
  /** false: listed but not offered (sold out, not in the region) */
  offered: z.boolean().default(true),
});

export const ProviderSchema = z.object({ name, vmTypes: z.array(VmTypeSchema).min(1, { error: 'a provider needs at least one VM type' }) });

export const CatalogSchema = z.object({
  currency: z.string().default('USD'),
  note: z.string().optional(),
  providers: z.array(ProviderSchema).min(1, { error: 'the catalog needs at least one provider' }),
});

export const RequestClassSchema = z.object({
  name,
  /** share of the hour's population in this class (weights; normalized) */
  mix: z.number().positive({ error: 'must be positive' }).default(1),
});

export const TierSchema = z.object({
  name,
  /** CPU seconds per request on a speed-1 core, per class; a class missing has demand 0 */
  demands: z.record(z.string(), seconds),
  /** fixed latency per request that no VM choice changes (network, external service) */
  latency: z.record(z.string(), seconds).default({}),
  /** other devices on each VM (e.g. a disk): seconds per request, split over the VMs, not scaled by speed */
  devices: z
    .array(
      z.object({
        name,
        demands: z.record(z.string(), seconds),
        servers: z.number().int().positive({ error: 'must be at least 1' }).default(1),
      }),
    )
    .default([]),
  minMemoryGb: z.number().nonnegative().default(0),
  minAvailability: fraction.default(0),
  /** restrict the tier to these VM type names (any provider) */
  vmTypes: z.array(z.string()).optional(),
});

export const HourSchema = z.object({
  hour: z.number().int().min(0, { error: 'must be 0..23' }).max(23, { error: 'must be 0..23' }),
  population: z.number().nonnegative({ error: 'must not be negative' }),
  thinkTime: seconds.optional(),
  /** open requests per second on top of the closed population (split by class mix and provider share) */
  arrivalRate: z.number().nonnegative({ error: 'must not be negative' }).finite().default(0),
});

export const WorkloadSchema = z.object({
  /** default think time for hours that give none */
  thinkTime: seconds.optional(),
  hours: z.array(HourSchema).length(24, { error: 'give exactly 24 hours (0..23)' }),
});

const perHour = z.union([fraction, z.array(fraction).length(24, { error: 'give one share per hour (24)' })]);

export const ConstraintsSchema = z.object({
  /** maximum average response time per class (seconds) */
  responseTime: z.record(z.string(), z.number().positive({ error: 'must be positive' })).default({}),
  /** percentile limits per class, e.g. {"buy": {"p": 0.95, "max": 1.2}} (exponential approximation) */
  percentile: z
    .record(
      z.string(),
      z.object({
        p: z.number().gt(0, { error: 'must be in (0, 1)' }).lt(1, { error: 'must be in (0, 1)' }),
        max: z.number().positive({ error: 'must be positive' }),
      }),
    )
    .default({}),
  /** maximum average CPU utilization per VM, for all tiers or per tier */
  maxUtilization: z.union([fraction, z.record(z.string(), fraction)]).default(0.8),
  replicas: z
    .record(z.string(), z.object({ min: z.number().int().nonnegative().default(1), max: z.number().int().positive().default(200) }))
    .default({}),
  /** providers that may be used (default: every provider in the catalog) */
  providers: z.array(z.string()).optional(),
  minProviders: z.number().int().positive().default(1),
  /** workload share per provider (fraction, one value or 24); absent: the planner picks the providers */
  share: z.record(z.string(), perHour).optional(),
});

export const SearchSchema = z.object({
  restarts: z.number().int().nonnegative().default(3),
  tabuLength: z.number().int().nonnegative().default(4),
  /** solver for every evaluation; amva by default: a search makes thousands of them */
  method: z.enum(['exact', 'amva', 'linearizer', 'auto']).default('amva'),
});

export const PlanInputSchema = z
  .object({
    classes: z.array(RequestClassSchema).min(1, { error: 'give at least one request class' }),
    tiers: z.array(TierSchema).min(1, { error: 'give at least one tier' }),
    workload: WorkloadSchema,
    catalog: CatalogSchema,
    constraints: ConstraintsSchema.default({ responseTime: {}, percentile: {}, maxUtilization: 0.8, replicas: {}, minProviders: 1 }),
    search: SearchSchema.default({ restarts: 3, tabuLength: 4, method: 'amva' }),
  })
  .superRefine((p, ctx) => {
    const classes = new Set(p.classes.map((c) => c.name));
    const tiers = new Set(p.tiers.map((t) => t.name));
    const providers = new Set(p.catalog.providers.map((x) => x.name));
    const unknown = (kind: string, known: Set<string>, v: string, path: (string | number)[]) => {
      if (!known.has(v)) ctx.addIssue({ code: 'custom', path, message: `unknown ${kind} "${v}" (known: ${[...known].join(', ')})` });
    };
    p.tiers.forEach((t, i) => {
      for (const c of Object.keys(t.demands)) unknown('class', classes, c, ['tiers', i, 'demands', c]);
      for (const c of Object.keys(t.latency)) unknown('class', classes, c, ['tiers', i, 'latency', c]);
      t.devices.forEach((d, j) => {
        for (const c of Object.keys(d.demands)) unknown('class', classes, c, ['tiers', i, 'devices', j, 'demands', c]);
      });
    });
    const hours = new Set(p.workload.hours.map((h) => h.hour));
    if (hours.size !== 24)
      ctx.addIssue({ code: 'custom', path: ['workload', 'hours'], message: 'each hour 0..23 must appear exactly once' });
    p.workload.hours.forEach((h, i) => {
      if (h.thinkTime === undefined && p.workload.thinkTime === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['workload', 'hours', i, 'thinkTime'],
          message: 'missing (and no workload.thinkTime default)',
        });
    });
    const c = p.constraints;
    for (const k of Object.keys(c.responseTime)) unknown('class', classes, k, ['constraints', 'responseTime', k]);
    for (const k of Object.keys(c.percentile)) unknown('class', classes, k, ['constraints', 'percentile', k]);
    if (typeof c.maxUtilization === 'object')
      for (const k of Object.keys(c.maxUtilization)) unknown('tier', tiers, k, ['constraints', 'maxUtilization', k]);
    for (const [k, r] of Object.entries(c.replicas)) {
      unknown('tier', tiers, k, ['constraints', 'replicas', k]);
      if (r.min > r.max) ctx.addIssue({ code: 'custom', path: ['constraints', 'replicas', k], message: `min ${r.min} > max ${r.max}` });
    }
    (c.providers ?? []).forEach((x, i) => unknown('provider', providers, x, ['constraints', 'providers', i]));
    const allowed = new Set(c.providers ?? providers);
    if (c.minProviders > allowed.size)
      ctx.addIssue({
        code: 'custom',
        path: ['constraints', 'minProviders'],
        message: `${c.minProviders} providers required but only ${allowed.size} allowed`,
      });
    if (c.share) {
      for (const k of Object.keys(c.share)) unknown('allowed provider', allowed, k, ['constraints', 'share', k]);
      for (let h = 0; h < 24; h++) {
        const vals = Object.values(c.share).map((v) => (typeof v === 'number' ? v : v[h]!));
        const sum = vals.reduce((a, b) => a + b, 0);
        const used = vals.filter((v) => v > 0).length;
        // one issue is enough: the same mistake usually repeats over all 24 hours
        if (Math.abs(sum - 1) > 1e-6) {
          ctx.addIssue({ code: 'custom', path: ['constraints', 'share'], message: `shares of hour ${h} sum to ${sum}, not 1` });
          break;
        }
        if (used < c.minProviders) {
          ctx.addIssue({
            code: 'custom',
            path: ['constraints', 'share'],
            message: `hour ${h} uses ${used} provider(s), minProviders is ${c.minProviders}`,
          });
          break;
        }
      }
    }
  });

export type PlanInput = z.output<typeof PlanInputSchema>;
export type PlanInputRaw = z.input<typeof PlanInputSchema>;
export type VmType = z.output<typeof VmTypeSchema>;

export function parsePlanInput(input: unknown): PlanInput {
  const r = PlanInputSchema.safeParse(input);
  if (!r.success) throw invalid(`invalid plan input: ${describeIssues(r.error.issues)}`);
  return r.data;
}

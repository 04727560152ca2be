// A MEL's quality-of-service objectives (its optional `slo` block): what the SLA mediator
// (src/sla/mediator.ts, seed E.6) turns into a WS-Agreement template and agreement.
import { z } from 'zod';

export const PenaltySpec = z.object({
  count: z.number().int().min(1).default(1),
  duration: z.string().min(1).default('P1D'),
  type: z.string().min(1).default('discount'),
  expression: z.string().min(1),
  unit: z.string().default('%'),
  validity: z.string().min(1).default('P1D'),
});

const BoundShape = {
  /** the metric must stay ≤ max (in the metric's unit; seconds for responseTime) */
  max: z.number().finite().optional(),
  /** the metric must stay ≥ min */
  min: z.number().finite().optional(),
  /** what inside the MEL it applies to (an endpoint, a method); the term's ServiceScope */
  scope: z.string().min(1).optional(),
  penalty: PenaltySpec.optional(),
  /** osmo: compensating actions of the generated term, e.g. [{"type": "scale-out", "step": 1, "max": 3}] */
  actions: z.array(z.unknown()).optional(),
  /** osmo: seconds (or ISO 8601) between two actions of the term */
  cooldown: z.union([z.number().positive(), z.string().min(1)]).optional(),
};
const hasBound = (b: { max?: number | undefined; min?: number | undefined }) => b.max !== undefined || b.min !== undefined;
const BOUND_MSG = 'an objective needs max or min';

export const SloItem = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'ids are letters, digits and dashes')
      .optional(),
    metric: z.string().min(1),
    ...BoundShape,
  })
  .refine(hasBound, BOUND_MSG);
const SloBound = z.object(BoundShape).refine(hasBound, BOUND_MSG);

/**
 * A MEL's QoS objectives: a map `{responseTime: {max: 2.0}, availability: {min: 0.999}}`, or a
 * list when one metric has several objectives (per scope) or ids matter:
 * `[{id: "c1", metric: "responseTime", max: 2.0, scope: "RequestHandler/quickadd"}]`.
 */
export const SloSchema = z.union([z.array(SloItem).min(1), z.record(z.string().min(1), SloBound)]);
export type Slo = z.input<typeof SloSchema>;

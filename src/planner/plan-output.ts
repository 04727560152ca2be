// The plan's shape as a zod schema: it documents POST/GET /api/v1/plans in the OpenAPI
// document, and the type check below keeps it in step with plan.ts's interfaces.
import { z } from 'zod';
import type { PlanResult } from './plan.js';

const perClass = z.record(z.string(), z.number());

export const DeploymentSchema = z.object({
  provider: z.string(),
  share: z.number(),
  population: perClass,
  arrivalRate: perClass,
  thinkTime: z.number(),
  feasible: z.boolean(),
  cost: z.number(),
  tiers: z.record(
    z.string(),
    z.object({ vmType: z.string(), count: z.number().int(), cores: z.number().int(), pricePerHour: z.number(), utilization: z.number() }),
  ),
  responseTime: perClass,
  throughput: perClass,
  method: z.enum(['exact', 'amva', 'linearizer']),
  binding: z.array(z.string()),
  violations: z.array(z.string()),
});

export const PlanResultSchema = z.object({
  feasible: z.boolean(),
  currency: z.string(),
  dailyCost: z.number(),
  providers: z.array(z.string()),
  peakPlan: z.object({ dailyCost: z.number(), hours: z.record(z.string(), z.number()), feasibleAllDay: z.boolean() }),
  savings: z.number(),
  hours: z.array(z.object({ hour: z.number().int(), feasible: z.boolean(), cost: z.number(), deployments: z.array(DeploymentSchema) })),
  search: z.object({
    seed: z.number(),
    restarts: z.number(),
    tabuLength: z.number(),
    evaluations: z.number(),
    alternativesTried: z.number(),
  }),
});

// compile-time: the interfaces and the schema describe the same object
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: Same<z.infer<typeof PlanResultSchema>, PlanResult> = true;
void same;

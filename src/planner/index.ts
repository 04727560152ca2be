// The planner's public surface: pure functions and the zod schemas of their inputs.
export { solve, SolveMethodSchema } from './solve.js';
export { NetworkSchema } from './network.js';
export { plan, planAsync, type PlanResult } from './plan.js';
export { PlanInputSchema, parsePlanInput, type PlanInput } from './plan-input.js';
export { solveLqnx } from './lqnx.js';
export { replicaSchedule } from './apply.js';
export { PlanResultSchema } from './plan-output.js';

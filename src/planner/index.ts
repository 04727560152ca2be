// The planner's public surface: pure functions and the zod schemas of their inputs.
export { solve, SolveMethodSchema, type SolveOptions, type SolveResult, type SolveMethod, type Method } from './solve.js';
export { NetworkSchema, parseNetwork, type Network, type NetworkInput } from './network.js';
export { plan, planAsync, type PlanOptions, type PlanResult, type HourPlan, type Deployment } from './plan.js';
export { PlanInputSchema, CatalogSchema, parsePlanInput, type PlanInput, type PlanInputRaw } from './plan-input.js';
export { lqnxToNetwork, solveLqnx } from './lqnx.js';
export { replicaSchedule, type HourReplicas } from './apply.js';
export { PlanResultSchema, DeploymentSchema } from './plan-output.js';

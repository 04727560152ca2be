// Background services of the core besides the registry and the reconciler (retention
// here; later the rebalancer, migration, SLA enforcement). Another context registers its
// service with one line in `services`.
import { scheduleRetention } from '../../store/retention.js';
import type { CoreContext } from '../context.js';
import { policyEngineService } from '../migration/service.js';

/** Starts with the core; returns what stops it. */
export type CoreService = (ctx: CoreContext) => (() => void | Promise<void>) | void;

const retention: CoreService = (ctx) => scheduleRetention(ctx.store);

export const services: CoreService[] = [retention, policyEngineService];

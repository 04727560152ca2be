// The scheduler a core places with: the pure schedule() over the snapshot, enriched with
// what the policy engine knows (loads, hysteresis, acceptance, pending tables, images) and
// ranked by the current policies. Given to the reconciler when it is built.
import { defineModule } from '../module.js';
import { schedule } from './index.js';
import type { ScheduleFn } from './types.js';

export const scheduler = defineModule({
  name: 'scheduler',
  deps: ['policies', 'policyState'],
  start({ policies, policyState }) {
    const fn: ScheduleFn = (snap, req) => schedule(policyState.enrich(snap), req, { policy: policies.set });
    return { service: fn };
  },
});

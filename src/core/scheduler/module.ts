// The scheduler a core places with: the pure schedule() over the snapshot, enriched with
// what the policy engine knows (loads, hysteresis, acceptance, pending tables, images) and
// ranked by the current policies. Given to the reconciler when it is built.
import { defineModule } from '../module.js';
import { rankNodes, schedule } from './index.js';
import type { ClusterSnapshot, MelSnapshot, ScheduleFn, ScheduleRequest } from './types.js';

export const scheduler = defineModule({
  name: 'scheduler',
  deps: ['policies', 'policyState'],
  start({ policies, policyState }) {
    // a pass schedules many MELs over one snapshot: enrich it once, not once per MEL (1,000
    // nodes' policies, loads and pending tables cost about a millisecond each time)
    const enriched = new WeakSet<ClusterSnapshot>();
    const enrich = (snap: ClusterSnapshot) => {
      if (!enriched.has(snap)) {
        policyState.enrich(snap);
        enriched.add(snap);
      }
    };
    const fn: ScheduleFn = Object.assign(
      (snap: ClusterSnapshot, req: ScheduleRequest) => {
        enrich(snap);
        return schedule(snap, req, { policy: policies.set });
      },
      {
        rank: (snap: ClusterSnapshot, mel: MelSnapshot, nodes: string[]) => {
          enrich(snap);
          return rankNodes(snap, mel, nodes, { policy: policies.set });
        },
      },
    );
    return { service: fn };
  },
});

// From a plan to MEL replica counts: a plan says, per hour and provider, how many VMs each
// tier needs; applied to an osmo cluster, each tier is a MEL and the count its replicas
// (summed over the plan's providers unless one provider is chosen).
import { invalid } from '../shared/errors.js';
import type { PlanResult } from './plan.js';

export interface HourReplicas {
  hour: number;
  replicas: Record<string, number>;
}

/** tierToMel: {tier name: MEL name}; every tier named must exist in the plan. */
export function replicaSchedule(plan: PlanResult, tierToMel: Record<string, string>, provider?: string): HourReplicas[] {
  const tiers = Object.keys(plan.hours[0]?.deployments[0]?.tiers ?? {});
  for (const t of Object.keys(tierToMel))
    if (!tiers.includes(t)) throw invalid(`mels.${t}: the plan has no tier "${t}" (tiers: ${tiers.join(', ')})`);
  if (provider !== undefined && !plan.providers.includes(provider))
    throw invalid(`provider: the plan does not use "${provider}" (providers: ${plan.providers.join(', ')})`);
  return plan.hours.map((h) => {
    const replicas: Record<string, number> = {};
    for (const [tier, mel] of Object.entries(tierToMel)) {
      replicas[mel] = h.deployments
        .filter((d) => provider === undefined || d.provider === provider)
        .reduce((a, d) => a + d.tiers[tier]!.count, 0);
    }
    return { hour: h.hour, replicas };
  });
}

// Osmotic flow between layers. A MEL may prefer a layer (edge, say): the home tier is that
// layer in the MEL's home domain; when no home node can take it, instances spill over to
// the next layer along the flow (iot -> edge -> cloud), and flow back when home is under
// `low` again. Placement and migration both rank destinations by this tier first, which is
// why a moved instance is never sent straight back: the tier that refused it still refuses.
import type { NodeLayer } from '../model/index.js';

const FLOW: readonly NodeLayer[] = ['iot', 'edge', 'cloud'];

/** Tier of the preferred layer in a foreign domain: after the whole spill chain. */
export const FOREIGN_TIER = FLOW.length;

/**
 * 0 = home (preferred layer in the home domain, or no preference at all),
 * k = k-th layer after the preferred one (edge -> cloud is 1),
 * FOREIGN_TIER = preferred layer in another domain, FOREIGN_TIER + 1 = a layer before it.
 */
export function tierOf(
  node: { layer: NodeLayer; domain: string },
  preferLayer: NodeLayer | undefined,
  homeDomain: string | undefined,
): number {
  if (!preferLayer) return 0;
  const d = FLOW.indexOf(node.layer) - FLOW.indexOf(preferLayer);
  if (d === 0) return homeDomain === undefined || node.domain === homeDomain ? 0 : FOREIGN_TIER;
  return d > 0 ? d : FOREIGN_TIER + 1;
}

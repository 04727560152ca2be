// The hysteresis loop of the seed's load policy: two thresholds so that a node working
// near the limit does not flap between "overloaded" and "normal".
import type { PolicyDocument } from './document.js';

/**
 * Next overloaded state. Overloaded when L >= high; back to normal only when L <= low.
 * Between the two the previous state holds. An unknown (stale) L changes nothing.
 */
export function nextOverloaded(prev: boolean, load: number | undefined, t: PolicyDocument['thresholds']): boolean {
  if (load === undefined) return prev;
  if (prev) return !(load <= t.low);
  return load >= t.high;
}

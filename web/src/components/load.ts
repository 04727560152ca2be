// The load factor L in [0, 1] as the dashboard shows it: a number and a colour band.
// When the core reports only the node's CPU and memory percentages, L is estimated with
// the policy engine's current weights (no I/O term) and shown as "L≈" so nobody mistakes
// it for the policy engine's own figure. The bands are the engine's hysteresis thresholds.
import type { OsmoNode } from '../api/types.js';
import { DEFAULT_LOAD_POLICY, type LoadPolicy } from '../state/live.js';

export interface Load {
  value: number;
  estimated: boolean;
}

export function loadFactor(n: OsmoNode, p: LoadPolicy = DEFAULT_LOAD_POLICY): Load | null {
  const l = n.load;
  if (typeof l === 'number' && Number.isFinite(l)) return { value: l, estimated: false };
  if (!l || typeof l !== 'object') return null;
  if (typeof l.factor === 'number') return { value: l.factor, estimated: false };
  if (typeof l.cpu !== 'number' && typeof l.mem !== 'number') return null;
  const w = p.weights;
  const sum = w.cpu + w.mem + w.io;
  if (sum <= 0) return null;
  const value = ((w.cpu * (l.cpu ?? 0)) / 100 + (w.mem * (l.mem ?? 0)) / 100) / sum;
  return { value: Math.min(1, Math.max(0, value)), estimated: true };
}

/** under low: normal; between: in the hysteresis band; at or over high: overloaded */
export function loadBand(l: Load | null, p: LoadPolicy = DEFAULT_LOAD_POLICY): 'unknown' | 'low' | 'mid' | 'high' {
  if (l === null) return 'unknown';
  if (l.value >= p.high) return 'high';
  if (l.value > p.low) return 'mid';
  return 'low';
}

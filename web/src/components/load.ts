// The load factor L in [0, 1] as the dashboard shows it: a number and a colour band.
// When the core reports only the node's CPU and memory percentages, L is estimated with
// the policy engine's default weights (cpu 0.6, mem 0.3, io 0.1; no I/O term) and shown
// as "L≈" so nobody mistakes it for the policy engine's own figure.
import type { OsmoNode } from '../api/types.js';

export interface Load {
  value: number;
  estimated: boolean;
}

const W = { cpu: 0.6, mem: 0.3, io: 0.1 };

export function loadFactor(n: OsmoNode): Load | null {
  const l = n.load;
  if (typeof l === 'number' && Number.isFinite(l)) return { value: l, estimated: false };
  if (!l || typeof l !== 'object') return null;
  if (typeof l.factor === 'number') return { value: l.factor, estimated: false };
  if (typeof l.cpu !== 'number' && typeof l.mem !== 'number') return null;
  const cpu = (l.cpu ?? 0) / 100;
  const mem = (l.mem ?? 0) / 100;
  const value = (W.cpu * cpu + W.mem * mem) / (W.cpu + W.mem + W.io);
  return { value: Math.min(1, Math.max(0, value)), estimated: true };
}

/** Bands follow the policy engine's default hysteresis thresholds (low 0.6, high 0.8). */
export function loadBand(l: Load | null): 'unknown' | 'low' | 'mid' | 'high' {
  if (l === null) return 'unknown';
  if (l.value >= 0.8) return 'high';
  if (l.value >= 0.6) return 'mid';
  return 'low';
}

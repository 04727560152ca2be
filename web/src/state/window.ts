// A rolling window of samples of one (node, target, metric), column-wise as uPlot wants
// them: one time axis (seconds) and one column per field, every column as long as the
// axis (null where a sample lacked the field). Pure: no DOM, tested under node.
import type { MetricSeries } from '../api/types.js';

export interface SampleWindow {
  ts: number[];
  fields: Map<string, (number | null)[]>;
  units: Map<string, string>;
}

export const emptyWindow = (): SampleWindow => ({ ts: [], fields: new Map(), units: new Map() });

/** Appends one sample (ts in ms, fields as the agent sends them: {name: {value, unit}}). */
export function appendSample(w: SampleWindow, tsMs: number, fields: Record<string, unknown>, max: number): void {
  const i = w.ts.length;
  w.ts.push(tsMs / 1000);
  for (const [name, f] of Object.entries(fields)) {
    if (typeof f !== 'object' || f === null) continue;
    const { value, unit } = f as { value?: unknown; unit?: unknown };
    if (typeof value !== 'number') continue;
    let col = w.fields.get(name);
    if (!col) w.fields.set(name, (col = new Array<number | null>(i).fill(null)));
    col.push(value);
    if (typeof unit === 'string') w.units.set(name, unit);
  }
  for (const col of w.fields.values()) if (col.length < w.ts.length) col.push(null);
  trim(w, max);
}

/** Puts stored history (points in ms) in front of the live samples: only what is older
 * than the first live sample, so nothing is counted twice. Returns how many were added. */
export function prependHistory(w: SampleWindow, series: MetricSeries[], max: number): number {
  const firstLive = (w.ts[0] ?? Infinity) * 1000;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.ts)))].filter((t) => t < firstLive).sort((a, b) => a - b);
  if (xs.length === 0) return 0;
  const at = new Map(xs.map((t, i) => [t, i]));
  const hist = new Map<string, (number | null)[]>();
  for (const s of series) {
    const col = hist.get(s.field) ?? new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) {
      const i = at.get(p.ts);
      if (i !== undefined) col[i] = p.value;
    }
    hist.set(s.field, col);
    if (s.unit && !w.units.has(s.field)) w.units.set(s.field, s.unit);
  }
  const liveLen = w.ts.length;
  const merged = new Map<string, (number | null)[]>();
  for (const f of new Set([...hist.keys(), ...w.fields.keys()])) {
    merged.set(f, [
      ...(hist.get(f) ?? new Array<number | null>(xs.length).fill(null)),
      ...(w.fields.get(f) ?? new Array<number | null>(liveLen).fill(null)),
    ]);
  }
  w.ts = [...xs.map((t) => t / 1000), ...w.ts];
  w.fields = merged;
  trim(w, max);
  return xs.length;
}

/** Keeps the newest `max` samples. */
export function trim(w: SampleWindow, max: number): void {
  if (w.ts.length <= max) return;
  const drop = w.ts.length - max;
  w.ts.splice(0, drop);
  for (const col of w.fields.values()) col.splice(0, drop);
}

// Readers of the core's answers that tolerate the plausible layouts, so a cosmetic change
// of the core does not blank a chart. Pure: no DOM, no fetch (tested under node).
import type { MetricPoint, MetricSeries, PolicyParam } from './types.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The metrics endpoint answers with series of points; accept the plausible layouts
 * ({series:[{field, points:[{ts,value}]}]} or a flat {points|samples:[{ts, field, value}]})
 * so the charts do not break on a cosmetic change of the core. */
export function normalizeSeries(data: unknown): MetricSeries[] {
  if (!isRec(data)) return [];
  if (Array.isArray(data.series)) {
    return data.series.filter(isRec).map((s) => ({
      node: typeof s.node === 'string' ? s.node : undefined,
      target: typeof s.target === 'string' ? s.target : undefined,
      metric: typeof s.metric === 'string' ? s.metric : undefined,
      field: typeof s.field === 'string' ? s.field : 'value',
      unit: typeof s.unit === 'string' ? s.unit : undefined,
      points: toPoints(s.points),
    }));
  }
  const flat = Array.isArray(data.points) ? data.points : Array.isArray(data.samples) ? data.samples : null;
  if (!flat) return [];
  const byField = new Map<string, MetricSeries>();
  for (const p of flat) {
    if (!isRec(p)) continue;
    const ts = num(p.ts) ?? num(p.t) ?? num(p.time);
    const field = typeof p.field === 'string' ? p.field : 'value';
    const unit = typeof p.unit === 'string' ? p.unit : undefined;
    const value = num(p.value) ?? num(p.avg) ?? num(p.v);
    if (ts === undefined || value === undefined) continue;
    let s = byField.get(field);
    if (!s) byField.set(field, (s = { field, unit, points: [] }));
    s.points.push({ ts, value });
  }
  for (const s of byField.values()) s.points.sort((a, b) => a.ts - b.ts);
  return [...byField.values()];
}

function toPoints(v: unknown): MetricPoint[] {
  if (!Array.isArray(v)) return [];
  const out: MetricPoint[] = [];
  for (const p of v) {
    if (Array.isArray(p)) {
      const ts = num(p[0]);
      const value = num(p[1]);
      if (ts !== undefined && value !== undefined) out.push({ ts, value });
    } else if (isRec(p)) {
      const ts = num(p.ts) ?? num(p.t);
      const value = num(p.value) ?? num(p.avg) ?? num(p.v);
      if (ts !== undefined && value !== undefined) out.push({ ts, value });
    }
  }
  return out;
}

export function nestPatch(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let out: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) out = { [keys[i] as string]: out };
  return out as Record<string, unknown>;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((o): o is string => typeof o === 'string') : undefined);

/** Accepts the parameter list ({parameters:[{name, value, min, max, allowed, ...}]}, as the
 * policy engine's describe() gives it) or a bare policy document, flattened to dotted names. */
export function normalizeParams(data: unknown): PolicyParam[] {
  if (Array.isArray(data)) return normalizeParams({ parameters: data });
  if (!isRec(data)) return [];
  const list = [data.parameters, data.policies, data.params].find(Array.isArray);
  if (list) {
    return list.filter(isRec).flatMap((p): PolicyParam[] => {
      if (typeof p.name !== 'string') return [];
      const v = p.value;
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return [];
      const range = isRec(p.range) ? p.range : {};
      return [
        {
          name: p.name,
          value: v,
          description: typeof p.description === 'string' ? p.description : undefined,
          min: num(p.min) ?? num(range.min),
          max: num(p.max) ?? num(range.max),
          step: num(p.step) ?? (p.type === 'integer' ? 1 : undefined),
          options: strings(p.allowed) ?? strings(p.options) ?? strings(p.enum),
          unit: typeof p.unit === 'string' ? p.unit : undefined,
          group: typeof p.group === 'string' ? p.group : p.name.includes('.') ? p.name.split('.')[0] : undefined,
        },
      ];
    });
  }
  const doc = isRec(data.policy) ? data.policy : isRec(data.document) ? data.document : data;
  const out: PolicyParam[] = [];
  const walk = (o: Rec, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (isRec(v)) walk(v, name);
      else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out.push({ name, value: v });
    }
  };
  walk(doc, '');
  return out;
}

// Reads the planner's answer (src/planner PlanResult: per hour, per provider deployment,
// per tier the VM type and count, response time per class, cost) into the columns the
// charts need, with the input's response-time constraints and the peak-capacity plan.
export interface PlanView {
  hours: number[];
  /** one column per tier (per tier@provider when several providers share the load) */
  tiers: { name: string; vms: (number | null)[] }[];
  /** worst predicted response time per class over the providers, seconds */
  responseTime: { name: string; values: (number | null)[]; limit?: number }[];
  hourlyCost: (number | null)[];
  peakHourlyCost?: number;
  cost: number;
  peakCost?: number;
  currency: string;
  feasible: boolean;
  savings?: number;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function readPlan(data: unknown, input?: unknown): PlanView {
  const root = isRec(data) && isRec(data.plan) ? data.plan : data;
  if (!isRec(root) || !Array.isArray(root.hours)) throw new Error('the planner answered without a per-hour plan');
  const hours: number[] = [];
  const tierCols = new Map<string, (number | null)[]>();
  const rtCols = new Map<string, (number | null)[]>();
  const hourlyCost: (number | null)[] = [];
  const providers = Array.isArray(root.providers) ? root.providers.length : 1;

  const col = (m: Map<string, (number | null)[]>, name: string, idx: number) => {
    let c = m.get(name);
    if (!c) m.set(name, (c = new Array<number | null>(idx).fill(null)));
    return c;
  };

  root.hours.forEach((h, idx) => {
    if (!isRec(h)) return;
    hours.push(num(h.hour) ?? idx);
    hourlyCost.push(num(h.cost) ?? null);
    const tierSum = new Map<string, number>();
    const rtMax = new Map<string, number>();
    for (const d of Array.isArray(h.deployments) ? h.deployments.filter(isRec) : []) {
      const prov = typeof d.provider === 'string' ? d.provider : '';
      if (isRec(d.tiers)) {
        for (const [tier, t] of Object.entries(d.tiers)) {
          const n = isRec(t) ? num(t.count) : num(t);
          if (n === undefined) continue;
          const key = providers > 1 ? `${tier}@${prov}` : tier;
          tierSum.set(key, (tierSum.get(key) ?? 0) + n);
        }
      }
      if (isRec(d.responseTime)) {
        for (const [cls, r] of Object.entries(d.responseTime)) {
          const v = num(r);
          if (v !== undefined) rtMax.set(cls, Math.max(rtMax.get(cls) ?? 0, v));
        }
      }
    }
    for (const [k, v] of tierSum) col(tierCols, k, idx).push(v);
    for (const [k, v] of rtMax) col(rtCols, k, idx).push(v);
    for (const c of [...tierCols.values(), ...rtCols.values()]) if (c.length < hours.length) c.push(null);
  });

  const limits = isRec(input) && isRec(input.constraints) && isRec(input.constraints.responseTime) ? input.constraints.responseTime : {};
  const peak = isRec(root.peakPlan) ? root.peakPlan : undefined;
  const peakCost = peak ? num(peak.dailyCost) : undefined;
  const cost = num(root.dailyCost) ?? hourlyCost.reduce<number>((a, b) => a + (b ?? 0), 0);
  return {
    hours,
    tiers: [...tierCols.entries()].map(([name, vms]) => ({ name, vms })),
    responseTime: [...rtCols.entries()].map(([name, values]) => ({ name, values, limit: num(limits[name]) })),
    hourlyCost,
    peakHourlyCost: peakCost !== undefined && hours.length ? peakCost / hours.length : undefined,
    cost,
    peakCost,
    currency: typeof root.currency === 'string' ? root.currency : '',
    feasible: root.feasible !== false,
    savings: num(root.savings),
  };
}

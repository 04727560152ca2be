// Reads the planner's answer into the columns the charts need. The planner reports per
// hour and tier the VM type and count, the predicted response time, the daily cost and
// the cost of keeping peak capacity all day.
export interface PlanView {
  hours: number[];
  tiers: { name: string; vms: (number | null)[] }[];
  responseTime: (number | null)[];
  responseLimit?: number;
  hourlyCost: (number | null)[];
  peakHourlyCost?: (number | null)[];
  cost: number;
  peakCost?: number;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pick = (r: Rec, ...keys: string[]): unknown => keys.map((k) => r[k]).find((v) => v !== undefined);

export function readPlan(data: unknown): PlanView {
  const root = isRec(data) && isRec(data.plan) ? data.plan : data;
  if (!isRec(root)) throw new Error('the planner answered with no plan');
  const hoursRaw = pick(root, 'hours', 'perHour', 'schedule');
  if (!Array.isArray(hoursRaw)) throw new Error('the plan has no per-hour list');
  const hours: number[] = [];
  const tierCols = new Map<string, (number | null)[]>();
  const rt: (number | null)[] = [];
  const hc: (number | null)[] = [];
  hoursRaw.forEach((h, idx) => {
    if (!isRec(h)) return;
    hours.push(num(h.hour) ?? idx);
    const tiers = pick(h, 'tiers', 'allocation');
    const list: [string, number | undefined][] = Array.isArray(tiers)
      ? tiers.filter(isRec).map((t) => [String(pick(t, 'tier', 'name') ?? '?'), num(pick(t, 'count', 'vms', 'replicas'))])
      : isRec(tiers)
        ? Object.entries(tiers).map(([k, v]) => [k, isRec(v) ? num(pick(v, 'count', 'vms', 'replicas')) : num(v)])
        : [];
    for (const [name, n] of list) {
      let col = tierCols.get(name);
      if (!col) tierCols.set(name, (col = new Array<number | null>(hours.length - 1).fill(null)));
      col.push(n ?? null);
    }
    for (const col of tierCols.values()) if (col.length < hours.length) col.push(null);
    rt.push(num(pick(h, 'responseTime', 'predictedResponseTime', 'R')) ?? null);
    hc.push(num(pick(h, 'cost', 'hourlyCost')) ?? null);
  });
  const peak = isRec(root.peak) ? root.peak : isRec(root.peakPlan) ? root.peakPlan : undefined;
  return {
    hours,
    tiers: [...tierCols.entries()].map(([name, vms]) => ({ name, vms })),
    responseTime: rt,
    responseLimit: num(pick(root, 'responseTimeLimit', 'constraint', 'maxResponseTime')),
    hourlyCost: hc,
    cost: num(pick(root, 'cost', 'dailyCost', 'totalCost')) ?? hc.reduce<number>((a, b) => a + (b ?? 0), 0),
    peakCost: num(pick(root, 'peakCost', 'peakCapacityCost')) ?? (peak ? num(pick(peak, 'cost', 'dailyCost')) : undefined),
  };
}

// The soak's arithmetic, shared by bench/soak.ts (during a run) and bench/soak-refit.ts (over
// the sample lines a run printed): least-squares slopes judged against their residual noise.

/** least-squares slope per minute, and the standard deviation of the residuals */
export function fit(xs: number[], ys: number[]): { slope: number; noise: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const res = ys.map((y, i) => y - (my + slope * (xs[i]! - mx)));
  return { slope, noise: Math.sqrt(res.reduce((a, r) => a + r * r, 0) / Math.max(1, n - 2)) };
}

export const TABLE_HEAD =
  '| series | first after warm-up | last | slope per 10 min | residual noise (sd) | growth over the run vs noise |\n| --- | --- | --- | --- | --- | --- |';

/**
 * One table row: "grows" when the fitted growth over the run exceeds twice the residual
 * noise, "within noise" otherwise.
 */
export function fitRow(label: string, series: Array<[number, number]>, unit: string): string {
  if (series.length < 3) return `| ${label} | (${series.length} points: no fit) | | | | |`;
  const xs = series.map(([t]) => t);
  const ys = series.map(([, y]) => y);
  const { slope, noise } = fit(xs, ys);
  const growth = slope * (xs[xs.length - 1]! - xs[0]!);
  const verdict = growth <= 2 * noise || growth <= 0 ? 'within noise' : `GROWS (${(growth / Math.max(noise, 1e-9)).toFixed(1)} × noise)`;
  return `| ${label} | ${ys[0]!.toFixed(1)} ${unit} | ${ys[ys.length - 1]!.toFixed(1)} ${unit} | ${(slope * 10).toFixed(2)} ${unit} | ${noise.toFixed(2)} ${unit} | ${verdict} |`;
}

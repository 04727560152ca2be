// Live charts of one (node, target) from the event stream, one per metric.
import { useEffect } from 'preact/hooks';
import { useTopic } from '../state/hooks.js';
import { live, sampleKey } from '../state/live.js';
import { Chart } from './Chart.js';
import { chooseFields, METRICS } from './fields.js';
import type { MetricName } from '../api/types.js';

export function HostCharts({ node, target, metrics = METRICS }: { node: string; target: string; metrics?: MetricName[] }) {
  const s = useTopic('samples');
  useEffect(() => {
    for (const m of metrics) void live.backfill(node, target, m);
  }, [node, target]);
  const charts = metrics.map((metric) => {
    const w = s.samples.get(sampleKey(node, target, metric));
    return { metric, w };
  });
  return (
    <div class="charts">
      {charts.map(({ metric, w }) => {
        if (!w || w.ts.length === 0) {
          return (
            <figure class="chart empty" key={metric} data-testid={`chart-${metric}`} data-points={0}>
              <figcaption>{metric}</figcaption>
              <p class="muted small">
                waiting for samples… (is the {metric} monitor on for {target === 'host' ? 'the host' : 'guests'}?)
              </p>
            </figure>
          );
        }
        const fields = chooseFields(metric, [...w.fields.keys()], w.units);
        return (
          <Chart
            key={metric}
            testId={`chart-${metric}`}
            title={metric}
            unit={w.units.get(fields[0] ?? '')}
            x={w.ts}
            minSpan={60}
            series={fields.map((f) => ({ label: f, values: w.fields.get(f) ?? [] }))}
          />
        );
      })}
    </div>
  );
}

/** One chart per metric with a line per instance of the node (its main field), so the
 * instances can be compared at a glance. */
export function InstancesCharts({ node, targets, metrics = METRICS }: { node: string; targets: string[]; metrics?: MetricName[] }) {
  const s = useTopic('samples');
  useEffect(() => {
    for (const t of targets) for (const m of metrics) void live.backfill(node, t, m);
  }, [node, targets.join('\u0000')]);
  if (targets.length === 0) return <p class="muted">No instance on this node.</p>;
  return (
    <div class="charts">
      {metrics.map((metric) => {
        const cols: { label: string; ts: number[]; values: (number | null)[] }[] = [];
        let unit: string | undefined;
        for (const t of targets) {
          const w = s.samples.get(sampleKey(node, t, metric));
          if (!w || w.ts.length === 0) continue;
          const fields = chooseFields(metric, [...w.fields.keys()], w.units);
          // net and disk: the sum of the pair (received + sent, read + written)
          const picked = fields.slice(0, metric === 'net' || metric === 'disk' ? 2 : 1);
          unit ??= w.units.get(picked[0] ?? '');
          const values = w.ts.map((_, i) => {
            let sum: number | null = null;
            for (const f of picked) {
              const v = w.fields.get(f)?.[i];
              if (typeof v === 'number') sum = (sum ?? 0) + v;
            }
            return sum;
          });
          cols.push({ label: t, ts: w.ts, values });
        }
        if (cols.length === 0) {
          return (
            <figure class="chart empty" key={metric} data-testid={`chart-${metric}`} data-points={0}>
              <figcaption>{metric}</figcaption>
              <p class="muted small">waiting for samples… (is the {metric} monitor on for guests?)</p>
            </figure>
          );
        }
        const x = [...new Set(cols.flatMap((c) => c.ts))].sort((a, b) => a - b);
        const at = new Map(x.map((t, i) => [t, i]));
        const series = cols.map((c) => {
          const v = new Array<number | null>(x.length).fill(null);
          c.ts.forEach((t, i) => (v[at.get(t) ?? 0] = c.values[i] ?? null));
          return { label: c.label, values: v };
        });
        const title = metric === 'net' ? 'net (received + sent)' : metric === 'disk' ? 'disk (read + written)' : metric;
        return <Chart key={metric} testId={`chart-${metric}`} title={title} unit={unit} x={x} series={series} minSpan={60} />;
      })}
    </div>
  );
}

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
              <p class="muted small">waiting for samples… (is the {metric} monitor on for {target === 'host' ? 'the host' : 'guests'}?)</p>
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

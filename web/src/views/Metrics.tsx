// Charts for the host and each instance of a node: live from the event stream, or a
// past range read from the core's metrics store (downsampled by `step`).
import { useEffect, useState } from 'preact/hooks';
import { queryMetrics } from '../api/endpoints.js';
import type { MetricName, MetricSeries } from '../api/types.js';
import { Chart } from '../components/Chart.js';
import { chooseFields, METRICS } from '../components/fields.js';
import { HostCharts, InstancesCharts } from '../components/LiveCharts.js';
import { href, navigate } from '../router.js';
import { useTopic } from '../state/hooks.js';

/** the target value that compares every instance of the node */
const ALL = '*';

const RANGES = [
  { id: 'live', label: 'live', ms: 0 },
  { id: '15m', label: 'last 15 min', ms: 15 * 60_000 },
  { id: '1h', label: 'last hour', ms: 3600_000 },
  { id: '6h', label: 'last 6 h', ms: 6 * 3600_000 },
  { id: '24h', label: 'last 24 h', ms: 24 * 3600_000 },
  { id: '7d', label: 'last 7 days', ms: 7 * 24 * 3600_000 },
] as const;

export function MetricsView({ params }: { params: URLSearchParams }) {
  const s = useTopic('cluster');
  const { nodes, instances } = s.cluster;
  const node = params.get('node') ?? nodes[0]?.id ?? '';
  const target = params.get('target') ?? 'host';
  const range = RANGES.find((r) => r.id === params.get('range')) ?? RANGES[0];
  const instanceNames = instances.filter((i) => i.node === node).map((i) => i.name);
  const targets = ['host', ALL, ...instanceNames];
  if (!targets.includes(target)) targets.push(target);

  const go = (p: { node?: string; target?: string; range?: string }) =>
    navigate(href('metrics', { node, target, range: range.id, ...p }), true);

  return (
    <div class="metrics">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <label for="m-node">Node</label>
        <select id="m-node" value={node} onChange={(e) => go({ node: e.currentTarget.value, target: 'host' })}>
          {nodes.map((n) => (
            <option key={n.id} value={n.id}>
              {n.id}
            </option>
          ))}
        </select>
        <label for="m-target">Target</label>
        <select id="m-target" value={target} onChange={(e) => go({ target: e.currentTarget.value })}>
          {targets.map((t) => (
            <option key={t} value={t}>
              {t === 'host' ? 'host' : t === ALL ? 'all instances' : `instance ${t}`}
            </option>
          ))}
        </select>
        <label for="m-range">Time range</label>
        <select id="m-range" value={range.id} onChange={(e) => go({ range: e.currentTarget.value })}>
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </form>
      {!node ? (
        <p class="muted">No node yet.</p>
      ) : range.ms === 0 ? (
        target === ALL ? (
          <InstancesCharts node={node} targets={instanceNames} />
        ) : (
          <HostCharts node={node} target={target} />
        )
      ) : target === ALL ? (
        <p class="muted">Pick one target to see its stored history.</p>
      ) : (
        <HistoryCharts node={node} target={target} ms={range.ms} />
      )}
    </div>
  );
}

function HistoryCharts({ node, target, ms }: { node: string; target: string; ms: number }) {
  const [data, setData] = useState<Map<MetricName, MetricSeries[]> | null>(null);
  const [span, setSpan] = useState<[number, number]>([0, 0]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    const to = Date.now();
    const from = to - ms;
    // about 300 points per chart whatever the range
    const step = Math.max(1000, Math.round(ms / 300 / 1000) * 1000);
    setData(null);
    setError(null);
    setSpan([from / 1000, to / 1000]);
    Promise.all(METRICS.map(async (metric) => [metric, await queryMetrics({ node, target, metric, from, to, step })] as const))
      .then((rows) => !stale && setData(new Map(rows)))
      .catch((e: unknown) => !stale && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      stale = true;
    };
  }, [node, target, ms]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!data) return <p class="muted">Loading history…</p>;
  return (
    <div class="charts">
      {METRICS.map((metric) => {
        const series = data.get(metric) ?? [];
        if (series.length === 0 || series.every((s) => s.points.length === 0)) {
          return (
            <figure class="chart empty" key={metric} data-testid={`hist-${metric}`} data-points={0}>
              <figcaption>{metric}</figcaption>
              <p class="muted small">no stored samples in this range</p>
            </figure>
          );
        }
        const units = new Map(series.map((s) => [s.field, s.unit ?? '']));
        const fields = chooseFields(
          metric,
          series.map((s) => s.field),
          units,
        );
        const chosen = series.filter((s) => fields.includes(s.field));
        const { x, cols } = align(chosen);
        return (
          <Chart
            key={metric}
            testId={`hist-${metric}`}
            title={metric}
            unit={chosen[0]?.unit}
            x={x}
            xRange={span}
            series={chosen.map((s, i) => ({ label: s.field, values: cols[i] ?? [] }))}
          />
        );
      })}
    </div>
  );
}

/** Puts series with their own timestamps on one time axis (uPlot wants aligned columns). */
export function align(series: MetricSeries[]): { x: number[]; cols: (number | null)[][] } {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.ts)))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const cols = series.map((s) => {
    const col = new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) col[index.get(p.ts) ?? 0] = p.value;
    return col;
  });
  return { x: xs.map((t) => t / 1000), cols };
}

// A uPlot line chart that keeps one plot instance and feeds it new data, so a live
// chart redraws cheaply; it follows its container's width for phone screens.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { compact } from './fields.js';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartProps {
  title: string;
  unit?: string;
  /** seconds since epoch */
  x: number[];
  series: ChartSeries[];
  height?: number;
  /** horizontal line, e.g. a response-time constraint */
  limit?: number;
  testId?: string;
  /** 'hour': x holds hours of the day (the planner), not epoch seconds */
  xKind?: 'time' | 'hour';
  /** history charts: the requested time range, seconds (the data may cover less of it) */
  xRange?: [number, number];
  /** live charts: show at least this many seconds, so the axis reads in minutes, not milliseconds */
  minSpan?: number;
}

const PALETTE = ['#2f7ed8', '#e4572e', '#17a589', '#a05195', '#f4a259', '#5c6b73', '#8cb369', '#d1495b'];

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape =
    props.series.map((s) => s.label).join('\u0000') +
    `|${props.unit ?? ''}|${props.limit ?? ''}|${props.minSpan ?? ''}|${props.xKind ?? ''}|${props.xRange?.join('-') ?? ''}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth || 600);
    const series: uPlot.Series[] = [
      {},
      ...props.series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false })),
    ];
    const hasLimit = props.limit !== undefined;
    if (hasLimit) series.push({ label: 'limit', stroke: '#c0392b', dash: [6, 4], width: 1 });
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 180,
      series,
      scales: {
        x: {
          time: props.xKind !== 'hour',
          range: (_u, min, max): uPlot.Range.MinMax => {
            if (props.xRange) return props.xRange;
            const span = props.minSpan ?? 0;
            return max - min < span ? [max - span, max] : [min, max];
          },
        },
      },
      axes: [
        { ...theme(), ...(props.xKind === 'hour' ? { values: (_u: uPlot, splits: number[]) => splits.map((h) => `${h}h`) } : {}) },
        { ...theme(), label: props.unit, size: 60, values: (_u, splits, _axis, _space, incr) => splits.map((v) => compact(v, incr)) },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(opts, toData(props), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // rebuild only when the set of series changes; data flows through setData below
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(toData(props));
  });

  const points = props.x.length;
  return (
    <figure class="chart" data-testid={props.testId} data-points={points}>
      <figcaption>
        {props.title} <span class="muted">({points} points)</span>
      </figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={describe(props)} />
    </figure>
  );
}

/** What a screen reader says for the canvas: the latest value of each line. */
function describe(p: ChartProps): string {
  const latest = p.series.map((s) => {
    for (let i = s.values.length - 1; i >= 0; i--) {
      const v = s.values[i];
      if (typeof v === 'number') return `${s.label} ${compact(v, Math.abs(v) < 10 ? 0.01 : 1)}${p.unit ? ` ${p.unit}` : ''}`;
    }
    return `${s.label} no data`;
  });
  return `${p.title}, ${p.x.length} points; latest: ${latest.join(', ')}`;
}

/** Axis text and grid in the page's colours (uPlot draws on a canvas, CSS cannot reach it). */
function theme(): Pick<uPlot.Axis, 'stroke' | 'grid' | 'ticks'> {
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--muted').trim() || '#5d6b78';
  const line = css.getPropertyValue('--line').trim() || '#d8dee4';
  return { stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
}

function toData(p: ChartProps): uPlot.AlignedData {
  const cols: (number | null)[][] = p.series.map((s) => s.values);
  if (p.limit !== undefined) cols.push(p.x.map(() => p.limit ?? null));
  return [p.x, ...cols] as uPlot.AlignedData;
}

// On-demand monitoring (OCCI): every sensor drawn as its pipeline (collectors → metric →
// aggregators → publishers, channel names on the arrows), its state as the core reports it,
// start/stop/delete, live values charted from the sensor's stream, and a form that creates
// one from a template. Everything goes through /occi/ so the page shows what the server has.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import {
  createSensor,
  deleteSensor,
  followSensor,
  listComputes,
  listSensors,
  queryInterface,
  sensorAction,
  type OcciResource,
  type SensorValue,
} from '../api/occi.js';
import { Chart } from '../components/Chart.js';
import { channelDirections, sensorFromTemplate, sensorShape, type ChannelDirections, type SensorShape, type Stage } from './sensorShape.js';

export function MonitoringView() {
  const [sensors, setSensors] = useState<OcciResource[] | null>(null);
  const [dirs, setDirs] = useState<ChannelDirections>(new Map());
  const [computes, setComputes] = useState<OcciResource[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const [s, q, c] = await Promise.all([listSensors(), queryInterface(), listComputes()]);
      setSensors(s);
      setDirs(channelDirections(q.mixins));
      setComputes(c);
      setError(null);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 404
          ? 'This core has no OCCI monitoring API (/occi/).'
          : e instanceof Error
            ? e.message
            : String(e),
      );
    }
  };
  useEffect(() => {
    void load();
    // sensor state moves (deploying → active) on the server: look again now and then
    const t = setInterval(() => void load(), 3000);
    return () => clearInterval(t);
  }, []);

  if (error && !sensors) return <p class="muted">{error}</p>;
  if (!sensors) return <p class="muted">Loading…</p>;
  return (
    <div class="monitoring">
      <section class="panel" aria-labelledby="sensors-h">
        <h2 id="sensors-h">Sensors</h2>
        {sensors.length === 0 ? (
          <p class="muted">No sensor yet: create one with the form, `osmo sensor create`, or a POST of OCCI JSON to /occi/sensor/.</p>
        ) : (
          sensors.map((s) => <SensorCard key={s.id} shape={sensorShape(s, dirs)} onChange={load} />)
        )}
      </section>
      <SensorForm computes={computes} onCreated={load} />
    </div>
  );
}

function SensorCard({ shape, onChange }: { shape: SensorShape; onChange: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `sensor-${shape.id}`;
  async function act(f: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await f();
      await onChange();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <article class="sensor" aria-labelledby={`${id}-h`} data-testid={id} data-state={shape.state}>
      <header class="mel-head">
        <h3 id={`${id}-h`}>{shape.id}</h3>
        <span class={`pill pill-${stateClass(shape.state)}`} data-testid={`${id}-state`}>
          {shape.state}
        </span>
        {shape.period !== undefined && <span class="muted small">every {shape.period} s</span>}
        <button
          type="button"
          data-mutates
          disabled={busy}
          onClick={() => void act(() => sensorAction(shape.id, shape.started ? 'stop' : 'start'))}
        >
          {shape.started ? 'Stop' : 'Start'}
        </button>
        <button type="button" class="danger" data-mutates disabled={busy} onClick={() => void act(() => deleteSensor(shape.id))}>
          Delete
        </button>
      </header>
      {shape.message && <p class="muted small">{shape.message}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Pipeline stages={shape.stages} testId={`${id}-pipeline`} />
      {shape.started && <LiveValues sensor={shape.id} />}
    </article>
  );
}

function Pipeline({ stages, testId }: { stages: Stage[]; testId: string }) {
  return (
    <ol class="pipeline" data-testid={testId} aria-label="pipeline">
      {stages.map((st, i) => (
        <li key={i} class={`stage stage-${st.role}`}>
          {st.inputs.length > 0 && <span class="chan">{st.inputs.join(', ')} →</span>}
          <span class="stage-name">
            <span class="muted small">{st.role}</span> <strong>{st.term}</strong>
          </span>
          {st.target && <span class="muted small">on {st.target.replace(/^\/occi\/compute\//, '')}</span>}
          {Object.keys(st.settings).length > 0 && (
            <span class="muted small">
              {Object.entries(st.settings)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}
            </span>
          )}
          {st.outputs.length > 0 && <span class="chan">→ {st.outputs.join(', ')}</span>}
        </li>
      ))}
    </ol>
  );
}

const KEEP = 120;

function LiveValues({ sensor }: { sensor: string }) {
  const [points, setPoints] = useState<SensorValue[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(
    () =>
      followSensor(
        sensor,
        (v) => {
          if (typeof v.value !== 'number' && typeof v.value !== 'boolean') return;
          setPoints((p) => [...p.slice(-(KEEP - 1)), v]);
        },
        setError,
      ),
    [sensor],
  );
  if (error) return <p class="muted small">live values: {error}</p>;
  if (points.length === 0) return <p class="muted small">waiting for values…</p>;
  // one series per channel a publisher delivered
  const channels = [...new Set(points.map((p) => `${p.channel} (${p.publisher})`))];
  const x = points.map((p) => p.ts / 1000);
  const series = channels.map((c) => ({
    label: c,
    values: points.map((p) => (`${p.channel} (${p.publisher})` === c ? Number(p.value) : null)),
  }));
  const last = points[points.length - 1]!;
  return (
    <div class="chart" data-testid={`sensor-${sensor}-live`} data-points={points.length}>
      <p class="small">
        last value{' '}
        <strong data-testid={`sensor-${sensor}-last`}>{typeof last.value === 'number' ? last.value.toFixed(3) : String(last.value)}</strong>{' '}
        on {last.channel}
      </p>
      <Chart title={`${sensor} live`} x={x} series={series} minSpan={30} height={160} />
    </div>
  );
}

function stateClass(state: string): string {
  return state === 'active' ? 'running' : state === 'failed' ? 'failed' : state === 'deploying' ? 'starting' : 'pending';
}

function SensorForm({ computes, onCreated }: { computes: OcciResource[]; onCreated: () => Promise<void> }) {
  const [template, setTemplate] = useState<'cpu-ewma' | 'http-latency'>('cpu-ewma');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [period, setPeriod] = useState('1');
  const [gain, setGain] = useState('4');
  const [port, setPort] = useState('80');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const targets = computes.map((c) => ({
    location: `/occi/compute/${c.id}`,
    label: `${String(c.attributes?.['osmo.compute.role'] ?? '')} ${c.title ?? c.id}`.trim(),
  }));
  const chosen = target || targets[0]?.location || '';

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
      setError('name: letters, digits, dot, dash or underscore, up to 63 characters');
      return;
    }
    if (!chosen) {
      setError('target: no node or instance to measure yet');
      return;
    }
    setBusy(true);
    try {
      const sensor = sensorFromTemplate(template, {
        id: name,
        target: chosen,
        period: Number(period),
        gain: Number(gain),
        port: Number(port),
      });
      await createSensor(sensor);
      await sensorAction(name, 'start').catch(() => undefined); // already active when created started
      setName('');
      await onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" data-mutates aria-labelledby="sensor-form-h">
      <h2 id="sensor-form-h">New sensor</h2>
      <form onSubmit={(e) => void submit(e)} data-testid="sensor-form">
        <div class="field">
          <label for="sf-template">Template</label>
          <select id="sf-template" value={template} onChange={(e) => setTemplate((e.target as HTMLSelectElement).value as typeof template)}>
            <option value="cpu-ewma">CPU of a node or instance, EWMA, live stream</option>
            <option value="http-latency">HTTP response time of an instance, EWMA, live stream</option>
          </select>
        </div>
        <div class="field">
          <label for="sf-name">Name</label>
          <input id="sf-name" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="sf-target">Target</label>
          <select id="sf-target" value={chosen} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            {targets.map((t) => (
              <option key={t.location} value={t.location}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sf-period">Period (s)</label>
          <input
            id="sf-period"
            type="number"
            min="0.1"
            step="0.1"
            value={period}
            onInput={(e) => setPeriod((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="sf-gain">EWMA gain</label>
          <input
            id="sf-gain"
            type="number"
            min="0"
            step="any"
            value={gain}
            onInput={(e) => setGain((e.target as HTMLInputElement).value)}
          />
        </div>
        {template === 'http-latency' && (
          <div class="field">
            <label for="sf-port">Port on the target</label>
            <input
              id="sf-port"
              type="number"
              min="1"
              max="65535"
              value={port}
              onInput={(e) => setPort((e.target as HTMLInputElement).value)}
            />
          </div>
        )}
        {error && (
          <p class="error" role="alert" data-testid="sensor-form-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Create and start
        </button>
      </form>
    </section>
  );
}

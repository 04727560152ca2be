// Where a bound term's KPI comes from: osmo's own view of the MEL it names. Each enforcement
// round of a started job measures every bound term once, at the round's `now`, and stores the
// value as if it had been pushed (sla_metrics), so pushed and measured values follow the same
// rules and a replayed round (after a crash) sees the same values and stores nothing twice.
//   availability — running / desired replicas of the MEL now (1 when none are desired); an
//                  `avg…` KPI averages it over its window
//   metric       — the latest sample (within the window) of each of the MEL's instances in the
//                  metrics store (guest monitors must be on), aggregated across instances
//   http         — the core GETs each running instance's published port; seconds to an
//                  answer below 500, the timeout for no answer (also when no instance runs)
import type { InstanceRecord, Store } from '../../store/index.js';
import type { ClusterState } from '../state.js';
import { RAW_RETENTION_MS } from '../metrics/service.js';
import type { Source } from '../../sla/index.js';

export interface MeasureContext {
  state: ClusterState;
  store: Store;
  /** how far back a metric source looks for samples */
  windowMs: number;
  now: number;
}

const live = (i: InstanceRecord) => i.desired === 'run';

/** One value of a source for a MEL, or undefined when there is nothing to measure (unknown MEL, no samples). */
export async function measure(src: Source, mel: string, c: MeasureContext): Promise<number | undefined> {
  const m = c.state.mels.get(mel);
  if (!m) return undefined;
  const insts = c.state.instancesOf(mel).filter(live);
  if (src.type === 'availability') {
    const desired = m.spec.replicas;
    if (desired <= 0) return 1;
    return Math.min(1, insts.filter((i) => i.state === 'running').length / desired);
  }
  if (src.type === 'metric') {
    const names = new Set(insts.map((i) => i.name));
    if (names.size === 0) return undefined;
    const points = await c.store.samples.query(
      { metric: src.metric, field: src.field, from: c.now - c.windowMs, to: c.now, step: c.windowMs },
      c.now - RAW_RETENTION_MS,
    );
    const latest = new Map<string, { ts: number; v: number }>();
    for (const p of points) {
      if (!names.has(p.target)) continue;
      const prev = latest.get(p.target);
      if (!prev || p.ts > prev.ts) latest.set(p.target, { ts: p.ts, v: p.avg });
    }
    const vs = [...latest.values()].map((x) => x.v);
    if (vs.length === 0) return undefined;
    return aggregate(vs, src.aggregate);
  }
  // http
  if (m.spec.replicas <= 0) return undefined;
  const running = insts.filter((i) => i.state === 'running');
  if (running.length === 0) return src.timeoutMs / 1000;
  const times = await Promise.all(running.map((i) => probe(c.state, i, src)));
  return aggregate(times, 'avg');
}

function aggregate(vs: number[], how: 'avg' | 'max' | 'min' | 'sum'): number {
  if (how === 'max') return Math.max(...vs);
  if (how === 'min') return Math.min(...vs);
  const sum = vs.reduce((a, b) => a + b, 0);
  return how === 'sum' ? sum : sum / vs.length;
}

/** Seconds until the instance's published port answers (the timeout when it does not). */
async function probe(state: ClusterState, i: InstanceRecord, src: Extract<Source, { type: 'http' }>): Promise<number> {
  const failed = src.timeoutMs / 1000;
  const port = i.ports.find((p) => p.protocol === 'tcp' && (src.port === undefined || p.containerPort === src.port));
  if (!port) return failed;
  const url = `http://${hostOf(state, i, port.hostIp)}:${port.hostPort}${src.path}`;
  const t0 = performance.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(src.timeoutMs), redirect: 'manual' });
    await r.arrayBuffer();
    if (r.status >= 500) return failed;
    return Math.min(failed, (performance.now() - t0) / 1000);
  } catch {
    return failed;
  }
}

function hostOf(state: ClusterState, i: InstanceRecord, hostIp: string): string {
  if (hostIp && hostIp !== '0.0.0.0' && hostIp !== '::') return hostIp.includes(':') ? `[${hostIp}]` : hostIp;
  const address = i.node ? state.nodes.get(i.node)?.address : undefined;
  try {
    return address ? new URL(address).hostname : '127.0.0.1';
  } catch {
    return '127.0.0.1';
  }
}

// The dashboard's live picture of the cluster: the REST collections (nodes, MELs,
// instances) refreshed on a slow poll and whenever the stream says something changed,
// the recent events, and a rolling window of samples per (node, target, metric) for the
// live charts. Views subscribe to one topic each, so a sample burst does not re-render
// the services table.
import { getPolicies, listInstances, listLoads, listMels, listNodes, queryMetrics, type NodeLoadView } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import { openStream, type StreamHandle, type StreamStatus } from '../api/stream.js';
import { authHeaders, onTokenChange } from '../api/token.js';
import {
  isKnown,
  type Instance,
  type KnownStreamEvent,
  type Mel,
  type OsmoNode,
  type PolicyParam,
  type StreamEvent,
} from '../api/types.js';
import { appendSample, emptyWindow, prependHistory, type SampleWindow } from './window.js';

export type Topic = 'cluster' | 'events' | 'samples' | 'status';

const MAX_EVENTS = 1000;
/** 15 minutes at the agents' 1 s default period */
const MAX_POINTS = 900;
const POLL_MS = 3000;

/** What the load badges need from the policy engine: its thresholds and weights. */
export interface LoadPolicy {
  low: number;
  high: number;
  weights: { cpu: number; mem: number; io: number };
}

export const DEFAULT_LOAD_POLICY: LoadPolicy = { low: 0.6, high: 0.8, weights: { cpu: 0.6, mem: 0.3, io: 0.1 } };

function loadPolicyOf(params: PolicyParam[]): LoadPolicy {
  const v = (name: string, def: number) => {
    const p = params.find((x) => x.name === name);
    return typeof p?.value === 'number' ? p.value : def;
  };
  const d = DEFAULT_LOAD_POLICY;
  return {
    low: v('thresholds.low', d.low),
    high: v('thresholds.high', d.high),
    weights: { cpu: v('weights.cpu', d.weights.cpu), mem: v('weights.mem', d.weights.mem), io: v('weights.io', d.weights.io) },
  };
}

export interface ClusterState {
  nodes: OsmoNode[];
  mels: Mel[];
  instances: Instance[];
  loaded: boolean;
  error: ApiError | null;
}

class LiveStore {
  cluster: ClusterState = { nodes: [], mels: [], instances: [], loaded: false, error: null };
  loadPolicy: LoadPolicy = DEFAULT_LOAD_POLICY;
  events: StreamEvent[] = [];
  samples = new Map<string, SampleWindow>();
  status: StreamStatus = 'connecting';
  private subs = new Map<Topic, Set<() => void>>();
  private stream: StreamHandle | undefined;
  private sampleStream: StreamHandle | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing = false;

  start(): void {
    if (this.stream) return;
    this.stream = openStream({
      // the last hour of the log first, so the Events view is not blank on arrival; after a
      // reconnect Last-Event-ID takes over and the core sends only what was missed
      url: `/api/v1/events?since=${Date.now() - 3_600_000}`,
      headers: authHeaders,
      onEvent: (e) => this.ingest(e),
      onStatus: (s) => {
        const wasDown = this.status !== 'open';
        this.status = s;
        this.emit('status');
        // Anything may have changed while the link was down.
        if (s === 'open' && wasDown) this.refreshSoon();
      },
    });
    // The core sends samples only to those who ask (they would drown the log), and keeps
    // no history of them in the stream: the charts' past comes from /api/v1/metrics.
    this.sampleStream = openStream({ url: '/api/v1/events?type=sample', headers: authHeaders, onEvent: (e) => this.ingest(e) });
    void this.refresh();
    void this.refreshPolicy();
    this.pollTimer = setInterval(() => void this.refresh(), POLL_MS);
    onTokenChange(() => {
      this.stream?.reconnect();
      this.sampleStream?.reconnect();
      void this.refresh();
    });
  }

  stop(): void {
    this.stream?.close();
    this.sampleStream?.close();
    this.stream = undefined;
    this.sampleStream = undefined;
    clearInterval(this.pollTimer);
  }

  subscribe(topic: Topic, fn: () => void): () => void {
    let s = this.subs.get(topic);
    if (!s) this.subs.set(topic, (s = new Set()));
    s.add(fn);
    return () => s.delete(fn);
  }

  private emit(topic: Topic): void {
    this.subs.get(topic)?.forEach((fn) => fn());
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const [nodes, mels, instances, loads] = await Promise.all([listNodes(), listMels(), listInstances(), this.loads()]);
      this.cluster = { nodes: withLoads(nodes, loads), mels, instances, loaded: true, error: null };
      this.prune(instances);
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(0, String(e), undefined, null);
      this.cluster = { ...this.cluster, error };
    } finally {
      this.refreshing = false;
    }
    this.emit('cluster');
  }

  async refreshPolicy(): Promise<void> {
    try {
      this.loadPolicy = loadPolicyOf(await getPolicies());
      this.emit('cluster');
    } catch {
      // a core without the policy API: keep the engine's defaults
    }
  }

  /** Forgets the sample windows of instances that are gone and quiet for 15 minutes, so a
   * dashboard left open through many deploys and migrations does not grow without bound. */
  private prune(instances: Instance[]): void {
    const alive = new Set(instances.map((i) => i.name));
    const quiet = Date.now() / 1000 - 15 * 60;
    for (const [key, w] of this.samples) {
      const target = key.split('|')[1] ?? '';
      if (target !== 'host' && !alive.has(target) && (w.ts.at(-1) ?? 0) < quiet) {
        this.samples.delete(key);
        this.backfilled.delete(key);
      }
    }
  }

  private loadsMissing = false;
  /** The policy engine's L per node, when this core has it (older cores answer 404). */
  private async loads(): Promise<NodeLoadView[]> {
    if (this.loadsMissing) return [];
    try {
      return await listLoads();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) this.loadsMissing = true;
      return [];
    }
  }

  /** Coalesces the refreshes that a burst of instance events would cause. */
  refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 250);
  }

  ingest(e: StreamEvent): void {
    if (isKnown(e) && e.type === 'sample') {
      this.addSample(e);
      return;
    }
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    this.emit('events');
    if (e.type === 'policy') void this.refreshPolicy();
    else if (e.type !== 'pull' && e.type !== 'monitor') this.refreshSoon();
  }

  private addSample(e: Extract<KnownStreamEvent, { type: 'sample' }>): void {
    const { node, ts, target, metric, fields } = e;
    if (!node || !target || !metric || typeof ts !== 'number' || typeof fields !== 'object' || fields === null) return;
    const key = sampleKey(node, target, metric);
    let w = this.samples.get(key);
    if (!w) this.samples.set(key, (w = emptyWindow()));
    appendSample(w, ts, fields, MAX_POINTS);
    this.emitSamplesSoon();
  }

  private backfilled = new Set<string>();

  /** Fills a live window with the stored recent past (once per key), so a chart opened
   * now shows the last minutes at once instead of starting empty. */
  async backfill(node: string, target: string, metric: string, ms = 10 * 60_000): Promise<void> {
    const key = sampleKey(node, target, metric);
    if (this.backfilled.has(key)) return;
    this.backfilled.add(key);
    const to = Date.now();
    let series;
    try {
      series = await queryMetrics({ node, target, metric, from: to - ms, to, step: 1000 });
    } catch {
      this.backfilled.delete(key);
      return;
    }
    let w = this.samples.get(key);
    if (!w) this.samples.set(key, (w = emptyWindow()));
    if (prependHistory(w, series, MAX_POINTS) === 0) return;
    this.emitSamplesSoon();
  }

  private samplesTimer: ReturnType<typeof setTimeout> | undefined;
  /** Charts redraw at most twice a second however many monitors report. */
  private emitSamplesSoon(): void {
    if (this.samplesTimer) return;
    this.samplesTimer = setTimeout(() => {
      this.samplesTimer = undefined;
      this.emit('samples');
    }, 500);
  }
}

/** Puts the policy engine's L and overload state on each node it knows. */
function withLoads(nodes: OsmoNode[], loads: NodeLoadView[]): OsmoNode[] {
  if (loads.length === 0) return nodes;
  const by = new Map(loads.map((l) => [l.id, l]));
  return nodes.map((n) => {
    const l = by.get(n.id);
    if (!l || l.load === undefined || typeof n.load !== 'object' || n.load === null) return n;
    return { ...n, load: { ...n.load, factor: l.load, overloaded: l.overloaded } };
  });
}

export const sampleKey = (node: string, target: string, metric: string): string => `${node}|${target}|${metric}`;

export const live = new LiveStore();

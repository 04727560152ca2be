// Agent event batches: dedupe by the producer's seq, samples to the samples table (and
// live stream), everything else to the event log; instance changes go to the reconciler.
import type { EventBatch, EventBatchResponse } from '../../bus/protocol.js';
import type { AgentEvent, NewOsmoEvent } from '../../bus/events.js';
import { invalid, notFound } from '../../shared/errors.js';
import { inOneTransaction, type SampleRow } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import type { CoreMetrics } from '../metrics/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState } from '../state.js';

export class Ingest {
  /** one batch per node at a time, so two concurrent retries cannot both pass the seq check */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly reconciler: Reconciler,
    private readonly metrics: CoreMetrics,
  ) {}

  accept(batch: EventBatch): Promise<EventBatchResponse> {
    const prev = this.chains.get(batch.node) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.process(batch));
    this.chains.set(batch.node, next);
    void next
      .finally(() => {
        if (this.chains.get(batch.node) === next) this.chains.delete(batch.node);
      })
      .catch(() => undefined);
    return next;
  }

  private async process(batch: EventBatch): Promise<EventBatchResponse> {
    const node = this.state.nodes.get(batch.node);
    if (!node) throw notFound(`node ${batch.node} is not registered; register first`);
    const foreign = batch.events.find((e) => e.node !== batch.node);
    if (foreign) throw invalid(`events[].node: event seq ${foreign.seq} names node ${foreign.node}, batch is from ${batch.node}`);
    const fresh = batch.events.filter((e) => e.seq > node.ackedSeq).sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return { ackedSeq: node.ackedSeq };

    const samples: SampleRow[] = [];
    const logged: NewOsmoEvent[] = [];
    const live: NewOsmoEvent[] = [];
    for (const e of fresh) {
      this.metrics.eventsIngested.inc({ type: e.type });
      if (e.type === 'sample') {
        for (const [field, f] of Object.entries(e.fields))
          samples.push({ ts: e.ts, node: e.node, target: e.target, metric: e.metric, field, value: f.value, unit: f.unit });
        if (e.source === 'host') trackLoad(node.load, e);
        live.push(toLogged(e));
      } else if (e.type === 'probe' || e.type === 'sensor') {
        // like samples, live only: the monitoring context reads them, the log does not keep them
        live.push(toLogged(e));
      } else {
        logged.push(toLogged(e));
      }
    }
    const last = fresh[fresh.length - 1]!.seq;
    // samples have no key to dedupe on: they, the logged events and the node's acked seq commit
    // together, so a core dying in between leaves either all of them or none (the agent resends)
    const stored = await inOneTransaction(this.state.store, async (tx) => {
      await tx.samples.insertMany(samples);
      const out = await this.events.storeAgent(tx, logged);
      await tx.nodes.setAckedSeq(node.id, last);
      return out;
    });
    this.events.publish(stored);
    for (const e of live) this.events.publishLive(e);
    node.ackedSeq = last;
    this.state.touchNode(node.id);
    for (const e of fresh) if (e.type === 'instance') await this.reconciler.onInstanceEvent(node.id, e);
    return { ackedSeq: node.ackedSeq };
  }
}

/** An agent event as the log keeps it: the envelope fields outside, the rest as `data`. */
function toLogged(e: AgentEvent): NewOsmoEvent {
  const env = { origin: e.node, seq: e.seq, node: e.node, ts: e.ts };
  switch (e.type) {
    case 'sample':
      return { ...env, type: e.type, data: stripBase(e) };
    case 'probe':
      return { ...env, type: e.type, data: stripBase(e) };
    case 'instance':
      return { ...env, type: e.type, data: stripBase(e) };
    case 'pull':
      return { ...env, type: e.type, data: stripBase(e) };
    case 'monitor':
      return { ...env, type: e.type, data: stripBase(e) };
    case 'sensor':
      return { ...env, type: e.type, data: stripBase(e) };
  }
}

function stripBase<E extends AgentEvent>(e: E): Omit<E, 'seq' | 'node' | 'ts' | 'type'> {
  const { seq: _s, node: _n, ts: _t, type: _ty, ...rest } = e;
  return rest;
}

function trackLoad(load: { cpu?: number; mem?: number; at?: number }, e: Extract<AgentEvent, { type: 'sample' }>): void {
  const pct = e.fields.total?.unit === 'percent' ? e.fields.total.value : (e.fields.percent?.value ?? e.fields.used_percent?.value);
  if (pct === undefined) return;
  if (e.metric === 'cpu') load.cpu = pct;
  if (e.metric === 'mem') load.mem = pct;
  load.at = e.ts;
}

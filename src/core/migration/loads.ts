// The core's load table: raw samples in (from the core's live event stream), smoothed
// load factors out. Each node has a LoadTracker fed on every refresh from either source:
//  - host: the machine's cpu `total`, memory `used_percent`, and network + disk byte rates;
//  - guest: the sum of its instances' cpu (percent of one core), memory and byte rates
//    against the node's declared capacity (io against management.ioCapacityBytesPerSec).
// Instances get their own tracker (their share of their node's capacity), which is what
// the selection policies sort by and what a move carries to its destination.
import type { OsmoEvent } from '../../bus/events.js';
import { guestTerms, LoadTracker, type LoadTerms } from '../../policy/load.js';
import type { PolicyDocument } from '../../policy/document.js';
import type { ClusterState } from '../state.js';

interface Raw {
  cpu?: number;
  mem?: number;
  net?: number;
  disk?: number;
  ts: number;
}

interface GuestRaw {
  node: string;
  cpuCores?: number;
  memBytes?: number;
  net?: number;
  disk?: number;
  ts: number;
}

/** Sum of the fields whose name ends with one of the suffixes (loopback traffic left out). */
function rateSum(fields: Record<string, { value: number }>, suffixes: string[]): number | undefined {
  let sum = 0;
  let seen = false;
  for (const [k, v] of Object.entries(fields)) {
    if (k.startsWith('lo.') || !suffixes.some((x) => k.endsWith(x))) continue;
    sum += v.value;
    seen = true;
  }
  return seen ? sum : undefined;
}

export class LoadBook {
  private readonly host = new Map<string, Raw>();
  /** by instance (container) name */
  private readonly guest = new Map<string, GuestRaw>();
  private readonly nodeTrackers = new Map<string, LoadTracker>();
  private readonly instTrackers = new Map<string, LoadTracker>();
  private readonly fed = new Map<string, number>();
  /** before this the table saw no samples at all (a core restart): everything is "new" */
  private readonly startedAt = Date.now();

  constructor(private readonly state: ClusterState) {}

  /** Feed one live event (only samples matter). */
  onEvent(e: OsmoEvent): void {
    if (e.type !== 'sample' || !e.node) return;
    const d = e.data;
    const f = d.fields;
    if (d.source === 'host') {
      const r = this.host.get(e.node) ?? { ts: 0 };
      if (d.metric === 'cpu' && f.total) r.cpu = f.total.value / 100;
      else if (d.metric === 'mem' && f.used_percent) r.mem = f.used_percent.value / 100;
      else if (d.metric === 'net') r.net = rateSum(f, ['rx_bytes_rate', 'tx_bytes_rate']) ?? r.net;
      else if (d.metric === 'disk') r.disk = rateSum(f, ['read_bytes_rate', 'write_bytes_rate']) ?? r.disk;
      else return;
      r.ts = Math.max(r.ts, e.ts);
      this.host.set(e.node, r);
    } else if (d.source === 'guest' && d.target) {
      const r = this.guest.get(d.target) ?? { node: e.node, ts: 0 };
      r.node = e.node;
      if (d.metric === 'cpu' && f.total) r.cpuCores = f.total.value / 100;
      else if (d.metric === 'mem' && f.usage) r.memBytes = f.usage.value;
      else if (d.metric === 'net') r.net = rateSum(f, ['rx_bytes_rate', 'tx_bytes_rate']) ?? r.net;
      else if (d.metric === 'disk') r.disk = rateSum(f, ['read_bytes_rate', 'write_bytes_rate']) ?? r.disk;
      else return;
      r.ts = Math.max(r.ts, e.ts);
      this.guest.set(d.target, r);
    }
  }

  /**
   * One refresh: every node's and instance's tracker gets the newest combined sample.
   * Called on the load refresh period; trackers smooth over the monitoring period.
   */
  refresh(now: number, policyOf: (node: string) => PolicyDocument): void {
    const perNode = new Map<string, { cpuCores: number; memBytes: number; ioBytesPerSec: number }[]>();
    for (const [name, g] of this.guest) {
      const p = policyOf(g.node);
      const inst = this.state.instanceByName(name);
      // Only what still runs there counts: a migrated-away instance stops weighing on its
      // old node at once, not after the staleness timeout. Three missed periods = gone.
      const gone = !inst || inst.node !== g.node || inst.desired !== 'run';
      if (gone || now - g.ts > Math.min(3 * p.management.monitoringPeriodMs, p.management.stalenessTimeoutMs)) {
        if (gone || now - g.ts > p.management.stalenessTimeoutMs) this.forget(name);
        continue;
      }
      const u = { cpuCores: g.cpuCores ?? 0, memBytes: g.memBytes ?? 0, ioBytesPerSec: (g.net ?? 0) + (g.disk ?? 0) };
      const list = perNode.get(g.node) ?? [];
      list.push(u);
      perNode.set(g.node, list);
      const node = this.state.nodes.get(g.node);
      if (node)
        this.feed(
          this.instTrackers,
          name,
          g.ts,
          guestTerms([u], { ...node.capacity, ioBytesPerSec: p.management.ioCapacityBytesPerSec }),
          p,
        );
    }
    const reporting = new Set<string>();
    for (const [name, g] of this.guest) if (now - g.ts <= 3 * policyOf(g.node).management.monitoringPeriodMs) reporting.add(name);
    for (const node of this.state.nodes.values()) {
      const p = policyOf(node.id);
      if (p.loadSource === 'guest') {
        // The sum is only a measurement when every running instance has reported (after a
        // core restart or a new deploy some have not yet): otherwise wait. An instance that
        // never reports stops blocking after the staleness timeout. An idle node's guest
        // load is a measured 0.
        const silent = this.state
          .instancesOn(node.id)
          .some(
            (i) =>
              i.desired === 'run' &&
              i.state === 'running' &&
              !reporting.has(i.name) &&
              now - Math.max(i.updatedAt, this.startedAt) < p.management.stalenessTimeoutMs,
          );
        if (node.status === 'ready' && !silent)
          this.feed(
            this.nodeTrackers,
            node.id,
            now,
            guestTerms(perNode.get(node.id) ?? [], { ...node.capacity, ioBytesPerSec: p.management.ioCapacityBytesPerSec }),
            p,
          );
      } else {
        const h = this.host.get(node.id);
        if (h)
          this.feed(
            this.nodeTrackers,
            node.id,
            h.ts,
            { cpu: h.cpu ?? 0, mem: h.mem ?? 0, io: ((h.net ?? 0) + (h.disk ?? 0)) / p.management.ioCapacityBytesPerSec },
            p,
          );
      }
    }
  }

  private feed(map: Map<string, LoadTracker>, key: string, ts: number, t: LoadTerms, p: PolicyDocument): void {
    const m = p.management;
    let tr = map.get(key);
    if (!tr) map.set(key, (tr = new LoadTracker(m.monitoringPeriodMs, m.stalenessTimeoutMs)));
    else tr.configure(m.monitoringPeriodMs, m.stalenessTimeoutMs);
    const last = this.fed.get(`${map === this.nodeTrackers ? 'n' : 'i'}:${key}`) ?? -Infinity;
    if (ts <= last) return;
    this.fed.set(`${map === this.nodeTrackers ? 'n' : 'i'}:${key}`, ts);
    tr.add({ ts, ...t });
  }

  /** Smoothed L of a node with its policy's weights, and when it was measured; undefined when stale. */
  node(id: string, now: number, p: PolicyDocument): { load: number; ts: number } | undefined {
    const tr = this.nodeTrackers.get(id);
    const load = tr?.load(now, p.weights);
    return tr && load !== undefined ? { load, ts: tr.lastSampleTs } : undefined;
  }

  /** Smoothed contribution of one instance (by container name) to its node's L. */
  instance(name: string, now: number, p: PolicyDocument): number | undefined {
    return this.instTrackers.get(name)?.load(now, p.weights);
  }

  /** Raw terms, for events that explain a decision. */
  terms(id: string, now: number): LoadTerms | undefined {
    return this.nodeTrackers.get(id)?.smoothed(now);
  }

  forget(instanceName: string): void {
    this.guest.delete(instanceName);
    this.instTrackers.delete(instanceName);
    this.fed.delete(`i:${instanceName}`);
  }
}

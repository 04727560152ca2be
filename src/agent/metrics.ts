// GET /metrics: the agent in the Prometheus text format, on its own registry (an agent
// embedded in `osmo up` must not mix with the core's metrics).
//  - host: read from /proc at scrape time, so they exist without any monitor running;
//  - instances: state from the driver at scrape time, usage from the latest guest samples;
//  - the agent itself: events produced / dropped, outbox size, deploys, process defaults.
// Kernel counters are exposed as counters (reset + inc to the kernel's value inside collect).
import '../shared/defer-heavy-deps.js';
import { statfs } from 'node:fs/promises';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentEvent } from '../bus/events.js';
import type { EngineLoad, InstanceInfo } from '../runtime/types.js';
import { parseDiskstats, parseMeminfo, parseMounts, parseNetDev, parseProcStat, readProc } from './monitor/procfs.js';
import { withinMs } from '../shared/within.js';

const SCRAPE_ENGINE_MS = 5000;

export interface MetricsSources {
  instances: () => Promise<InstanceInfo[]>;
  outboxBytes: () => number;
  outboxDropped: () => number;
  /** events the core refused as malformed (dropped, never retried) */
  rejected?: () => number;
  /** engine calls in flight and waiting (a driver with no engine: undefined) */
  engine?: () => EngineLoad | undefined;
}

const STATES = ['pulling', 'created', 'running', 'restarting', 'exited', 'failed', 'removed'] as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'type'>;
  readonly deploys: Counter<'result'>;
  private readonly guest = new Map<string, Gauge<'name'>>();

  constructor(src: MetricsSources, nodeId: string) {
    const r = this.registry;
    r.setDefaultLabels({ node: nodeId });
    // the event-loop-lag probe wakes the loop every `precision` ms; prom-client's 10 ms default
    // alone costs a visible share of an idle agent's CPU budget
    collectDefaultMetrics({ register: r, prefix: 'osmo_agent_', eventLoopMonitoringPrecision: 500 });
    // prom-client names these gauges *_total, which `promtool check metrics` rejects; they
    // say little about an agent anyway (the process CPU, memory and fd metrics stay).
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      r.removeSingleMetric(`osmo_agent_${n}`);
    }

    this.events = new Counter({ name: 'osmo_agent_events_total', help: 'Events produced, by type.', labelNames: ['type'], registers: [r] });
    this.deploys = new Counter({
      name: 'osmo_agent_deploys_total',
      help: 'Deploy requests, by result.',
      labelNames: ['result'],
      registers: [r],
    });
    new Gauge({
      name: 'osmo_agent_outbox_bytes',
      help: 'Bytes of events waiting on disk for the remote sink.',
      registers: [r],
      collect() {
        this.set(src.outboxBytes());
      },
    });
    new Counter({
      name: 'osmo_agent_outbox_dropped_events_total',
      help: 'Undelivered events dropped because the outbox was full.',
      registers: [r],
      collect() {
        this.reset();
        this.inc(src.outboxDropped());
      },
    });
    new Counter({
      name: 'osmo_agent_events_rejected_total',
      help: 'Events the core refused as malformed; dropped, not retried.',
      registers: [r],
      collect() {
        this.reset();
        this.inc(src.rejected?.() ?? 0);
      },
    });
    new Gauge({
      name: 'osmo_agent_engine_requests',
      help: 'Calls to the container engine holding a connection (active) or waiting for one (queued), by lane: short calls or streams.',
      labelNames: ['lane', 'state'],
      registers: [r],
      collect() {
        const load = src.engine?.();
        this.reset();
        if (!load) return;
        for (const lane of ['short', 'stream'] as const) {
          this.set({ lane, state: 'active' }, load[lane].active);
          this.set({ lane, state: 'queued' }, load[lane].queued);
        }
      },
    });

    new Counter({
      name: 'osmo_host_cpu_seconds_total',
      help: 'Seconds the CPUs spent busy or idle, from /proc/stat.',
      labelNames: ['cpu', 'mode'],
      registers: [r],
      async collect() {
        const hz = 100; // USER_HZ on every Linux ABI node supports
        const stat = parseProcStat(await readProc('/proc/stat'));
        this.reset();
        for (const [name, t] of stat) {
          const cpu = name === 'cpu' ? 'all' : name.slice(3);
          this.inc({ cpu, mode: 'busy' }, t.busy / hz);
          this.inc({ cpu, mode: 'idle' }, (t.total - t.busy) / hz);
        }
      },
    });
    new Gauge({
      name: 'osmo_host_memory_bytes',
      help: 'Host memory from /proc/meminfo, by kind.',
      labelNames: ['kind'],
      registers: [r],
      async collect() {
        const m = parseMeminfo(await readProc('/proc/meminfo'));
        const g = (k: string): number => m.get(k) ?? 0;
        this.reset();
        this.set({ kind: 'total' }, g('MemTotal'));
        this.set({ kind: 'free' }, g('MemFree'));
        this.set({ kind: 'available' }, g('MemAvailable'));
        this.set({ kind: 'buffers' }, g('Buffers'));
        this.set({ kind: 'cached' }, g('Cached'));
        this.set({ kind: 'swap_total' }, g('SwapTotal'));
        this.set({ kind: 'swap_free' }, g('SwapFree'));
      },
    });
    const net = (dir: 'receive' | 'transmit', unit: 'bytes' | 'packets') =>
      new Counter({
        name: `osmo_host_network_${dir}_${unit}_total`,
        help: `Network ${unit} ${dir === 'receive' ? 'received' : 'transmitted'} per interface, from /proc/net/dev.`,
        labelNames: ['interface'],
        registers: [r],
        async collect() {
          const d = parseNetDev(await readProc('/proc/net/dev'));
          this.reset();
          for (const [ifc, c] of d) {
            const v = dir === 'receive' ? (unit === 'bytes' ? c.rxBytes : c.rxPackets) : unit === 'bytes' ? c.txBytes : c.txPackets;
            this.inc({ interface: ifc }, v);
          }
        },
      });
    net('receive', 'bytes');
    net('transmit', 'bytes');
    net('receive', 'packets');
    net('transmit', 'packets');
    const disk = (op: 'read' | 'written') =>
      new Counter({
        name: `osmo_host_disk_${op}_bytes_total`,
        help: `Bytes ${op} per block device, from /proc/diskstats.`,
        labelNames: ['device'],
        registers: [r],
        async collect() {
          const d = parseDiskstats(await readProc('/proc/diskstats'));
          this.reset();
          for (const [dev, c] of d) this.inc({ device: dev }, op === 'read' ? c.readBytes : c.writeBytes);
        },
      });
    disk('read');
    disk('written');
    const fs = (what: 'size' | 'avail') =>
      new Gauge({
        name: `osmo_host_filesystem_${what}_bytes`,
        help: what === 'size' ? 'Size of mounted real filesystems.' : 'Bytes available to unprivileged users on mounted real filesystems.',
        labelNames: ['mountpoint'],
        registers: [r],
        async collect() {
          this.reset();
          for (const mnt of parseMounts(await readProc('/proc/mounts'))) {
            const s = await statfs(mnt).catch(() => undefined);
            if (s) this.set({ mountpoint: mnt }, (what === 'size' ? s.blocks : s.bavail) * s.bsize);
          }
        },
      });
    fs('size');
    fs('avail');

    let lastInstances: Awaited<ReturnType<typeof src.instances>> = [];
    new Gauge({
      name: 'osmo_instance_up',
      help: 'One series per instance this agent runs: 1 for its current state, 0 for the others.',
      labelNames: ['name', 'image', 'driver', 'state'],
      registers: [r],
      async collect() {
        // an engine that hangs must not hang the scrape: after 5 s the last answer stands
        const list = (await withinMs(src.instances(), SCRAPE_ENGINE_MS)) ?? lastInstances;
        lastInstances = list;
        this.reset();
        for (const i of list) {
          for (const st of STATES) this.set({ name: i.name, image: i.image, driver: i.driver, state: st }, i.state === st ? 1 : 0);
        }
      },
    });
    const guest = (key: string, name: string, help: string) => {
      this.guest.set(key, new Gauge({ name, help, labelNames: ['name'], registers: [r] }));
    };
    guest('cpu.total', 'osmo_instance_cpu_percent', 'CPU of an instance, percent of one core (latest guest cpu sample).');
    guest('mem.usage', 'osmo_instance_memory_usage_bytes', 'Memory used by an instance (latest guest mem sample).');
    guest('mem.limit', 'osmo_instance_memory_limit_bytes', 'Memory limit of an instance (latest guest mem sample).');
    guest(
      'net.rx_bytes',
      'osmo_instance_network_receive_bytes',
      'Bytes received by an instance since it started (latest guest net sample).',
    );
    guest('net.tx_bytes', 'osmo_instance_network_transmit_bytes', 'Bytes sent by an instance since it started (latest guest net sample).');
    guest('disk.read_bytes', 'osmo_instance_disk_read_bytes', 'Block I/O bytes read by an instance (latest guest disk sample).');
    guest('disk.write_bytes', 'osmo_instance_disk_written_bytes', 'Block I/O bytes written by an instance (latest guest disk sample).');
  }

  /** Feed from the event producer. */
  observe(e: AgentEvent): void {
    this.events.inc({ type: e.type });
    if (e.type === 'sample' && e.source === 'guest') {
      for (const [field, v] of Object.entries(e.fields)) this.guest.get(`${e.metric}.${field}`)?.set({ name: e.target }, v.value);
    } else if (e.type === 'instance' && e.state === 'removed') {
      for (const g of this.guest.values()) g.remove({ name: e.name });
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

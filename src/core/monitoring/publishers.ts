// The publishers of a sensor whose pipe runs in the core: the portable ones (log, UDP,
// webhook: src/sensors/publishers.ts, shared with edge sensors) and those that need the core
// itself: the live stream (SSE), osmo's metrics store and the SLA manager's feed.
import { OSMO_PUBLISHER, type PublisherInfo, type ResourceEntity } from '../../monitoring/index.js';
import {
  hostPort,
  PORTABLE_PUBLISHERS,
  portablePublisher,
  resolveLogFile,
  webhookUrl,
  type Publisher,
  type SensorValue,
} from '../../sensors/publishers.js';
import { invalid } from '../../shared/errors.js';
import type { SampleRow } from '../../store/index.js';

export type { Publisher, SensorValue };

/** What publishers need from the core. */
export interface PublisherHost {
  /** where relative `log` filenames live; a filename may not leave it */
  logDir: string;
  live(v: SensorValue): void;
  metrics(rows: SampleRow[]): Promise<void>;
  /** the SLA manager's feed: a KPI value for an agreement (as POST /sla-service/metrics/{id}) */
  sla(agreement: string, kpi: string, value: number, ts: number): Promise<void>;
  /** a publisher's trouble, once per new message */
  problem(sensor: string, message: string): void;
}

const attr = (p: PublisherInfo, n: string): string => String(p.stage.entity.attributes[`osmo.publisher.${p.stage.mixin.term}.${n}`] ?? '');

/** The publisher for one pipe output; throws (a message for the sensor's state) when its attributes cannot work. */
export function makePublisher(sensor: string, p: PublisherInfo, host: PublisherHost): Publisher {
  const term = p.stage.mixin.term;
  const portable = portablePublisher(
    term,
    (n) => attr(p, n),
    host.logDir,
    (m) => host.problem(sensor, m),
  );
  if (portable) return portable;
  switch (term) {
    case 'stream':
      return { term: 'stream', send: (v) => host.live(v), close: async () => {} };
    case 'metrics':
      return new MetricsPublisher(attr(p, 'name'), host);
    case 'sla':
      return new SlaPublisher(attr(p, 'agreement'), attr(p, 'kpi'), host, (m) => host.problem(sensor, m));
    default:
      return { term, send: () => undefined, close: async () => {} };
  }
}

/**
 * Refuses publisher attributes that can never work (a log file outside the sensor
 * directory, an address that is not host:port, a webhook that is not http) with a 400 naming
 * the attribute, before anything is stored.
 */
export function checkPublishers(s: ResourceEntity): void {
  const check = (term: string, name: string, f: (v: string) => unknown) => {
    if (!s.mixins.includes(OSMO_PUBLISHER + term)) return;
    const attribute = `osmo.publisher.${term}.${name}`;
    try {
      f(String(s.attributes[attribute] ?? ''));
    } catch (e) {
      throw invalid(`attributes.${attribute}: ${(e as Error).message}`, { field: `attributes.${attribute}` });
    }
  };
  if (s.attributes['osmo.sensor.placement'] === 'edge') {
    const coreOnly = s.mixins.filter(
      (m) => m.startsWith(OSMO_PUBLISHER) && !(PORTABLE_PUBLISHERS as readonly string[]).includes(m.slice(OSMO_PUBLISHER.length)),
    );
    if (coreOnly.length)
      throw invalid(
        `attributes.osmo.sensor.placement: an edge sensor runs only the ${PORTABLE_PUBLISHERS.join(', ')} publishers; ${coreOnly.map((m) => m.slice(OSMO_PUBLISHER.length)).join(', ')} need the core (use placement core)`,
        { field: 'attributes.osmo.sensor.placement' },
      );
  }
  check('log', 'filename', (v) => resolveLogFile('/sensors', v));
  check('udp', 'udpAddr', hostPort);
  check('webhook', 'url', webhookUrl);
}

/** Into the samples table (node "occi", target = the sensor, metric = the name), in batches. */
class MetricsPublisher implements Publisher {
  readonly term = 'metrics';
  private rows: SampleRow[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly name: string,
    private readonly host: PublisherHost,
  ) {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }
  send(v: SensorValue): void {
    if (this.rows.length < 10_000)
      this.rows.push({ ts: v.ts, node: 'occi', target: v.sensor, metric: this.name, field: v.channel, value: Number(v.value), unit: '' });
  }
  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    await this.host.metrics(rows).catch((e: unknown) => this.host.problem(rows[0]!.target, `metrics: ${(e as Error).message}`));
  }
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/**
 * Feeds an agreement's KPI (the SLA manager's push path, so its rules about time and
 * duplicates apply): booleans count as 1/0. One value in flight at a time keeps the order;
 * values arriving meanwhile replace the waiting one (the SLA manager judges the latest).
 */
class SlaPublisher implements Publisher {
  readonly term = 'sla';
  private busy = false;
  private next: SensorValue | undefined;
  constructor(
    private readonly agreement: string,
    private readonly kpi: string,
    private readonly host: PublisherHost,
    private readonly problem: (m: string) => void,
  ) {}
  send(v: SensorValue): void {
    this.next = v;
    if (!this.busy) void this.drain();
  }
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.next) {
        const v = this.next;
        this.next = undefined;
        await this.host
          .sla(this.agreement, this.kpi, typeof v.value === 'boolean' ? Number(v.value) : v.value, v.ts)
          .catch((e: Error) => this.problem(`sla publisher: agreement ${this.agreement}: ${e.message}`));
      }
    } finally {
      this.busy = false;
    }
  }
  async close(): Promise<void> {}
}

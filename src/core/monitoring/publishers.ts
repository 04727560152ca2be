// The I/O of a sensor's publishers (the pure pipe only calls a Sink): a JSON lines file
// (the seed's Log{filename}), one UDP datagram per value (SendUDP{udpAddr}), an HTTP POST
// per value with a bounded queue and back-off (webhook), the live stream (SSE), and osmo's
// metrics store. A publisher never throws into the pipe: a failure is counted and told.
import { createSocket, type Socket } from 'node:dgram';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isIP } from 'node:net';
import { OSMO_PUBLISHER, type PublisherInfo, type ResourceEntity } from '../../monitoring/index.js';
import { invalid } from '../../shared/errors.js';
import type { SampleRow } from '../../store/index.js';

/** One value as every publisher delivers it. */
export interface SensorValue {
  sensor: string;
  /** the channel the publisher reads */
  channel: string;
  /** the publisher's term: log, udp, webhook, stream, metrics, sla */
  publisher: string;
  value: number | boolean;
  /** ms since epoch */
  ts: number;
}

export interface Publisher {
  readonly term: string;
  send(v: SensorValue): void;
  close(): Promise<void>;
}

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
  switch (p.stage.mixin.term) {
    case 'log':
      return new LogPublisher(resolveLogFile(host.logDir, attr(p, 'filename')));
    case 'udp':
      return new UdpPublisher(attr(p, 'udpAddr'), (m) => host.problem(sensor, m));
    case 'webhook':
      return new WebhookPublisher(attr(p, 'url'), (m) => host.problem(sensor, m));
    case 'stream':
      return { term: 'stream', send: (v) => host.live(v), close: async () => {} };
    case 'metrics':
      return new MetricsPublisher(attr(p, 'name'), host);
    case 'sla':
      return new SlaPublisher(attr(p, 'agreement'), attr(p, 'kpi'), host, (m) => host.problem(sensor, m));
    default:
      return { term: p.stage.mixin.term, send: () => undefined, close: async () => {} };
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
  check('log', 'filename', (v) => resolveLogFile('/sensors', v));
  check('udp', 'udpAddr', hostPort);
  check('webhook', 'url', webhookUrl);
}

function webhookUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`webhook url "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`webhook url "${url}" must be http or https`);
  return u;
}

export function resolveLogFile(dir: string, filename: string): string {
  const path = resolve(dir, filename);
  const rel = relative(dir, path);
  if (!filename || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`log filename "${filename}" must be a relative name: files go to <core data dir>/sensors/`);
  }
  return path;
}

const line = (v: SensorValue): string =>
  JSON.stringify({ sensor: v.sensor, channel: v.channel, value: v.value, ts: v.ts, time: new Date(v.ts).toISOString() });

class LogPublisher implements Publisher {
  readonly term = 'log';
  private readonly out: WriteStream;
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', () => undefined);
  }
  send(v: SensorValue): void {
    this.out.write(line(v) + '\n');
  }
  close(): Promise<void> {
    return new Promise((r) => this.out.end(r));
  }
}

function hostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(addr.trim());
  const port = Number(m?.[2]);
  if (!m || !m[1] || !(port >= 1 && port <= 65535)) throw new Error(`udpAddr "${addr}" is not host:port`);
  return { host: m[1], port };
}

class UdpPublisher implements Publisher {
  readonly term = 'udp';
  private readonly socket: Socket;
  private readonly host: string;
  private readonly port: number;
  constructor(
    addr: string,
    private readonly problem: (m: string) => void,
  ) {
    ({ host: this.host, port: this.port } = hostPort(addr));
    this.socket = createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('error', (e) => this.problem(`udp ${addr}: ${e.message}`));
    this.socket.unref();
  }
  send(v: SensorValue): void {
    this.socket.send(line(v), this.port, this.host, (e) => {
      if (e) this.problem(`udp ${this.host}:${this.port}: ${e.message}`);
    });
  }
  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** Values waiting for a webhook; beyond this the oldest are dropped (a dead receiver must not eat the core's memory). */
const WEBHOOK_QUEUE = 1000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const WEBHOOK_TIMEOUT_MS = 5000;

class WebhookPublisher implements Publisher {
  readonly term = 'webhook';
  private readonly queue: SensorValue[] = [];
  private sending = false;
  private closed = false;
  private backoff = 0;
  private timer: NodeJS.Timeout | undefined;
  dropped = 0;
  constructor(
    private readonly url: string,
    private readonly problem: (m: string) => void,
  ) {
    webhookUrl(url);
  }
  send(v: SensorValue): void {
    if (this.closed) return;
    if (this.queue.length >= WEBHOOK_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(v);
    if (!this.sending && !this.timer) void this.drain();
  }
  private async drain(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0 && !this.closed) {
      const v = this.queue[0]!;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: line(v),
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        // a 4xx will not get better by retrying: drop that value; 5xx and network errors are retried
        if (res.status >= 500) throw new Error(`answered ${res.status}`);
        if (res.status >= 400) this.problem(`webhook ${this.url} refused a value: ${res.status}`);
        if (this.queue[0] === v) this.queue.shift();
        this.backoff = 0;
      } catch (e) {
        this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff ? this.backoff * 2 : BACKOFF_MIN_MS);
        this.problem(`webhook ${this.url}: ${(e as Error).message}; retrying in ${this.backoff} ms`);
        this.sending = false;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.drain();
        }, this.backoff);
        this.timer.unref();
        return;
      }
    }
    this.sending = false;
  }
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
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

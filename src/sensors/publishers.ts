// The I/O of the publishers a sensor can run anywhere (in the core, or next to its target as
// an edge process): a JSON lines file (the seed's Log{filename}), one UDP datagram per value
// (SendUDP{udpAddr}), an HTTP POST per value with a bounded queue and back-off (webhook). A
// publisher never throws into the pipe: a failure is told to `problem` and counted.
import { createSocket, type Socket } from 'node:dgram';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isIP } from 'node:net';
import type { Publisher, SensorValue } from './value.js';

export type { Publisher, SensorValue };

/** The publishers that need nothing but the network and a directory: the ones an edge sensor can run. */
export const PORTABLE_PUBLISHERS = ['log', 'udp', 'webhook'] as const;

/**
 * A portable publisher from its attributes (`attr(name)` reads `osmo.publisher.<term>.<name>`),
 * undefined for a term that needs the core; throws (a message for the sensor's state) when
 * its attributes cannot work.
 */
export function portablePublisher(
  term: string,
  attr: (name: string) => string,
  logDir: string,
  problem: (m: string) => void,
): Publisher | undefined {
  switch (term) {
    case 'log':
      return new LogPublisher(resolveLogFile(logDir, attr('filename')));
    case 'udp':
      return new UdpPublisher(attr('udpAddr'), problem);
    case 'webhook':
      return new WebhookPublisher(attr('url'), problem);
    default:
      return undefined;
  }
}

export function webhookUrl(url: string): URL {
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
    throw new Error(
      `log filename "${filename}" must be a relative name: files go to the sensors directory of the core's (or, at the edge, the agent's) data dir`,
    );
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

export function hostPort(addr: string): { host: string; port: number } {
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

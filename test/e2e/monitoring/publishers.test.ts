// The sensor publishers' I/O against real sockets and files: a webhook receiver that fails
// before it accepts (retried with back-off, in order, nothing lost), a receiver that never
// comes back (the queue stays bounded), UDP datagrams, the JSON lines file and the
// filename rule that keeps it inside the core's sensor directory.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { PublisherInfo } from '../../../src/monitoring/index.js';
import { makePublisher, type PublisherHost, type SensorValue } from '../../../src/core/monitoring/publishers.js';
import { resolveLogFile } from '../../../src/sensors/publishers.js';
import type { SampleRow } from '../../../src/store/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';

const info = (term: string, attributes: Record<string, unknown>): PublisherInfo =>
  ({
    stage: { role: 'publisher', mixin: { term }, entity: { attributes }, inputs: [], outputs: [] },
    channel: 'c',
    type: 'number',
  }) as unknown as PublisherInfo;

const problems: string[] = [];
const rows: SampleRow[] = [];
const host: PublisherHost = {
  logDir: tempDir('occi2-pub-'),
  live: () => undefined,
  metrics: async (r) => void rows.push(...r),
  sla: async () => undefined,
  problem: (_s, m) => void problems.push(m),
};
const value = (i: number): SensorValue => ({ sensor: 's', channel: 'c', publisher: 'x', value: i, ts: 1_700_000_000_000 + i });

describe('sensor publishers', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const listen = async (handler: (body: string) => number): Promise<string> => {
    const s = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        res.statusCode = handler(b);
        res.end();
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const a = s.address() as { port: number };
    return `http://127.0.0.1:${a.port}/hook`;
  };

  test('webhook: a receiver answering 503 twice gets every value, in order, after back-off', async () => {
    let calls = 0;
    const got: number[] = [];
    const url = await listen((b) => {
      calls++;
      if (calls <= 2) return 503;
      got.push((JSON.parse(b) as { value: number }).value);
      return 204;
    });
    const p = makePublisher('s', info('webhook', { 'osmo.publisher.webhook.url': url }), host);
    for (let i = 0; i < 5; i++) p.send(value(i));
    await eventually(() => got.length === 5, 20_000, 'five values delivered');
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.ok(
      problems.some((m) => /answered 503; retrying in 500 ms/.test(m)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((m) => /retrying in 1000 ms/.test(m)),
      'the second wait is longer',
    );
    await p.close();
  });

  test('webhook: a dead receiver does not grow the queue past its bound', async () => {
    const p = makePublisher('s', info('webhook', { 'osmo.publisher.webhook.url': 'http://127.0.0.1:9/never' }), host) as unknown as {
      send(v: SensorValue): void;
      close(): Promise<void>;
      dropped: number;
      queue: unknown[];
    };
    for (let i = 0; i < 1500; i++) p.send(value(i));
    assert.equal(p.queue.length, 1000);
    assert.equal(p.dropped, 500);
    await p.close();
  });

  test('webhook: an URL that is not http(s) is refused', () => {
    assert.throws(() => makePublisher('s', info('webhook', { 'osmo.publisher.webhook.url': 'file:///etc/passwd' }), host), /http or https/);
  });

  test('udp: one JSON datagram per value', async () => {
    const sock = createSocket('udp4');
    const got: SensorValue[] = [];
    sock.on('message', (m) => got.push(JSON.parse(m.toString()) as SensorValue));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const p = makePublisher('s', info('udp', { 'osmo.publisher.udp.udpAddr': `127.0.0.1:${sock.address().port}` }), host);
    p.send(value(7));
    p.send(value(8));
    await eventually(() => got.length === 2, 10_000, 'two datagrams');
    assert.deepEqual(
      got.map((g) => [g.sensor, g.channel, g.value, g.ts]),
      [
        ['s', 'c', 7, value(7).ts],
        ['s', 'c', 8, value(8).ts],
      ],
    );
    await p.close();
    sock.close();
    assert.throws(() => makePublisher('s', info('udp', { 'osmo.publisher.udp.udpAddr': 'nohostport' }), host), /not host:port/);
  });

  test('log: JSON lines inside the sensor directory; a name that leaves it is refused', async () => {
    const p = makePublisher('s', info('log', { 'osmo.publisher.log.filename': 'sub/a.jsonl' }), host);
    p.send(value(1));
    p.send(value(2));
    await p.close();
    const lines = readFileSync(join(host.logDir, 'sub/a.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as SensorValue).value),
      [1, 2],
    );
    for (const bad of ['../x.jsonl', '/etc/x.jsonl', ''])
      assert.throws(() => resolveLogFile(host.logDir, bad), /must be a relative name/, bad);
  });

  test('metrics: values become rows of the metrics store (node occi, target the sensor)', async () => {
    const p = makePublisher('s', info('metrics', { 'osmo.publisher.metrics.name': 'web_p95' }), host);
    p.send(value(3));
    await p.close();
    assert.deepEqual(rows, [{ ts: value(3).ts, node: 'occi', target: 's', metric: 'web_p95', field: 'c', value: 3, unit: '' }]);
  });

  test('sla: values reach the agreement in order, booleans as 1/0; a refusal is told on the sensor, not thrown', async () => {
    const fed: Array<[string, string, number, number]> = [];
    let release: (() => void) | undefined;
    const slow: PublisherHost = {
      ...host,
      // the first push waits until the test releases it: values sent meanwhile must not overtake it
      sla: (a, k, v, ts) => {
        fed.push([a, k, v, ts]);
        return fed.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    };
    const p = makePublisher('s', info('sla', { 'osmo.publisher.sla.agreement': 'ag-1', 'osmo.publisher.sla.kpi': 'ResponseTime' }), slow);
    p.send(value(1));
    p.send(value(2));
    p.send({ ...value(3), value: true });
    await eventually(() => release !== undefined, 5_000, 'the first push in flight');
    release!();
    await eventually(() => fed.length === 2, 5_000, 'the latest value after the first');
    assert.deepEqual(fed, [
      ['ag-1', 'ResponseTime', 1, value(1).ts],
      ['ag-1', 'ResponseTime', 1, value(3).ts],
    ]);
    const refusing = makePublisher('s', info('sla', { 'osmo.publisher.sla.agreement': 'ghost', 'osmo.publisher.sla.kpi': 'K' }), {
      ...host,
      sla: () => Promise.reject(new Error('agreement ghost not found')),
    });
    refusing.send(value(4));
    await eventually(() => problems.some((m) => /agreement ghost: agreement ghost not found/.test(m)), 5_000, 'the refusal told');
    await p.close();
  });
});

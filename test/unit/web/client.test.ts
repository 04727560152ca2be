// The dashboard's pure client modules run under node too: the SSE framing, the stream's
// reconnect after its server goes away and comes back on the same port, the deploy
// form's parsing, and the readers of metrics, policy and planner answers.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SseParser, openStream, type SseMessage, type StreamStatus } from '../../../web/src/api/stream.js';
import { normalizeParams, normalizeSeries, nestPatch } from '../../../web/src/api/readers.js';
import { toApiError } from '../../../web/src/api/errors.js';
import { splitArgs, toSpec, emptyDeploy, fieldOf } from '../../../web/src/views/deployForm.js';
import { readPlan } from '../../../web/src/views/planShape.js';
import { plan } from '../../../src/planner/index.js';
import type { StreamEvent } from '../../../web/src/api/types.js';
import { eventually, freePort, ROOT } from '../../../testing/proc.js';

describe('SseParser', () => {
  test('frames events across arbitrary chunk boundaries and line endings', () => {
    const text = 'id: 1\nevent: node\ndata: {"a":1}\n\n: comment\r\ndata: x\r\ndata: y\r\n\r\nid: 3\rdata: z\r\r';
    const whole: SseMessage[] = [];
    new SseParser((m) => whole.push(m)).push(text);
    assert.deepEqual(whole, [
      { event: 'node', data: '{"a":1}', id: '1' },
      { event: undefined, data: 'x\ny', id: '1' },
      { event: undefined, data: 'z', id: '3' },
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 6 }), (cuts) => {
        const got: SseMessage[] = [];
        const p = new SseParser((m) => got.push(m));
        let last = 0;
        for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
          p.push(text.slice(last, c));
          last = c;
        }
        p.push(text.slice(last));
        assert.deepEqual(got, whole);
      }),
    );
  });
});

describe('openStream', () => {
  function sseServer(port: number, onClient: (res: ServerResponse, lastId: string | undefined) => void): Promise<Server> {
    const s = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      onClient(res, req.headers['last-event-id'] as string | undefined);
    });
    return new Promise((r) => s.listen(port, '127.0.0.1', () => r(s)));
  }
  const closeHard = (s: Server) =>
    new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });

  test('reconnects by itself after the server restarts and resumes from the last id', async () => {
    const port = await freePort();
    const seen: StreamEvent[] = [];
    const statuses: StreamStatus[] = [];
    const lastIds: (string | undefined)[] = [];
    let s = await sseServer(port, (res, lastId) => {
      lastIds.push(lastId);
      res.write('id: 7\ndata: {"id":7,"origin":"core","seq":null,"node":"n1","type":"node","ts":1,"data":{"status":"ready"}}\n\n');
    });
    const h = openStream({
      url: `http://127.0.0.1:${port}/api/v1/events`,
      onEvent: (e) => seen.push(e),
      onStatus: (st) => statuses.push(st),
      minDelayMs: 50,
      maxDelayMs: 200,
    });
    try {
      await eventually(() => seen.length === 1, 5000, 'first event');
      // the core payload is lifted to the top level
      assert.equal(seen[0]?.type, 'node');
      assert.equal(seen[0]?.status, 'ready');
      assert.equal(seen[0]?.node, 'n1');
      await closeHard(s);
      await eventually(() => statuses.at(-1) === 'reconnecting', 5000, 'reconnecting status');
      // the port hangs up for a while: the client keeps trying (two more attempts seen)
      let attempts = 0;
      const refuser = createNetServer((c) => (attempts++, c.destroy()));
      await new Promise<void>((r) => refuser.listen(port, '127.0.0.1', r));
      await eventually(() => attempts >= 2, 5000, 'two attempts while the core is away');
      await new Promise((r) => refuser.close(r));
      s = await sseServer(port, (res, lastId) => {
        lastIds.push(lastId);
        res.write(
          'id: 8\nevent: sample\ndata: {"seq":3,"node":"n1","ts":2,"source":"host","target":"host","metric":"cpu","fields":{"total":{"value":5,"unit":"percent"}}}\n\n',
        );
      });
      await eventually(() => seen.length === 2, 5000, 'event after restart');
      assert.equal(seen[1]?.type, 'sample');
      assert.equal(statuses.at(-1), 'open');
      assert.deepEqual(lastIds, [undefined, '7']);
    } finally {
      h.close();
      await closeHard(s);
    }
  });

  test('reports unauthorized on 401 instead of hammering the server', async () => {
    const port = await freePort();
    const hits: number[] = [];
    const s = createServer((_req, res) => {
      hits.push(Date.now());
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"response":false,"status":401,"error":"token required"}');
    });
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
    const statuses: StreamStatus[] = [];
    const h = openStream({
      url: `http://127.0.0.1:${port}/`,
      onEvent: () => {},
      onStatus: (st) => statuses.push(st),
      minDelayMs: 50,
      maxDelayMs: 1000,
    });
    try {
      await eventually(() => statuses.includes('unauthorized'), 5000, 'unauthorized');
      // the next attempt comes, but only after the long delay (a lower bound: a slow
      // machine can only make the gap longer)
      await eventually(() => hits.length >= 2, 10_000, 'a second attempt');
      assert.ok(hits[1]! - hits[0]! >= 1000 - 5, `asked again after ${hits[1]! - hits[0]!} ms, before maxDelayMs`);
    } finally {
      h.close();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});

describe('deploy form', () => {
  test('splitArgs keeps quoted words together and never needs a shell', () => {
    assert.deepEqual(splitArgs(`httpd -f -p 80 -h "/www dir" 'a b' c\\ d`), ['httpd', '-f', '-p', '80', '-h', '/www dir', 'a b', 'c d']);
    assert.deepEqual(splitArgs('  '), []);
    assert.deepEqual(splitArgs(`echo ""`), ['echo', '']);
    assert.throws(() => splitArgs(`echo "oops`), /closing quote/);
  });

  test('toSpec builds the MEL spec and names the field of each mistake', () => {
    const { spec } = toSpec({
      ...emptyDeploy,
      name: 'web',
      image: 'osmo-test/httpd:1',
      ports: '80/tcp, 8080=18080',
      replicas: '2',
      layer: 'edge',
      labels: 'zone=a',
      spread: true,
    });
    assert.deepEqual(spec, {
      name: 'web',
      image: 'osmo-test/httpd:1',
      replicas: 2,
      ports: { '80/tcp': null, '8080/tcp': 18080 },
      placement: { layer: 'edge', labels: { zone: 'a' }, spread: true },
    });
    const bad = toSpec({ ...emptyDeploy, name: 'Web!', image: '', ports: 'eighty', replicas: '-1', env: 'NOVALUE' });
    assert.equal(bad.spec, undefined);
    assert.deepEqual(Object.keys(bad.errors).sort(), ['env', 'image', 'name', 'ports', 'replicas']);
  });

  test('server errors land on the field they name', () => {
    const e = toApiError(400, { response: false, status: 400, error: 'body/replicas must be >= 0' });
    assert.equal(e.field, 'replicas');
    assert.equal(fieldOf(e.field), 'replicas');
    assert.equal(fieldOf('placement.layer'), 'layer');
    assert.equal(fieldOf(toApiError(409, { error: 'MEL "web" already exists' }).field), 'form');
    assert.equal(toApiError(404, { error: 'no such MEL' }).message, 'no such MEL');
  });
});

describe('answer readers', () => {
  test('metrics series: nested series and flat points give the same columns', () => {
    const nested = normalizeSeries({ series: [{ field: 'total', unit: 'percent', points: [{ ts: 2, value: 5 }, [3, 6]] }] });
    assert.deepEqual(nested, [
      {
        node: undefined,
        target: undefined,
        metric: undefined,
        field: 'total',
        unit: 'percent',
        points: [
          { ts: 2, value: 5 },
          { ts: 3, value: 6 },
        ],
      },
    ]);
    const flat = normalizeSeries({
      points: [
        { ts: 3, field: 'total', unit: 'percent', value: 6 },
        { ts: 2, field: 'total', unit: 'percent', value: 5 },
      ],
    });
    assert.deepEqual(flat[0]?.points, [
      { ts: 2, value: 5 },
      { ts: 3, value: 6 },
    ]);
    assert.deepEqual(normalizeSeries('nonsense'), []);
  });

  test('policy parameters: the described list keeps ranges and choices; a bare document is flattened', () => {
    const list = normalizeParams({
      parameters: [
        {
          name: 'thresholds.high',
          type: 'number',
          unit: 'load factor',
          min: 0,
          max: 1,
          default: 0.8,
          value: 0.8,
          description: 'overloaded when L >= high',
        },
        { name: 'acceptance', type: 'enum', allowed: ['always', 'never'], default: 'always', value: 'never', description: 'd' },
        { name: 'management.maxMovesPerRound', type: 'integer', min: 0, max: 10, default: 4, value: 4, description: 'd' },
      ],
    });
    assert.equal(list[0]?.max, 1);
    assert.deepEqual(list[1]?.options, ['always', 'never']);
    assert.equal(list[2]?.step, 1);
    assert.deepEqual(
      normalizeParams({ thresholds: { low: 0.6 }, acceptance: 'always' }).map((p) => p.name),
      ['thresholds.low', 'acceptance'],
    );
    assert.deepEqual(nestPatch('weights.cpu', 0.5), { weights: { cpu: 0.5 } });
  });

  test('planner answer from the real plan() becomes per-hour columns', () => {
    const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
    const result = plan(input, { seed: 1 });
    const view = readPlan(result, input);
    assert.equal(view.hours.length, result.hours.length);
    assert.ok(view.tiers.length >= 3, 'a column per tier');
    for (const t of view.tiers) assert.equal(t.vms.length, view.hours.length);
    assert.ok(view.tiers.every((t) => t.vms.every((v) => v === null || v >= 1)));
    assert.ok(view.responseTime.length >= 1);
    assert.equal(view.cost, result.dailyCost);
    assert.equal(view.peakCost, result.peakPlan.dailyCost);
    assert.ok(view.cost <= (view.peakCost ?? Infinity) + 1e-9, 'never worse than peak capacity');
    assert.throws(() => readPlan({ nothing: true }), /per-hour/);
  });
});

describe('chart fields', () => {
  test('net and disk charts show received/sent of the real devices; cpu shows the total', async () => {
    const { chooseFields, compact } = await import('../../../web/src/components/fields.js');
    const u = (names: string[], unit = 'bytes/s') => new Map(names.map((n) => [n, unit]));
    const net = [
      'lo.rx_bytes_rate',
      'lo.tx_bytes_rate',
      'eth0.rx_bytes',
      'eth0.rx_bytes_rate',
      'eth0.tx_bytes_rate',
      'ifb0.rx_bytes_rate',
      'docker0.rx_bytes_rate',
    ];
    assert.deepEqual(chooseFields('net', net, u(net)), ['eth0.rx_bytes_rate', 'eth0.tx_bytes_rate']);
    const guest = ['rx_bytes', 'rx_bytes_rate', 'tx_bytes_rate'];
    assert.deepEqual(chooseFields('net', guest, u(guest)), ['rx_bytes_rate', 'tx_bytes_rate']);
    const disk = ['vda.read_bytes_rate', 'vda.write_bytes_rate', '/.used_percent'];
    assert.deepEqual(chooseFields('disk', disk, u(disk)), ['vda.read_bytes_rate', 'vda.write_bytes_rate']);
    assert.deepEqual(chooseFields('cpu', ['core0', 'total', 'core1'], u(['core0', 'total', 'core1'], 'percent')), ['total']);
    assert.deepEqual(
      chooseFields(
        'mem',
        ['total', 'used', 'used_percent'],
        new Map([
          ['total', 'bytes'],
          ['used', 'bytes'],
          ['used_percent', 'percent'],
        ]),
      ),
      ['used_percent'],
    );
    assert.equal(compact(15_000_000), '15M');
    assert.equal(compact(2500), '2500');
    assert.equal(compact(0.25), '0.25');
    assert.equal(compact(0.625, 0.005), '0.625');
    assert.equal(compact(80, 10), '80');
  });
});

describe('event log lines', () => {
  test('say what happened and why, per event type', async () => {
    const { summary } = await import('../../../web/src/views/eventSummary.js');
    assert.equal(
      summary({ type: 'node', node: 'n1', action: 'status', status: 'down', previous: 'suspect', reason: 'no heartbeat for 4 s' }),
      'node n1 status suspect → down — no heartbeat for 4 s',
    );
    assert.equal(
      summary({ type: 'migration', phase: 'start', mel: 'web', name: 'web-ab12', from: 'n1', to: 'n2', reason: 'L 0.91 >= high 0.8' }),
      'migration start: web-ab12 from n1 to n2 — L 0.91 >= high 0.8',
    );
    assert.equal(
      summary({ type: 'policy', scope: 'global', changes: [{ name: 'thresholds.high', from: 0.8, to: 0.85 }] }),
      'policy (global) thresholds.high 0.8 → 0.85',
    );
    assert.equal(
      summary({ type: 'placement', mel: 'web', name: 'web-1', node: 'n2', score: 1, reason: 'least allocated' }),
      'placed web-1 of web on n2 (score 1) — least allocated',
    );
    assert.equal(summary({ type: 'mel', action: 'scale', mel: 'web', replicas: 2, previous: 1 }), 'scale MEL web replicas 1 → 2');
    assert.equal(
      summary({
        type: 'sla',
        agreement: 'ag',
        term: 'c2',
        violation: 'v1',
        action: 'scale-out',
        mel: 'web',
        outcome: 'done',
        replicas: 2,
        previous: 1,
        reason: 'violation of c2',
      }),
      'SLA ag/c2: scale-out of web done replicas 1 → 2 — violation of c2',
    );
    assert.equal(
      summary({ type: 'novel', instance: '0123abcd-1111-2222-3333-444455556666', x: 1, origin: 'core' }),
      'instance=0123abcd · x=1',
    );
  });
});

describe('sample windows', () => {
  test('live samples keep every column as long as the time axis and drop the oldest', async () => {
    const { emptyWindow, appendSample } = await import('../../../web/src/state/window.js');
    const w = emptyWindow();
    appendSample(w, 1000, { total: { value: 5, unit: 'percent' } }, 3);
    appendSample(w, 2000, { total: { value: 6, unit: 'percent' }, core0: { value: 7, unit: 'percent' } }, 3);
    appendSample(w, 3000, { core0: { value: 8, unit: 'percent' }, junk: 'x' }, 3);
    assert.deepEqual(w.ts, [1, 2, 3]);
    assert.deepEqual(w.fields.get('total'), [5, 6, null]);
    assert.deepEqual(w.fields.get('core0'), [null, 7, 8]);
    appendSample(w, 4000, { total: { value: 9, unit: 'percent' } }, 3);
    assert.deepEqual(w.ts, [2, 3, 4]);
    assert.deepEqual(w.fields.get('total'), [6, null, 9]);
    assert.equal(w.units.get('core0'), 'percent');
  });

  test('stored history goes in front of the live samples, never twice', async () => {
    const { emptyWindow, appendSample, prependHistory } = await import('../../../web/src/state/window.js');
    const w = emptyWindow();
    appendSample(w, 10_000, { total: { value: 50, unit: 'percent' } }, 100);
    const history = [
      {
        field: 'total',
        unit: 'percent',
        points: [
          { ts: 8000, value: 30 },
          { ts: 9000, value: 40 },
          { ts: 10_000, value: 50 },
        ],
      },
      { field: 'core0', unit: 'percent', points: [{ ts: 9000, value: 41 }] },
    ];
    assert.equal(prependHistory(w, history, 100), 2);
    assert.deepEqual(w.ts, [8, 9, 10]);
    assert.deepEqual(w.fields.get('total'), [30, 40, 50]);
    assert.deepEqual(w.fields.get('core0'), [null, 41, null]);
    // a second back-fill of the same past adds nothing
    assert.equal(prependHistory(w, history, 100), 0);
    assert.deepEqual(w.ts, [8, 9, 10]);
    // and the bound holds, newest kept
    const many = [{ field: 'total', points: Array.from({ length: 10 }, (_, i) => ({ ts: i * 100, value: i })) }];
    prependHistory(w, many, 5);
    assert.deepEqual(w.ts, [0.8, 0.9, 8, 9, 10]);
    for (const col of w.fields.values()) assert.equal(col.length, 5);
  });
});

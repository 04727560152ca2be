import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { askCloudlet, SystemAnswer, toCandidate } from '../../../src/discovery/system.js';
import type { Found } from '../../../src/discovery/types.js';

// pycloud's answer (Cloudlet_Metadata + services=true): no osmo fields
const PYCLOUD = {
  memory_info: { max_memory: 8e9, free_memory: 3e9 },
  cpu_info: { max_cores: 4, usage: 37.5, speed: '2400.000', cache: 4096 },
  services: [{ _id: 'x', service_id: 'edu.cmu.sei.ams.speech', description: '', version: '1.0', tags: [] }],
};
const OSMO = {
  ...PYCLOUD,
  node_id: 'dc-edge-1',
  layer: 'edge',
  domain: 'lab',
  load_factor: 0.12,
  services: [{ service_id: 'httpd', running: true, port: 80 }],
};

describe('reading /api/system', () => {
  test("a plain pycloud answer: the CPU usage stands in for osmo's load factor", () => {
    const cand = toCandidate('pc', 'http://pc:9999', 'edu.cmu.sei.ams.speech', SystemAnswer.parse(PYCLOUD));
    assert.deepEqual(cand, {
      name: 'pc',
      url: 'http://pc:9999',
      nodeId: undefined,
      offers: true,
      running: false,
      load: 0.375,
      freeMemory: 3e9,
    });
  });

  test("osmo's answer: its load factor and the running flag are used", () => {
    const cand = toCandidate('o', 'http://o:9999', 'httpd', SystemAnswer.parse(OSMO));
    assert.equal(cand.load, 0.12);
    assert.equal(cand.running, true);
    assert.equal(cand.nodeId, 'dc-edge-1');
  });

  test("osmo's agent answer: a service is running there when the top-level running list names it", () => {
    const answer = {
      ...PYCLOUD,
      node: 'dc-edge-2',
      load_factor: 0.3,
      running: [{ _id: 'i1', service_id: 'httpd', num_current_users: 2 }],
      services: [
        { service_id: 'httpd', num_users: 0 },
        { service_id: 'other', num_users: 5 },
      ],
    };
    const s = SystemAnswer.parse(answer);
    assert.deepEqual(
      [toCandidate('o', 'u', 'httpd', s).running, toCandidate('o', 'u', 'other', s).running, toCandidate('o', 'u', 'other', s).nodeId],
      [true, false, 'dc-edge-2'],
    );
  });

  test('a service missing from the list is not offered; no list at all: nothing is offered', () => {
    assert.equal(toCandidate('o', 'u', 'other', SystemAnswer.parse(OSMO)).offers, false);
    const { services: _, ...bare } = OSMO;
    assert.equal(toCandidate('o', 'u', 'httpd', SystemAnswer.parse(bare)).offers, false);
  });

  test('garbage is refused with the path of what is wrong', () => {
    for (const bad of [null, 'hello', [], {}, { memory_info: { max_memory: 1, free_memory: -1 }, cpu_info: { max_cores: 1, usage: 1 } }]) {
      const r = SystemAnswer.safeParse(bad);
      assert.equal(r.success, false, JSON.stringify(bad));
    }
    const r = SystemAnswer.safeParse({ ...OSMO, memory_info: { max_memory: 1, free_memory: 'lots' } });
    assert.ok(!r.success && r.error.issues[0]!.path.join('.') === 'memory_info.free_memory');
  });
});

describe('asking a found cloudlet (real HTTP on 127.0.0.1)', () => {
  const servers: Server[] = [];
  const ports: Record<'good' | 'garbage' | 'broken', number> = { good: 0, garbage: 0, broken: 0 };
  const answers = {
    good: (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(OSMO)),
    garbage: (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>'),
    broken: (res: ServerResponse) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"disk on fire"}'),
  };
  before(async () => {
    for (const kind of Object.keys(answers) as Array<keyof typeof answers>) {
      const s = createServer((req, res) => {
        const u = new URL(req.url ?? '/', 'http://x');
        if (u.pathname !== '/api/system' || u.searchParams.get('services') !== 'true') return void res.writeHead(404).end();
        answers[kind](res);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      ports[kind] = (s.address() as AddressInfo).port;
      servers.push(s);
    }
  });
  after(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  const found = (name: string, port: number, addresses = ['127.0.0.1']): Found => ({
    kind: 'cloudlet',
    name,
    host: `${name}.local`,
    port,
    addresses,
    txt: { encryption: 'disabled' },
  });

  test('a good answer becomes a candidate', async () => {
    const r = await askCloudlet(found('good', ports.good), 'httpd', 3000);
    assert.ok('offers' in r, JSON.stringify(r));
    assert.deepEqual([r.offers, r.running, r.url], [true, true, `http://127.0.0.1:${ports.good}`]);
  });

  test('garbage, an error status, silence and no address: each skipped with its reason', async () => {
    const closed = await new Promise<number>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const reasons = await Promise.all([
      askCloudlet(found('garbage', ports.garbage), 'httpd', 3000),
      askCloudlet(found('broken', ports.broken), 'httpd', 3000),
      askCloudlet(found('gone', closed), 'httpd', 3000),
      askCloudlet(found('mute', ports.good, []), 'httpd', 3000),
    ]);
    const text = reasons.map((r) => ('reason' in r ? r.reason : 'ACCEPTED'));
    assert.match(text[0]!, /answered 200 with an unexpected body/);
    assert.match(text[1]!, /500 disk on fire/);
    assert.match(text[2]!, /cannot reach the cloudlet/);
    assert.equal(text[3], 'announced no address');
  });
});

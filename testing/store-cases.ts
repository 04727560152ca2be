// The store's behaviour, written once and run on each dialect: test/unit/store/store.test.ts
// on SQLite files, test/e2e/store/store-pg.test.ts on a private PostgreSQL. `open(name)` opens
// (creating on first use) the store called `name`; opening the same name again reopens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { migrate } from '../src/store/db.js';
import { commitMel, commitPass, type InstanceRecord, type NodeRecord, type Store } from '../src/store/index.js';
import { FencedError } from '../src/store/fence.js';
import { SlaRepo, type SlaDatabase } from '../src/store/repos/sla.js';
import { runRetention } from '../src/store/retention.js';
import { instanceRow } from './builders.js';

export type OpenNamed = (name: string) => Promise<Store>;

const CORE_TABLES = ['nodes', 'mels', 'instances', 'events', 'samples', 'samples_1m', 'kv', 'plans'];
const SLA_TABLES = ['sla_providers', 'sla_templates', 'sla_agreements', 'sla_enforcements', 'sla_metrics', 'sla_breaches', 'sla_actions'];

function node(id: string, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    address: `http://127.0.0.1:1/${id}`,
    layer: 'edge',
    domain: 'd1',
    labels: { zone: 'a' },
    capacity: { cpus: 1.5, memoryBytes: 8 * 2 ** 30 },
    drivers: ['docker'],
    version: '1',
    status: 'ready',
    schedulable: true,
    draining: false,
    ackedSeq: 41,
    registeredAt: 1_764_000_000_000,
    updatedAt: 1_764_000_000_001,
    lastHeartbeat: 1_764_000_000_002,
    ...over,
  };
}

function pending(k: number): InstanceRecord {
  const id = `big-${k}`;
  return instanceRow({ id, mel: 'big', node: null, name: id, state: 'pending', reason: 'no node', createdAt: k, updatedAt: k });
}

export interface CaseOptions {
  bulkRows: number;
  /** two opens of one store racing (PostgreSQL: two cores starting at once; a SQLite file has one owner) */
  concurrentOpen: boolean;
}

export function storeCases(dialect: string, open: OpenNamed, opts: CaseOptions): void {
  const race = opts.concurrentOpen ? ', and two stores opening at once both succeed' : '';
  test(`${dialect}: migrations create every table and are idempotent${race}`, async () => {
    const [a, b] = opts.concurrentOpen ? await Promise.all([open('mig'), open('mig')]) : [await open('mig'), await open('mig')];
    assert.deepEqual(await migrate(a.db), [], 'a third run applies nothing');
    const tables = (await a.db.introspection.getTables()).map((t) => t.name);
    for (const t of [...CORE_TABLES, ...SLA_TABLES]) assert.ok(tables.includes(t), `table ${t} in ${tables.join(',')}`);
    await Promise.all([a.close(), b.close()]);
    const c = await open('mig');
    await c.close();
  });

  test(`${dialect}: every repository round-trips its records with JS types (numbers, booleans, JSON)`, async () => {
    const s = await open('repos');
    try {
      await s.nodes.upsertMany([node('n2', { schedulable: false, draining: true }), node('n1')]);
      await s.nodes.upsert(node('n1', { lastHeartbeat: 1_764_000_009_999, labels: { zone: 'b' } }));
      const nodes = await s.nodes.list();
      assert.deepEqual(
        nodes.map((n) => n.id),
        ['n1', 'n2'],
      );
      assert.deepEqual(nodes[0], node('n1', { lastHeartbeat: 1_764_000_009_999, labels: { zone: 'b' } }));
      assert.equal(nodes[1]!.schedulable, false);
      assert.equal(nodes[1]!.draining, true);

      await s.mels.upsert({ name: 'web', spec: { image: 'x', replicas: 2 }, generation: 1, createdAt: 5, updatedAt: 5 });
      await s.mels.upsert({ name: 'web', spec: { image: 'y', replicas: 2 }, generation: 2, createdAt: 9, updatedAt: 9 });
      assert.deepEqual(await s.mels.get('web'), {
        name: 'web',
        spec: { image: 'y', replicas: 2 },
        generation: 2,
        createdAt: 5,
        updatedAt: 9,
      });
      assert.equal(await s.mels.remove('nope'), false);

      const i: InstanceRecord = {
        id: 'i1',
        mel: 'web',
        node: 'n1',
        name: 'osmo-web-i1',
        generation: 2,
        desired: 'run',
        state: 'running',
        reason: null,
        ports: [{ containerPort: 80, hostPort: 8080, hostIp: '0.0.0.0', protocol: 'tcp' }],
        createdAt: 1_764_000_000_000,
        updatedAt: 1_764_000_000_000,
      };
      await s.instances.upsertMany([i, { ...i, id: 'i2', name: 'osmo-web-i2' }, { ...i, state: 'stopped', updatedAt: 1_764_000_000_500 }]);
      const inst = await s.instances.list();
      assert.equal(inst.length, 2);
      assert.deepEqual(
        inst.find((x) => x.id === 'i1'),
        { ...i, state: 'stopped', updatedAt: 1_764_000_000_500 },
      );

      await s.plans.put({ id: 'p1', createdAt: 3, body: '{"hours":[]}', follow: { mels: { web: 'web' } } });
      await s.plans.setFollow('p1', null);
      assert.deepEqual(await s.plans.list(), [{ id: 'p1', createdAt: 3, body: '{"hours":[]}', follow: null }]);

      // a prefix never matches by wildcard or by collation: "_" and "%" are plain characters
      for (const k of ['node/a', 'node/b', 'node_x', 'node%y', 'nodeZ', 'nod', 'policy/x']) await s.kv.set(k, k.toUpperCase());
      await s.kv.set('node/a', 'again');
      assert.deepEqual(await s.kv.withPrefix('node/'), [
        { key: 'node/a', value: 'again' },
        { key: 'node/b', value: 'NODE/B' },
      ]);
      assert.deepEqual(
        (await s.kv.withPrefix('node_')).map((x) => x.key),
        ['node_x'],
      );
      assert.equal(await s.kv.get('nod'), 'NOD');

      assert.equal(await s.events.maxId(), 0);
      const [e] = await s.events.append([{ origin: 'core', seq: null, node: null, type: 't', ts: 1_764_000_000_000, data: { x: [1] } }]);
      assert.equal(typeof e!.id, 'number');
      assert.equal(await s.events.maxId(), e!.id);
      assert.equal(typeof (await s.samples.counts()).raw, 'number');
    } finally {
      await s.close();
    }
  });

  test(`${dialect}: a pass's commit writes, deletes and logs at once; under a moved-on term it writes nothing`, async () => {
    const s = await open('pass');
    const a = instanceRow({
      id: 'p-a',
      name: 'osmo-m-p-a',
      state: 'starting',
      ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }],
    });
    const b = instanceRow({ id: 'p-b', name: 'osmo-m-p-b', state: 'pending', node: null, reason: 'no node' });
    const ev = (type: string, n: number) => ({ origin: 'core', seq: null, node: 'a', type, ts: n, data: { n } });
    const stored = await commitPass(s, [a, b], [], [ev('placement', 1), ev('placement', 2)]);
    assert.deepEqual(
      stored.map((e) => [e.type, e.data]),
      [
        ['placement', { n: 1 }],
        ['placement', { n: 2 }],
      ],
    );
    assert.ok(stored[0]!.id < stored[1]!.id, 'ids grow in order');
    // an update, a delete, and a write of a deleted id (the delete wins, as written first)
    const c = instanceRow({ id: 'p-c', name: 'osmo-m-p-c', state: 'starting' });
    await commitPass(s, [{ ...a, state: 'running', updatedAt: 99 }, c], ['p-b', 'p-c'], []);
    assert.deepEqual(
      (await s.instances.list()).map((i) => [i.id, i.state, i.ports]),
      [['p-a', 'running', [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }]]],
    );
    // fenced: the leader's term is 7; a pass under term 6 is refused and leaves nothing behind
    await s.db.insertInto('core_leader').values({ id: 1, term: 7, holder: 'h', since: 1 }).execute();
    s.fence.enabled = true;
    s.fence.term = 6;
    await assert.rejects(commitPass(s, [c], ['p-a'], [ev('placement', 3)]), FencedError);
    s.fence.term = undefined;
    await assert.rejects(commitPass(s, [c], [], []), FencedError);
    assert.deepEqual(
      (await s.instances.list()).map((i) => i.id),
      ['p-a'],
    );
    assert.equal((await s.events.list({ types: ['placement'] })).length, 2);
    s.fence.term = 7;
    assert.equal((await commitPass(s, [c], [], [ev('placement', 4)])).length, 1);
    assert.deepEqual((await s.instances.list()).map((i) => i.id).sort(), ['p-a', 'p-c']);
    await s.close();
  });

  test(`${dialect}: a MEL's change and its event commit together; under a moved-on term neither is stored`, async () => {
    const s = await open('mel_commit');
    const ev = (action: string, n: number) => ({ origin: 'core', seq: null, node: null, type: 'mel', ts: n, data: { action, mel: 'web' } });
    const web = { name: 'web', spec: { image: 'i:1', replicas: 2 }, generation: 1, createdAt: 10, updatedAt: 10 };
    const stored = await commitMel(s, web, [ev('create', 1)]);
    assert.deepEqual(
      stored.map((e) => [e.type, e.data]),
      [['mel', { action: 'create', mel: 'web' }]],
    );
    // an upsert keeps created_at and takes the rest
    await commitMel(s, { ...web, spec: { image: 'i:2', replicas: 3 }, generation: 2, createdAt: 99, updatedAt: 20 }, [ev('update', 2)]);
    assert.deepEqual(await s.mels.get('web'), {
      name: 'web',
      spec: { image: 'i:2', replicas: 3 },
      generation: 2,
      createdAt: 10,
      updatedAt: 20,
    });
    // fenced: term 7 leads; a change under term 6 is refused whole (no MEL row, no event)
    await s.db.insertInto('core_leader').values({ id: 1, term: 7, holder: 'h', since: 1 }).execute();
    s.fence.enabled = true;
    s.fence.term = 6;
    await assert.rejects(commitMel(s, { ...web, name: 'api' }, [ev('create', 3)]), FencedError);
    await assert.rejects(commitMel(s, 'web', [ev('delete', 4)]), FencedError);
    assert.deepEqual(
      (await s.mels.list()).map((m) => m.name),
      ['web'],
    );
    assert.equal((await s.events.list({ types: ['mel'] })).length, 2);
    s.fence.term = 7;
    assert.equal((await commitMel(s, 'web', [ev('delete', 5)])).length, 1);
    assert.equal(await s.mels.get('web'), undefined);
    assert.equal((await s.events.list({ types: ['mel'] })).length, 3);
    await s.close();
  });

  test(`${dialect}: agent events dedupe on (origin, seq); core events never collide`, async () => {
    const s = await open('events');
    const e = { origin: 'n1', seq: 5, node: 'n1', type: 'instance', ts: 1, data: { a: 1 } };
    assert.equal((await s.events.append([e, { ...e, seq: 6 }])).length, 2);
    assert.equal((await s.events.append([e, { ...e, seq: 7 }])).length, 1);
    const core = { origin: 'core', seq: null, node: null, type: 'mel', ts: 2, data: {} };
    assert.equal((await s.events.append([core, core])).length, 2);
    assert.equal((await s.events.list({ types: ['instance'] })).length, 3);
    await s.events.forgetAbove('n1', 5);
    assert.deepEqual(
      (await s.events.list({ node: 'n1' })).map((x) => x.seq),
      [5],
    );
    await s.close();
  });

  test(`${dialect}: retention folds raw samples into 1-minute averages and drops what is past its horizon`, async () => {
    const s = await open('retention');
    const now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const min = 60_000;
    const rows = [];
    // two hours of samples, one every 15 s, values 0..479
    for (let t = now - 2 * 3_600_000, v = 0; t < now; t += 15_000, v++)
      rows.push({ ts: t, node: 'n1', target: 'host', metric: 'cpu', field: 'total', value: v, unit: 'percent' });
    await s.samples.insertMany(rows);
    await s.kv.set('retention.downsampled_until', String(now - 3 * 3_600_000));
    const r = await runRetention(s, now);
    const c = await s.samples.counts();
    assert.ok(r.rawDeleted > 0);
    assert.ok(c.raw <= 3_600_000 / 15_000 + 4, `raw kept ~1 h: ${c.raw}`);
    assert.ok(c.minute >= 119 && c.minute <= 121, `minutes: ${c.minute}`);
    // a minute's average is the mean of its four samples
    // (samples start at hh:00:30, so the first whole minute holds values 2..5)
    const first = now - 2 * 3_600_000 + 30_000;
    const old = await s.samples.query({ node: 'n1', metric: 'cpu', from: first, to: first + min - 1, step: min }, now - 3_600_000);
    assert.equal(old.length, 1);
    assert.equal(old[0]!.n, 4);
    assert.equal(old[0]!.avg, 3.5);
    // the raw window still answers at fine steps
    const recent = await s.samples.query({ node: 'n1', metric: 'cpu', from: now - 10 * min, to: now, step: 30_000 }, now - 3_600_000);
    assert.ok(recent.length >= 19 && recent.every((p) => p.n <= 2));
    assert.ok(recent.every((p) => typeof p.ts === 'number' && p.ts % 30_000 === 0));
    // idempotent: running again changes nothing
    await runRetention(s, now);
    assert.deepEqual(await s.samples.counts(), c);
    // the 7-day horizon of the minute table
    await runRetention(s, now + 8 * 86_400_000);
    assert.equal((await s.samples.counts()).minute, 0);
    await s.close();
  });

  test(`${dialect}: retention drops events past the event horizon and keeps the rest, agent and core alike`, async () => {
    const s = await open('retevents');
    const now = Date.UTC(2026, 0, 10, 12, 0, 0);
    const day = 86_400_000;
    const policy = { rawMs: 3_600_000, minuteMs: 7 * day, eventsMs: 2 * day };
    await s.events.append([
      { origin: 'n1', seq: 1, node: 'n1', type: 'instance', ts: now - 3 * day, data: { age: 'old' } },
      { origin: 'core', seq: null, node: null, type: 'node', ts: now - 2 * day - 1, data: { age: 'old' } },
      { origin: 'n1', seq: 2, node: 'n1', type: 'instance', ts: now - 2 * day + 1, data: { age: 'new' } },
      { origin: 'core', seq: null, node: 'n1', type: 'placement', ts: now - 1000, data: { age: 'new' } },
    ]);
    const r = await runRetention(s, now, policy);
    assert.equal(r.eventsDeleted, 2);
    const left = await s.events.list({ limit: 100 });
    assert.deepEqual(
      left.map((e) => [e.type, e.data.age]),
      [
        ['instance', 'new'],
        ['placement', 'new'],
      ],
    );
    // a second pass finds nothing more to drop
    assert.equal((await runRetention(s, now, policy)).eventsDeleted, 0);
    await s.close();
  });

  test(`${dialect}: the SLA tables keep a round once, claim an action once, and return numbers`, async () => {
    const s = await open('sla');
    try {
      const sla = new SlaRepo(s.db as unknown as Kysely<SlaDatabase>);
      await sla.addProvider({ uuid: 'p', name: 'prov' });
      assert.equal(await sla.providerTaken('x', 'prov'), true);
      await sla.addAgreement({ id: 'a1', providerId: 'p', service: 'web', body: '{}', templateId: null, consumerId: 'c' }, 10);
      await sla.setEnabled('a1', true);
      assert.deepEqual(
        (await sla.listAgreements({ active: true })).map((a) => a.id),
        ['a1'],
      );
      await sla.addMetrics('a1', [
        { key: 'latency', value: 12.5, at: 1_764_000_000_000 },
        { key: 'latency', value: 0.1, at: 1_764_000_000_001 },
      ]);
      assert.deepEqual(await sla.metricsSince('a1', 0), [
        { key: 'latency', value: 12.5, at: 1_764_000_000_000 },
        { key: 'latency', value: 0.1, at: 1_764_000_000_001 },
      ]);
      const v = { key: 'k1', uuid: 'u1', agreementId: 'a1', term: 't', at: 1_764_000_000_005, body: '{}' };
      for (let round = 0; round < 2; round++)
        await sla.saveRound(
          'a1',
          1_764_000_000_010,
          '{"t":1}',
          { sla_breaches: [], sla_violations: [v], sla_penalties: [] },
          1_764_000_000_000,
        );
      assert.deepEqual(await sla.listRecords('sla_violations', { agreementId: 'a1' }), [v]);
      assert.deepEqual(await sla.getJob('a1'), { agreementId: 'a1', enabled: true, lastExecuted: 1_764_000_000_010, states: '{"t":1}' });
      const act = { key: 'act1', agreementId: 'a1', term: 't', type: 'scale', at: 1_764_000_000_020, body: '{}' };
      assert.equal(await sla.claimAction(act), true);
      assert.equal(await sla.claimAction(act), false);
      assert.equal(await sla.lastActionAt('a1', 't', 'scale'), 1_764_000_000_020);
      await sla.removeAgreement('a1');
      assert.equal(await sla.getAgreement('a1'), undefined);
    } finally {
      await s.close();
    }
  });

  test(`${dialect}: 5,000 nodes upserted in one call (more than one statement's rows), then every field changed but the registration time; the last record of an id wins`, async () => {
    const s = await open('nodeflush');
    try {
      const ids = Array.from({ length: 5000 }, (_, k) => `nf-${String(k).padStart(4, '0')}`);
      await s.nodes.upsertMany(ids.map((id) => node(id)));
      assert.equal((await s.nodes.list()).length, 5000);
      const changed = (id: string, k: number): NodeRecord =>
        node(id, {
          address: `http://127.0.0.2:2/${id}`,
          layer: 'cloud',
          domain: 'd2',
          labels: { zone: 'c', k: String(k) },
          capacity: { cpus: 4, memoryBytes: 2 ** 33 + k },
          drivers: ['process'],
          version: '2',
          status: 'down',
          schedulable: false,
          draining: true,
          ackedSeq: 1000 + k,
          registeredAt: 1, // not rewritten: a node keeps when it first registered
          updatedAt: 2_000_000_000_000 + k,
          lastHeartbeat: 2_000_000_000_001 + k,
        });
      // an id twice in one call: the later record is what is stored
      await s.nodes.upsertMany([node('nf-0007', { version: 'stale' }), ...ids.map((id, k) => changed(id, k))]);
      const stored = await s.nodes.list();
      assert.equal(stored.length, 5000);
      for (const [k, n] of stored.entries())
        assert.deepEqual(n, { ...changed(ids[k]!, k), registeredAt: node(ids[k]!).registeredAt }, n.id);
    } finally {
      await s.close();
    }
  });

  test(`${dialect}: ${opts.bulkRows.toLocaleString('en')} instance rows are written and removed in one call each`, async () => {
    const s = await open('bulk');
    try {
      const rows = Array.from({ length: opts.bulkRows }, (_, k) => pending(k));
      await s.instances.upsertMany(rows);
      assert.equal((await s.instances.list()).length, opts.bulkRows);
      await s.instances.removeMany(rows.map((r) => r.id));
      assert.equal((await s.instances.list()).length, 0);
    } finally {
      await s.close();
    }
  });
}

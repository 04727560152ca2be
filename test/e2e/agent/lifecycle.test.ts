// Guest metrics of running containers, adopt-after-restart, and two agents sharing one
// engine without touching each other's containers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent, SampleEvent } from '../../../src/bus/events.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { api, cleanup, containersOf, privateImage, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';

const readEvents = (file: string): AgentEvent[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AgentEvent)
    : [];

describe('agent lifecycle on a shared engine', () => {
  const nodeA = `ag-${RUN}-life-a`;
  const nodeB = `ag-${RUN}-life-b`;
  const images: string[] = [];
  let a: AgentProc | undefined;
  let b: AgentProc | undefined;
  let img = '';

  before(async () => {
    img = await privateImage('httpd');
    images.push(img);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await cleanup([nodeA, nodeB], images);
  });

  test('guest monitors sample a running container: cpu, mem, net and disk fields with units', async () => {
    const dataDir = tempDir('osmo-agent-life-');
    const file = join(dataDir, 'events.jsonl');
    a = await startAgentProc({ nodeId: nodeA, dataDir, args: ['--events-file', file] });
    const name = `${nodeA}-web`;
    assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: img, name })).status, 200);
    for (const m of ['cpu', 'mem', 'net', 'disk'])
      assert.equal((await api(a.url, 'PUT', `/api/v1/monitor/${m}`, { time: 1, source: 'guest' })).status, 200);
    const samples = await eventually(
      () => {
        const got = readEvents(file).filter((e): e is SampleEvent => e.type === 'sample' && e.source === 'guest' && e.target === name);
        const metrics = new Set(got.map((e) => e.metric));
        return metrics.size === 4 ? got : undefined;
      },
      30_000,
      'guest samples for all four metrics',
    );
    const by = (m: string) => samples.find((s) => s.metric === m)!;
    assert.equal(by('cpu').fields.total!.unit, 'percent');
    assert.ok(by('mem').fields.usage!.value > 0, 'a running httpd uses memory');
    assert.equal(by('mem').fields.limit!.unit, 'bytes');
    assert.ok('rx_bytes' in by('net').fields && 'tx_bytes_rate' in by('net').fields);
    assert.equal(by('net').fields.rx_bytes!.unit, 'bytes');
    assert.ok('read_bytes' in by('disk').fields && 'write_bytes' in by('disk').fields);
    for (const s of samples) assert.equal(s.node, nodeA);
    // seqs in the file strictly increase
    const seqs = readEvents(file).map((e) => e.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]}`);
    // metrics carry the latest guest values
    const text = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(text, new RegExp(`osmo_instance_memory_usage_bytes\\{name="${name}"`));
    for (const m of ['cpu', 'mem', 'net', 'disk']) await api(a.url, 'DELETE', `/api/v1/monitor/${m}`, { source: 'guest' });
  });

  test('a restarted agent adopts its containers: no duplicates, no orphans, seq keeps growing', async () => {
    assert.ok(a);
    const before = (await api(a.url, 'GET', '/api/v1/deploy')).body.instances as Array<{ id: string; name: string }>;
    assert.equal(before.length, 1);
    const file = join(a.dataDir, 'events.jsonl');
    const lastSeq = readEvents(file).at(-1)!.seq;
    assert.equal(await a.stop(), 0, 'graceful exit');
    // still running while the agent is away
    const during = await containersOf(nodeA);
    assert.equal(during.length, 1);
    assert.equal(during[0]!.State, 'running');
    a = await startAgentProc({ nodeId: nodeA, dataDir: a.dataDir, args: ['--events-file', file] });
    const after = (await api(a.url, 'GET', '/api/v1/deploy')).body.instances as Array<{ id: string; name: string }>;
    assert.deepEqual(
      after.map((i) => [i.id, i.name]),
      before.map((i) => [i.id, i.name]),
    );
    const adopted = await eventually(
      () => readEvents(file).find((e) => e.type === 'instance' && e.reason === 'adopted'),
      10_000,
      'adopted event',
    );
    assert.ok(adopted.seq > lastSeq, 'seq continues across the restart');
    // the adopted container is fully managed: a deploy with its name is a conflict, a delete works
    assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: img, name: before[0]!.name })).status, 409);
    assert.equal((await containersOf(nodeA)).length, 1);
  });

  test('two agents on one engine see and touch only their own containers', async () => {
    assert.ok(a);
    b = await startAgentProc({ nodeId: nodeB });
    const nameA = `${nodeA}-web`;
    const nameB = `${nodeB}-web`;
    assert.equal((await api(b.url, 'PUT', '/api/v1/deploy', { image: img, name: nameB })).status, 200);
    const listA = ((await api(a.url, 'GET', '/api/v1/deploy')).body.instances as Array<{ name: string }>).map((i) => i.name);
    const listB = ((await api(b.url, 'GET', '/api/v1/deploy')).body.instances as Array<{ name: string }>).map((i) => i.name);
    assert.deepEqual(listA, [nameA]);
    assert.deepEqual(listB, [nameB]);
    // B cannot see, stop or delete A's container, and cannot take its name
    assert.equal((await api(b.url, 'GET', `/api/v1/deploy/${nameA}`)).status, 404);
    assert.equal((await api(b.url, 'DELETE', '/api/v1/deploy', { name: nameA })).status, 404);
    assert.equal((await api(b.url, 'PUT', '/api/v1/deploy', { image: img, name: nameA })).status, 409);
    assert.equal((await containersOf(nodeA))[0]!.State, 'running');
    // each deletes its own
    assert.equal((await api(b.url, 'DELETE', '/api/v1/deploy', { name: nameB })).status, 200);
    assert.equal((await api(a.url, 'DELETE', '/api/v1/deploy', { name: nameA })).status, 200);
    assert.equal((await containersOf(nodeA)).length + (await containersOf(nodeB)).length, 0);
  });
});

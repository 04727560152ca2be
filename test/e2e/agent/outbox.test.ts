// The on-disk outbox across an agent restart: the core (stub peer) is down, events pile up
// on disk, the agent restarts, the core comes up, and every event the agent produced
// arrives exactly once after dedupe by seq, in order.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../../../src/bus/events.js';
import { eventually, freePort, tempDir } from '../../../testing/proc.js';
import { api, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';
import { startCoreStubPeer, type CoreStubPeer } from '../../../testing/core-stub.js';

const TOKEN = 'ag-core-token';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('event outbox', () => {
  let a: AgentProc | undefined;
  let peer: CoreStubPeer | undefined;
  after(async () => {
    await a?.stop();
    await peer?.close();
  });

  test('sink down -> buffered on disk -> agent restart -> sink up -> all seqs once, in order', async () => {
    const corePort = await freePort();
    const dataDir = tempDir('osmo-agent-outbox-');
    const file = join(dataDir, 'all-events.jsonl');
    const nodeId = `ag-${RUN}-outbox`;
    const args = ['--core', `http://127.0.0.1:${corePort}`, '--token', TOKEN, '--events-file', file];
    const produced = () =>
      (existsSync(file) ? readFileSync(file, 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AgentEvent);
    const samples = (metric: string) => produced().filter((e) => e.type === 'sample' && e.metric === metric).length;
    a = await startAgentProc({ nodeId, dataDir, args });
    assert.equal((await api(a.url, 'PUT', '/api/v1/monitor/cpu', { time: 0.2, source: 'host' }, auth)).status, 200);
    assert.equal((await api(a.url, 'PUT', '/api/v1/monitor/mem', { time: 0.2, source: 'host' }, auth)).status, 200);
    await eventually(() => samples('cpu') >= 5 && samples('mem') >= 5, 30_000, 'five cpu and five mem samples produced');
    assert.equal(await a.stop(), 0);
    const segs = readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.jsonl'));
    assert.ok(segs.length >= 1, 'undelivered events are on disk');

    a = await startAgentProc({ nodeId, dataDir, args });
    assert.equal((await api(a.url, 'PUT', '/api/v1/monitor/net', { time: 0.2, source: 'host' }, auth)).status, 200);
    await eventually(() => samples('net') >= 3, 30_000, 'three net samples produced after the restart');
    assert.equal((await api(a.url, 'DELETE', '/api/v1/monitor/net', { source: 'host' }, auth)).status, 200);

    peer = await startCoreStubPeer({ port: corePort, token: TOKEN });
    const want = produced().map((e) => e.seq);
    assert.ok(want.length > 15, `produced ${want.length} events`);
    await eventually(() => peer!.events.length >= want.length, 40_000, `the core to receive ${want.length} events`);
    const got = peer.events.map((e) => e.seq);
    assert.deepEqual(got, want, 'every produced event, once, in order');
    assert.ok(peer.events.every((e) => e.node === nodeId));
    // registration retries on its own back-off, independent of event delivery
    await eventually(() => peer!.registrations.length >= 1, 40_000, 'the agent to register');
    assert.equal(peer.registrations[0]!.id, nodeId);
    assert.equal(peer.registrations[0]!.address, a.url);
    assert.equal(peer.unauthorized, 0);
    const metrics = await (await fetch(`${a.url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /osmo_agent_outbox_dropped_events_total\{node="[^"]+"\} 0/);
  });

  test('a full outbox drops its oldest events, counts them and says so', async () => {
    const corePort = await freePort(); // nobody listens: the core stays down
    const b = await startAgentProc({
      nodeId: `ag-${RUN}-full`,
      args: ['--core', `http://127.0.0.1:${corePort}`, '--token', TOKEN, '--outbox-max', '16k', '--log-level', 'warn'],
    });
    try {
      // cpu and mem: small events, whatever the host has (a net sample lists every interface,
      // and a host with hundreds of leftover veths makes one event bigger than the whole bound)
      for (const m of ['cpu', 'mem'])
        assert.equal((await api(b.url, 'PUT', `/api/v1/monitor/${m}`, { time: 0.1, source: 'host' }, auth)).status, 200);
      const dropped = await eventually(
        async () => {
          const text = await (await fetch(`${b.url}/metrics`, { headers: auth })).text();
          const m = /osmo_agent_outbox_dropped_events_total\{[^}]*\} (\d+)/.exec(text);
          const bytes = /osmo_agent_outbox_bytes\{[^}]*\} (\d+)/.exec(text);
          return m && Number(m[1]) > 0 ? { dropped: Number(m[1]), bytes: Number(bytes?.[1]) } : undefined;
        },
        20_000,
        'dropped events to be counted',
      );
      assert.ok(dropped.bytes <= 16 * 1024, `outbox holds ${dropped.bytes} bytes`);
      assert.match(b.proc.output(), /event outbox full: dropped \d+ undelivered events/);
      const segs = readdirSync(join(b.dataDir, 'outbox')).filter((f) => f.endsWith('.jsonl'));
      assert.ok(segs.length >= 1);
    } finally {
      await b.stop();
    }
  });
});

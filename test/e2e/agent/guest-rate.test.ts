// A guest monitor at 1 s gives one sample per second per container, on a real engine: the
// samples of each running container are counted over a 12 s window measured on the events'
// own timestamps, and must reach 80 % of the period's count (before the stats streams, a tick
// waited for a ~2 s `docker stats` call and reached about half).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import type { SampleEvent } from '../../../src/bus/events.js';

const RUN = Math.random().toString(36).slice(2, 8);
const NODE = `ag-${RUN}-rate`;
const CONTAINERS = 3;
const WINDOW_MS = 12_000;
const METRICS = ['cpu', 'mem'] as const;

let dir: string;
let agent: RunningAgent;
const names = Array.from({ length: CONTAINERS }, (_, i) => `${NODE}-c${i}`);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${agent.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

/** Reads the agent's server-sent sample events into `into` until `signal` aborts. */
async function collect(into: SampleEvent[], signal: AbortSignal): Promise<void> {
  const r = await fetch(`${agent.url}/api/v1/events?type=sample`, { signal });
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (data) into.push(JSON.parse(data.slice(6)) as SampleEvent);
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

async function until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osmo-guest-rate-'));
  agent = await startAgent({
    listen: '127.0.0.1:0',
    nodeId: NODE,
    dataDir: join(dir, 'agent'),
    driver: 'docker',
    stopGraceSeconds: 1,
    logLevel: 'warn',
  });
  for (const name of names) {
    const r = await api('PUT', '/api/v1/deploy', { image: 'osmo-test/sleeper:1', name });
    assert.equal(r.status, 200, r.text);
  }
});

after(async () => {
  for (const name of names)
    await api('DELETE', '/api/v1/deploy', { name, image: 'osmo-test/sleeper:1', keepImage: true }).catch(() => undefined);
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('guest monitors at 1 s sample every container once a second', { timeout: 120_000 }, async () => {
  const samples: SampleEvent[] = [];
  const ac = new AbortController();
  const reading = collect(samples, ac.signal);
  try {
    for (const m of METRICS) {
      const r = await api('PUT', `/api/v1/monitor/${m}`, { time: 1, source: 'guest' });
      assert.equal(r.status, 200, r.text);
    }
    const guest = () => samples.filter((s) => s.source === 'guest' && names.includes(s.target));
    // the window opens once every (container, metric) has been sampled: streams are open
    const t0 = await until(
      () => {
        const firsts: number[] = [];
        for (const n of names) {
          for (const m of METRICS) {
            const first = guest().find((s) => s.target === n && s.metric === m);
            if (!first) return undefined;
            firsts.push(first.ts);
          }
        }
        return Math.max(...firsts);
      },
      30_000,
      'a first sample of every container for every metric',
    );
    await until(() => guest().find((s) => s.ts >= t0 + WINDOW_MS), 60_000, 'the end of the window');
    const expected = WINDOW_MS / 1000;
    for (const n of names) {
      for (const m of METRICS) {
        const got = guest().filter((s) => s.target === n && s.metric === m && s.ts >= t0 && s.ts < t0 + WINDOW_MS).length;
        assert.ok(got >= 0.8 * expected, `${n} ${m}: ${got} samples in ${WINDOW_MS / 1000} s, expected about ${expected}`);
        assert.ok(got <= 1.5 * expected, `${n} ${m}: ${got} samples in ${WINDOW_MS / 1000} s: a burst, not a period`);
      }
    }
  } finally {
    ac.abort();
    await reading.catch(() => undefined);
  }
});

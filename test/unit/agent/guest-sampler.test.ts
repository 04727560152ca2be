// The guest sampler over a scripted GuestSource (the deploy side's two methods, no engine):
// a reading seen again at the next tick keeps its rates, it does not become a zero rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSampler, type GuestSource } from '../../../src/agent/monitor/samplers.js';
import type { GuestStats } from '../../../src/runtime/types.js';

const reading = (ts: number, rx: number): GuestStats => ({
  name: 'web',
  ts,
  cpuPercent: 5,
  memUsageBytes: 1,
  memLimitBytes: 2,
  netRxBytes: rx,
  netTxBytes: 0,
  blkReadBytes: 0,
  blkWriteBytes: 0,
});

test('the same engine reading at two ticks gives the same net rate, a new one a new rate', async () => {
  const script = [reading(1_000, 0), reading(2_000, 5_000), reading(2_000, 5_000), reading(3_000, 6_000)];
  const source: GuestSource = { running: async () => ['web'], stats: async () => script.shift()! };
  const s = createSampler('net', 'guest', source);
  await s.prime();
  const rates: number[] = [];
  for (let i = 0; i < 4; i++) rates.push((await s.sample())[0]!.fields.rx_bytes_rate!.value);
  assert.deepEqual(rates, [0, 5_000, 5_000, 1_000]);
});

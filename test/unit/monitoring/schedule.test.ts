// A sensor's schedule (timebase, timestart, timestop) as the deployer reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offSchedule } from '../../../src/core/monitoring/deploy.js';
import type { ResourceEntity } from '../../../src/monitoring/index.js';

const sensor = (attributes: Record<string, unknown>) => ({ attributes }) as unknown as ResourceEntity;
const T = 1_800_000_000;

test('no timebase: always on; a negative one suspends', () => {
  assert.equal(offSchedule(sensor({}), 0), undefined);
  assert.match(offSchedule(sensor({ 'occi.sensor.timebase': -1 }), T * 1000)!, /suspended/);
});

test('on from timebase+timestart until timebase+timestop', () => {
  const s = sensor({ 'occi.sensor.timebase': T, 'occi.sensor.timestart': 10, 'occi.sensor.timestop': 20 });
  assert.match(offSchedule(s, (T + 9) * 1000)!, /scheduled: starts at 2027-01-15T08:00:10.000Z/);
  assert.equal(offSchedule(s, (T + 10) * 1000), undefined);
  assert.equal(offSchedule(s, (T + 19.9) * 1000), undefined);
  assert.match(offSchedule(s, (T + 20) * 1000)!, /finished: stopped at 2027-01-15T08:00:20.000Z/);
  assert.equal(offSchedule(sensor({ 'occi.sensor.timebase': T }), (T + 1e6) * 1000), undefined, 'no start or stop: on');
});

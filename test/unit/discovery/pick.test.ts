import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rankCloudlets, whyChosen, type Candidate } from '../../../src/discovery/pick.js';

const GiB = 1024 ** 3;
const c = (name: string, o: Partial<Candidate> = {}): Candidate => ({
  name,
  url: `http://${name}:9999`,
  offers: true,
  running: false,
  load: 0.5,
  freeMemory: 4 * GiB,
  ...o,
});
const names = (r: { ranked: Candidate[] }) => r.ranked.map((x) => x.name);

describe('cloudlet ranking', () => {
  test('a cloudlet already running the service wins over a less loaded one with more memory', () => {
    const r = rankCloudlets('svc', [
      c('idle', { load: 0.05, freeMemory: 30 * GiB }),
      c('busy', { running: true, load: 0.9, freeMemory: GiB }),
    ]);
    assert.deepEqual(names(r), ['busy', 'idle']);
    assert.equal(whyChosen(r.ranked[0]!, r.ranked[1]), 'already runs the service');
  });

  test('without a running instance the lowest load wins, whatever the memory', () => {
    const r = rankCloudlets('svc', [
      c('a', { load: 0.6, freeMemory: 30 * GiB }),
      c('b', { load: 0.2, freeMemory: GiB }),
      c('c', { load: 0.4 }),
    ]);
    assert.deepEqual(names(r), ['b', 'c', 'a']);
    assert.match(whyChosen(r.ranked[0]!, r.ranked[1]), /^lowest load \(0\.20 < 0\.40\)$/);
  });

  test('on equal load the most free memory wins; equal on everything: by name', () => {
    const r = rankCloudlets('svc', [c('z', { freeMemory: 2 * GiB }), c('y', { freeMemory: 8 * GiB }), c('b'), c('a')]);
    assert.deepEqual(names(r), ['y', 'a', 'b', 'z']);
    assert.equal(whyChosen(r.ranked[0]!, r.ranked[1]), 'most free memory');
    assert.equal(whyChosen(r.ranked[1]!, r.ranked[2]), 'tied on every rule; first by name');
  });

  test('two running cloudlets: the load decides between them', () => {
    const r = rankCloudlets('svc', [c('r1', { running: true, load: 0.7 }), c('r2', { running: true, load: 0.3 }), c('idle', { load: 0 })]);
    assert.deepEqual(names(r), ['r2', 'r1', 'idle']);
  });

  test('a cloudlet that does not offer the service is rejected with the reason, even when idle', () => {
    const r = rankCloudlets('edu.cmu.speech', [c('no', { offers: false, load: 0 }), c('yes', { load: 0.9 })]);
    assert.deepEqual(names(r), ['yes']);
    assert.deepEqual(r.rejected, [{ name: 'no', url: 'http://no:9999', reason: 'does not offer service "edu.cmu.speech"' }]);
    assert.equal(whyChosen(r.ranked[0]!, undefined), 'the only cloudlet that offers the service');
  });

  test('nothing offers it: nothing ranked, everything rejected', () => {
    const r = rankCloudlets('svc', [c('a', { offers: false }), c('b', { offers: false })]);
    assert.deepEqual(r.ranked, []);
    assert.equal(r.rejected.length, 2);
  });

  test('any input: the ranking keeps every offering cloudlet once and respects the three rules pairwise', () => {
    const cand = fc.record({
      name: fc.string({ minLength: 1, maxLength: 6 }),
      offers: fc.boolean(),
      running: fc.boolean(),
      load: fc.double({ min: 0, max: 2, noNaN: true }),
      freeMemory: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(cand, { maxLength: 12 }), (list) => {
        const input = list.map((x) => c(x.name, x));
        const r = rankCloudlets('svc', input);
        assert.equal(r.ranked.length + r.rejected.length, input.length);
        assert.equal(r.ranked.length, input.filter((x) => x.offers).length);
        for (let i = 1; i < r.ranked.length; i++) {
          const [a, b] = [r.ranked[i - 1]!, r.ranked[i]!];
          if (a.running !== b.running) assert.ok(a.running, 'running first');
          else if (a.load !== b.load) assert.ok(a.load < b.load, 'lower load first');
          else assert.ok(a.freeMemory >= b.freeMemory, 'more memory first');
        }
      }),
    );
  });
});

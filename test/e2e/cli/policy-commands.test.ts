// `osmo policy get|set` against a real core (in-process, real HTTP), as a user runs them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { assignmentsToPatch } from '../../../src/cli/commands/policy.js';
import { spawnOsmo, tempDir } from '../../../testing/proc.js';

let core: CoreHandle;

async function osmo(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo([...args, '--core', core.url]);
  const code = await p.exit();
  return { code, out: p.output() };
}

describe('osmo policy CLI', () => {
  before(async () => {
    core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-policy-cli-'), processMetrics: false });
  });
  after(async () => core.close());

  test('NAME=VALUE assignments become a partial document; unknown names are refused', () => {
    assert.deepEqual(assignmentsToPatch(['thresholds.high=0.9', 'thresholds.low=0.2', 'acceptance=never']), {
      thresholds: { high: 0.9, low: 0.2 },
      acceptance: 'never',
    });
    assert.throws(() => assignmentsToPatch(['thresholds.hi=1']), /unknown parameter "thresholds\.hi"/);
    assert.throws(() => assignmentsToPatch(['weights.cpu=lots']), /not a number/);
  });

  test('set prints the changes, get shows the new value; an invalid set fails with the reason', async () => {
    const set = await osmo(['policy', 'set', 'thresholds.high=0.9', 'management.maxMovesPerRound=2']);
    assert.equal(set.code, 0, set.out);
    assert.match(set.out, /thresholds\.high: 0\.8 -> 0\.9/);
    const get = await osmo(['policy', 'get']);
    assert.equal(get.code, 0, get.out);
    assert.match(get.out, /thresholds\.high\s+0\.9\s+load factor\s+0 \.\. 1\s+0\.8/);
    const bad = await osmo(['policy', 'set', 'thresholds.low=0.95']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /400 invalid policy: thresholds\.low \(0\.95\) must be below thresholds\.high \(0\.9\)/);
  });
});

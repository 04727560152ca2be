// --bus parsing (src/bus/nats/url.ts) and the subject names a node's NATS permissions pin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBusUrl, redactBusUrl } from '../../../src/bus/nats/url.js';
import { nodeOf, subjects, subjectSafe } from '../../../src/bus/nats/subjects.js';
import { isOsmoError } from '../../../src/shared/errors.js';

test('a server list, the default port, TLS from tls://', () => {
  assert.deepEqual(parseBusUrl('nats://10.0.0.1:4222, nats://10.0.0.2,tls://nats.example:4443'), {
    servers: ['10.0.0.1:4222', '10.0.0.2:4222', 'nats.example:4443'],
    tls: true,
  });
  assert.deepEqual(parseBusUrl('nats://[::1]:4222').servers, ['[::1]:4222']);
});

test('user and password, or a token, from the URL; never two different sets', () => {
  assert.deepEqual(parseBusUrl('nats://osmo:s%40cret@h1:4222,nats://osmo:s%40cret@h2:4222'), {
    servers: ['h1:4222', 'h2:4222'],
    tls: false,
    user: 'osmo',
    pass: 's@cret',
  });
  assert.equal(parseBusUrl('nats://tok123@h1').token, 'tok123');
  assert.throws(() => parseBusUrl('nats://a:b@h1,nats://c:d@h2'), /different credentials/);
  assert.throws(() => parseBusUrl('nats://a:b@h1,nats://tok@h2'), /different credentials/);
});

test('bad --bus values are 400-kind errors naming the problem', () => {
  for (const [bad, why] of [
    ['', /at least one server/],
    ['http://h:4222', /must be nats:\/\/ or tls:\/\//],
    ['nats://h:4222/x', /must not have a path/],
    ['not a url', /not a URL/],
  ] as const) {
    let err: unknown;
    try {
      parseBusUrl(bad);
    } catch (e) {
      err = e;
    }
    assert.ok(isOsmoError(err) && err.kind === 'invalid', `${bad}: ${String(err)}`);
    assert.match((err as Error).message, why);
  }
});

test('credentials are redacted in messages', () => {
  assert.equal(redactBusUrl('nats://u:p@h1:4222,nats://tok@h2'), 'nats://***@h1:4222,nats://***@h2');
});

test("a node's subjects end in its id, and read back whole (dots included)", () => {
  assert.equal(subjects.events('nb-1'), 'osmo.events.nb-1');
  assert.equal(nodeOf('events', subjects.events('edge.rack-2')), 'edge.rack-2');
  assert.equal(nodeOf('agent', subjects.agent('n_1')), 'n_1');
  assert.equal(nodeOf('agent', 'osmo.events.x'), undefined);
  assert.equal(nodeOf('events', 'osmo.events.'), undefined);
  assert.ok(subjectSafe('edge.rack-2'));
  for (const bad of ['a..b', '.a', 'a.', 'a*', 'a>', 'a b', '']) assert.ok(!subjectSafe(bad), bad);
});

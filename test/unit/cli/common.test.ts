// The CLI's one-line failure messages and help hints (src/cli/common.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, InvalidArgumentError } from 'commander';
import { describeFailure, helpHint, table } from '../../../src/cli/common.js';
import { ApiError } from '../../../src/client/errors.js';
import { OsmoError } from '../../../src/shared/errors.js';

const info = { service: 'core', base: 'http://h:1', method: 'GET', path: '/api/v1/nodes' };

test('an unreachable core says how to start one or point elsewhere; an agent does not', () => {
  assert.equal(
    describeFailure(new ApiError('unreachable', 'cannot reach the core at http://h:1 (ECONNREFUSED)', info)),
    'cannot reach the core at http://h:1 (ECONNREFUSED); start it with "osmo up" or pass --core URL',
  );
  assert.equal(
    describeFailure(new ApiError('unreachable', 'cannot reach the agent at http://h:1 (ECONNREFUSED)', { ...info, service: 'agent' })),
    'cannot reach the agent at http://h:1 (ECONNREFUSED)',
  );
});

test('a 401 says where the token comes from; other statuses carry the server text only', () => {
  assert.match(
    describeFailure(new ApiError('status', 'GET /api/v1/nodes: 401 missing or wrong token', { ...info, status: 401 })),
    /^GET \/api\/v1\/nodes: 401 missing or wrong token \(give the token with --token or \$OSMO_TOKEN/,
  );
  assert.equal(
    describeFailure(new ApiError('status', 'POST /x: 409 no\n destination', { ...info, status: 409 })),
    'POST /x: 409 no destination',
  );
});

test('usage errors, domain errors and plain errors: the message in one line, no stack', () => {
  assert.equal(describeFailure(new InvalidArgumentError('needs --name')), 'needs --name');
  assert.equal(describeFailure(new OsmoError('invalid', 'bad\nmodel')), 'bad model');
  const plain = describeFailure(new Error('boom'));
  assert.equal(plain, 'boom');
  assert.equal(describeFailure('text'), 'text');
});

test('the help hint names the deepest command argv reached', () => {
  const program = new Command('osmo');
  const policy = program.command('policy');
  policy.command('set');
  program.command('nodes');
  assert.equal(helpHint(program, ['policy', 'set', '--bogus']), 'osmo policy set --help');
  assert.equal(helpHint(program, ['nodes', '--x']), 'osmo nodes --help');
  assert.equal(helpHint(program, ['frob']), 'osmo --help');
  assert.equal(helpHint(program, ['policy', 'frob']), 'osmo policy --help');
});

test('table pads every column but the last', () => {
  assert.equal(
    table([
      ['A', 'BB', 'C'],
      ['aaa', 'b', ''],
    ]),
    'A    BB  C\naaa  b\n',
  );
});

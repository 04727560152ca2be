// The one error mapping both servers use: every kind of failure gets its stable code, and
// the code always travels with the same status. docs/errors.md lists exactly these codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ERROR_CODES, ErrorBody, type ErrorCode } from '../../../src/model/errors.js';
import { OsmoError, conflict, forbidden, invalid, notFound, unavailable } from '../../../src/shared/errors.js';
import { describeError, errorBody } from '../../../src/shared/http-errors.js';
import { validatorCompiler } from 'fastify-type-provider-zod';

const fastifyError = (code: string, statusCode: number, message = code) => Object.assign(new Error(message), { code, statusCode });

test('each OsmoError kind maps to its code and that code to its status', () => {
  const cases: Array<[OsmoError, ErrorCode, number]> = [
    [invalid('x'), 'OSMO_BAD_REQUEST', 400],
    [new OsmoError('unauthorized', 'x'), 'OSMO_UNAUTHORIZED', 401],
    [forbidden('x'), 'OSMO_FORBIDDEN', 403],
    [notFound('x'), 'OSMO_NOT_FOUND', 404],
    [conflict('x'), 'OSMO_CONFLICT', 409],
    [unavailable('x'), 'OSMO_UNAVAILABLE', 503],
    [new OsmoError('internal', 'x'), 'OSMO_INTERNAL', 500],
  ];
  for (const [e, code, status] of cases) {
    assert.deepEqual(describeError(e), { status, code, error: 'x' }, e.kind);
    assert.equal(e.httpStatus, status);
  }
});

test('a finer code on an OsmoError wins over its kind default, with the code status', () => {
  const e = new OsmoError('unavailable', 'docker engine unreachable (ENOENT)', undefined, 'OSMO_ENGINE_UNAVAILABLE');
  assert.deepEqual(describeError(e), { status: 503, code: 'OSMO_ENGINE_UNAVAILABLE', error: 'docker engine unreachable (ENOENT)' });
});

test('body mistakes the framework finds are 400 with a code naming the mistake', () => {
  const cases: Array<[unknown, ErrorCode, RegExp]> = [
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'OSMO_UNSUPPORTED_MEDIA_TYPE', /Content-Type: application\/json/],
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'OSMO_BODY_TOO_LARGE', /too large/],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'OSMO_INVALID_JSON', /empty/],
    [fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), 'OSMO_INVALID_JSON', /not valid JSON/],
    [fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), 'OSMO_INVALID_JSON', /not valid JSON/],
    [new SyntaxError('Unexpected end of JSON input'), 'OSMO_INVALID_JSON', /Unexpected end/],
  ];
  for (const [e, code, msg] of cases) {
    const d = describeError(e);
    assert.equal(d.status, 400, code);
    assert.equal(d.code, code);
    assert.match(d.error, msg);
  }
});

test('a protocol that specifies 413/415 (OCCI) gets them, with their own codes', () => {
  assert.deepEqual(
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413)].map((e) => {
      const d = describeError(e, { httpBodyStatuses: true });
      return [d.status, d.code];
    }),
    [
      [415, 'OSMO_MEDIA_TYPE_NOT_ACCEPTED'],
      [413, 'OSMO_PAYLOAD_TOO_LARGE'],
    ],
  );
});

test('schema validation names each field, then counts the rest', () => {
  // the real validator the servers install, on a body with seven wrong fields
  const schema = z.object(Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`f${i}`, z.object({ x: z.number() })])));
  const validate = validatorCompiler({ schema, method: 'POST', url: '/x', httpPart: 'body' }) as (data: unknown) => { error?: unknown };
  const { error } = validate(Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`f${i}`, { x: 'no' }])));
  assert.ok(Array.isArray(error) && error.length === 7);
  const d = describeError(
    Object.assign(new Error('validation'), { code: 'FST_ERR_VALIDATION', statusCode: 400, validation: error, validationContext: 'body' }),
  );
  assert.equal(d.code, 'OSMO_VALIDATION');
  assert.equal(d.status, 400);
  assert.match(d.error, /^body\.f0\.x: [^;]+; body\.f1\.x: /);
  assert.match(d.error, /\(and 2 more\)$/);
});

test('other client errors keep their status; anything else is a 500, never a client code', () => {
  assert.deepEqual(describeError(fastifyError('FST_ERR_BAD_URL', 400, "'/%ff' is not a valid url component")), {
    status: 400,
    code: 'OSMO_BAD_REQUEST',
    error: "'/%ff' is not a valid url component",
  });
  assert.equal(describeError(fastifyError('X', 404)).code, 'OSMO_NOT_FOUND');
  const bug = describeError(new TypeError('cannot read x of undefined'));
  assert.deepEqual(bug, { status: 500, code: 'OSMO_INTERNAL', error: 'internal error: cannot read x of undefined' });
  assert.equal(describeError('a string').code, 'OSMO_INTERNAL');
});

test("the body keeps the seed's fields verbatim and adds the code", () => {
  const b = errorBody('OSMO_CONFLICT', 'name taken');
  assert.deepEqual(b, { response: false, status: 409, error: 'name taken', code: 'OSMO_CONFLICT' });
  assert.deepEqual(ErrorBody.parse(b), b, 'the response schema keeps the code (zod strips unknown keys)');
  assert.throws(() => ErrorBody.parse({ ...b, code: 'OSMO_NOPE' }));
});

test('every code has a 4xx/5xx status and a section in docs/errors.md, and the page lists no other', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) assert.ok(status >= 400 && status < 600, code);
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^### `(OSMO_[A-Z_]+)` \((\d{3})\)/gm)].map((m) => [m[1]!, Number(m[2])] as const);
  assert.deepEqual(documented.map(([c]) => c).sort(), Object.keys(ERROR_CODES).sort());
  for (const [code, status] of documented) assert.equal(status, ERROR_CODES[code as ErrorCode], `${code}: status in the doc`);
});

test('a full disk (SQLITE_FULL, ENOSPC, EDQUOT, PostgreSQL 53100/53200) is 503 OSMO_STORE_FULL, not a 500', () => {
  for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT', '53100', '53200']) {
    const d = describeError(Object.assign(new Error('database or disk is full'), { code }));
    assert.equal(d.status, 503, code);
    assert.equal(d.code, 'OSMO_STORE_FULL');
    assert.match(d.error, /no space left .*not saved/);
  }
});

test('a store out of reach (PostgreSQL restarting, connection cut or refused) is 503 OSMO_STORE_UNAVAILABLE, not a 500', () => {
  const cases: unknown[] = [
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'connect failed'),
  ];
  for (const err of cases) {
    const d = describeError(err);
    assert.equal(d.code, 'OSMO_STORE_UNAVAILABLE', (err as Error).message);
    assert.equal(d.status, 503);
  }
  // a PostgreSQL error that is the caller's or ours stays what it is
  assert.equal(describeError(Object.assign(new Error('syntax error'), { code: '42601' })).code, 'OSMO_INTERNAL');
  assert.equal(describeError(new AggregateError([new Error('x')], 'mixed')).code, 'OSMO_INTERNAL');
});

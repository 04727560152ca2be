// Bad input on every /sla-service/ route of a real in-process core: malformed JSON and XML,
// wrong shapes, unknown ids, bad filters, unenforceable bindings. Each is a 4xx naming the
// problem (never a 500), and nothing is half-written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';

let core: CoreHandle;
before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-sla2-bad-'), processMetrics: false });
  const ok = async (path: string, body: unknown) => {
    const r = await fetch(`${core.url}/sla-service${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 201, `${path}: ${await r.text()}`);
  };
  await ok('/providers', { uuid: 'bp', name: 'bp' });
  await ok('/agreements', agreementWith('{"constraint": "x GT 1"}', 'bad-ag'));
});
after(async () => core?.close());

function agreementWith(customServiceLevel: string, agreementId = 'bad-new') {
  return {
    agreementId,
    context: { AgreementInitiator: 'c', AgreementResponder: 'bp', ServiceProvider: 'AgreementResponder', Service: 'web' },
    terms: { allTerms: { guaranteeTerms: [{ name: 'T', serviceLevelObjetive: { kpitarget: { kpiName: 'x', customServiceLevel } } }] } },
  };
}

type Case = [
  method: string,
  path: string,
  body: { json?: unknown; raw?: string; type?: string } | undefined,
  status: number,
  words: RegExp,
];
const J = (json: unknown) => ({ json });
const RAW = (raw: string, type = 'application/json') => ({ raw, type });

const cases: Case[] = [
  // providers
  ['POST', '/providers', RAW('{"uuid": '), 400, /JSON/i],
  ['POST', '/providers', RAW('<provider><uuid>x</uuid>', 'application/xml'), 400, /malformed XML/],
  ['POST', '/providers', J({ uuid: 'x' }), 400, /name/],
  ['POST', '/providers', J({ uuid: 'bp', name: 'other' }), 409, /exists/],
  ['POST', '/providers', undefined, 400, /no body|body/],
  ['GET', '/providers/ghost', undefined, 404, /no provider ghost/],
  ['DELETE', '/providers/ghost', undefined, 404, /no provider ghost/],
  ['DELETE', '/providers/bp', undefined, 409, /has templates or agreements/],
  // templates
  ['POST', '/templates', RAW('[1,'), 400, /JSON/i],
  [
    'POST',
    '/templates',
    J({ templateId: 't1', context: { AgreementResponder: 'nobody' }, terms: { allTerms: { guaranteeTerms: [] } } }),
    409,
    /provider .+nobody.+ does not exist/,
  ],
  ['PUT', '/templates/ghost', J({ context: {}, terms: { allTerms: { guaranteeTerms: [] } } }), 404, /no template ghost/],
  ['PUT', '/templates/ghost', RAW('<x'), 400, /JSON|XML/i],
  ['GET', '/templates/ghost', undefined, 404, /no template ghost/],
  ['DELETE', '/templates/ghost', undefined, 404, /no template ghost/],
  // agreements
  ['POST', '/agreements', J([]), 400, /expected a JSON object/],
  ['POST', '/agreements', J(agreementWith('{"constraint": "x BETWEEN (1)"}')), 400, /BETWEEN takes exactly 2 values/],
  ['POST', '/agreements', J(agreementWith('{"constraint": "x GT 1", "source": "gpu"}')), 400, /source/],
  [
    'POST',
    '/agreements',
    J(agreementWith('{"constraint": "x GT 1", "actions": [{"type": "reboot"}]}')),
    400,
    /actions\.0.+scale-out \{step, max\}, migrate or replan/,
  ],
  [
    'POST',
    '/agreements',
    J(agreementWith('{"constraint": "x GT 1", "actions": [{"type": "scale-out", "max": 0}]}')),
    400,
    /actions\.0\.max/,
  ],
  ['POST', '/agreements', J(agreementWith('{"constraint": "x GT 1", "cooldown": "soon"}')), 400, /not a duration/],
  ['POST', '/agreements', J(agreementWith('{"constraint": "x GT 1"}', 'bad-ag')), 409, /agreement bad-ag exists/],
  ['POST', '/agreements', RAW('hello', 'text/plain'), 400, /expected a JSON object/],
  ['GET', '/agreements?active=maybe', undefined, 400, /active/],
  ['GET', '/agreements/ghost', undefined, 404, /no agreement ghost/],
  ['DELETE', '/agreements/ghost', undefined, 404, /no agreement ghost/],
  ['GET', '/agreements/ghost/context', undefined, 404, /no agreement ghost/],
  ['GET', '/agreements/ghost/guaranteestatus', undefined, 404, /no agreement ghost/],
  ['GET', '/agreements/ghost/status', undefined, 404, /no agreement ghost/],
  // enforcement
  ['GET', '/enforcements/ghost', undefined, 404, /no enforcement job/],
  ['POST', '/enforcements', J({ nope: 1 }), 400, /agreement_id/],
  ['POST', '/enforcements', J({ agreement_id: 'ghost' }), 404, /no agreement ghost/],
  ['PUT', '/enforcements/ghost/start', undefined, 404, /no enforcement job/],
  ['PUT', '/enforcements/ghost/stop', undefined, 404, /no enforcement job/],
  ['PUT', '/modaclouds/ghost/start', undefined, 404, /no enforcement job/],
  // metrics (push)
  ['POST', '/metrics/ghost', J([{ key: 'x', value: 1 }]), 404, /no enforcement job/],
  ['POST', '/metrics/bad-ag', J([{ key: 'x', value: 'lots' }]), 400, /value must be a number/],
  ['POST', '/metrics/bad-ag', J({ metrics: [{ value: 1 }] }), 400, /key/],
  ['POST', '/metrics/bad-ag', J([{ key: 'x', value: 1, datetime: 'soon' }]), 400, /not a date/],
  ['POST', '/metrics/bad-ag', RAW('<m/>', 'application/xml'), 400, /JSON/],
  ['POST', '/metrics/bad-ag', RAW('[{'), 400, /JSON/i],
  // mediator
  ['POST', '/generate', J({ service: 'web', provider: 'bp' }), 400, /no .+slo.+ in the body and no MEL web/],
  ['POST', '/generate', J({ service: 'web', provider: 'bp', slo: { responseTime: {} } }), 400, /max or min/],
  [
    'POST',
    '/generate',
    J({ service: 'web', provider: 'ghost', slo: { responseTime: { max: 1 } }, templateId: 'gen-t1' }),
    409,
    /provider .+ghost.+ does not exist/,
  ],
  [
    'POST',
    '/generate',
    J({ service: 'web', provider: 'bp', slo: { responseTime: { max: 1 } }, consumer: 'c', agreementId: 'bad-ag' }),
    409,
    /exists/,
  ],
  ['POST', '/generate', J({ provider: 'bp' }), 400, /service/],
  ['POST', '/generate', RAW('{'), 400, /JSON/i],
  // records
  ['GET', '/violations?begin=yesterday', undefined, 400, /begin: .+yesterday.+ is not a date/],
  ['GET', '/violations?end=2026-13-45T00:00:00Z', undefined, 400, /end/],
  ['GET', '/violations/ghost', undefined, 404, /no violation ghost/],
  ['GET', '/penalties?begin=x', undefined, 400, /begin/],
  ['GET', '/penalties/ghost', undefined, 404, /no penalty ghost/],
  ['GET', '/nothing-here', undefined, 404, /.+/],
];

test('every SLA route answers bad input with the right 4xx naming the problem, never a 500', async () => {
  for (const [method, path, body, status, words] of cases) {
    const headers: Record<string, string> = { accept: 'application/json' };
    let payload: string | undefined;
    if (body?.json !== undefined) [headers['content-type'], payload] = ['application/json', JSON.stringify(body.json)];
    if (body?.raw !== undefined) [headers['content-type'], payload] = [body.type ?? 'application/json', body.raw];
    const r = await fetch(`${core.url}/sla-service${path}`, { method, headers, body: payload });
    const text = await r.text();
    assert.equal(r.status, status, `${method} ${path}: ${r.status} ${text}`);
    assert.match(text, words, `${method} ${path}`);
  }
});

test('refused requests left nothing behind', async () => {
  const get = async (p: string) => (await fetch(`${core.url}/sla-service${p}`, { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(
    ((await get('/agreements')) as { agreementId: string }[]).map((a) => a.agreementId),
    ['bad-ag'],
  );
  assert.deepEqual(await get('/templates'), []);
  assert.deepEqual(
    ((await get('/providers')) as { uuid: string }[]).map((p) => p.uuid),
    ['bp'],
  );
  const s = (await get('/agreements/bad-ag/guaranteestatus')) as { guaranteestatus: string };
  assert.equal(s.guaranteestatus, 'NON_DETERMINED', 'a refused metrics push evaluated nothing');
});

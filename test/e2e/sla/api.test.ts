// The /sla-service API against a real in-process core (real HTTP, real SQLite files): the
// seed's calls in JSON and XML, filters, 404/400/409, enforcement from pushed metrics, and a
// core restart that counts nothing twice. No containers: metrics are pushed (E.5.10).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import {
  readAgreementXml,
  readContextXml,
  readGuaranteeStatusXml,
  readProviderXml,
  readTemplateXml,
  readViolationXml,
} from '../../../src/sla/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';

const POLL_MS = 300;
process.env.OSMO_SLA_POLL_MS = String(POLL_MS);
const fixture = (name: string) => readFileSync(new URL(`../../unit/sla/fixtures/${name}`, import.meta.url), 'utf8');

let core: CoreHandle;
const dataDir = tempDir('osmo-sla-e2e-');

interface Reply {
  status: number;
  type: string;
  location: string | null;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the shapes under test vary per call
}
async function call(
  method: string,
  path: string,
  opts: { json?: unknown; xml?: string; accept?: string; raw?: string; type?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (opts.json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(opts.json)];
  if (opts.xml !== undefined) [headers['content-type'], body] = ['application/xml', opts.xml];
  if (opts.raw !== undefined) [headers['content-type'], body] = [opts.type ?? 'application/json', opts.raw];
  if (opts.accept) headers.accept = opts.accept;
  const r = await fetch(`${core.url}/sla-service${path}`, { method, headers, body });
  const text = await r.text();
  const type = r.headers.get('content-type') ?? '';
  return {
    status: r.status,
    type,
    location: r.headers.get('location'),
    text,
    json: type.includes('json') && text ? JSON.parse(text) : undefined,
  };
}
const JSON_ = 'application/json';
const XML = 'application/xml';

const agreement02 = {
  agreementId: 'agreement02',
  name: 'ExampleAgreement',
  context: {
    AgreementInitiator: 'RandomClient',
    AgreementResponder: 'provider02',
    ServiceProvider: 'AgreementResponder',
    ExpirationTime: '2014-03-07T12:00:00CET',
    TemplateId: 'template02',
    Service: 'service02',
  },
  terms: {
    allTerms: {
      serviceDescriptionTerm: null,
      serviceProperties: [],
      guaranteeTerms: [
        {
          name: 'GTResponseTime',
          serviceScope: { serviceName: 'service02', value: '' },
          serviceLevelObjetive: { kpitarget: { kpiName: 'ResponseTime', customServiceLevel: '{"constraint": "ResponseTime LT 0.5"}' } },
          businessValueList: {
            customBusinessValue: [
              { count: 2, duration: 'PT1H', penalties: [{ type: 'discount', expression: '35', unit: '%', validity: 'P1D' }] },
            ],
          },
        },
        {
          name: 'GTPerformance',
          serviceLevelObjective: { kpitarget: { kpiName: 'Performance', customServiceLevel: '{"constraint": "Performance GE 0.5"}' } },
        },
      ],
    },
  },
};

// two ResponseTime values over the 0.5 bound, one as ISO text, one as ms
const breaching = (t0: number) => [
  { key: 'ResponseTime', value: 0.8, datetime: new Date(t0 - 2000).toISOString() },
  { key: 'ResponseTime', value: 0.9, at: t0 - 1000 },
];
let sentAt = 0;

describe('/sla-service against a real core', () => {
  before(async () => {
    core = await startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });
  });
  after(async () => {
    await core?.close();
  });

  test('providers: create (JSON and XML) 201 + Location, read in both, 409 twice, 404 unknown', async () => {
    const a = await call('POST', '/providers', { json: JSON.parse(fixture('provider.json')), accept: JSON_ });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.location, '/sla-service/providers/fc923960-03fe-41eb-8a21-a56709f9370f');
    const b = await call('POST', '/providers', { xml: '<provider><uuid>provider02</uuid><name>provider02</name></provider>' });
    assert.equal(b.status, 201, b.text);
    assert.match(b.type, /xml/, 'answered in the format it was sent');
    assert.equal((await call('POST', '/providers', { json: { uuid: 'ATOS', name: 'ATOS' } })).status, 201);
    const x = await call('GET', '/providers/fc923960-03fe-41eb-8a21-a56709f9370f', { accept: XML });
    assert.deepEqual(readProviderXml(x.text), { uuid: 'fc923960-03fe-41eb-8a21-a56709f9370f', name: 'provider-prueba' });
    const list = await call('GET', '/providers', { accept: JSON_ });
    assert.deepEqual(list.json.map((p: { uuid: string }) => p.uuid).sort(), ['ATOS', 'fc923960-03fe-41eb-8a21-a56709f9370f', 'provider02']);
    const dup = await call('POST', '/providers', { json: { uuid: 'other', name: 'provider-prueba' } });
    assert.equal(dup.status, 409);
    assert.match(dup.json.error, /provider-prueba/);
    assert.equal((await call('GET', '/providers/nope')).status, 404);
  });

  test('templates: the E.6.1 XML template is stored under a new id; filters; PUT rules', async () => {
    const r = await call('POST', '/templates', { xml: fixture('e6-template.xml'), accept: JSON_ });
    assert.equal(r.status, 201, r.text);
    const id = r.location!.split('/').at(-1)!;
    assert.match(id, /^[0-9a-f-]{36}$/);
    const back = readTemplateXml((await call('GET', `/templates/${id}`, { accept: XML })).text);
    assert.deepEqual(back, { ...readTemplateXml(fixture('e6-template.xml')), templateId: id });
    const t2 = await call('POST', '/templates', {
      json: {
        templateId: 'template02',
        context: { agreementResponder: 'provider02', serviceProvider: 'AgreementResponder', service: 'service02' },
      },
    });
    assert.equal(t2.status, 201, t2.text);
    assert.equal((await call('GET', '/templates?providerId=ATOS', { accept: JSON_ })).json.length, 1);
    assert.equal((await call('GET', '/templates?serviceIds=service02,eHealth%20Services', { accept: JSON_ })).json.length, 2);
    assert.deepEqual((await call('GET', '/templates?serviceIds=none', { accept: JSON_ })).json, []);
    assert.equal((await call('POST', '/templates', { json: { templateId: 'template02' } })).status, 409, 'id taken');
    assert.equal(
      (await call('POST', '/templates', { json: { context: { agreementResponder: 'ghost' } } })).status,
      409,
      'unknown provider',
    );
    assert.equal((await call('PUT', `/templates/${id}`, { json: { templateId: 'other' } })).status, 409, 'ids differ');
    const put = await call('PUT', '/templates/template02', {
      json: { name: 'renamed', context: { agreementResponder: 'provider02' } },
      accept: JSON_,
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.name, 'renamed');
    assert.equal((await call('PUT', '/templates/ghost', { json: {} })).status, 404);
  });

  test('agreements: the seed context and status; filters; 400 for a bad constraint, 409 for conflicts', async () => {
    const r = await call('POST', '/agreements', { json: agreement02 });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.location, '/sla-service/agreements/agreement02');
    const ctx = await call('GET', '/agreements/agreement02/context', { accept: JSON_ });
    assert.deepEqual(ctx.json, JSON.parse(fixture('context.json')), 'GET …/context prints the seed JSON');
    assert.deepEqual(
      readContextXml((await call('GET', '/agreements/agreement02/context', { accept: XML })).text),
      readContextXml(fixture('context.xml')),
    );
    const st = await call('GET', '/agreements/agreement02/guaranteestatus', { accept: JSON_ });
    assert.deepEqual(st.json, {
      AgreementId: 'agreement02',
      guaranteestatus: 'NON_DETERMINED',
      guaranteeterms: [
        { name: 'GTResponseTime', status: 'NON_DETERMINED' },
        { name: 'GTPerformance', status: 'NON_DETERMINED' },
      ],
    });
    const xml = readAgreementXml((await call('GET', '/agreements/agreement02', { accept: XML })).text);
    assert.equal(xml.terms.guaranteeTerms.length, 2);
    const job = await call('GET', '/enforcements/agreement02', { accept: JSON_ });
    assert.deepEqual(job.json, { agreement_id: 'agreement02', enabled: false }, 'created disabled with the agreement');

    assert.equal((await call('GET', '/agreements?consumerId=RandomClient', { accept: JSON_ })).json.length, 1);
    assert.equal((await call('GET', '/agreements?providerId=provider02&templateId=template02', { accept: JSON_ })).json.length, 1);
    assert.deepEqual((await call('GET', '/agreements?providerId=ATOS', { accept: JSON_ })).json, []);
    assert.deepEqual((await call('GET', '/agreements?active=true', { accept: JSON_ })).json, []);
    assert.equal((await call('GET', '/agreements?active=maybe')).status, 400);

    assert.equal((await call('POST', '/agreements', { json: agreement02 })).status, 409, 'id taken');
    const bad = structuredClone<typeof agreement02>(agreement02);
    bad.agreementId = 'bad';
    bad.terms.allTerms.guaranteeTerms[1]!.serviceLevelObjective!.kpitarget.customServiceLevel = '{"constraint": "Performance BETWEEN (1)"}';
    const b = await call('POST', '/agreements', { json: bad });
    assert.equal(b.status, 400);
    assert.match(b.json.error, /GTPerformance.*BETWEEN takes exactly 2 values, got 1 at position 21/);
    const noTpl = { ...structuredClone(agreement02), agreementId: 'x', context: { ...agreement02.context, TemplateId: 'ghost' } };
    assert.equal((await call('POST', '/agreements', { json: noTpl })).status, 409);
    assert.equal((await call('DELETE', '/templates/template02')).status, 409, 'a template with agreements stays');
  });

  test('enforcement: started by the API, pushed metrics -> FULFILLED, breaches -> VIOLATED, violations and a penalty stored', async () => {
    const t0 = Date.now();
    // values carry their own time; a value older than the latest one seen does not decide the status
    assert.equal(
      (await call('POST', '/metrics/agreement02', { json: [{ key: 'ResponseTime', value: 0.2, at: t0 - 10_000 }] })).status,
      200,
      'stored while disabled',
    );
    assert.equal((await call('GET', '/agreements/agreement02/guaranteestatus', { accept: JSON_ })).json.guaranteestatus, 'NON_DETERMINED');
    const start = await call('PUT', '/modaclouds/agreement02/start');
    assert.equal(start.status, 200);
    assert.equal(start.text, 'The enforcement job with agreement-uuid agreement02 has started');
    assert.equal((await call('GET', '/agreements/active', { accept: JSON_ })).json.length, 1);
    sentAt = t0;
    await call('POST', '/metrics/agreement02', { json: { metrics: [{ key: 'Performance', value: 0.9, at: t0 - 10_000 }] } });
    assert.equal((await call('GET', '/agreements/agreement02/guaranteestatus', { accept: JSON_ })).json.guaranteestatus, 'FULFILLED');

    const m = await call('POST', '/metrics/agreement02', { json: breaching(t0) });
    assert.equal(m.status, 200, m.text);
    assert.equal(m.text, 'Metrics received');
    const st = readGuaranteeStatusXml((await call('GET', '/agreements/agreement02/guaranteestatus', { accept: XML })).text);
    assert.equal(st.guaranteestatus, 'VIOLATED');
    assert.deepEqual(
      st.guaranteeterms.map((t) => t.status),
      ['VIOLATED', 'FULFILLED'],
    );

    const vs = await call('GET', '/violations?agreementId=agreement02', { accept: JSON_ });
    assert.deepEqual(
      vs.json.map((v: { actual_value: string }) => v.actual_value),
      ['0.8', '0.9'],
    );
    assert.deepEqual(Object.keys(vs.json[0]).slice(0, 7), [
      'uuid',
      'datetime',
      'contract_uuid',
      'service_name',
      'service_scope',
      'metric_name',
      'actual_value',
    ]);
    assert.equal(vs.json[0].metric_name, 'ResponseTime');
    assert.equal((await call('GET', '/violations?guaranteeTerm=GTPerformance', { accept: JSON_ })).json.length, 0);
    assert.equal((await call('GET', '/violations?providerId=provider02', { accept: JSON_ })).json.length, 2);
    assert.equal((await call('GET', `/violations?begin=${new Date(t0 - 1500).toISOString()}`, { accept: JSON_ })).json.length, 1);
    assert.equal((await call('GET', '/violations?begin=yesterday')).status, 400);
    const one = readViolationXml((await call('GET', `/violations/${vs.json[1].uuid}`, { accept: XML })).text);
    assert.equal(one.actual_value, '0.9');
    assert.equal((await call('GET', '/violations/ghost')).status, 404);

    const ps = await call('GET', '/penalties?agreementId=agreement02&guaranteeTerm=GTResponseTime', { accept: JSON_ });
    assert.equal(ps.json.length, 1, 'count 2 within PT1H: one penalty');
    assert.deepEqual(ps.json[0].definition, { type: 'discount', expression: '35', unit: '%', validity: 'P1D' });
    assert.equal(ps.json[0].agreement, 'agreement02');
    assert.equal((await call('GET', `/penalties/${ps.json[0].uuid}`, { accept: JSON_ })).json.uuid, ps.json[0].uuid);
  });

  test('a core restart resumes the job and counts nothing twice, even when the same metrics arrive again', async () => {
    const before = (await call('GET', '/violations', { accept: JSON_ })).json.length;
    const lastBefore = Date.parse((await call('GET', '/enforcements/agreement02', { accept: JSON_ })).json.last_executed);
    await core.close();
    core = await startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });
    // last_executed has second resolution: a later second proves a round after the restart
    const job = await eventually(
      async () => {
        const j = (await call('GET', '/enforcements/agreement02', { accept: JSON_ })).json;
        return j.enabled && Date.parse(j.last_executed) > lastBefore ? j : undefined;
      },
      10_000,
      'the started job runs again after the restart',
    );
    assert.equal(job.enabled, true);
    const vs = (await call('GET', '/violations', { accept: JSON_ })).json;
    assert.equal(vs.length, before);
    // the monitoring platform resends what it had sent before the restart
    assert.equal((await call('POST', '/metrics/agreement02', { json: breaching(sentAt) })).status, 200);
    assert.equal((await call('GET', '/violations', { accept: JSON_ })).json.length, before);
    assert.equal((await call('GET', '/penalties', { accept: JSON_ })).json.length, 1);
    await call('PUT', '/enforcements/agreement02/stop');
    assert.equal((await call('GET', '/enforcements/agreement02', { accept: JSON_ })).json.enabled, false);
  });

  test('bad input on every kind of endpoint is a 4xx naming the problem, never a 500', async () => {
    const cases: [string, string, Parameters<typeof call>[2], RegExp][] = [
      ['POST', '/providers', { raw: '{"uuid": ' }, /JSON/i],
      ['POST', '/providers', { xml: '<provider><uuid>x</uuid>' }, /malformed XML at line 1/],
      ['POST', '/providers', { json: { uuid: 'only' } }, /name/],
      ['POST', '/templates', { xml: '<wsag:Agreement xmlns:wsag="u"/>' }, /expected a (<|&lt;)Template(>|&gt;) element/],
      ['POST', '/agreements', { json: [] }, /expected a JSON object/],
      ['POST', '/agreements', { xml: fixture('e6-template.xml') }, /expected a (<|&lt;)Agreement(>|&gt;) element/],
      ['POST', '/agreements', { raw: 'hello', type: 'text/plain' }, /.+/],
      ['GET', '/agreements/ghost/context', {}, /no agreement ghost/],
      ['GET', '/agreements/ghost/guaranteestatus', {}, /no agreement ghost/],
      ['PUT', '/enforcements/ghost/start', {}, /no enforcement job/],
      ['POST', '/metrics/ghost', { json: [{ key: 'x', value: 1 }] }, /no enforcement job/],
      ['POST', '/metrics/agreement02', { json: [{ key: 'x', value: 'lots' }] }, /value must be a number/],
      ['POST', '/metrics/agreement02', { json: [{ value: 1 }] }, /key/],
      ['POST', '/metrics/agreement02', { json: [{ key: 'x', value: 1, datetime: 'soon' }] }, /not a date/],
      ['POST', '/enforcements', { json: { agreement_id: 'agreement02' } }, /exists/],
      ['DELETE', '/providers/provider02', {}, /has templates or agreements/],
      ['GET', '/penalties/ghost', { accept: XML }, /no penalty ghost/],
    ];
    for (const [method, path, opts, words] of cases) {
      const r = await call(method, path, opts);
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status} ${r.text}`);
      assert.match(r.text, words, `${method} ${path}`);
    }
    const x = await call('GET', '/agreements/ghost', { accept: XML });
    assert.equal(x.status, 404);
    assert.match(x.text, /<message code="404" message="no agreement ghost"\/>/);
  });

  test('mediator call: objectives -> template + agreement (E.6); a violated event turns it VIOLATED', async () => {
    const slo = [
      { id: 'c1', metric: 'responseTime', max: 2.0, scope: 'RequestHandler/quickadd' },
      { id: 'c2', metric: 'availability', min: 0.999 },
    ];
    const r = await call('POST', '/generate', {
      json: {
        service: 'web',
        provider: 'ATOS',
        slo,
        consumer: 'random-consumer',
        expirationTime: '2027-01-01T00:00:00Z',
        agreementId: 'web-sla',
      },
      accept: JSON_,
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.location, '/sla-service/agreements/web-sla');
    const a = (await call('GET', '/agreements/web-sla', { accept: JSON_ })).json;
    assert.equal(a.context.agreementInitiator, 'random-consumer');
    assert.equal(
      a.terms.allTerms.guaranteeTerms[0].serviceLevelObjective.kpitarget.customServiceLevel,
      '{"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue":2.0}}',
    );
    const tpl = (await call('GET', `/templates/${a.context.templateId}`, { accept: JSON_ })).json;
    assert.equal(tpl.terms.allTerms.guaranteeTerms.length, 2);
    await call('PUT', '/modaclouds/web-sla/start');
    assert.equal(
      (await call('GET', '/agreements/web-sla/guaranteestatus', { accept: JSON_ })).json.guaranteestatus,
      'FULFILLED',
      'no violated event yet',
    );
    // NOT_EXISTS holds again in the next poll round with no new event (every POLL_MS), so on a
    // loaded machine a round can slip between the push and the read: push again, each time a new
    // event, until one read lands before the next round. The violation record stays either way.
    let terms: unknown;
    for (let i = 0; i < 10; i++) {
      await call('POST', '/metrics/web-sla', { json: [{ key: 'qosConstraint_c1_Violated', value: 2.7 + i }] });
      terms = (await call('GET', '/agreements/web-sla/guaranteestatus', { accept: JSON_ })).json.guaranteeterms;
      if ((terms as { status: string }[])[0]?.status === 'VIOLATED') break;
    }
    assert.deepEqual(terms, [
      { name: 'c1', status: 'VIOLATED' },
      { name: 'c2', status: 'FULFILLED' },
    ]);
    const vs = (await call('GET', '/violations?agreementId=web-sla', { accept: JSON_ })).json;
    assert.ok(vs.length >= 1, 'a violation is stored');
    assert.ok(
      vs.every((v: { metric_name: string }) => v.metric_name === 'qosConstraint_c1_Violated'),
      JSON.stringify(vs),
    );
    const templatesBefore = (await call('GET', '/templates', { accept: JSON_ })).json.length;
    const again = await call('POST', '/generate', {
      json: { service: 'web', provider: 'ATOS', slo, consumer: 'c', agreementId: 'web-sla' },
    });
    assert.equal(again.status, 409);
    assert.equal((await call('GET', '/templates', { accept: JSON_ })).json.length, templatesBefore, 'no template left behind');
    const bad = await call('POST', '/generate', { json: { service: 'web', provider: 'ATOS', slo: { responseTime: {} } } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /max or min/);
    assert.equal((await call('POST', '/generate', { json: { service: 'web', provider: 'ghost', slo } })).status, 409);
    assert.equal((await call('DELETE', '/agreements/web-sla')).status, 200);
  });

  test('deleting an agreement removes its job and records; then its template and provider can go', async () => {
    assert.equal((await call('DELETE', '/agreements/agreement02')).status, 200);
    assert.equal((await call('GET', '/agreements/agreement02')).status, 404);
    assert.equal((await call('GET', '/enforcements/agreement02')).status, 404);
    assert.deepEqual((await call('GET', '/violations?agreementId=agreement02', { accept: JSON_ })).json, []);
    assert.equal((await call('DELETE', '/templates/template02')).status, 200);
    assert.equal((await call('DELETE', '/providers/provider02')).status, 200);
  });
});

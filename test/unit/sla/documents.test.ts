import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  contextView,
  EnforcementJobSchema,
  GuaranteeStatusSchema,
  PenaltyViewSchema,
  parseServiceLevel,
  readAgreementJson,
  readAgreementXml,
  readContextXml,
  readEnforcementXml,
  readGuaranteeStatusXml,
  readPenaltyXml,
  readProviderJson,
  readProviderXml,
  readTemplateJson,
  readTemplateXml,
  readViolationXml,
  ViolationViewSchema,
  writeAgreementJson,
  writeAgreementXml,
  writeAgreementsXml,
  writeContextXml,
  writeEnforcementXml,
  writeGuaranteeStatusXml,
  writePenaltyXml,
  writeProviderXml,
  writeTemplateJson,
  writeTemplateXml,
  writeViolationXml,
  type Agreement,
} from '../../../src/sla/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = (name: string): unknown => JSON.parse(fixture(name));
/** through the wire: what a client receives */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe("the seed's sample documents (E.5, E.6) parse and render back", () => {
  test('E.5.3 provider, XML and JSON, are the same provider and round-trip', () => {
    const fromXml = readProviderXml(fixture('provider.xml'));
    assert.deepEqual(fromXml, { uuid: 'fc923960-03fe-41eb-8a21-a56709f9370f', name: 'provider-prueba' });
    assert.deepEqual(readProviderJson(json('provider.json')), fromXml);
    assert.deepEqual(readProviderXml(writeProviderXml(fromXml)), fromXml);
  });

  test('E.5.5 context: XML and the PascalCase JSON are the same context; both round-trip', () => {
    const ctx = readContextXml(fixture('context.xml'));
    assert.deepEqual(ctx, {
      agreementInitiator: 'RandomClient',
      agreementResponder: 'provider02',
      serviceProvider: 'AgreementResponder',
      expirationTime: '2014-03-07T12:00:00CET',
      templateId: 'template02',
      service: 'service02',
    });
    assert.deepEqual(contextView(ctx), json('context.json'), 'GET …/context prints the seed JSON');
    assert.deepEqual(readContextXml(writeContextXml(ctx)), ctx);
    // an agreement whose context is written in the PascalCase of GET …/context reads the same
    assert.deepEqual(readAgreementJson({ agreementId: 'a', context: json('context.json') }).context, ctx);
  });

  test('E.5.5 guarantee status, E.5.6 enforcement job: JSON -> XML -> same values', () => {
    const status = GuaranteeStatusSchema.parse(json('guaranteestatus.json'));
    const sx = writeGuaranteeStatusXml(status);
    assert.match(sx, /<guaranteestatus AgreementId="agreement02" value="FULFILLED">/);
    assert.deepEqual(readGuaranteeStatusXml(sx), status);
    const job = EnforcementJobSchema.parse(json('enforcement.json'));
    assert.deepEqual(readEnforcementXml(writeEnforcementXml(job)), job);
  });

  test('E.5.7 violations: the XML sample and the JSON sample round-trip through XML', () => {
    const v = readViolationXml(fixture('violation.xml'));
    assert.equal(v.uuid, 'ce0e148f-dfac-4492-bb26-ad2e9a6965ec');
    assert.equal(v.contract_uuid, 'agreement04');
    assert.equal(v.metric_name, 'Performance');
    assert.equal(v.actual_value, '0.09555700123360344');
    assert.deepEqual(readViolationXml(writeViolationXml(v)), v);
    const j = ViolationViewSchema.parse(json('violation.json'));
    assert.deepEqual(readViolationXml(writeViolationXml(j)), j);
  });

  test('E.5.8 penalties: XML and JSON samples carry the same definition; both round-trip', () => {
    const x = readPenaltyXml(fixture('penalty.xml'));
    const j = PenaltyViewSchema.parse(json('penalty.json'));
    assert.deepEqual(x.definition, j.definition);
    assert.deepEqual(x.definition, { type: 'discount', expression: '35', unit: '%', validity: 'P1D' });
    assert.deepEqual(readPenaltyXml(writePenaltyXml(x)), x);
    assert.deepEqual(readPenaltyXml(writePenaltyXml(j)), j);
  });

  for (const [file, op] of [
    ['e6-template.xml', 'NOT_EXISTS'],
    ['e6-agreement.xml', 'EXISTS'],
  ] as const) {
    test(`${file}: XML -> model -> XML and JSON -> same model; every term's constraint parses`, () => {
      const isTemplate = file.includes('template');
      const doc = isTemplate ? readTemplateXml(fixture(file)) : readAgreementXml(fixture(file));
      assert.deepEqual(
        doc.terms.guaranteeTerms.map((g) => [g.name, g.serviceScope?.value, g.serviceLevelObjective.kpitarget.kpiName]),
        [
          ['c1', 'RequestHandler/quickadd', 'ResponseTime'],
          ['c2', 'RequestHandler', 'ResponseTime'],
          ['c3', undefined, 'ResponseTime'],
        ],
      );
      for (const g of doc.terms.guaranteeTerms) {
        const sl = parseServiceLevel(g.serviceLevelObjective.kpitarget.customServiceLevel ?? '');
        assert.equal(sl.constraint.op, op);
        assert.equal(sl.constraint.kpi, `qosConstraint_${g.name}_Violated`);
      }
      if (isTemplate) {
        const t = readTemplateXml(fixture(file));
        assert.deepEqual(readTemplateXml(writeTemplateXml(t)), t);
        assert.deepEqual(readTemplateJson(wire(writeTemplateJson(t))), t);
        assert.equal(t.context.agreementResponder, 'ATOS');
        assert.equal(t.context.service, 'eHealth Services');
      } else {
        const a = readAgreementXml(fixture(file));
        assert.deepEqual(readAgreementXml(writeAgreementXml(a)), a);
        assert.deepEqual(readAgreementJson(wire(writeAgreementJson(a))), a);
        assert.equal(a.context.agreementInitiator, 'random-consumer');
        assert.equal(a.context.templateId, '59ce6aaf-49e3-4f5a-b9c5-5e63df8388c5');
        assert.equal(a.context.expirationTime, '2015-09-03T16:04:52GMT');
      }
    });
  }
});

describe('Atos JSON variants', () => {
  const atos = {
    agreementId: 'agreement07',
    name: 'ExampleAgreement',
    context: {
      agreementInitiator: 'client-prueba',
      expirationTime: '2014-03-07T12:00:00+0100',
      templateId: 'template02',
      service: 'service5',
      serviceProvider: 'AgreementResponder',
      agreementResponder: 'provider03',
    },
    terms: {
      allTerms: {
        serviceDescriptionTerm: null,
        serviceProperties: [
          {
            name: 'ServiceProperties',
            serviceName: 'ServiceName',
            variableSet: { variables: [{ name: 'metric1', metric: 'xs:double', location: 'metric1' }] },
          },
        ],
        guaranteeTerms: [
          {
            name: 'GTMetric1',
            serviceScope: { serviceName: 'ServiceName', value: '' },
            serviceLevelObjetive: { kpitarget: { kpiName: 'metric1', customServiceLevel: '{"constraint" : "metric1 BETWEEN (0.05, 1)"}' } },
          },
        ],
      },
    },
  };

  test('`serviceLevelObjetive` (sic), nulls and a single serviceDescriptionTerm are accepted', () => {
    const a = readAgreementJson(atos);
    assert.equal(a.terms.guaranteeTerms[0]?.serviceLevelObjective.kpitarget.kpiName, 'metric1');
    assert.deepEqual(a.terms.serviceDescriptionTerms, []);
    const correct = structuredClone(atos) as unknown as { terms: { allTerms: { guaranteeTerms: Record<string, unknown>[] } } };
    const gt = correct.terms.allTerms.guaranteeTerms[0]!;
    gt.serviceLevelObjective = gt.serviceLevelObjetive;
    delete gt.serviceLevelObjetive;
    assert.deepEqual(readAgreementJson(correct), a, 'both spellings read the same');
    const one = readTemplateJson({
      templateId: 't',
      terms: { allTerms: { serviceDescriptionTerm: { name: 'General', serviceName: 'S' } } },
    });
    assert.deepEqual(one.terms.serviceDescriptionTerms, [{ name: 'General', serviceName: 'S' }]);
  });

  test('bad documents are `invalid` errors naming the problem', () => {
    const cases: [() => unknown, string][] = [
      [() => readAgreementJson([]), 'expected a JSON object'],
      [() => readAgreementJson({ terms: { allTerms: { guaranteeTerms: [{ name: 'g' }] } } }), 'serviceLevelObjective'],
      [
        () => readAgreementJson({ terms: { allTerms: { guaranteeTerms: [{ name: 'g', serviceLevelObjective: { kpitarget: {} } }] } } }),
        'kpiName',
      ],
      [() => readAgreementXml('<wsag:Agreement><wsag:Name>x</wsag:Agreement>'), 'line 1'],
      [() => readAgreementXml('<wsag:Template xmlns:wsag="u"/>'), 'expected a <Agreement> element, found <Template>'],
      [() => readTemplateXml('not xml at all'), 'malformed XML'],
      [() => readAgreementXml('<Agreement><Terms><All><GuaranteeTerm Name="g"/></All></Terms></Agreement>'), 'KPIName is required'],
      [() => readProviderXml('<provider><uuid>u</uuid></provider>'), 'name'],
      [
        () =>
          readProviderXml('<!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><provider><uuid>&b;</uuid><name>n</name></provider>'),
        'DOCTYPE',
      ],
    ];
    for (const [f, words] of cases) {
      assert.throws(f, (e: Error & { kind?: string }) => e.kind === 'invalid' && e.message.includes(words), words);
    }
  });

  test('an agreement list is one XML document whose agreements read back', () => {
    const a = readAgreementJson(atos);
    const xml = writeAgreementsXml([a, { ...a, agreementId: 'agreement08' }]);
    assert.match(xml, /^<\?xml[^>]*>\n<agreements xmlns:wsag=/);
    assert.equal((xml.match(/<wsag:Agreement /g) ?? []).length, 2);
    assert.equal((xml.match(/<\?xml/g) ?? []).length, 1);
  });
});

describe('property: XML <-> JSON round trips', () => {
  // printable text, XML's special characters included; trimmed (readers trim element text)
  const text = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9 _./:%&<>"'{},-]{0,14}[A-Za-z0-9])?$/);
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  const context = fc
    .record({
      agreementInitiator: opt(text),
      agreementResponder: opt(text),
      serviceProvider: opt(fc.constantFrom('AgreementResponder', 'AgreementInitiator')),
      expirationTime: opt(text),
      templateId: opt(text),
      service: opt(text),
    })
    .map(clean);
  const guaranteeTerm = fc
    .record({
      name: text,
      obligated: opt(text),
      serviceScope: opt(fc.record({ serviceName: opt(text), value: opt(text) }).map(clean)),
      qualifyingCondition: opt(text),
      kpiName: text,
      customServiceLevel: opt(
        fc.constantFrom('{"constraint": "x LT 1"}', '{"constraint" : "m BETWEEN (0.05, 1)", "policies": [{"count": 2, "interval": 60}]}'),
      ),
      businessValueList: opt(
        fc
          .record({
            importance: opt(fc.integer({ min: 0, max: 10 })),
            customBusinessValue: fc.array(
              fc.record({
                count: fc.integer({ min: 1, max: 9 }),
                duration: fc.constantFrom('P1D', 'PT1H', 'PT30S'),
                penalties: fc.array(fc.record({ type: text, expression: text, unit: text, validity: fc.constantFrom('P1D', 'P1W') }), {
                  maxLength: 2,
                }),
              }),
              { maxLength: 2 },
            ),
          })
          .map(clean),
      ),
    })
    .map(({ kpiName, customServiceLevel, ...g }) =>
      clean({ ...g, serviceLevelObjective: { kpitarget: clean({ kpiName, customServiceLevel }) } }),
    );
  const agreement: fc.Arbitrary<Agreement> = fc
    .record({
      agreementId: opt(text),
      name: opt(text),
      context,
      terms: fc.record({
        serviceDescriptionTerms: fc.array(fc.record({ name: opt(text), serviceName: opt(text), value: opt(text) }).map(clean), {
          maxLength: 2,
        }),
        serviceProperties: fc.array(
          fc
            .record({
              name: opt(text),
              serviceName: opt(text),
              variableSet: opt(
                fc.record({
                  variables: fc.array(fc.record({ name: text, metric: opt(text), location: opt(text) }).map(clean), { maxLength: 3 }),
                }),
              ),
            })
            .map(clean),
          { maxLength: 2 },
        ),
        guaranteeTerms: fc.array(guaranteeTerm, { maxLength: 3 }),
      }),
    })
    .map(clean);

  test('agreement -> XML -> agreement, agreement -> JSON -> agreement, XML -> JSON -> XML', () => {
    fc.assert(
      fc.property(agreement, (a) => {
        const plain = wire(a) as Agreement;
        const xml = writeAgreementXml(plain);
        assert.deepEqual(readAgreementXml(xml), plain);
        assert.deepEqual(readAgreementJson(wire(writeAgreementJson(plain))), plain);
        assert.equal(writeAgreementXml(readAgreementJson(wire(writeAgreementJson(readAgreementXml(xml))))), xml);
      }),
      { numRuns: 300 },
    );
  });

  test('template -> XML -> template and -> JSON -> template', () => {
    fc.assert(
      fc.property(agreement, ({ agreementId, ...rest }) => {
        const t = wire(clean({ ...rest, templateId: agreementId })) as Parameters<typeof writeTemplateXml>[0];
        assert.deepEqual(readTemplateXml(writeTemplateXml(t)), t);
        assert.deepEqual(readTemplateJson(wire(writeTemplateJson(t))), t);
      }),
      { numRuns: 200 },
    );
  });
});

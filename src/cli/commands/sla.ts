// `osmo sla …`: the SLA manager over the core's /sla-service/ API (--core / OSMO_CORE, token
// from --token / OSMO_TOKEN / ./.osmo/join-token): providers, templates, agreements,
// violations, penalties, one agreement's status, starting and stopping enforcement, and the
// E.6 mediator on a MEL's slo block.
import type { Command } from 'commander';
import type { SlaStatus } from '../../client/index.js';
import { clientFlags as withCommon, print, table, type ClientFlags } from '../common.js';
import { coreClient } from '../core-client.js';

const dash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '-' : String(v));

export function statusText(s: SlaStatus): string {
  const head = `agreement ${s.agreementId}: ${s.status} (enforcement ${s.enabled ? 'started' : 'stopped'}, last round ${dash(s.lastExecuted)})\n\n`;
  const terms = table([
    ['TERM', 'STATUS', 'LAST VALUE', 'AT', 'CONSTRAINT', 'MEL', 'SOURCE', 'ACTIONS'],
    ...s.terms.map((t) => [
      t.name,
      t.status,
      dash(t.lastValue),
      dash(t.observedAt),
      t.constraint,
      dash(t.mel),
      dash(t.source),
      t.actions.join(',') || '-',
    ]),
  ]);
  const acts =
    s.actions.length === 0
      ? ''
      : `\n${table([
          ['AT', 'TERM', 'ACTION', 'OUTCOME', 'REASON'],
          ...s.actions.map((a) => [
            a.at,
            dash(a.term as string),
            dash(a.action as string),
            dash(a.outcome as string),
            dash(a.reason as string),
          ]),
        ])}`;
  return head + terms + acts;
}

type Records = ClientFlags & { agreement?: string; term?: string; begin?: string; end?: string };

export function register(program: Command): void {
  const sla = program.command('sla').description('service-level agreements (WS-Agreement, the Atos SLA core API under /sla-service/)');

  withCommon(sla.command('providers').description('providers (uuid, name)')).action(async (o: ClientFlags) => {
    const ps = await coreClient(o).sla.providers();
    print(o, ps, () => table([['UUID', 'NAME'], ...ps.map((p) => [p.uuid, p.name])]));
  });

  withCommon(
    sla
      .command('templates')
      .description('templates, optionally of one provider or of some services')
      .option('--provider <uuid>', 'only this provider')
      .option('--service <ids>', 'only these services (comma-separated)'),
  ).action(async (o: ClientFlags & { provider?: string; service?: string }) => {
    const ts = await coreClient(o).sla.templates({ providerId: o.provider, serviceIds: o.service });
    print(o, ts, () =>
      table([
        ['ID', 'NAME', 'PROVIDER', 'SERVICE', 'TERMS'],
        ...ts.map((t) => [
          t.templateId,
          dash(t.name),
          dash(t.context.agreementResponder),
          dash(t.context.service),
          String(t.terms.allTerms.guaranteeTerms?.length ?? 0),
        ]),
      ]),
    );
  });

  withCommon(
    sla
      .command('agreements')
      .description('agreements, filtered like GET /sla-service/agreements')
      .option('--consumer <id>', 'only this consumer')
      .option('--provider <uuid>', 'only this provider')
      .option('--template <id>', 'only made from this template')
      .option('--active', 'only agreements whose enforcement is started'),
  ).action(async (o: ClientFlags & { consumer?: string; provider?: string; template?: string; active?: boolean }) => {
    const as = await coreClient(o).sla.agreements({
      consumerId: o.consumer,
      providerId: o.provider,
      templateId: o.template,
      active: o.active,
    });
    print(o, as, () =>
      table([
        ['ID', 'NAME', 'CONSUMER', 'PROVIDER', 'SERVICE', 'TEMPLATE', 'TERMS'],
        ...as.map((a) => [
          a.agreementId,
          dash(a.name),
          dash(a.context.agreementInitiator),
          dash(a.context.agreementResponder),
          dash(a.context.service),
          dash(a.context.templateId),
          String(a.terms.allTerms.guaranteeTerms?.length ?? 0),
        ]),
      ]),
    );
  });

  const recordFlags = (c: Command) =>
    withCommon(
      c
        .option('--agreement <id>', 'only this agreement')
        .option('--term <name>', 'only this guarantee term')
        .option('--begin <time>', 'from this time (ISO 8601)')
        .option('--end <time>', 'before this time (ISO 8601)'),
    );
  const filter = (o: Records) => ({ agreementId: o.agreement, guaranteeTerm: o.term, begin: o.begin, end: o.end });

  recordFlags(sla.command('violations').description('stored violations, oldest first')).action(async (o: Records) => {
    const vs = await coreClient(o).sla.violations(filter(o));
    print(o, vs, () =>
      table([
        ['TIME', 'AGREEMENT', 'SERVICE', 'METRIC', 'ACTUAL', 'EXPECTED', 'UUID'],
        ...vs.map((v) => [
          v.datetime,
          v.contract_uuid,
          dash(v.service_name),
          v.metric_name,
          v.actual_value,
          dash(v.expected_value),
          v.uuid,
        ]),
      ]),
    );
  });

  recordFlags(sla.command('penalties').description('stored penalties, oldest first')).action(async (o: Records) => {
    const ps = await coreClient(o).sla.penalties(filter(o));
    print(o, ps, () =>
      table([
        ['TIME', 'AGREEMENT', 'TYPE', 'EXPRESSION', 'UNIT', 'VALIDITY', 'UUID'],
        ...ps.map((p) => [
          p.datetime,
          p.agreement,
          p.definition.type,
          p.definition.expression,
          p.definition.unit,
          p.definition.validity,
          p.uuid,
        ]),
      ]),
    );
  });

  withCommon(
    sla
      .command('status')
      .description("an agreement's terms: status, last value, binding; the actions taken")
      .argument('<id>', 'agreement id'),
  ).action(async (id: string, o: ClientFlags) => {
    const s = await coreClient(o).sla.status(id);
    print(o, s, () => statusText(s));
  });

  for (const action of ['start', 'stop'] as const)
    withCommon(sla.command(action).description(`${action} an agreement's enforcement job`).argument('<id>', 'agreement id')).action(
      async (id: string, o: ClientFlags) => {
        await coreClient(o).sla.enforcement(id, action);
        print(
          o,
          { agreementId: id, enforcement: action === 'start' ? 'started' : 'stopped' },
          () => `enforcement of ${id} ${action === 'start' ? 'started' : 'stopped'}\n`,
        );
      },
    );

  withCommon(
    sla
      .command('generate')
      .description("a template from the MEL's slo block (E.6) and, with --consumer, an agreement bound to the MEL")
      .argument('<mel>', 'the MEL (its slo block holds the objectives)')
      .requiredOption('--provider <uuid>', 'the provider (AgreementResponder); must exist')
      .option('--consumer <id>', 'make an agreement for this consumer too')
      .option('--expiration <time>', "the agreement's ExpirationTime")
      .option('--template-id <id>', 'id of the template (default: a UUID)')
      .option('--agreement-id <id>', 'id of the agreement (default: a UUID)'),
  ).action(
    async (
      mel: string,
      o: ClientFlags & { provider: string; consumer?: string; expiration?: string; templateId?: string; agreementId?: string },
    ) => {
      const r = await coreClient(o).sla.generate({
        service: mel,
        provider: o.provider,
        consumer: o.consumer,
        expirationTime: o.expiration,
        templateId: o.templateId,
        agreementId: o.agreementId,
      });
      const what = o.consumer === undefined ? 'template' : 'agreement';
      print(
        o,
        r,
        () => `${what} ${r.elementId ?? ''} stored${o.consumer === undefined ? '' : ` (start it: osmo sla start ${r.elementId ?? ''})`}\n`,
      );
    },
  );
}

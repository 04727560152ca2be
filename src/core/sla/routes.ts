// The Atos SLA core's REST API under /sla-service (seed E.5), as one self-contained plugin:
// providers, templates, agreements (+ context, guarantee status), enforcement jobs,
// violations, penalties, /modaclouds/{id}/start and POST /metrics/{id} (push mode).
// Bodies and answers are JSON or WS-Agreement XML, chosen by Content-Type and Accept
// (E.5.1); creations answer 201 with a Location. Client mistakes are 4xx naming the problem,
// in the negotiated format (the Atos `<message code message/>` in XML).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../shared/errors.js';
import { describeError, errorBody } from '../../shared/http-errors.js';
import {
  contextView,
  penaltyView,
  readAgreementJson,
  readAgreementXml,
  readProviderJson,
  readProviderXml,
  readTemplateJson,
  readTemplateXml,
  violationView,
  writeAgreementJson,
  writeAgreementsXml,
  writeAgreementXml,
  writeContextXml,
  writeEnforcementsXml,
  writeEnforcementXml,
  writeGuaranteeStatusXml,
  writeMessageXml,
  writePenaltiesXml,
  writePenaltyXml,
  writeProvidersXml,
  writeProviderXml,
  writeTemplateJson,
  writeTemplatesXml,
  writeTemplateXml,
  writeViolationsXml,
  writeViolationXml,
  isoSeconds,
  type EnforcementJob,
  type MetricValue,
  type PenaltyRecord,
  type ViolationRecord,
} from '../../sla/index.js';
import type { StoredJob } from '../../store/repos/sla.js';
import { acceptBasicAuth } from '../http/auth.js';
import { documentRendered } from '../http/statuses.js';
import type { CoreRoutes } from '../module.js';
import { parseInstant, type SlaService } from './service.js';

const PREFIX = '/sla-service';
const Id = z.object({ id: z.string().min(1) });

/** XML when Accept asks for it before JSON, or, without an Accept preference, when the body was XML. */
export function wantsXml(req: FastifyRequest): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  const x = accept.search(/xml/);
  const j = accept.search(/json/);
  if (x >= 0 || j >= 0) return x >= 0 && (j < 0 || x < j);
  return /xml/i.test(req.headers['content-type'] ?? '');
}
const sentXml = (req: FastifyRequest): boolean => /xml/i.test(req.headers['content-type'] ?? '');

function send(req: FastifyRequest, reply: FastifyReply, json: unknown, xml: () => string, status = 200) {
  if (wantsXml(req)) return reply.status(status).type('application/xml').send(xml());
  return reply.status(status).type('application/json').send(JSON.stringify(json));
}
function message(req: FastifyRequest, reply: FastifyReply, status: number, text: string, elementId?: string) {
  return send(
    req,
    reply,
    { code: status, ...(elementId !== undefined && { elementId }), message: text },
    () => writeMessageXml(status, text, elementId),
    status,
  );
}
function created(req: FastifyRequest, reply: FastifyReply, collection: string, id: string, what: string) {
  reply.header('location', `${PREFIX}/${collection}/${encodeURIComponent(id)}`);
  return message(req, reply, 201, `The ${what} has been stored successfully with id ${id}`, id);
}
const body = (req: FastifyRequest): unknown => {
  if (req.body === undefined || req.body === null || req.body === '') throw invalid('the request has no body');
  return req.body;
};
const xmlBody = (req: FastifyRequest): string => {
  const b = body(req);
  if (typeof b !== 'string') throw invalid('expected an XML body');
  return b;
};

const jobView = (j: StoredJob): EnforcementJob => ({
  agreement_id: j.agreementId,
  enabled: j.enabled,
  ...(j.lastExecuted !== null && { last_executed: isoSeconds(j.lastExecuted) }),
});

export const GenerateBody = z.object({
  /** the MEL the objectives belong to (the agreement's Service) */
  service: z.string().min(1),
  /** an existing provider (the AgreementResponder) */
  provider: z.string().min(1),
  /** the objectives, e.g. {"responseTime": {"max": 2.0}} (src/sla/mediator.ts); default: the MEL's `slo` block */
  slo: z.unknown().optional(),
  templateId: z.string().min(1).optional(),
  /** with a consumer, an agreement is made from the template as well (E.6.2) */
  consumer: z.string().min(1).optional(),
  expirationTime: z.string().min(1).optional(),
  agreementId: z.string().min(1).optional(),
});

const Bool = z.enum(['1', 'true', '0', 'false']).transform((v) => v === '1' || v === 'true');
const AgreementQuery = z.object({
  consumerId: z.string().optional(),
  providerId: z.string().optional(),
  templateId: z.string().optional(),
  active: Bool.optional(),
});
const TemplateQuery = z.object({ serviceIds: z.string().optional(), providerId: z.string().optional() });
const RecordQuery = z.object({
  agreementId: z.string().optional(),
  guaranteeTerm: z.string().optional(),
  providerId: z.string().optional(),
  begin: z.string().optional(),
  end: z.string().optional(),
});

// Pushed metrics: a list (or {"metrics": [...]}, or one) of {key|metric, value, datetime|date|at}.
const MetricWire = z
  .object({
    key: z.string().min(1).optional(),
    metric: z.string().min(1).optional(),
    // Atos metrics carry values as text
    value: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
      z.number({ error: 'value must be a number' }),
    ),
    datetime: z.string().optional(),
    date: z.string().optional(),
    at: z.union([z.number(), z.string()]).optional(),
  })
  .refine((m) => m.key !== undefined || m.metric !== undefined, 'each metric needs a "key" (the KPI name)');
// normalised to a list first (not a union), so an error keeps its path and message
const MetricsBody = z.preprocess(
  (v) =>
    Array.isArray(v)
      ? v
      : v && typeof v === 'object' && Array.isArray((v as { metrics?: unknown }).metrics)
        ? (v as { metrics: unknown[] }).metrics
        : [v],
  z.array(MetricWire),
);

function readMetrics(raw: unknown, now: number): MetricValue[] {
  const r = MetricsBody.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw invalid(`metrics: ${i?.path.map(String).join('.') || 'body'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data.map((m, i) => {
    const when = m.at ?? m.datetime ?? m.date;
    const at = when === undefined ? now : typeof when === 'number' ? when : parseInstant(when, `metrics.${i}.datetime`);
    if (!Number.isFinite(m.value)) throw invalid(`metrics.${i}.value must be finite`);
    return { key: (m.key ?? m.metric)!, value: m.value, at };
  });
}

/** The routes over a running SlaService (built by the module, which owns its lifecycle). */
const slaRoutes =
  (sla: SlaService): CoreRoutes =>
  async (app) => {
    // Atos clients send HTTP basic auth: any user, the core's token as password (http/auth.ts)
    acceptBasicAuth(app);
    // answers and errors alike in JSON or XML (by Accept), the toggles and metrics in plain text
    documentRendered(app, (method) => [200, ...(method === 'POST' ? [201] : []), 400, 401, 404, 409, 503], [
      'application/json',
      'application/xml',
      'text/plain',
    ]);
    const tags = ['sla'];
    app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, b, done) => done(null, b));
    app.setErrorHandler((error: FastifyError, req, reply) => {
      // the shared mapping (docs/errors.md); only the XML rendering is the SLA API's own
      const { status, code, error: text } = describeError(error);
      if (status === 500) process.stderr.write(`osmo core: 500 on ${req.method} ${req.url}: ${error.stack ?? error.message}\n`);
      if (wantsXml(req)) return reply.status(status).type('application/xml').send(writeMessageXml(status, text));
      return reply.status(status).send(errorBody(code, text));
    });

    // ---- providers (E.5.3)
    app.get(`${PREFIX}/providers`, { schema: { tags } }, async (req, reply) => {
      const ps = await sla.repo.listProviders();
      return send(req, reply, ps, () => writeProvidersXml(ps));
    });
    app.get(`${PREFIX}/providers/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const p = await sla.provider(req.params.id);
      return send(req, reply, p, () => writeProviderXml(p));
    });
    app.post(`${PREFIX}/providers`, { schema: { tags } }, async (req, reply) => {
      const p = await sla.createProvider(sentXml(req) ? readProviderXml(xmlBody(req)) : readProviderJson(body(req)));
      return created(req, reply, 'providers', p.uuid, 'provider');
    });
    app.delete(`${PREFIX}/providers/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      await sla.removeProvider(req.params.id);
      return message(req, reply, 200, `The provider with uuid ${req.params.id} was deleted successfully`, req.params.id);
    });

    // ---- templates (E.5.4)
    const readTemplate = (req: FastifyRequest) => (sentXml(req) ? readTemplateXml(xmlBody(req)) : readTemplateJson(body(req)));
    app.get(`${PREFIX}/templates`, { schema: { tags, querystring: TemplateQuery } }, async (req, reply) => {
      const q = req.query;
      const ts = await sla.templates({
        ...(q.providerId !== undefined && { providerId: q.providerId }),
        ...(q.serviceIds !== undefined && {
          serviceIds: q.serviceIds
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }),
      });
      return send(req, reply, ts.map(writeTemplateJson), () => writeTemplatesXml(ts));
    });
    app.get(`${PREFIX}/templates/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const t = await sla.template(req.params.id);
      return send(req, reply, writeTemplateJson(t), () => writeTemplateXml(t));
    });
    app.post(`${PREFIX}/templates`, { schema: { tags } }, async (req, reply) => {
      const t = await sla.createTemplate(readTemplate(req));
      return created(req, reply, 'templates', t.templateId!, 'template');
    });
    app.put(`${PREFIX}/templates/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const t = await sla.updateTemplate(req.params.id, readTemplate(req));
      return send(req, reply, writeTemplateJson(t), () => writeTemplateXml(t));
    });
    app.delete(`${PREFIX}/templates/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      await sla.removeTemplate(req.params.id);
      return message(req, reply, 200, `The template with id ${req.params.id} was deleted successfully`, req.params.id);
    });

    // ---- agreements (E.5.5)
    app.get(`${PREFIX}/agreements`, { schema: { tags, querystring: AgreementQuery } }, async (req, reply) => {
      const { consumerId, providerId, templateId, active } = req.query;
      const as = await sla.agreements({
        ...(consumerId !== undefined && { consumerId }),
        ...(providerId !== undefined && { providerId }),
        ...(templateId !== undefined && { templateId }),
        ...(active !== undefined && { active }),
      });
      return send(req, reply, as.map(writeAgreementJson), () => writeAgreementsXml(as));
    });
    app.get(`${PREFIX}/agreements/active`, { schema: { tags } }, async (req, reply) => {
      const as = await sla.agreements({ active: true });
      return send(req, reply, as.map(writeAgreementJson), () => writeAgreementsXml(as));
    });
    app.get(`${PREFIX}/agreements/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const a = await sla.agreement(req.params.id);
      return send(req, reply, writeAgreementJson(a), () => writeAgreementXml(a));
    });
    app.post(`${PREFIX}/agreements`, { schema: { tags } }, async (req, reply) => {
      const a = await sla.createAgreement(sentXml(req) ? readAgreementXml(xmlBody(req)) : readAgreementJson(body(req)));
      return created(req, reply, 'agreements', a.agreementId!, 'agreement');
    });
    app.delete(`${PREFIX}/agreements/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      await sla.removeAgreement(req.params.id);
      return message(req, reply, 200, `The agreement id ${req.params.id} with its enforcement job was successfully deleted`, req.params.id);
    });
    app.get(`${PREFIX}/agreements/:id/context`, { schema: { tags, params: Id } }, async (req, reply) => {
      const a = await sla.agreement(req.params.id);
      return send(req, reply, contextView(a.context), () => writeContextXml(a.context));
    });
    app.get(`${PREFIX}/agreements/:id/guaranteestatus`, { schema: { tags, params: Id } }, async (req, reply) => {
      const s = await sla.guaranteeStatus(req.params.id);
      return send(req, reply, s, () => writeGuaranteeStatusXml(s));
    });

    // osmo's: terms with their last values and bindings, and the actions taken (JSON only)
    app.get(`${PREFIX}/agreements/:id/status`, { schema: { tags, params: Id } }, async (_req, reply) =>
      reply.type('application/json').send(JSON.stringify(await sla.detail(_req.params.id))),
    );

    // ---- enforcement jobs (E.5.6, E.5.9)
    app.get(`${PREFIX}/enforcements`, { schema: { tags } }, async (req, reply) => {
      const js = (await sla.repo.listJobs()).map(jobView);
      return send(req, reply, js, () => writeEnforcementsXml(js));
    });
    app.get(`${PREFIX}/enforcements/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const j = jobView(await sla.job(req.params.id));
      return send(req, reply, j, () => writeEnforcementXml(j));
    });
    app.post(`${PREFIX}/enforcements`, { schema: { tags } }, async (req, reply) => {
      // jobs are created with their agreements (E.5.6): an existing agreement already has one
      const raw = body(req) as { agreement_id?: unknown };
      const id = typeof raw === 'object' && typeof raw.agreement_id === 'string' ? raw.agreement_id : undefined;
      if (id === undefined) throw invalid('expected {"agreement_id": "..."}');
      await sla.agreement(id);
      return message(req, reply, 409, `the enforcement job of agreement ${id} exists (it is created with the agreement)`, id);
    });
    const toggle = (enabled: boolean) => async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      await sla.setEnabled(req.params.id, enabled);
      return reply
        .status(200)
        .type('text/plain')
        .send(`The enforcement job with agreement-uuid ${req.params.id} has ${enabled ? 'started' : 'stopped'}`);
    };
    app.put(`${PREFIX}/enforcements/:id/start`, { schema: { tags, params: Id } }, toggle(true));
    app.put(`${PREFIX}/enforcements/:id/stop`, { schema: { tags, params: Id } }, toggle(false));
    app.put(`${PREFIX}/modaclouds/:id/start`, { schema: { tags, params: Id } }, toggle(true));

    // ---- metrics, push mode (E.5.10)
    app.post(`${PREFIX}/metrics/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      if (sentXml(req)) throw invalid('metrics are accepted as JSON: [{"key": KPI, "value": number, "datetime": ISO 8601}]');
      await sla.push(req.params.id, readMetrics(body(req), Date.now()));
      return reply.status(200).type('text/plain').send('Metrics received');
    });

    // ---- the mediator (E.6), osmo's call: objectives -> template (+ agreement with a consumer)
    app.post(`${PREFIX}/generate`, { schema: { tags, body: GenerateBody } }, async (req, reply) => {
      const r = await sla.generate(req.body);
      return r.agreement
        ? created(req, reply, 'agreements', r.agreement.agreementId!, 'agreement')
        : created(req, reply, 'templates', r.template.templateId!, 'template');
    });

    // ---- violations, penalties (E.5.7, E.5.8)
    const recordQuery = (q: z.infer<typeof RecordQuery>) => ({
      ...(q.agreementId !== undefined && { agreementId: q.agreementId }),
      ...(q.guaranteeTerm !== undefined && { term: q.guaranteeTerm }),
      ...(q.providerId !== undefined && { providerId: q.providerId }),
      ...(q.begin !== undefined && { begin: parseInstant(q.begin, 'begin') }),
      ...(q.end !== undefined && { end: parseInstant(q.end, 'end') }),
    });
    app.get(`${PREFIX}/violations`, { schema: { tags, querystring: RecordQuery } }, async (req, reply) => {
      const vs = (await sla.repo.listRecords('sla_violations', recordQuery(req.query))).map((r) =>
        violationView(JSON.parse(r.body) as ViolationRecord),
      );
      return send(req, reply, vs, () => writeViolationsXml(vs));
    });
    app.get(`${PREFIX}/violations/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const r = await sla.repo.getRecord('sla_violations', req.params.id);
      if (!r) return message(req, reply, 404, `no violation ${req.params.id}`);
      const v = violationView(JSON.parse(r.body) as ViolationRecord);
      return send(req, reply, v, () => writeViolationXml(v));
    });
    app.get(`${PREFIX}/penalties`, { schema: { tags, querystring: RecordQuery.omit({ providerId: true }) } }, async (req, reply) => {
      const ps = (await sla.repo.listRecords('sla_penalties', recordQuery(req.query))).map((r) =>
        penaltyView(JSON.parse(r.body) as PenaltyRecord),
      );
      return send(req, reply, ps, () => writePenaltiesXml(ps));
    });
    app.get(`${PREFIX}/penalties/:id`, { schema: { tags, params: Id } }, async (req, reply) => {
      const r = await sla.repo.getRecord('sla_penalties', req.params.id);
      if (!r) return message(req, reply, 404, `no penalty ${req.params.id}`);
      const p = penaltyView(JSON.parse(r.body) as PenaltyRecord);
      return send(req, reply, p, () => writePenaltyXml(p));
    });
  };

export default slaRoutes;

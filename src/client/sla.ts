// Typed calls to the core's SLA API (/sla-service/, the Atos SLA core's paths) in JSON.
// Agreements and templates are read loosely (the Atos JSON carries many optional parts);
// the fields the CLI shows are checked.
import { z } from 'zod';
import { PenaltyViewSchema, ProviderSchema, ViolationViewSchema } from '../sla/model.js';
import type { HttpClient } from './http.js';

const enc = encodeURIComponent;
const P = '/sla-service';

const Doc = z.looseObject({
  name: z.string().nullish(),
  context: z.looseObject({
    agreementInitiator: z.string().nullish(),
    agreementResponder: z.string().nullish(),
    service: z.string().nullish(),
    templateId: z.string().nullish(),
    expirationTime: z.string().nullish(),
  }),
  terms: z.looseObject({ allTerms: z.looseObject({ guaranteeTerms: z.array(z.looseObject({ name: z.string() })).nullish() }) }),
});
export const AgreementDoc = Doc.extend({ agreementId: z.string() });
export const TemplateDoc = Doc.extend({ templateId: z.string() });
const Created = z.looseObject({ code: z.number(), elementId: z.string().optional(), message: z.string() });
export const AgreementStatus = z.object({
  agreementId: z.string(),
  status: z.string(),
  enabled: z.boolean(),
  lastExecuted: z.string().nullable(),
  terms: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      constraint: z.string(),
      lastValue: z.number().nullable(),
      observedAt: z.string().nullable(),
      mel: z.string(),
      source: z.string().nullable(),
      actions: z.array(z.string()),
    }),
  ),
  actions: z.array(z.looseObject({ at: z.string() })),
});

export type SlaAgreement = z.output<typeof AgreementDoc>;
export type SlaTemplate = z.output<typeof TemplateDoc>;
export type SlaViolation = z.output<typeof ViolationViewSchema>;
export type SlaPenalty = z.output<typeof PenaltyViewSchema>;
export type SlaStatus = z.output<typeof AgreementStatus>;

export interface RecordFilter {
  agreementId?: string | undefined;
  guaranteeTerm?: string | undefined;
  begin?: string | undefined;
  end?: string | undefined;
}

export class SlaClient {
  constructor(private readonly http: HttpClient) {}

  providers() {
    return this.http.call('GET', `${P}/providers`, { response: z.array(ProviderSchema) });
  }
  createProvider(p: { uuid: string; name: string }) {
    return this.http.call('POST', `${P}/providers`, { body: p, response: Created });
  }
  templates(q: { providerId?: string | undefined; serviceIds?: string | undefined } = {}) {
    return this.http.call('GET', `${P}/templates`, { query: q, response: z.array(TemplateDoc) });
  }
  agreements(
    q: {
      consumerId?: string | undefined;
      providerId?: string | undefined;
      templateId?: string | undefined;
      active?: boolean | undefined;
    } = {},
  ) {
    return this.http.call('GET', `${P}/agreements`, { query: q, response: z.array(AgreementDoc) });
  }
  agreement(id: string) {
    return this.http.call('GET', `${P}/agreements/${enc(id)}`, { response: AgreementDoc });
  }
  /** osmo's view: terms with status, last value, binding; the actions taken */
  status(id: string) {
    return this.http.call('GET', `${P}/agreements/${enc(id)}/status`, { response: AgreementStatus });
  }
  violations(q: RecordFilter & { providerId?: string | undefined } = {}) {
    return this.http.call('GET', `${P}/violations`, { query: { ...q }, response: z.array(ViolationViewSchema) });
  }
  penalties(q: RecordFilter = {}) {
    return this.http.call('GET', `${P}/penalties`, { query: { ...q }, response: z.array(PenaltyViewSchema) });
  }
  /** start or stop an agreement's enforcement job (text answer) */
  async enforcement(id: string, action: 'start' | 'stop'): Promise<void> {
    await this.http.call('PUT', `${P}/enforcements/${enc(id)}/${action}`, { response: z.unknown() });
  }
  /** the mediator (E.6): a template from the MEL's slo block and, with a consumer, an agreement */
  generate(body: {
    service: string;
    provider: string;
    consumer?: string | undefined;
    expirationTime?: string | undefined;
    templateId?: string | undefined;
    agreementId?: string | undefined;
    slo?: unknown;
  }) {
    return this.http.call('POST', `${P}/generate`, { body, response: Created });
  }
}

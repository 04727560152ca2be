// The WS-Agreement model as the Atos SLA core serialises it in JSON (camelCase, one
// `terms.allTerms` block), normalised: every repeated term is an array, nulls are absent.
// These schemas describe osmo's canonical in-memory form; the wire readers (json.ts,
// xml.ts) accept the Atos variants and map them onto it.
import { z } from 'zod';

export const ProviderSchema = z.object({
  uuid: z.string().min(1),
  name: z.string().min(1),
});
export type Provider = z.infer<typeof ProviderSchema>;

export const ContextSchema = z.object({
  agreementInitiator: z.string().optional(),
  agreementResponder: z.string().optional(),
  /** who offers the service: `AgreementResponder` (default) or `AgreementInitiator` */
  serviceProvider: z.string().optional(),
  /** kept as written (the Atos samples use zone names like `CET`, not ISO offsets) */
  expirationTime: z.string().optional(),
  templateId: z.string().optional(),
  service: z.string().optional(),
});
export type Context = z.infer<typeof ContextSchema>;

export const ServiceDescriptionTermSchema = z.object({
  name: z.string().optional(),
  serviceName: z.string().optional(),
  value: z.string().optional(),
});

export const VariableSchema = z.object({
  name: z.string().min(1),
  metric: z.string().optional(),
  location: z.string().optional(),
});

export const ServicePropertiesSchema = z.object({
  name: z.string().optional(),
  serviceName: z.string().optional(),
  variableSet: z.object({ variables: z.array(VariableSchema) }).optional(),
});
export type ServiceProperties = z.infer<typeof ServicePropertiesSchema>;

export const PenaltyDefinitionSchema = z.object({
  type: z.string().min(1),
  expression: z.string(),
  unit: z.string(),
  /** ISO 8601 duration, e.g. P1D */
  validity: z.string(),
});
export type PenaltyDefinition = z.infer<typeof PenaltyDefinitionSchema>;

/** sla:CustomBusinessValue: `count` violations within `duration` raise each penalty. */
export const CustomBusinessValueSchema = z.object({
  count: z.number().int().min(1),
  duration: z.string().min(1),
  penalties: z.array(PenaltyDefinitionSchema),
});
export type CustomBusinessValue = z.infer<typeof CustomBusinessValueSchema>;

export const BusinessValueListSchema = z.object({
  importance: z.number().int().optional(),
  customBusinessValue: z.array(CustomBusinessValueSchema),
});
export type BusinessValueList = z.infer<typeof BusinessValueListSchema>;

export const KpiTargetSchema = z.object({
  kpiName: z.string().min(1),
  /** the JSON text `{"constraint": "KPI OP VALUES", "policies": …, "qos": …}` (service-level.ts) */
  customServiceLevel: z.string().optional(),
});

export const GuaranteeTermSchema = z.object({
  name: z.string().min(1),
  obligated: z.string().optional(),
  serviceScope: z.object({ serviceName: z.string().optional(), value: z.string().optional() }).optional(),
  qualifyingCondition: z.string().optional(),
  serviceLevelObjective: z.object({ kpitarget: KpiTargetSchema }),
  businessValueList: BusinessValueListSchema.optional(),
});
export type GuaranteeTerm = z.infer<typeof GuaranteeTermSchema>;

export const TermsSchema = z.object({
  serviceDescriptionTerms: z.array(ServiceDescriptionTermSchema),
  serviceProperties: z.array(ServicePropertiesSchema),
  guaranteeTerms: z.array(GuaranteeTermSchema),
});
export type Terms = z.infer<typeof TermsSchema>;

export const TemplateSchema = z.object({
  templateId: z.string().min(1).optional(),
  name: z.string().optional(),
  context: ContextSchema,
  terms: TermsSchema,
});
export type Template = z.infer<typeof TemplateSchema>;

export const AgreementSchema = z.object({
  agreementId: z.string().min(1).optional(),
  name: z.string().optional(),
  context: ContextSchema,
  terms: TermsSchema,
});
export type Agreement = z.infer<typeof AgreementSchema>;

export const GUARANTEE_STATUS = ['NON_DETERMINED', 'FULFILLED', 'VIOLATED'] as const;
export type GuaranteeState = (typeof GUARANTEE_STATUS)[number];

/** GET /agreements/{id}/guaranteestatus, JSON shape as E.5.5 prints it. */
export const GuaranteeStatusSchema = z.object({
  AgreementId: z.string(),
  guaranteestatus: z.enum(GUARANTEE_STATUS),
  guaranteeterms: z.array(z.object({ name: z.string(), status: z.enum(GUARANTEE_STATUS) })),
});
export type GuaranteeStatus = z.infer<typeof GuaranteeStatusSchema>;

/** GET /agreements/{id}/context, JSON shape as E.5.5 prints it (PascalCase, unlike the agreement). */
export const ContextViewSchema = z.object({
  AgreementInitiator: z.string().optional(),
  AgreementResponder: z.string().optional(),
  ServiceProvider: z.string().optional(),
  ExpirationTime: z.string().optional(),
  TemplateId: z.string().optional(),
  Service: z.string().optional(),
});
export type ContextView = z.infer<typeof ContextViewSchema>;

/** Enforcement job, JSON shape as E.5.6 prints it. */
export const EnforcementJobSchema = z.object({
  agreement_id: z.string(),
  enabled: z.boolean(),
  last_executed: z.string().optional(),
});
export type EnforcementJob = z.infer<typeof EnforcementJobSchema>;

/**
 * Violation, JSON shape as E.5.7 prints it, plus the expected value, the breaches that made
 * it and the policy (issue 11). `actual_value` is a string as in the seed.
 */
export const ViolationViewSchema = z.object({
  uuid: z.string(),
  datetime: z.string(),
  contract_uuid: z.string(),
  service_name: z.string(),
  service_scope: z.string(),
  metric_name: z.string(),
  actual_value: z.string(),
  expected_value: z.string().optional(),
  breaches: z.number().int().optional(),
  policy: z.object({ count: z.number().int(), interval: z.string() }).optional(),
});
export type ViolationView = z.infer<typeof ViolationViewSchema>;

/** Penalty, JSON shape as E.5.8 prints it. */
export const PenaltyViewSchema = z.object({
  uuid: z.string(),
  datetime: z.string(),
  definition: PenaltyDefinitionSchema,
  agreement: z.string(),
});
export type PenaltyView = z.infer<typeof PenaltyViewSchema>;

export const emptyTerms = (): Terms => ({ serviceDescriptionTerms: [], serviceProperties: [], guaranteeTerms: [] });

/** osmo's status of an agreement (GET /sla-service/agreements/{id}/status): each term with its last value and binding, and the actions taken. */
export interface AgreementDetail {
  agreementId: string;
  status: string;
  enabled: boolean;
  lastExecuted: string | null;
  terms: {
    name: string;
    status: string;
    constraint: string;
    lastValue: number | null;
    observedAt: string | null;
    mel: string;
    source: string | null;
    actions: string[];
  }[];
  actions: Record<string, unknown>[];
}

// JSON renderings of templates and agreements as Atos clients send and read them: camelCase,
// terms under `terms.allTerms`, nulls for absent parts, a single `serviceDescriptionTerm`
// object, `serviceLevelObjetive` (sic) as well as `serviceLevelObjective`, `kpitarget` or
// `kpiTarget`, and the context's keys in camelCase or (as GET …/context prints them) PascalCase.
// Readers accept all of those; writers emit one spelling (the correct one, `kpitarget`).
import { z } from 'zod';
import { invalid } from '../shared/errors.js';
import {
  AgreementSchema,
  BusinessValueListSchema,
  ContextSchema,
  ProviderSchema,
  ServiceDescriptionTermSchema,
  ServicePropertiesSchema,
  TemplateSchema,
  type Agreement,
  type Context,
  type ContextView,
  type GuaranteeTerm,
  type Provider,
  type Template,
  type Terms,
} from './model.js';

/** Drops nulls (Atos writes `null` for every absent part) so optional fields read as absent. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(dropNulls);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

const CONTEXT_KEYS: Record<string, keyof Context> = {
  AgreementInitiator: 'agreementInitiator',
  AgreementResponder: 'agreementResponder',
  ServiceProvider: 'serviceProvider',
  ExpirationTime: 'expirationTime',
  TemplateId: 'templateId',
  Service: 'service',
};

const WireContext = z.preprocess((v) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[CONTEXT_KEYS[k] ?? k] = x;
  return out;
}, ContextSchema);

const WireKpiTarget = z
  .object({ kpitarget: z.unknown().optional(), kpiTarget: z.unknown().optional() })
  .transform((s) => s.kpitarget ?? s.kpiTarget)
  .pipe(
    z.object(
      { kpiName: z.string().min(1), customServiceLevel: z.string().optional() },
      { error: 'kpitarget {kpiName, customServiceLevel} is required' },
    ),
  );

const WireGuaranteeTerm = z
  .object({
    name: z.string().min(1),
    obligated: z.string().optional(),
    serviceScope: z.object({ serviceName: z.string().optional(), value: z.string().optional() }).optional(),
    qualifyingCondition: z.string().optional(),
    serviceLevelObjective: WireKpiTarget.optional(),
    serviceLevelObjetive: WireKpiTarget.optional(),
    businessValueList: BusinessValueListSchema.optional(),
  })
  .transform((g, ctx): GuaranteeTerm => {
    const kpitarget = g.serviceLevelObjective ?? g.serviceLevelObjetive;
    if (!kpitarget) {
      ctx.addIssue({ code: 'custom', message: 'serviceLevelObjective (or serviceLevelObjetive) is required' });
      return z.NEVER;
    }
    const out: GuaranteeTerm = { name: g.name, serviceLevelObjective: { kpitarget } };
    if (g.obligated !== undefined) out.obligated = g.obligated;
    if (g.serviceScope !== undefined) out.serviceScope = g.serviceScope;
    if (g.qualifyingCondition !== undefined) out.qualifyingCondition = g.qualifyingCondition;
    if (g.businessValueList !== undefined) out.businessValueList = g.businessValueList;
    return out;
  });

// one object or a list of them (Atos writes a lone serviceDescriptionTerm as an object); not
// a union, so that an error inside an element keeps its own message and path
const oneOrMany = <T extends z.ZodType>(s: T) =>
  z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(s).optional());

const WireTerms = z
  .object({
    allTerms: z
      .object({
        serviceDescriptionTerm: oneOrMany(ServiceDescriptionTermSchema),
        serviceDescriptionTerms: oneOrMany(ServiceDescriptionTermSchema),
        serviceProperties: oneOrMany(ServicePropertiesSchema),
        guaranteeTerms: oneOrMany(WireGuaranteeTerm),
      })
      .optional(),
  })
  .optional()
  .transform((t): Terms => ({
    serviceDescriptionTerms: t?.allTerms?.serviceDescriptionTerms ?? t?.allTerms?.serviceDescriptionTerm ?? [],
    serviceProperties: t?.allTerms?.serviceProperties ?? [],
    guaranteeTerms: t?.allTerms?.guaranteeTerms ?? [],
  }));

const WireTemplate = z.object({
  templateId: z.string().min(1).optional(),
  name: z.string().optional(),
  context: WireContext.optional().transform((c) => c ?? {}),
  terms: WireTerms,
});
const WireAgreement = z.object({
  agreementId: z.string().min(1).optional(),
  name: z.string().optional(),
  context: WireContext.optional().transform((c) => c ?? {}),
  terms: WireTerms,
});

function read<T>(schema: z.ZodType<T>, what: string, body: unknown): T {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(`${what}: expected a JSON object`);
  const r = schema.safeParse(dropNulls(body));
  if (!r.success) {
    const i = r.error.issues[0];
    throw invalid(`${what}: ${i?.path.length ? i.path.join('.') + ': ' : ''}${i?.message ?? 'invalid'}`, { issues: r.error.issues });
  }
  return r.data;
}

/** Reads a template from its parsed JSON; throws an `invalid` OsmoError naming the field. */
export const readTemplateJson = (body: unknown): Template => TemplateSchema.parse(read(WireTemplate, 'template', body));
/** Reads an agreement from its parsed JSON; throws an `invalid` OsmoError naming the field. */
export const readAgreementJson = (body: unknown): Agreement => AgreementSchema.parse(read(WireAgreement, 'agreement', body));
/** Reads a provider `{uuid, name}`. */
export const readProviderJson = (body: unknown): Provider => read(ProviderSchema, 'provider', body);

function termsJson(t: Terms): Record<string, unknown> {
  const allTerms: Record<string, unknown> = {};
  if (t.serviceDescriptionTerms.length === 1) allTerms.serviceDescriptionTerm = t.serviceDescriptionTerms[0];
  else if (t.serviceDescriptionTerms.length > 1) allTerms.serviceDescriptionTerm = t.serviceDescriptionTerms;
  allTerms.serviceProperties = t.serviceProperties;
  allTerms.guaranteeTerms = t.guaranteeTerms;
  return { allTerms };
}

/** The Atos JSON of a template. */
export function writeTemplateJson(t: Template): Record<string, unknown> {
  return {
    ...(t.templateId !== undefined && { templateId: t.templateId }),
    ...(t.name !== undefined && { name: t.name }),
    context: t.context,
    terms: termsJson(t.terms),
  };
}

/** The Atos JSON of an agreement. */
export function writeAgreementJson(a: Agreement): Record<string, unknown> {
  return {
    ...(a.agreementId !== undefined && { agreementId: a.agreementId }),
    ...(a.name !== undefined && { name: a.name }),
    context: a.context,
    terms: termsJson(a.terms),
  };
}

/** GET /agreements/{id}/context: the PascalCase keys E.5.5 prints. */
export function contextView(c: Context): ContextView {
  const out: ContextView = {};
  for (const [pascal, camel] of Object.entries(CONTEXT_KEYS)) {
    const v = c[camel];
    if (v !== undefined) out[pascal as keyof ContextView] = v;
  }
  return out;
}

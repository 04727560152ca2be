// WS-Agreement XML renderings (wsag:Template, wsag:Agreement, wsag:Context) and the Atos SLA
// core's plain XML for providers, enforcement jobs, violations, penalties, guarantee status
// and messages, through fast-xml-parser. Reading ignores namespace prefixes (clients choose
// their own) and comments; writing uses the prefixes the Atos core prints, `wsag` and `sla`.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { invalid } from '../shared/errors.js';
import {
  AgreementSchema,
  GuaranteeStatusSchema,
  ProviderSchema,
  TemplateSchema,
  type Agreement,
  type BusinessValueList,
  type Context,
  type EnforcementJob,
  type GuaranteeStatus,
  type GuaranteeTerm,
  type PenaltyView,
  type Provider,
  type ServiceProperties,
  type Template,
  type Terms,
  type ViolationView,
} from './model.js';

export const WSAG_NS = 'http://www.ggf.org/namespaces/ws-agreement';
export const SLA_NS = 'http://sla.atos.eu';

const REPEATED = new Set([
  'ServiceDescriptionTerm',
  'ServiceProperties',
  'Variable',
  'GuaranteeTerm',
  'CustomBusinessValue',
  'Penalty',
  'provider',
  'enforcement_job',
  'violation',
  'penalty',
  'guaranteetermstatus',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: '#text',
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => REPEATED.has(name),
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  format: true,
  suppressEmptyNode: true,
  // escaping is done here (escText/escAttr) so that the JSON inside CustomServiceLevel keeps
  // its quotes readable, as in the Atos samples
  processEntities: false,
});

const escText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string) => escText(s).replace(/"/g, '&quot;');

type Node = Record<string, unknown>;

/** Parses XML text into a tree; a syntax error is an `invalid` OsmoError naming line and column. */
export function parseXml(text: string): Node {
  // no document type declarations: their entities are the classic expansion bombs, and no
  // WS-Agreement document needs one
  if (/<!DOCTYPE/i.test(text)) throw invalid('XML with a DOCTYPE declaration is not accepted');
  const v = XMLValidator.validate(text);
  if (v !== true) throw invalid(`malformed XML at line ${v.err.line}, column ${v.err.col}: ${v.err.msg}`);
  return parser.parse(text) as Node;
}

function root(text: string, name: string): Node {
  const doc = parseXml(text);
  const el = doc[name];
  if (el === undefined) throw invalid(`expected a <${name}> element, found <${Object.keys(doc)[0] ?? 'nothing'}>`);
  return typeof el === 'object' && el !== null ? (el as Node) : {};
}

const text = (n: unknown): string | undefined => {
  if (n === undefined || n === null) return undefined;
  if (typeof n === 'string') return n;
  if (typeof n === 'object' && '#text' in (n as Node)) return String((n as Node)['#text']);
  if (typeof n === 'object') return '';
  return String(n);
};
const attr = (n: unknown, name: string): string | undefined =>
  n && typeof n === 'object' ? (((n as Node)[`@_${name}`] as string | undefined) ?? undefined) : undefined;
const child = (n: unknown, name: string): unknown => (n && typeof n === 'object' ? (n as Node)[name] : undefined);
const children = (n: unknown, name: string): unknown[] => {
  const c = child(n, name);
  return c === undefined ? [] : Array.isArray(c) ? c : [c];
};
function set<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}
function int(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(s)) throw invalid(`${what}: "${s}" is not an integer`);
  return Number(s);
}

// ---- reading --------------------------------------------------------------------------

function readContext(n: unknown): Context {
  const c: Context = {};
  set(c, 'agreementInitiator', text(child(n, 'AgreementInitiator')));
  set(c, 'agreementResponder', text(child(n, 'AgreementResponder')));
  set(c, 'serviceProvider', text(child(n, 'ServiceProvider')));
  set(c, 'expirationTime', text(child(n, 'ExpirationTime')));
  set(c, 'templateId', text(child(n, 'TemplateId')));
  set(c, 'service', text(child(n, 'Service')));
  return c;
}

function readBusinessValues(n: unknown, term: string): BusinessValueList {
  const bv: BusinessValueList = { customBusinessValue: [] };
  set(bv, 'importance', int(text(child(n, 'Importance')), `GuaranteeTerm ${term}: Importance`));
  for (const c of children(n, 'CustomBusinessValue')) {
    const count = int(attr(c, 'count'), `GuaranteeTerm ${term}: CustomBusinessValue count`);
    const duration = attr(c, 'duration');
    if (count === undefined || duration === undefined)
      throw invalid(`GuaranteeTerm ${term}: CustomBusinessValue needs count and duration attributes`);
    bv.customBusinessValue.push({
      count,
      duration,
      penalties: children(c, 'Penalty').map((p) => ({
        type: attr(p, 'type') ?? '',
        expression: attr(p, 'expression') ?? '',
        unit: attr(p, 'unit') ?? '',
        validity: attr(p, 'validity') ?? '',
      })),
    });
  }
  return bv;
}

function readGuaranteeTerm(n: unknown): GuaranteeTerm {
  const name = attr(n, 'Name') ?? '';
  const kpi = child(child(n, 'ServiceLevelObjective'), 'KPITarget');
  const kpiName = text(child(kpi, 'KPIName'));
  if (!kpiName) throw invalid(`GuaranteeTerm ${name || '(unnamed)'}: ServiceLevelObjective/KPITarget/KPIName is required`);
  const gt: GuaranteeTerm = { name, serviceLevelObjective: { kpitarget: { kpiName } } };
  set(gt.serviceLevelObjective.kpitarget, 'customServiceLevel', text(child(kpi, 'CustomServiceLevel')));
  set(gt, 'obligated', attr(n, 'Obligated'));
  const scope = child(n, 'ServiceScope');
  if (scope !== undefined) {
    const s: NonNullable<GuaranteeTerm['serviceScope']> = {};
    set(s, 'serviceName', attr(scope, 'ServiceName'));
    const v = text(scope);
    if (v) s.value = v;
    gt.serviceScope = s;
  }
  set(gt, 'qualifyingCondition', text(child(n, 'QualifyingCondition')));
  const bvl = child(n, 'BusinessValueList');
  if (bvl !== undefined) gt.businessValueList = readBusinessValues(bvl, name);
  return gt;
}

function readServiceProperties(n: unknown): ServiceProperties {
  const sp: ServiceProperties = {};
  set(sp, 'name', attr(n, 'Name'));
  set(sp, 'serviceName', attr(n, 'ServiceName'));
  // the Atos samples write both VariableSet and Variables
  const set0 = child(n, 'VariableSet') ?? child(n, 'Variables');
  if (set0 !== undefined) {
    sp.variableSet = {
      variables: children(set0, 'Variable').map((v) => {
        const out: { name: string; metric?: string; location?: string } = { name: attr(v, 'Name') ?? '' };
        set(out, 'metric', attr(v, 'Metric'));
        set(out, 'location', text(child(v, 'Location')));
        return out;
      }),
    };
  }
  return sp;
}

function readTerms(n: unknown): Terms {
  const all = child(n, 'All');
  return {
    serviceDescriptionTerms: children(all, 'ServiceDescriptionTerm').map((s) => {
      const out: Terms['serviceDescriptionTerms'][number] = {};
      set(out, 'name', attr(s, 'Name'));
      set(out, 'serviceName', attr(s, 'ServiceName'));
      const v = text(s);
      if (v) out.value = v;
      return out;
    }),
    serviceProperties: children(all, 'ServiceProperties').map(readServiceProperties),
    guaranteeTerms: children(all, 'GuaranteeTerm').map(readGuaranteeTerm),
  };
}

function checked<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  what: string,
  v: unknown,
): T {
  const r = schema.safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0];
    throw invalid(`${what}: ${i?.path.map(String).join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Reads a `<wsag:Template>` document. */
export function readTemplateXml(xml: string): Template {
  const n = root(xml, 'Template');
  const t: Template = { context: readContext(child(n, 'Context')), terms: readTerms(child(n, 'Terms')) };
  set(t, 'templateId', attr(n, 'TemplateId'));
  set(t, 'name', text(child(n, 'Name')));
  return checked(TemplateSchema, 'template', t);
}

/** Reads a `<wsag:Agreement>` document. */
export function readAgreementXml(xml: string): Agreement {
  const n = root(xml, 'Agreement');
  const a: Agreement = { context: readContext(child(n, 'Context')), terms: readTerms(child(n, 'Terms')) };
  set(a, 'agreementId', attr(n, 'AgreementId'));
  set(a, 'name', text(child(n, 'Name')));
  return checked(AgreementSchema, 'agreement', a);
}

/** Reads `<provider><uuid/><name/></provider>`. */
export function readProviderXml(xml: string): Provider {
  const n = root(xml, 'provider');
  const el = Array.isArray(n) ? n[0] : n;
  return checked(ProviderSchema, 'provider', { uuid: text(child(el, 'uuid')), name: text(child(el, 'name')) });
}

// ---- writing --------------------------------------------------------------------------

const DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function build(tree: Node): string {
  return DECL + builder.build(tree);
}

function contextXml(c: Context): Node {
  const n: Node = {};
  if (c.agreementInitiator !== undefined) n['wsag:AgreementInitiator'] = escText(c.agreementInitiator);
  if (c.agreementResponder !== undefined) n['wsag:AgreementResponder'] = escText(c.agreementResponder);
  if (c.serviceProvider !== undefined) n['wsag:ServiceProvider'] = escText(c.serviceProvider);
  if (c.expirationTime !== undefined) n['wsag:ExpirationTime'] = escText(c.expirationTime);
  if (c.templateId !== undefined) n['wsag:TemplateId'] = escText(c.templateId);
  if (c.service !== undefined) n['sla:Service'] = escText(c.service);
  return n;
}

const withAttrs = (attrs: Record<string, string | undefined>, body: Node | string | undefined): Node => {
  const n: Node = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) n[`@_${k}`] = escAttr(v);
  if (typeof body === 'string') n['#text'] = escText(body);
  else if (body) Object.assign(n, body);
  return n;
};

function guaranteeTermXml(g: GuaranteeTerm): Node {
  const body: Node = {};
  if (g.serviceScope) body['wsag:ServiceScope'] = withAttrs({ 'wsag:ServiceName': g.serviceScope.serviceName }, g.serviceScope.value);
  if (g.qualifyingCondition !== undefined) body['wsag:QualifyingCondition'] = escText(g.qualifyingCondition);
  const k = g.serviceLevelObjective.kpitarget;
  const kpi: Node = { 'wsag:KPIName': escText(k.kpiName) };
  if (k.customServiceLevel !== undefined) kpi['wsag:CustomServiceLevel'] = escText(k.customServiceLevel);
  body['wsag:ServiceLevelObjective'] = { 'wsag:KPITarget': kpi };
  if (g.businessValueList) {
    const bv: Node = {};
    if (g.businessValueList.importance !== undefined) bv['wsag:Importance'] = String(g.businessValueList.importance);
    bv['sla:CustomBusinessValue'] = g.businessValueList.customBusinessValue.map((c) =>
      withAttrs(
        { count: String(c.count), duration: c.duration },
        {
          'sla:Penalty': c.penalties.map((p) =>
            withAttrs({ type: p.type, expression: p.expression, unit: p.unit, validity: p.validity }, undefined),
          ),
        },
      ),
    );
    body['wsag:BusinessValueList'] = bv;
  }
  return withAttrs({ 'wsag:Name': g.name, 'wsag:Obligated': g.obligated }, body);
}

function termsXml(t: Terms): Node {
  return {
    'wsag:All': {
      'wsag:ServiceDescriptionTerm': t.serviceDescriptionTerms.map((s) =>
        withAttrs({ 'wsag:Name': s.name, 'wsag:ServiceName': s.serviceName }, s.value),
      ),
      'wsag:ServiceProperties': t.serviceProperties.map((p) =>
        withAttrs(
          { 'wsag:Name': p.name, 'wsag:ServiceName': p.serviceName },
          p.variableSet && {
            'wsag:VariableSet': {
              'wsag:Variable': p.variableSet.variables.map((v) =>
                withAttrs(
                  { 'wsag:Name': v.name, 'wsag:Metric': v.metric },
                  v.location !== undefined ? { 'wsag:Location': escText(v.location) } : undefined,
                ),
              ),
            },
          },
        ),
      ),
      'wsag:GuaranteeTerm': t.guaranteeTerms.map(guaranteeTermXml),
    },
  };
}

const NS = { '@_xmlns:wsag': WSAG_NS, '@_xmlns:sla': SLA_NS };

function documentXml(tag: 'Template' | 'Agreement', idAttr: string, id: string | undefined, d: Template | Agreement): string {
  const body: Node = { ...NS };
  if (id !== undefined) body[`@_wsag:${idAttr}`] = escAttr(id);
  if (d.name !== undefined) body['wsag:Name'] = escText(d.name);
  body['wsag:Context'] = contextXml(d.context);
  body['wsag:Terms'] = termsXml(d.terms);
  return build({ [`wsag:${tag}`]: body });
}

/** A `<wsag:Template>` document. */
export const writeTemplateXml = (t: Template): string => documentXml('Template', 'TemplateId', t.templateId, t);
/** A `<wsag:Agreement>` document. */
export const writeAgreementXml = (a: Agreement): string => documentXml('Agreement', 'AgreementId', a.agreementId, a);
/** GET /agreements/{id}/context in XML: a `<wsag:Context>` element. */
export const writeContextXml = (c: Context): string => build({ 'wsag:Context': { ...NS, ...contextXml(c) } });

const providerNode = (p: Provider): Node => ({ uuid: escText(p.uuid), name: escText(p.name) });
const jobNode = (j: EnforcementJob): Node => ({
  agreement_id: escText(j.agreement_id),
  enabled: String(j.enabled),
  ...(j.last_executed !== undefined && { last_executed: escText(j.last_executed) }),
});
const violationNode = (v: ViolationView): Node => {
  const n: Node = {
    uuid: escText(v.uuid),
    contract_uuid: escText(v.contract_uuid),
    service_name: escText(v.service_name),
    service_scope: escText(v.service_scope),
    metric_name: escText(v.metric_name),
    datetime: escText(v.datetime),
    actual_value: escText(v.actual_value),
  };
  if (v.expected_value !== undefined) n.expected_value = escText(v.expected_value);
  if (v.breaches !== undefined) n.breaches = String(v.breaches);
  if (v.policy) n.policy = withAttrs({ count: String(v.policy.count), interval: v.policy.interval }, undefined);
  return n;
};
const penaltyNode = (p: PenaltyView): Node => ({
  uuid: escText(p.uuid),
  agreement: escText(p.agreement),
  datetime: escText(p.datetime),
  definition: withAttrs({ ...p.definition }, undefined),
});

export const writeProviderXml = (p: Provider): string => build({ provider: providerNode(p) });
export const writeProvidersXml = (ps: Provider[]): string => build({ providers: { provider: ps.map(providerNode) } });
export const writeTemplatesXml = (ts: Template[]): string =>
  DECL +
  `<templates xmlns:wsag="${WSAG_NS}" xmlns:sla="${SLA_NS}">\n` +
  ts.map((t) => strip(writeTemplateXml(t))).join('') +
  '</templates>\n';
export const writeAgreementsXml = (as: Agreement[]): string =>
  DECL +
  `<agreements xmlns:wsag="${WSAG_NS}" xmlns:sla="${SLA_NS}">\n` +
  as.map((a) => strip(writeAgreementXml(a))).join('') +
  '</agreements>\n';
export const writeEnforcementXml = (j: EnforcementJob): string => build({ enforcement_job: jobNode(j) });
export const writeEnforcementsXml = (js: EnforcementJob[]): string => build({ enforcement_jobs: { enforcement_job: js.map(jobNode) } });
export const writeViolationXml = (v: ViolationView): string => build({ violation: violationNode(v) });
export const writeViolationsXml = (vs: ViolationView[]): string => build({ violations: { violation: vs.map(violationNode) } });
export const writePenaltyXml = (p: PenaltyView): string => build({ penalty: penaltyNode(p) });
export const writePenaltiesXml = (ps: PenaltyView[]): string => build({ penalties: { penalty: ps.map(penaltyNode) } });
export const writeGuaranteeStatusXml = (s: GuaranteeStatus): string =>
  build({
    guaranteestatus: withAttrs(
      { AgreementId: s.AgreementId, value: s.guaranteestatus },
      { guaranteetermstatus: s.guaranteeterms.map((t) => withAttrs({ name: t.name, value: t.status }, undefined)) },
    ),
  });
/** The Atos core's `<message code="…" message="…"/>` (created, removed, errors). */
export const writeMessageXml = (code: number, message: string, elementId?: string): string =>
  build({ message: withAttrs({ code: String(code), ...(elementId !== undefined && { elementId }), message }, undefined) });

// a nested document inside a list loses its own declaration and namespace declarations
function strip(doc: string): string {
  return doc.replace(DECL, '').replace(` xmlns:wsag="${WSAG_NS}" xmlns:sla="${SLA_NS}"`, '');
}

// ---- reading the plain Atos elements (clients' side, and the seed samples' round trip) ----

/** Reads `<wsag:Context>` (GET …/context) into the model's context. */
export const readContextXml = (xml: string): Context => readContext(root(xml, 'Context'));

/** Reads `<enforcement_job>`. */
export function readEnforcementXml(xml: string): EnforcementJob {
  const n = root(xml, 'enforcement_job');
  const el = Array.isArray(n) ? n[0] : n;
  const enabled = text(child(el, 'enabled'));
  if (enabled !== 'true' && enabled !== 'false') throw invalid('enforcement_job: enabled must be true or false');
  const j: EnforcementJob = { agreement_id: text(child(el, 'agreement_id')) ?? '', enabled: enabled === 'true' };
  set(j, 'last_executed', text(child(el, 'last_executed')));
  return j;
}

/** Reads `<violation>`; absent strings read as empty (the seed's XML sample has no service_name). */
export function readViolationXml(xml: string): ViolationView {
  const n = root(xml, 'violation');
  const el = Array.isArray(n) ? n[0] : n;
  const s = (k: string) => text(child(el, k)) ?? '';
  const v: ViolationView = {
    uuid: s('uuid'),
    datetime: s('datetime'),
    contract_uuid: s('contract_uuid'),
    service_name: s('service_name'),
    service_scope: s('service_scope'),
    metric_name: s('metric_name'),
    actual_value: s('actual_value'),
  };
  set(v, 'expected_value', text(child(el, 'expected_value')));
  set(v, 'breaches', int(text(child(el, 'breaches')), 'violation breaches'));
  const p = child(el, 'policy');
  if (p !== undefined) v.policy = { count: int(attr(p, 'count'), 'violation policy count') ?? 1, interval: attr(p, 'interval') ?? '' };
  return v;
}

/** Reads `<penalty>`. */
export function readPenaltyXml(xml: string): PenaltyView {
  const n = root(xml, 'penalty');
  const el = Array.isArray(n) ? n[0] : n;
  const d = child(el, 'definition');
  return {
    uuid: text(child(el, 'uuid')) ?? '',
    agreement: text(child(el, 'agreement')) ?? '',
    datetime: text(child(el, 'datetime')) ?? '',
    definition: {
      type: attr(d, 'type') ?? '',
      expression: attr(d, 'expression') ?? '',
      unit: attr(d, 'unit') ?? '',
      validity: attr(d, 'validity') ?? '',
    },
  };
}

/** Reads `<guaranteestatus AgreementId value><guaranteetermstatus name value/>…`. */
export function readGuaranteeStatusXml(xml: string): GuaranteeStatus {
  const n = root(xml, 'guaranteestatus');
  return checked(GuaranteeStatusSchema, 'guaranteestatus', {
    AgreementId: attr(n, 'AgreementId'),
    guaranteestatus: attr(n, 'value'),
    guaranteeterms: children(n, 'guaranteetermstatus').map((t) => ({ name: attr(t, 'name'), status: attr(t, 'value') })),
  });
}

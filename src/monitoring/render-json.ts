// The OCCI JSON rendering (GFD.226, media type application/occi+json) of categories,
// entities, collections and the query interface. Outputs are plain objects; each matches
// the corresponding definition of the document's JSON schema (checked in the tests).
import type { ActionCategory, AttributeDef, Category, KindCategory, MixinCategory } from './category.js';
import type { Entity, LinkEntity, ResourceEntity } from './entity.js';
import type { Registry } from './registry.js';

export const OCCI_JSON = 'application/occi+json';

type Json = Record<string, unknown>;

function attributeDescription(a: AttributeDef): Json {
  const d: Json = { type: a.type, mutable: a.mutable ?? false, required: a.required ?? false };
  if (a.default !== undefined) d.default = a.default;
  if (a.description !== undefined) d.description = a.description;
  if (a.enum || a.minimum !== undefined || a.integer) {
    d.pattern = {
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: a.integer ? 'integer' : a.type,
      ...(a.enum ? { enum: [...a.enum] } : {}),
      ...(a.minimum !== undefined ? { minimum: a.minimum } : {}),
    };
  }
  return d;
}

function attributeDescriptions(defs: readonly AttributeDef[]): Json | undefined {
  if (defs.length === 0) return undefined;
  return Object.fromEntries(defs.map((a) => [a.name, attributeDescription(a)]));
}

const opt = (k: string, v: unknown): Json => (v === undefined || (Array.isArray(v) && v.length === 0) ? {} : { [k]: v });

export function renderKind(k: KindCategory): Json {
  return {
    term: k.term,
    scheme: k.scheme,
    ...opt('title', k.title),
    ...opt('attributes', attributeDescriptions(k.attributes)),
    ...opt('actions', [...k.actions]),
    ...opt('parent', k.parent),
    ...opt('location', k.location),
  };
}

export function renderMixin(m: MixinCategory): Json {
  return {
    term: m.term,
    scheme: m.scheme,
    ...opt('title', m.title),
    ...opt('attributes', attributeDescriptions(m.attributes)),
    ...opt('actions', [...m.actions]),
    ...opt('depends', [...m.depends]),
    ...opt('applies', [...m.applies]),
    location: m.location,
  };
}

export function renderAction(a: ActionCategory): Json {
  return { term: a.term, scheme: a.scheme, ...opt('title', a.title), ...opt('attributes', attributeDescriptions(a.attributes)) };
}

/** The query interface's answer (the schema's `model` definition without entities). */
export function renderQueryInterface(categories: readonly Category[]): { kinds: Json[]; mixins: Json[]; actions: Json[] } {
  return {
    kinds: categories.filter((c): c is KindCategory => c.class === 'kind').map(renderKind),
    mixins: categories.filter((c): c is MixinCategory => c.class === 'mixin').map(renderMixin),
    actions: categories.filter((c): c is ActionCategory => c.class === 'action').map(renderAction),
  };
}

/** The actions an entity offers now, as type identifiers (a stopped sensor offers start, and so on). */
export type ActionsOf = (e: Entity) => string[];

const kindActions =
  (reg: Registry): ActionsOf =>
  (e) => [...(reg.kind(e.kind)?.actions ?? [])];

export function renderLink(reg: Registry, l: LinkEntity, actionsOf: ActionsOf = kindActions(reg)): Json {
  return {
    kind: l.kind,
    ...opt('mixins', [...l.mixins]),
    ...opt('attributes', Object.keys(l.attributes).length ? { ...l.attributes } : undefined),
    ...opt('actions', actionsOf(l)),
    id: l.id,
    source: { location: l.source.location, ...opt('kind', l.source.kind) },
    target: { location: l.target.location, ...opt('kind', l.target.kind) },
    ...opt('rel', l.rel),
    ...opt('title', l.title),
  };
}

export function renderResource(reg: Registry, r: ResourceEntity, actionsOf: ActionsOf = kindActions(reg)): Json {
  return {
    kind: r.kind,
    ...opt('mixins', [...r.mixins]),
    ...opt('attributes', Object.keys(r.attributes).length ? { ...r.attributes } : undefined),
    ...opt('actions', actionsOf(r)),
    id: r.id,
    ...opt(
      'links',
      r.links.map((l) => renderLink(reg, l, actionsOf)),
    ),
    ...opt('summary', r.summary),
    ...opt('title', r.title),
  };
}

export function renderEntity(reg: Registry, e: Entity, actionsOf?: ActionsOf): Json {
  return e.class === 'link' ? renderLink(reg, e, actionsOf) : renderResource(reg, e, actionsOf);
}

export function renderResourceCollection(reg: Registry, rs: readonly ResourceEntity[], actionsOf?: ActionsOf): { resources: Json[] } {
  return { resources: rs.map((r) => renderResource(reg, r, actionsOf)) };
}

export function renderLinkCollection(reg: Registry, ls: readonly LinkEntity[], actionsOf?: ActionsOf): { links: Json[] } {
  return { links: ls.map((l) => renderLink(reg, l, actionsOf)) };
}

/** A mixed collection (e.g. a mixin-defined one) in the schema's `model` shape. */
export function renderEntityCollection(
  reg: Registry,
  es: readonly Entity[],
  actionsOf?: ActionsOf,
): { resources?: Json[]; links?: Json[] } {
  const resources = es.filter((e): e is ResourceEntity => e.class === 'resource').map((r) => renderResource(reg, r, actionsOf));
  const links = es.filter((e): e is LinkEntity => e.class === 'link').map((l) => renderLink(reg, l, actionsOf));
  return { ...opt('resources', resources), ...opt('links', links) };
}

// OCCI entities (resources and links) and the parsing of incoming JSON renderings
// (GFD.226) into validated entities. Every refusal is an `invalid` OsmoError whose message
// and details name the offending member, attribute, category or channel.
import { z } from 'zod';
import { invalid, OsmoError } from '../shared/errors.js';
import { type AttributeDef, type KindCategory, type MixinCategory, typeId } from './category.js';
import type { Registry } from './registry.js';
import { COLLECTOR_ID, LINK_ID, RESOURCE_ID, SENSOR_ID } from './standard.js';

export type AttributeValue = string | number | boolean | unknown[] | Record<string, unknown>;

export interface KindedRef {
  location: string;
  kind?: string;
}

interface EntityBase {
  kind: string;
  id: string;
  mixins: string[];
  attributes: Record<string, AttributeValue>;
  title?: string;
}

export interface ResourceEntity extends EntityBase {
  class: 'resource';
  summary?: string;
  /** Links whose source is this resource, rendered inside it. */
  links: LinkEntity[];
}

export interface LinkEntity extends EntityBase {
  class: 'link';
  source: KindedRef;
  target: KindedRef;
  rel?: string;
}

export type Entity = ResourceEntity | LinkEntity;

/** What parsing needs from the world: where locations lead, and fresh ids. */
export interface ParseContext {
  /** The kind of the entity at `location`, or undefined when nothing is there. */
  resolve(location: string): { kind: string } | undefined;
  newId(): string;
}

const ID = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');
const Ref = z.strictObject({ location: z.string().min(1).max(1024), kind: z.string().max(512).optional() });
const Attrs = z.record(z.string().max(256), z.unknown()).refine((r) => Object.keys(r).length <= 256, 'at most 256 attributes');
const Common = {
  kind: z.string().min(1).max(512),
  id: ID.optional(),
  mixins: z.array(z.string().max(512)).max(64).optional(),
  attributes: Attrs.optional(),
  actions: z.array(z.string()).max(64).optional(),
  title: z.string().max(1024).optional(),
};
const LinkInput = z.strictObject({ ...Common, source: Ref.optional(), target: Ref, rel: z.string().max(512).optional() });
const ResourceInput = z.strictObject({
  ...Common,
  summary: z.string().max(4096).optional(),
  links: z.array(z.unknown()).max(256).optional(),
});
const Kinded = z.looseObject({ kind: z.string({ error: 'kind: required, a type identifier' }) });

function zodFail(e: z.ZodError, prefix: string): OsmoError {
  const i = e.issues[0]!;
  const path = i.path.join('.');
  const field = `${prefix}${path}`;
  const msg = i.code === 'unrecognized_keys' ? `unknown member(s) ${i.keys.join(', ')}` : i.message;
  return invalid(`${field || 'body'}: ${msg}`, { field: field || 'body' });
}

/** Location of an entity: its kind's collection followed by its id. */
export function entityLocation(reg: Registry, e: { kind: string; id: string }): string {
  const k = reg.kind(e.kind);
  return `${k?.location ?? `${reg.root}/`}${e.id}`;
}

/** All attribute definitions that apply to an entity of this kind with these mixins. */
export function attributeDefs(reg: Registry, kindId: string, mixins: readonly string[]): Map<string, AttributeDef> {
  const defs = new Map<string, AttributeDef>();
  for (let k: KindCategory | undefined = reg.kind(kindId), n = 0; k && n < 16; k = k.parent ? reg.kind(k.parent) : undefined, n++) {
    for (const a of k.attributes) if (!defs.has(a.name)) defs.set(a.name, a);
  }
  for (const id of mixins) for (const a of reg.mixin(id)?.attributes ?? []) if (!defs.has(a.name)) defs.set(a.name, a);
  return defs;
}

// Model attributes (GFD.221) are rendered as top-level members in JSON, not as attributes.
const MODEL_ATTRS = new Set(['occi.core.id', 'occi.core.title', 'occi.core.summary', 'occi.core.source', 'occi.core.target']);

/** Checks one value against its definition; returns the reason it fails, or undefined. */
export function checkValue(def: AttributeDef, v: unknown): string | undefined {
  const jsType = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
  if (jsType !== def.type) return `must be of type ${def.type}, got ${jsType}`;
  if (def.type === 'number') {
    const n = v as number;
    if (!Number.isFinite(n)) return 'must be a finite number';
    if (def.integer && !Number.isInteger(n)) return 'must be an integer';
    if (def.minimum !== undefined && n < def.minimum) return `must be ≥ ${def.minimum}`;
  }
  if (def.type === 'string' && (v as string).length > 4096) return 'is longer than 4096 characters';
  if (def.enum && !def.enum.includes(v as string | number)) return `must be one of ${def.enum.join(', ')}`;
  return undefined;
}

/** The mixins together with every mixin they depend on, transitively, in a stable order. */
function withDependencies(reg: Registry, mixins: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (id: string, depth: number) => {
    if (out.includes(id) || depth > 16) return;
    out.push(id);
    for (const d of reg.mixin(id)?.depends ?? []) visit(d, depth + 1);
  };
  for (const m of mixins) visit(m, 0);
  return out;
}

function validateCategories(
  reg: Registry,
  kindId: string,
  mixinIds: readonly string[],
  where: string,
): { kind: KindCategory; mixins: string[] } {
  const kind = reg.kind(kindId);
  if (!kind) throw invalid(`${where}kind: unknown kind ${kindId}`, { field: `${where}kind`, category: kindId });
  const seen = new Set<string>();
  for (const id of mixinIds) {
    if (seen.has(id)) throw invalid(`${where}mixins: ${id} is listed twice`, { field: `${where}mixins`, category: id });
    seen.add(id);
    const m: MixinCategory | undefined = reg.mixin(id);
    if (!m) throw invalid(`${where}mixins: unknown mixin ${id}`, { field: `${where}mixins`, category: id });
    if (!reg.applicable(m, kindId)) {
      throw invalid(
        `${where}mixins: mixin ${id} does not apply to kind ${kindId} (it applies to ${m.applies.join(', ') || 'what its dependencies apply to'})`,
        { field: `${where}mixins`, category: id },
      );
    }
  }
  return { kind, mixins: withDependencies(reg, mixinIds) };
}

function validateAttributes(
  reg: Registry,
  kindId: string,
  mixins: string[],
  given: Record<string, unknown>,
  where: string,
): Record<string, AttributeValue> {
  const defs = attributeDefs(reg, kindId, mixins);
  const out: Record<string, AttributeValue> = {};
  for (const [name, v] of Object.entries(given)) {
    if (MODEL_ATTRS.has(name)) continue; // handled by the caller as top-level members
    const def = defs.get(name);
    if (!def) throw invalid(`${where}attributes: ${name} is not an attribute of ${kindId} or its mixins`, { attribute: name });
    const why = checkValue(def, v);
    if (why) throw invalid(`${where}attributes: ${name} ${why}`, { attribute: name });
    out[name] = v as AttributeValue;
  }
  for (const def of defs.values()) {
    if (MODEL_ATTRS.has(def.name) || def.name in out) continue;
    if (def.default !== undefined) out[def.name] = def.default;
    else if (def.required) throw invalid(`${where}attributes: ${def.name} is required`, { attribute: def.name });
  }
  return out;
}

const modelString = (attrs: Record<string, unknown>, name: string, where: string): string | undefined => {
  const v = attrs[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`${where}attributes: ${name} must be of type string`, { attribute: name });
  return v;
};

/**
 * Parses an incoming JSON resource rendering (with any embedded links) into a validated
 * entity. `fixedId` is the id a PUT addresses; a body id that disagrees is refused.
 */
export function parseEntity(reg: Registry, body: unknown, ctx: ParseContext, fixedId?: string): Entity {
  const head = Kinded.safeParse(body);
  if (!head.success) throw zodFail(head.error, '');
  const kindId = head.data.kind;
  const kind = reg.kind(kindId);
  if (!kind) throw invalid(`kind: unknown kind ${kindId}`, { field: 'kind', category: kindId });
  if (kind.readOnly) throw invalid(`kind: entities of kind ${kindId} are read-only here`, { field: 'kind', category: kindId });
  if (typeId(kind) === RESOURCE_ID || typeId(kind) === LINK_ID) {
    throw invalid(`kind: ${kindId} is abstract here; use a concrete kind such as ${SENSOR_ID}`, { field: 'kind', category: kindId });
  }
  return reg.isA(kindId, LINK_ID) ? parseLink(reg, body, ctx, '', undefined, fixedId) : parseResource(reg, body, ctx, fixedId);
}

function pickId(given: string | undefined, fixedId: string | undefined, ctx: ParseContext, where: string): string {
  if (fixedId !== undefined && given !== undefined && given !== fixedId) {
    throw invalid(`${where}id: "${given}" differs from the id in the location (${fixedId})`, { field: `${where}id` });
  }
  return fixedId ?? given ?? ctx.newId();
}

function parseResource(reg: Registry, body: unknown, ctx: ParseContext, fixedId?: string): ResourceEntity {
  const r = ResourceInput.safeParse(body);
  if (!r.success) throw zodFail(r.error, '');
  const v = r.data;
  const { mixins } = validateCategories(reg, v.kind, v.mixins ?? [], '');
  const given = v.attributes ?? {};
  const attributes = validateAttributes(reg, v.kind, mixins, given, '');
  const id = pickId(v.id ?? modelString(given, 'occi.core.id', ''), fixedId, ctx, '');
  const title = v.title ?? modelString(given, 'occi.core.title', '');
  const summary = v.summary ?? modelString(given, 'occi.core.summary', '');
  const self: KindedRef = { location: entityLocation(reg, { kind: v.kind, id }), kind: v.kind };
  const links = (v.links ?? []).map((l, i) => parseLink(reg, l, ctx, `links.${i}.`, self));
  const ids = new Set<string>();
  for (const [i, l] of links.entries()) {
    if (ids.has(l.id)) throw invalid(`links.${i}.id: ${l.id} is used twice`, { field: `links.${i}.id` });
    ids.add(l.id);
  }
  return {
    class: 'resource',
    kind: v.kind,
    id,
    mixins,
    attributes,
    links,
    ...(title !== undefined ? { title } : {}),
    ...(summary !== undefined ? { summary } : {}),
  };
}

function parseLink(reg: Registry, body: unknown, ctx: ParseContext, where: string, embeddedIn?: KindedRef, fixedId?: string): LinkEntity {
  const r = LinkInput.safeParse(body);
  if (!r.success) throw zodFail(r.error, where);
  const v = r.data;
  if (!reg.kind(v.kind)) throw invalid(`${where}kind: unknown kind ${v.kind}`, { field: `${where}kind`, category: v.kind });
  if (!reg.isA(v.kind, LINK_ID)) throw invalid(`${where}kind: ${v.kind} is not a link kind`, { field: `${where}kind`, category: v.kind });
  const { mixins } = validateCategories(reg, v.kind, v.mixins ?? [], where);
  const attributes = validateAttributes(reg, v.kind, mixins, v.attributes ?? {}, where);
  const id = pickId(v.id, fixedId, ctx, where);

  let source: KindedRef;
  if (embeddedIn) {
    if (v.source && v.source.location !== embeddedIn.location) {
      throw invalid(`${where}source: a link inside a resource has that resource as its source (${embeddedIn.location})`, {
        field: `${where}source`,
      });
    }
    source = embeddedIn;
  } else {
    if (!v.source) throw invalid(`${where}source: required`, { field: `${where}source` });
    source = resolveRef(v.source, ctx, `${where}source`);
  }
  const target = resolveRef(v.target, ctx, `${where}target`);

  if (reg.isA(v.kind, COLLECTOR_ID)) {
    if (!source.kind || !reg.isA(source.kind, SENSOR_ID)) {
      throw invalid(`${where}source: a collector's source must be a sensor, ${source.location} is ${source.kind ?? 'of unknown kind'}`, {
        field: `${where}source`,
      });
    }
    if (target.kind && reg.isA(target.kind, SENSOR_ID)) {
      throw invalid(`${where}target: a collector's target is the monitored resource, not a sensor`, { field: `${where}target` });
    }
  }
  const title = v.title ?? modelString(v.attributes ?? {}, 'occi.core.title', where);
  return {
    class: 'link',
    kind: v.kind,
    id,
    mixins,
    attributes,
    source,
    target,
    ...(title !== undefined ? { title } : {}),
    ...(v.rel !== undefined ? { rel: v.rel } : {}),
  };
}

function resolveRef(ref: z.infer<typeof Ref>, ctx: ParseContext, field: string): KindedRef {
  const found = ctx.resolve(ref.location);
  if (!found) throw new OsmoError('invalid', `${field}: nothing at ${ref.location}`, { field });
  if (ref.kind !== undefined && ref.kind !== found.kind) {
    throw invalid(`${field}: ${ref.location} is a ${found.kind}, not a ${ref.kind}`, { field });
  }
  return { location: ref.location, kind: found.kind };
}

/**
 * Partial update (POST on an entity, GFD.223): merges the given attributes and adds the
 * given mixins, refusing changes to immutable attributes, then validates the result whole.
 */
export function applyPartialUpdate(reg: Registry, existing: Entity, body: unknown, ctx: ParseContext): Entity {
  const P = z.strictObject({
    kind: z.string().optional(),
    id: z.string().optional(),
    mixins: z.array(z.string()).max(64).optional(),
    attributes: Attrs.optional(),
    title: z.string().max(1024).optional(),
    summary: z.string().max(4096).optional(),
  });
  const r = P.safeParse(body);
  if (!r.success) throw zodFail(r.error, '');
  const v = r.data;
  if (v.kind !== undefined && v.kind !== existing.kind) throw invalid(`kind: the kind of an entity cannot change`, { field: 'kind' });
  if (v.id !== undefined && v.id !== existing.id) throw invalid(`id: the id of an entity cannot change`, { field: 'id' });
  const mixins = [...existing.mixins, ...(v.mixins ?? []).filter((m) => !existing.mixins.includes(m))];
  const defs = attributeDefs(reg, existing.kind, mixins);
  for (const [name, val] of Object.entries(v.attributes ?? {})) {
    const def = defs.get(name);
    if (def && def.mutable === false && JSON.stringify(existing.attributes[name]) !== JSON.stringify(val)) {
      throw invalid(`attributes: ${name} is immutable`, { attribute: name });
    }
  }
  const merged = {
    ...toInput(existing),
    mixins,
    attributes: { ...existing.attributes, ...(v.attributes ?? {}) },
    ...(v.title !== undefined ? { title: v.title } : {}),
    ...(v.summary !== undefined && existing.class === 'resource' ? { summary: v.summary } : {}),
  };
  return existing.class === 'link' ? parseLink(reg, merged, ctx, '', undefined, existing.id) : parseResource(reg, merged, ctx, existing.id);
}

/** An entity as the JSON a client would send to recreate it. */
function toInput(e: Entity): Record<string, unknown> {
  const base = { kind: e.kind, id: e.id, mixins: e.mixins, attributes: e.attributes, ...(e.title !== undefined ? { title: e.title } : {}) };
  if (e.class === 'link') return { ...base, source: e.source, target: e.target, ...(e.rel !== undefined ? { rel: e.rel } : {}) };
  return {
    ...base,
    ...(e.summary !== undefined ? { summary: e.summary } : {}),
    links: e.links.map((l) => ({ ...toInput(l), source: undefined })),
  };
}

const ActionInvocation = z.strictObject({ action: z.string().max(512), attributes: Attrs.optional() });

/**
 * Parses an action invocation (GFD.226) for an entity; `term` is the `?action=` of the
 * request, which the body's action must agree with. Returns the action's type identifier.
 */
export function parseActionInvocation(
  reg: Registry,
  entity: Entity,
  term: string,
  body: unknown,
): { action: string; attributes: Record<string, AttributeValue> } {
  const r = ActionInvocation.safeParse(body);
  if (!r.success) throw zodFail(r.error, '');
  const offered = reg.kind(entity.kind)?.actions ?? [];
  const id = r.data.action;
  if (!reg.action(id)) throw invalid(`action: unknown action ${id}`, { field: 'action', category: id });
  if (!offered.includes(id)) throw invalid(`action: ${id} is not an action of ${entity.kind}`, { field: 'action', category: id });
  if (!id.endsWith('#' + term)) throw invalid(`action: ${id} does not match ?action=${term}`, { field: 'action' });
  const defs = new Map(reg.action(id)!.attributes.map((a) => [a.name, a]));
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, v] of Object.entries(r.data.attributes ?? {})) {
    const def = defs.get(name);
    if (!def) throw invalid(`attributes: ${name} is not an attribute of action ${id}`, { attribute: name });
    const why = checkValue(def, v);
    if (why) throw invalid(`attributes: ${name} ${why}`, { attribute: name });
    attributes[name] = v as AttributeValue;
  }
  return { action: id, attributes };
}

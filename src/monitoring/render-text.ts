// The text renderings (GFD.229): `text/plain` puts "Name: value" lines in the body,
// `text/occi` puts the same fields in HTTP headers (comma-joined) with "OK" as the body.
// Both are built from one list of fields.
import type { AttributeDef, Category } from './category.js';
import { type Entity, entityLocation, type LinkEntity } from './entity.js';
import type { ActionsOf } from './render-json.js';
import type { Registry } from './registry.js';

export interface TextField {
  name: 'Category' | 'Link' | 'X-OCCI-Attribute' | 'X-OCCI-Location';
  value: string;
}

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;

function attributeValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return quote(v);
  return quote(JSON.stringify(v));
}

function attributeList(defs: readonly AttributeDef[]): string {
  return defs
    .map((a) => {
      const props = [...(a.required ? ['required'] : []), ...(a.mutable === false ? ['immutable'] : [])];
      return props.length ? `${a.name}{${props.join(' ')}}` : a.name;
    })
    .join(' ');
}

/** One Category field value for a kind, mixin or action. */
export function categoryValue(c: Category): string {
  const parts = [c.term, `scheme=${quote(c.scheme)}`, `class=${quote(c.class)}`];
  if (c.title !== undefined) parts.push(`title=${quote(c.title)}`);
  if (c.class === 'kind' && c.parent) parts.push(`rel=${quote(c.parent)}`);
  // GFD.229: only the first of a mixin's depends is rendered as rel.
  if (c.class === 'mixin' && c.depends[0]) parts.push(`rel=${quote(c.depends[0])}`);
  if (c.class !== 'action' && c.location) parts.push(`location=${quote(c.location)}`);
  if (c.attributes.length) parts.push(`attributes=${quote(attributeList(c.attributes))}`);
  if (c.class !== 'action' && c.actions.length) parts.push(`actions=${quote(c.actions.join(' '))}`);
  return parts.join('; ');
}

export function textCategories(cs: readonly Category[]): TextField[] {
  return cs.map((c) => ({ name: 'Category', value: categoryValue(c) }));
}

/** The Location fields of a collection. */
export function textLocations(locations: readonly string[]): TextField[] {
  return locations.map((l) => ({ name: 'X-OCCI-Location', value: l }));
}

function categoryOf(reg: Registry, id: string, cls: 'kind' | 'mixin'): string {
  const c = reg.get(id);
  if (c) return categoryValue(c);
  const i = id.lastIndexOf('#');
  return `${id.slice(i + 1)}; scheme=${quote(id.slice(0, i + 1))}; class=${quote(cls)}`;
}

function linkValue(reg: Registry, l: LinkEntity): string {
  const parts = [
    `<${l.target.location}>`,
    `rel=${quote(l.target.kind ?? l.rel ?? '')}`,
    `self=${quote(entityLocation(reg, l))}`,
    `category=${quote([l.kind, ...l.mixins].join(' '))}`,
  ];
  parts.push(`occi.core.id=${quote(l.id)}`);
  for (const [k, v] of Object.entries(l.attributes)) parts.push(`${k}=${attributeValue(v)}`);
  return parts.join('; ');
}

/** An entity: its categories, links, action links and attributes. */
export function textEntity(reg: Registry, e: Entity, actionsOf?: ActionsOf): TextField[] {
  const out: TextField[] = [{ name: 'Category', value: categoryOf(reg, e.kind, 'kind') }];
  for (const m of e.mixins) out.push({ name: 'Category', value: categoryOf(reg, m, 'mixin') });
  const self = entityLocation(reg, e);
  if (e.class === 'resource') for (const l of e.links) out.push({ name: 'Link', value: linkValue(reg, l) });
  const actions = actionsOf ? actionsOf(e) : [...(reg.kind(e.kind)?.actions ?? [])];
  for (const a of actions) out.push({ name: 'Link', value: `<${self}?action=${a.slice(a.lastIndexOf('#') + 1)}>; rel=${quote(a)}` });
  const attr = (k: string, v: unknown) => out.push({ name: 'X-OCCI-Attribute', value: `${k}=${attributeValue(v)}` });
  attr('occi.core.id', e.id);
  if (e.title !== undefined) attr('occi.core.title', e.title);
  if (e.class === 'resource' && e.summary !== undefined) attr('occi.core.summary', e.summary);
  if (e.class === 'link') {
    attr('occi.core.source', e.source.location);
    if (e.source.kind) attr('occi.core.source.kind', e.source.kind);
    attr('occi.core.target', e.target.location);
    if (e.target.kind) attr('occi.core.target.kind', e.target.kind);
  }
  for (const [k, v] of Object.entries(e.attributes)) attr(k, v);
  return out;
}

/** text/plain: the fields as body lines. */
export function toPlainBody(fields: readonly TextField[]): string {
  return fields.map((f) => `${f.name}: ${f.value}\n`).join('');
}

/**
 * text/occi: the fields as HTTP headers, repeated fields comma-joined (GFD.229 recommends it);
 * the body is "OK". Header values are ASCII: other characters become "?" (use text/plain or
 * JSON for the exact text).
 */
export function toHeaders(fields: readonly TextField[]): Record<string, string> {
  const h: Record<string, string[]> = {};
  for (const f of fields) (h[f.name] ??= []).push(f.value.replace(/[^\x20-\x7e]/g, '?'));
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.join(', ')]));
}

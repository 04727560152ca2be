// Filtering of the query interface and of entity collections. GFD.223 filters by a Category
// rendering (for the query interface) or attribute values (for collections) sent with the
// request; osmo takes them from the query string, as erocci does (`?category=<type id>`,
// `?q=<name>=<value>` or `?q=<text>`), and from the text rendering's Category /
// X-OCCI-Attribute request headers.
import { invalid } from '../shared/errors.js';
import { type Category, splitTypeId, typeId } from './category.js';
import type { Entity } from './entity.js';
import type { Registry } from './registry.js';

export interface Filter {
  /** type identifiers; an item matches if it relates to any of them */
  categories: string[];
  /** attribute name = value, all must hold */
  attributes: { name: string; value: string }[];
  /** free text, each must occur (case-insensitive) in the item */
  text: string[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** A filter from a parsed query string (`category` and `q`, each may repeat). Throws `invalid` naming the parameter. */
export function filterFromQuery(query: Record<string, unknown>): Filter {
  const f: Filter = { categories: [], attributes: [], text: [] };
  for (const c of list(query.category)) {
    if (!splitTypeId(c))
      throw invalid(`query parameter category: "${c}" is not a type identifier (scheme#term, URL-encoded)`, { field: 'category' });
    f.categories.push(c);
  }
  for (const q of list(query.q)) {
    if (q.length > 1024) throw invalid('query parameter q: longer than 1024 characters', { field: 'q' });
    const eq = q.indexOf('=');
    if (eq > 0 && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(q.slice(0, eq)))
      f.attributes.push({ name: q.slice(0, eq), value: unquote(q.slice(eq + 1)) });
    else if (q !== '') f.text.push(q.toLowerCase());
  }
  return f;
}

const unquote = (s: string): string => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);

// Splits a header value at commas that are outside quoted strings.
function splitList(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && quoted && i + 1 < v.length) {
      cur += c + v[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A filter from text-rendering request headers: `Category: term; scheme="…"` and `X-OCCI-Attribute: name=value`. */
export function filterFromHeaders(headers: Record<string, string | string[] | undefined>): Filter {
  const f: Filter = { categories: [], attributes: [], text: [] };
  const get = (n: string) => list(headers[n] ?? headers[n.toLowerCase()]).flatMap(splitList);
  for (const c of get('Category')) {
    const term = c.split(';')[0]!.trim();
    const scheme = /;\s*scheme\s*=\s*"([^"]*)"/.exec(c)?.[1];
    if (!term || !scheme) throw invalid(`header Category: "${c}" lacks a term or a quoted scheme`, { field: 'Category' });
    f.categories.push(scheme + term);
  }
  for (const a of get('X-OCCI-Attribute')) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw invalid(`header X-OCCI-Attribute: "${a}" is not name=value`, { field: 'X-OCCI-Attribute' });
    f.attributes.push({ name: a.slice(0, eq).trim(), value: unquote(a.slice(eq + 1).trim()) });
  }
  return f;
}

export const mergeFilters = (a: Filter, b: Filter): Filter => ({
  categories: [...a.categories, ...b.categories],
  attributes: [...a.attributes, ...b.attributes],
  text: [...a.text, ...b.text],
});

const isEmpty = (f: Filter) => f.categories.length === 0 && f.attributes.length === 0 && f.text.length === 0;

/** Whether category `c` relates to `id`: it is it, derives from it, depends on or applies to it, or is one of its actions. */
function related(reg: Registry, c: Category, id: string): boolean {
  if (typeId(c) === id) return true;
  if (c.class === 'kind') return reg.isA(typeId(c), id);
  if (c.class === 'mixin') return c.depends.includes(id) || c.applies.some((a) => a === id || reg.isA(a, id));
  const owner = reg.get(id);
  return !!owner && owner.class !== 'action' && owner.actions.includes(typeId(c));
}

/** The query interface's categories that pass the filter. */
export function filterCategories(reg: Registry, cs: readonly Category[], f: Filter): Category[] {
  if (isEmpty(f)) return [...cs];
  return cs.filter((c) => {
    if (f.categories.length && !f.categories.some((id) => related(reg, c, id))) return false;
    const hay = `${typeId(c)} ${c.title ?? ''}`.toLowerCase();
    return f.text.every((t) => hay.includes(t));
  });
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The entities that pass the filter. */
export function filterEntities<E extends Entity>(reg: Registry, es: readonly E[], f: Filter): E[] {
  if (isEmpty(f)) return [...es];
  return es.filter((e) => {
    if (f.categories.length && !f.categories.some((id) => reg.isA(e.kind, id) || e.mixins.includes(id))) return false;
    const model: Record<string, unknown> = { 'occi.core.id': e.id, 'occi.core.title': e.title };
    for (const a of f.attributes) {
      const v = a.name in model ? model[a.name] : e.attributes[a.name];
      if (v === undefined || show(v) !== a.value) return false;
    }
    if (f.text.length === 0) return true;
    const hay = [e.id, e.title ?? '', ...Object.values(e.attributes).map(show)].join(' ').toLowerCase();
    return f.text.every((t) => hay.includes(t));
  });
}

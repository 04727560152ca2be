// The category registry a server answers the query interface from: the standard kinds,
// actions and tags, osmo's provider mixins, and the mixins users define (conformance
// profile 2). Pure data; whoever stores user mixins replays them with addUserMixin().
import { z } from 'zod';
import { invalid, notFound, conflict } from '../shared/errors.js';
import { type ActionCategory, type Category, type KindCategory, type MixinCategory, typeId } from './category.js';
import { osmoComputeMixin, providerMixins, type ProviderMixin } from './providers.js';
import { standardCategories } from './standard.js';

/** The JSON a client POSTs to the query interface to define a user mixin (GFD.226 mixin rendering). */
export const UserMixinInput = z.strictObject({
  term: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'term: letters, digits, "_", "-" and "." only'),
  scheme: z
    .string()
    .min(2)
    .max(512)
    .regex(/^[^\s"]+#$/, 'scheme: a URI ending in "#" without spaces or quotes'),
  title: z.string().max(256).optional(),
  location: z
    .string()
    .max(512)
    .regex(/^\/[^\s"?#]*\/$/, 'location: an absolute path ending in "/"'),
  depends: z.array(z.string()).max(16).optional(),
  applies: z.array(z.string()).max(16).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  actions: z.array(z.string()).max(0, 'a user mixin cannot define actions').optional(),
});
export type UserMixinInput = z.infer<typeof UserMixinInput>;

export class Registry {
  private readonly byId = new Map<string, Category>();
  private readonly byLocation = new Map<string, Category>();

  /** @param root the OCCI root path every location is under, e.g. '/occi' */
  constructor(readonly root = '/occi') {
    const { kinds, mixins, actions } = standardCategories(root);
    for (const c of [...kinds, ...actions, ...mixins, ...providerMixins(root), osmoComputeMixin(root)]) this.add(c);
  }

  private add(c: Category): void {
    this.byId.set(typeId(c), c);
    if (c.class !== 'action' && c.location) this.byLocation.set(c.location, c);
  }

  get(id: string): Category | undefined {
    return this.byId.get(id);
  }

  kind(id: string): KindCategory | undefined {
    const c = this.byId.get(id);
    return c?.class === 'kind' ? c : undefined;
  }

  mixin(id: string): MixinCategory | undefined {
    const c = this.byId.get(id);
    return c?.class === 'mixin' ? c : undefined;
  }

  /** The provider mixin (metric/aggregator/publisher) with this id, if it is one. */
  provider(id: string): ProviderMixin | undefined {
    const c = this.byId.get(id);
    return c?.class === 'mixin' && 'role' in c ? (c as ProviderMixin) : undefined;
  }

  action(id: string): ActionCategory | undefined {
    const c = this.byId.get(id);
    return c?.class === 'action' ? c : undefined;
  }

  /** The kind or mixin bound to a collection location such as /occi/sensor/. */
  atLocation(location: string): KindCategory | MixinCategory | undefined {
    const c = this.byLocation.get(location);
    return c && c.class !== 'action' ? c : undefined;
  }

  kinds(): KindCategory[] {
    return [...this.byId.values()].filter((c): c is KindCategory => c.class === 'kind');
  }

  mixins(): MixinCategory[] {
    return [...this.byId.values()].filter((c): c is MixinCategory => c.class === 'mixin');
  }

  actions(): ActionCategory[] {
    return [...this.byId.values()].filter((c): c is ActionCategory => c.class === 'action');
  }

  all(): Category[] {
    return [...this.byId.values()];
  }

  /** Whether kind `id` is `ancestor` or derives from it. */
  isA(id: string, ancestor: string): boolean {
    for (let k = this.kind(id), guard = 0; k && guard < 16; k = k.parent ? this.kind(k.parent) : undefined, guard++) {
      if (typeId(k) === ancestor) return true;
    }
    return false;
  }

  /** Whether a mixin may be associated with an entity of kind `kindId` (its `applies`, or its dependencies'). */
  applicable(mixin: MixinCategory, kindId: string): boolean {
    const seen = new Set<string>();
    const walk = (m: MixinCategory): boolean | undefined => {
      if (seen.has(typeId(m))) return undefined;
      seen.add(typeId(m));
      if (m.applies.length > 0) return m.applies.some((a) => this.isA(kindId, a));
      let verdict: boolean | undefined;
      for (const d of m.depends) {
        const dm = this.mixin(d);
        const v = dm ? walk(dm) : undefined;
        if (v === true) return true;
        if (v === false) verdict = false;
      }
      return verdict;
    };
    // A mixin that restricts nothing (no applies anywhere up its dependencies) applies to all.
    return walk(mixin) ?? true;
  }

  /**
   * Adds a user-defined mixin (a tag: no attributes, no actions). Throws `invalid` naming the
   * field, or `conflict` when the id or the location is taken.
   */
  addUserMixin(input: unknown): MixinCategory {
    const r = UserMixinInput.safeParse(input);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw invalid(`user mixin: ${i.path.join('.') || 'body'}: ${i.message}`, { field: i.path.join('.') });
    }
    const v = r.data;
    if (v.attributes && Object.keys(v.attributes).length > 0) {
      throw invalid('user mixin: attributes: a user mixin is a tag and cannot define attributes', { field: 'attributes' });
    }
    const id = v.scheme + v.term;
    if (this.byId.has(id)) throw conflict(`category ${id} already exists`);
    if (!v.location.startsWith(this.root + '/')) throw invalid(`user mixin: location must be under ${this.root}/`, { field: 'location' });
    if (this.byLocation.has(v.location)) throw conflict(`location ${v.location} is already bound to a category`);
    for (const d of v.depends ?? []) if (!this.mixin(d)) throw invalid(`user mixin: depends: unknown mixin ${d}`, { field: 'depends' });
    for (const a of v.applies ?? []) if (!this.kind(a)) throw invalid(`user mixin: applies: unknown kind ${a}`, { field: 'applies' });
    const m: MixinCategory = {
      class: 'mixin',
      scheme: v.scheme,
      term: v.term,
      ...(v.title !== undefined ? { title: v.title } : {}),
      attributes: [],
      actions: [],
      depends: v.depends ?? [],
      applies: v.applies ?? [],
      location: v.location,
      user: true,
    };
    this.add(m);
    return m;
  }

  /** Removes a user-defined mixin; the provider's own categories cannot be removed. */
  removeUserMixin(id: string): MixinCategory {
    const m = this.mixin(id);
    if (!m) throw notFound(`no mixin ${id}`);
    if (!m.user) throw invalid(`mixin ${id} is defined by the provider and cannot be removed`, { category: id });
    this.byId.delete(id);
    this.byLocation.delete(m.location);
    return m;
  }
}

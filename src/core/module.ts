// The core's module registry (after fastify's plugins with declared dependencies): each
// context exports one or more modules `{ name, deps, start }`; startModules() checks the
// list, starts the modules in dependency order, collects their routes, and stops them in
// reverse order. A module's service is put into the context under the module's name, and
// a module sees (by type) only the services of the modules it names in `deps`.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuthClass } from '../shared/route-auth.js';
import type { CoreBase, CoreContext, CoreServices, ModuleContext, ServiceName } from './context.js';

/** Route plugin of a module; `ctx` holds the module's own service and those of its deps. */
export type CoreRoutes<D extends ServiceName = ServiceName> = FastifyPluginAsyncZod<{ ctx: ModuleContext<D> }>;

type ServiceOf<N extends string> = N extends ServiceName ? CoreServices[N] : never;
type Own<N extends string> = Extract<N, ServiceName>;

/** What a started module hands back. */
export interface Started<N extends string, D extends ServiceName> {
  /** put into the context as `ctx[name]` (only modules named after a CoreServices field have one) */
  service?: ServiceOf<N>;
  routes?: CoreRoutes<D | Own<N>>;
  /** called on close, in reverse start order */
  stop?: () => void | Promise<void>;
}

export interface CoreModule<N extends string = string, D extends ServiceName = ServiceName> {
  readonly name: N;
  /** modules (by name) that must have started before this one; their services are what `start` may use */
  readonly deps: readonly D[];
  /**
   * Background work that must run on one core at a time (passes, timers, retention) once
   * several cores share the store. Declared now so that leader election (issue: PostgreSQL
   * + NATS) has a list to act on; today there is one core and every module runs.
   */
  readonly leaderOnly?: boolean;
  /**
   * Auth class of this module's routes unless a route declares `config: { auth }`
   * (src/core/http/auth.ts). Absent = `admin`: deny by default.
   */
  readonly auth?: AuthClass;
  start(ctx: ModuleContext<D>): Started<N, D> | Promise<Started<N, D>>;
}

/** Infers the module's name and deps so that `start` and its routes are typed by them. */
export function defineModule<const N extends string, D extends ServiceName = never>(m: CoreModule<N, D>): CoreModule<N, D> {
  return m;
}

/** A module of any name and deps, as the registry holds it. */
export interface AnyCoreModule {
  readonly name: string;
  readonly deps: readonly ServiceName[];
  readonly leaderOnly?: boolean;
  readonly auth?: AuthClass;
  start(
    ctx: CoreContext,
  ):
    | { service?: unknown; routes?: CoreRoutes; stop?: () => void | Promise<void> }
    | Promise<{ service?: unknown; routes?: CoreRoutes; stop?: () => void | Promise<void> }>;
}

export interface ModuleRoutes {
  module: string;
  auth: AuthClass;
  plugin: CoreRoutes;
}

export interface StartedCore {
  ctx: CoreContext;
  /** route plugins in start order, each with its module's default auth class */
  routes: ModuleRoutes[];
  /** modules in the order they started */
  order: string[];
  stop(): Promise<void>;
}

/**
 * Start order: every module after its deps; otherwise the order of the list. Throws on a
 * duplicate name, a dep no module provides, or a cycle (naming it).
 */
export function startOrder(modules: readonly AnyCoreModule[]): AnyCoreModule[] {
  const byName = new Map<string, AnyCoreModule>();
  for (const m of modules) {
    if (byName.has(m.name)) throw new Error(`core modules: "${m.name}" is listed twice`);
    byName.set(m.name, m);
  }
  for (const m of modules) {
    for (const d of m.deps)
      if (!byName.has(d)) throw new Error(`core modules: "${m.name}" depends on "${d}", which no module in the list provides`);
  }
  const out: AnyCoreModule[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (m: AnyCoreModule): void => {
    if (done.has(m.name)) return;
    const at = visiting.indexOf(m.name);
    if (at >= 0) throw new Error(`core modules: dependency cycle ${[...visiting.slice(at), m.name].join(' -> ')}`);
    visiting.push(m.name);
    for (const d of m.deps) visit(byName.get(d)!);
    visiting.pop();
    done.add(m.name);
    out.push(m);
  };
  for (const m of modules) visit(m);
  return out;
}

/** Starts every module in dependency order; a failing start stops the ones already started. */
export async function startModules(modules: readonly AnyCoreModule[], base: CoreBase): Promise<StartedCore> {
  const ordered = startOrder(modules);
  const ctx: Record<string, unknown> = { ...base };
  const routes: ModuleRoutes[] = [];
  const stops: Array<{ name: string; stop: () => void | Promise<void> }> = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (e) {
        process.emitWarning(`core module ${name}: stop failed: ${String((e as Error).stack ?? e)}`);
      }
    }
  };
  for (const m of ordered) {
    let started;
    try {
      started = await m.start(ctx as unknown as CoreContext);
    } catch (e) {
      await stopAll();
      throw e;
    }
    if (started.service !== undefined) ctx[m.name] = started.service;
    if (started.routes) routes.push({ module: m.name, auth: m.auth ?? 'admin', plugin: started.routes });
    if (started.stop) stops.push({ name: m.name, stop: started.stop });
  }
  return { ctx: ctx as unknown as CoreContext, routes, order: ordered.map((m) => m.name), stop: stopAll };
}

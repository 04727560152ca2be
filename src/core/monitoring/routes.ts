// The OCCI server (GFD.223) under /occi/: the query interface at /occi/-/ and
// /.well-known/org/ogf/occi/-/, the kinds' collections (/occi/sensor/, /occi/collector/,
// /occi/compute/), mixin collections, entities, partial updates and actions. Answers in
// application/occi+json (or application/json), text/plain and text/occi; takes JSON.
// Self-contained: its module (module.ts) is one line in startCore's list (src/core/index.ts).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Category,
  type Entity,
  entityLocation,
  filterCategories,
  filterEntities,
  filterFromHeaders,
  filterFromQuery,
  type LinkEntity,
  mergeFilters,
  OCCI_JSON,
  renderEntity,
  renderLinkCollection,
  renderMixin,
  renderQueryInterface,
  renderResourceCollection,
  type ResourceEntity,
  textCategories,
  textEntity,
  type TextField,
  textLocations,
  toHeaders,
  toPlainBody,
} from '../../monitoring/index.js';
import { invalid, notFound } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';
import { describeError, errorBody } from '../../shared/http-errors.js';
import type { CoreRoutes } from '../module.js';
import { ErrorBody } from '../../model/index.js';
import { renderedAs } from '../http/statuses.js';
import { join } from 'node:path';
import { SensorDeployer } from './deploy.js';
import { OcciService } from './service.js';
import { sensorStreamRoutes } from './stream.js';

type Media = 'application/occi+json' | 'application/json' | 'text/plain' | 'text/occi' | 'text/uri-list';
const SUPPORTED: Media[] = ['application/occi+json', 'application/json', 'text/plain', 'text/occi', 'text/uri-list'];
const BODY_LIMIT = 256 * 1024;

/** The media type to answer in, from the Accept header; undefined when none is acceptable (406). */
function negotiate(accept: string | undefined): Media | undefined {
  if (!accept || !accept.trim()) return OCCI_JSON;
  const wanted = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { type: type!.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const w of wanted) {
    if ((SUPPORTED as string[]).includes(w.type)) return w.type as Media;
    if (w.type === '*/*' || w.type === 'application/*') return OCCI_JSON;
    if (w.type === 'text/*') return 'text/plain';
  }
  return undefined;
}

// A refusal with a status OsmoError has no kind for (405, 406, 415, 501): carried to the
// core's error handler as a fastify-style error with statusCode, or sent directly for 501.
const httpError = (status: number, message: string) => Object.assign(new Error(message), { statusCode: status });
const notImplemented = (reply: FastifyReply, message: string) =>
  reply
    .status(501)
    .type('application/json')
    .send(JSON.stringify(errorBody('OSMO_NOT_IMPLEMENTED', message)));

function send(reply: FastifyReply, media: Media, json: unknown, text: TextField[], uris?: string[]): FastifyReply {
  switch (media) {
    case 'application/occi+json':
    case 'application/json':
      return reply.type(media).send(JSON.stringify(json));
    case 'text/plain':
      return reply.type('text/plain; charset=utf-8').send(toPlainBody(text));
    case 'text/occi':
      return reply.headers(toHeaders(text)).type('text/occi; charset=utf-8').send('OK');
    case 'text/uri-list':
      // GFD.229: the URI list renders listings only
      if (!uris) throw invalid('text/uri-list renders collections only; ask for application/occi+json, text/plain or text/occi');
      return reply.type('text/uri-list; charset=utf-8').send(uris.map((u) => `${u}\r\n`).join(''));
  }
}

/** Locations named by a JSON body: {"locations": [...]}, or collections whose items carry location or kind + id. */
function locationsIn(svc: OcciService, body: unknown): string[] {
  if (typeof body !== 'object' || body === null) throw invalid('body: expected {"locations": [...]} or a resource/link collection');
  const b = body as Record<string, unknown>;
  const items = [...asArray(b.locations, 'locations'), ...asArray(b.resources, 'resources'), ...asArray(b.links, 'links')];
  if (items.length > 1000) throw invalid('body: at most 1000 entities per request');
  return items.map((it, i) => {
    if (typeof it === 'string') return it;
    if (typeof it === 'object' && it !== null) {
      const o = it as Record<string, unknown>;
      if (typeof o.location === 'string') return o.location;
      if (typeof o.kind === 'string' && typeof o.id === 'string') {
        const k = svc.reg.kind(o.kind);
        if (k?.location) return `${k.location}${o.id}`;
      }
    }
    throw invalid(`body: item ${i} names no entity (a location, {"location"} or {"kind", "id"})`);
  });
}

const asArray = (v: unknown, name: string): unknown[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`body: ${name} must be an array`, { field: name });
  return v;
};

/** The mixins a query-interface POST/DELETE body names: one mixin rendering or {"mixins": [...]}. */
function mixinsIn(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body: expected a mixin rendering or {"mixins": [...]}');
  const b = body as Record<string, unknown>;
  if ('mixins' in b) {
    const ms = asArray(b.mixins, 'mixins');
    if (ms.length === 0 || ms.length > 100) throw invalid('body: mixins must list 1 to 100 mixins', { field: 'mixins' });
    return ms;
  }
  return [b];
}

const mixinIdOf = (m: unknown, i: number): string => {
  const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
  if (typeof o.scheme !== 'string' || typeof o.term !== 'string')
    throw invalid(`mixins.${i}: scheme and term are required`, { field: `mixins.${i}` });
  return o.scheme + o.term;
};

const occiRoutes: CoreRoutes<'state' | 'store' | 'events' | 'agents' | 'sla'> = async (app, { ctx }) => {
  const svc = new OcciService(ctx.state, ctx.store.kv);
  await svc.load();
  const deployer = new SensorDeployer({
    state: ctx.state,
    reg: svc.reg,
    apiFor: ctx.agents.apiFor,
    host: {
      logDir: join(ctx.config.dataDir, 'sensors'),
      metrics: (rows) => ctx.store.samples.insertMany(rows),
      sla: (agreement, kpi, value, ts) => ctx.sla.push(agreement, [{ key: kpi, value, at: ts }]),
    },
    subscribe: (l) => {
      const a = ctx.events.live.subscribe('sample', l);
      const b = ctx.events.live.subscribe('probe', l);
      const c = ctx.events.live.subscribe('sensor', l);
      return () => (a(), b(), c());
    },
  });
  svc.attach(deployer);
  app.addHook('onClose', () => deployer.close());
  await app.register(sensorStreamRoutes(svc, deployer));

  // JSON in both spellings; anything else with a body is refused in preHandler (415).
  app.addContentTypeParser('application/occi+json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (e) {
      done(httpError(400, `body: not JSON (${(e as Error).message})`), undefined);
    }
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('server', `osmo/${VERSION} OCCI/1.2`);
  });
  // OCCI's HTTP rendering answers body mistakes with 413/415 (the JSON APIs say 400)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const d = describeError(err, { httpBodyStatuses: true });
    if (d.status === 500) process.stderr.write(`osmo core: 500 on ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
    return reply
      .status(d.status)
      .type('application/json')
      .send(JSON.stringify(errorBody(d.code, d.error)));
  });

  const qiPaths = ['/occi/-/', '/.well-known/org/ogf/occi/-/'];
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // GFD.223: a client asking for a newer OCCI version than the server's gets 501
    const ua = /OCCI\/(\d+)\.(\d+)/i.exec(req.headers['user-agent'] ?? '');
    if (ua && (Number(ua[1]) > 1 || (Number(ua[1]) === 1 && Number(ua[2]) > 2))) {
      return notImplemented(reply, `this server implements OCCI/1.2, the client asked for OCCI/${ua[1]}.${ua[2]}`);
    }
    const media = negotiate(req.headers.accept);
    if (!media) throw httpError(406, `cannot answer in ${req.headers.accept}; acceptable: ${SUPPORTED.join(', ')}`);
    if ((req.method === 'POST' || req.method === 'PUT') && req.body !== undefined) {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct !== 'application/occi+json' && ct !== 'application/json') {
        throw httpError(415, `content type ${ct || '(none)'} is not accepted; send application/occi+json or application/json`);
      }
    }
    const query = req.query as Record<string, unknown>;
    const path = req.routeOptions.url === '/.well-known/org/ogf/occi/-/' ? '/occi/-/' : `/occi/${(req.params as { '*': string })['*']}`;
    const action = typeof query.action === 'string' ? query.action : undefined;

    if (path === '/occi/-/') return queryInterface(req, reply, media, query);
    if (path.endsWith('/')) return collection(req, reply, media, path, query, action);
    return entity(req, reply, media, path, action);
  };

  async function queryInterface(req: FastifyRequest, reply: FastifyReply, media: Media, query: Record<string, unknown>) {
    if (req.method === 'GET') {
      const f = mergeFilters(filterFromQuery(query), filterFromHeaders(req.headers));
      const cs: Category[] = filterCategories(svc.reg, svc.reg.all(), f);
      return send(reply, media === 'text/uri-list' ? 'text/uri-list' : media, renderQueryInterface(cs), textCategories(cs));
    }
    if (req.method === 'POST') {
      const added = await svc.change(() => svc.addUserMixins(mixinsIn(req.body)));
      return send(reply, media, { mixins: added.map(renderMixin) }, textCategories(added));
    }
    if (req.method === 'DELETE') {
      const ids = req.body !== undefined ? mixinsIn(req.body).map(mixinIdOf) : filterFromQuery(query).categories;
      if (ids.length === 0) throw invalid('name the mixin to remove: a body {"scheme", "term"} or ?category=<scheme#term>');
      await svc.change(() => ids.forEach((id) => svc.removeUserMixin(id)));
      return reply
        .status(200)
        .type(OCCI_JSON)
        .send(JSON.stringify({ mixins: [] }));
    }
    throw httpError(405, `${req.method} is not defined on the query interface`);
  }

  async function collection(
    req: FastifyRequest,
    reply: FastifyReply,
    media: Media,
    path: string,
    query: Record<string, unknown>,
    action?: string,
  ) {
    const cat = svc.reg.atLocation(path);
    if (!cat) throw notFound(`no collection at ${path}`);
    const catId = cat.scheme + cat.term;
    const members = (): Entity[] => (cat.class === 'kind' ? svc.list(catId) : svc.list().filter((e) => e.mixins.includes(catId)));
    if (action !== undefined) return notImplemented(reply, 'actions on collections are not implemented; invoke them on each entity');
    if (req.method === 'GET') {
      const f = mergeFilters(filterFromQuery(query), filterFromHeaders(req.headers));
      const es = filterEntities(svc.reg, members(), f);
      const locations = es.map((e) => entityLocation(svc.reg, e));
      const rs = es.filter((e): e is ResourceEntity => e.class === 'resource');
      const ls = es.filter((e): e is LinkEntity => e.class === 'link');
      const json =
        cat.class === 'kind' && svc.reg.isA(catId, 'http://schemas.ogf.org/occi/core#link')
          ? renderLinkCollection(svc.reg, ls, svc.actionsOf)
          : cat.class === 'kind'
            ? renderResourceCollection(svc.reg, rs, svc.actionsOf)
            : {
                ...(rs.length ? renderResourceCollection(svc.reg, rs, svc.actionsOf) : {}),
                ...(ls.length ? renderLinkCollection(svc.reg, ls, svc.actionsOf) : {}),
              };
      return send(reply, media, json, textLocations(locations), locations);
    }
    if (cat.class === 'kind') {
      if (cat.readOnly) throw httpError(405, `${path} is read-only (osmo's own view of nodes and instances)`);
      if (req.method === 'POST') {
        const { entity: e } = await svc.change(() => svc.put(req.body, path));
        const loc = entityLocation(svc.reg, e);
        reply.status(201).header('location', loc);
        return send(reply, media, renderEntity(svc.reg, e, svc.actionsOf), textEntity(svc.reg, e, svc.actionsOf));
      }
      if (req.method === 'DELETE') {
        await svc.change(() => svc.deleteAll(catId));
        return reply
          .status(200)
          .type(OCCI_JSON)
          .send(JSON.stringify(cat.term === 'collector' ? { links: [] } : { resources: [] }));
      }
      throw httpError(405, `${req.method} is not defined on a kind's collection`);
    }
    // a mixin's collection: associate (POST), replace the set (PUT), dissociate (DELETE)
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE') {
      const named =
        req.body === undefined
          ? req.method === 'DELETE'
            ? members().map((e) => entityLocation(svc.reg, e))
            : []
          : locationsIn(svc, req.body);
      await svc.change(() => {
        if (req.method === 'PUT') {
          const keep = new Set(named);
          svc.associate(
            catId,
            members()
              .map((e) => entityLocation(svc.reg, e))
              .filter((l) => !keep.has(l)),
            false,
          );
        }
        svc.associate(catId, named, req.method !== 'DELETE');
      });
      const es = members();
      const locations = es.map((e) => entityLocation(svc.reg, e));
      return send(reply, media, { locations }, textLocations(locations), locations);
    }
    throw httpError(405, `${req.method} is not defined on a mixin's collection`);
  }

  async function entity(req: FastifyRequest, reply: FastifyReply, media: Media, path: string, action?: string) {
    const cut = path.lastIndexOf('/') + 1;
    const kindLoc = path.slice(0, cut);
    const kind = svc.reg.atLocation(kindLoc);
    if (!kind || kind.class !== 'kind') throw notFound(`no entity at ${path}`);
    const show = (e: Entity, status = 200) =>
      send(reply.status(status), media, renderEntity(svc.reg, e, svc.actionsOf), textEntity(svc.reg, e, svc.actionsOf));
    if (req.method === 'GET') return show(svc.mustGet(path));
    if (kind.readOnly) throw httpError(405, `${path} is read-only (osmo's own view of a node or instance)`);
    if (req.method === 'PUT') {
      const { entity: e, created } = await svc.change(() => svc.put(req.body, kindLoc, path.slice(cut)));
      if (created) reply.header('location', entityLocation(svc.reg, e));
      return show(e, created ? 201 : 200);
    }
    if (req.method === 'POST')
      return show(await svc.change(() => (action !== undefined ? svc.action(path, action, req.body) : svc.update(path, req.body))));
    if (req.method === 'DELETE') {
      await svc.change(() => svc.delete(path));
      return reply.status(200).type(OCCI_JSON).send('{}');
    }
    throw httpError(405, `${req.method} is not defined on an entity`);
  }

  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  // Listed in /openapi.json (so the auth tests walk them too); the OCCI documents describe the bodies.
  const rendered = renderedAs('the rendering the Accept header chose', SUPPORTED);
  const schema = (summary: string) => ({
    tags: ['occi'],
    summary,
    response: Object.fromEntries([
      [200, rendered],
      [201, rendered],
      ...[400, 404, 405, 406, 409, 413, 415, 501].map((s) => [s, ErrorBody]),
    ]),
  });
  app.route({
    method: methods,
    url: '/occi/*',
    bodyLimit: BODY_LIMIT,
    schema: schema(
      'OCCI 1.2 (GFD.223): query interface /occi/-/, collections /occi/<kind>/ and mixin locations, entities /occi/<kind>/<id>, ?action=, ?category=, ?q=',
    ),
    handler,
  });
  for (const url of qiPaths.slice(1))
    app.route({ method: methods, url, bodyLimit: BODY_LIMIT, schema: schema('OCCI query interface (RFC 5785 location)'), handler });
};

export default occiRoutes;

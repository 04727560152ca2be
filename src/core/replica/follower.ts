// A core that does not lead still serves the API: it forwards each request to the leader
// (after Nomad, whose followers forward RPCs to the leader), because what the answers are
// made of — node liveness, the reconciler's view, the live event stream — is the leader's
// memory, not only the store. Before forwarding, the follower matches the request against
// the leader's route table (routes-table.ts) and authorizes it on the matched route's class
// with the credentials in the store, exactly as the leader does; the caller's own
// credential travels on, so the leader decides again. A forwarded request is marked
// (`x-osmo-via`) and never forwarded a second time: a core that receives one but does not
// lead answers 503 OSMO_NO_LEADER, as does a follower that cannot reach a leader. The answer
// is marked too, with the leader's URL, so that a client given several cores moves to the
// leader (client/failover.ts) and the work of its calls is not done twice.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { NODE_ID_MAX } from '../../bus/protocol.js';
import { openRequest } from '../../client/exchange.js';
import { followerVia, VIA } from '../../client/via.js';
import { describeError, errorBody, frameworkErrors, sendError } from '../../shared/http-errors.js';
import { httpsServerFactory } from '../../shared/tls.js';
import type { Store } from '../../store/index.js';
import type { CoreConfig } from '../context.js';
import { installAuth } from '../http/auth.js';
import { Security } from '../security/service.js';
import { ClusterState } from '../state.js';
import { holderUrl } from './address.js';
import { loadRoutes, type RouteEntry } from './routes-table.js';

// hop-by-hop headers (RFC 9110 7.6.1), and the length, set again for the body sent
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

interface LeaderView {
  holder: string;
  term: number;
  url: string | undefined;
}

/** The store's credentials as this follower last read them, reloaded before an unknown secret is refused. */
class StoreCredentials {
  private inflight: { startedAt: number; done: Promise<void> } | undefined;

  constructor(
    private sec: Security,
    private readonly load: () => Promise<Security>,
  ) {}

  authenticate(header: string | undefined) {
    return this.sec.authenticate(header);
  }

  /** Resolves after a reload that started after this call (a credential the leader just issued is seen). */
  async refresh(): Promise<void> {
    const asked = performance.now();
    for (;;) {
      const f = this.inflight;
      if (f && f.startedAt >= asked) return f.done;
      if (f) {
        await f.done;
        continue;
      }
      const done = this.load()
        .then((s) => {
          this.sec = s;
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.inflight?.done === done) this.inflight = undefined;
        });
      this.inflight = { startedAt: performance.now(), done };
      return done;
    }
  }
}

export interface Follower {
  close(): Promise<void>;
}

export interface FollowerOptions {
  config: CoreConfig;
  token: string;
  /** this core's lease holder name */
  holder: string;
  log: (line: string) => void;
  /** how often the leader row and the route table are read again (ms) */
  refreshMs?: number;
}

/**
 * Serves the API on the core's address while this core does not lead (not on port 0: a core
 * that does not know its port cannot advertise it).
 */
export async function startFollower(store: Store, o: FollowerOptions): Promise<Follower | undefined> {
  const { config } = o;
  if (config.listen.port === 0) return undefined;
  const scheme = config.tls ? 'https' : 'http';
  const openSecurity = () => Security.open(store, new ClusterState(store), config.dataDir, o.token);
  const creds = new StoreCredentials(await openSecurity(), openSecurity);
  let leader: LeaderView | undefined;
  let table = '';
  let app: FastifyInstance | undefined;
  let closed = false;
  let storeError: string | undefined;

  const noLeader = (reply: FastifyReply, why: string) =>
    reply
      .header('retry-after', '1')
      .status(503)
      .send(errorBody('OSMO_NO_LEADER', `no leader to forward to: ${why}`));

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.headers[VIA] !== undefined)
      return noLeader(reply, `core ${o.holder} received a forwarded request but does not lead (the lead is moving)`);
    const l = leader;
    if (!l) return noLeader(reply, 'no core has taken the leader lease');
    if (l.holder === o.holder) return noLeader(reply, `this core (${o.holder}) is taking over the lead`);
    if (!l.url) return noLeader(reply, `the leader ${l.holder} advertises no address`);
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP_REQUEST.has(k)) headers[k] = v;
    headers[VIA] = o.holder;
    const from = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = from ? `${String(from)}, ${req.ip}` : req.ip;
    const body = Buffer.isBuffer(req.body) && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined;
    if (body) headers['content-length'] = body.length;
    // the client gone before the answer is complete: the leader's request goes too
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    let res: IncomingMessage;
    try {
      // node:https on the process's agents: they trust the cluster's CA (trustCa at start), which fetch would not
      const send = () =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const up = openRequest(new URL(`${l.url}${req.url}`), req.method, headers, abort.signal);
          up.once('response', resolve);
          up.once('error', (e) => reject(Object.assign(e, { reused: up.reusedSocket })));
          up.end(body);
        });
      // a kept-alive socket the leader closed as it was reused: the request never reached it
      res = await send().catch((e: NodeJS.ErrnoException & { reused?: boolean }) => {
        if (!e.reused || e.code !== 'ECONNRESET' || abort.signal.aborted) throw e;
        return send();
      });
    } catch (e) {
      if (abort.signal.aborted) return reply;
      // read the leader row again now rather than at the next tick: a new leader is likely
      void refresh();
      const err = e as NodeJS.ErrnoException;
      return noLeader(reply, `the leader ${l.holder} does not answer (${err.code ? `${err.code}: ` : ''}${err.message})`);
    }
    // redirects and every status travel back as they are: the client follows them if it will
    reply.status(res.statusCode ?? 502);
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !DROP_RESPONSE.has(k)) void reply.header(k, v);
    // the client learns from it that the leader is elsewhere, and where (client/failover.ts)
    void reply.header(VIA, followerVia(o.holder, l.url));
    if (req.method === 'HEAD') {
      res.resume();
      return reply.send();
    }
    // the bytes as the leader sent them (content-encoding kept): streamed, not buffered
    return reply.send(res);
  };

  const build = async (routes: RouteEntry[]): Promise<FastifyInstance> => {
    const a = Fastify({
      logger: false,
      bodyLimit: 8 * 1024 * 1024,
      forceCloseConnections: true,
      exposeHeadRoutes: false,
      routerOptions: { maxParamLength: NODE_ID_MAX * 9 },
      frameworkErrors,
      // the requests arrive through our own server (routing() below)
      serverFactory: (handler) => createServer(handler),
    });
    a.setErrorHandler((err, _req, reply) => {
      const d = describeError(err);
      return sendError(reply, d.code, d.error);
    });
    // bodies travel as they came: the leader parses and validates them
    a.removeAllContentTypeParsers();
    a.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    installAuth(a, creds, config.openClientApi);
    for (const r of routes)
      a.route({ method: r.method, url: r.url, config: { auth: r.auth, ...(r.basicAuth ? { basicAuth: true } : {}) }, handler: forward });
    // a path the table lacks (a newer leader's route): authorized as the client API, the leader answers
    a.setNotFoundHandler(forward);
    await a.ready();
    return a;
  };

  const refresh = async () => {
    try {
      const row = await store.db.selectFrom('core_leader').select(['holder', 'term']).where('id', '=', 1).executeTakeFirst();
      const next = row ? { holder: row.holder, term: Number(row.term), url: holderUrl(row.holder, scheme) } : undefined;
      if (next?.term !== leader?.term || !app) {
        const routes = await loadRoutes(store);
        const json = JSON.stringify(routes ?? null);
        if (routes && json !== table) {
          const old = app;
          app = await build(routes);
          table = json;
          await old?.close();
        }
      }
      if (next?.holder !== leader?.holder && next) o.log(`follower: forwarding to the leader ${next.holder} (term ${next.term})`);
      leader = next;
      storeError = undefined;
    } catch (e) {
      // the store is down: keep forwarding to the leader we know (say so once, not every tick)
      const msg = (e as Error).message;
      if (msg !== storeError) o.log(`follower: cannot read the leader from the store: ${msg}`);
      storeError = msg;
    }
  };
  await refresh();
  let ticks = 0;
  const timer = setInterval(() => {
    void refresh();
    // revocations and new tokens reach this copy without waiting for an unknown secret
    if (++ticks % 10 === 0) void creds.refresh();
  }, o.refreshMs ?? 500);
  timer.unref();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (app && !closed) return app.routing(req, res);
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify(errorBody('OSMO_NO_LEADER', 'no leader to forward to: no core has published its routes yet')));
  };
  const server: Server = config.tls ? httpsServerFactory(config.tls, 'core')(handler) : createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => resolve());
    });
  } catch (e) {
    clearInterval(timer);
    await app?.close();
    throw e;
  }
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      const done = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await done;
      await app?.close();
    },
  };
}

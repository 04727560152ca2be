// A REST call carried by NATS request/reply, so that a process reachable only through the bus
// answers with its very own HTTP routes: the receiver replays the request into its fastify app
// (inject: same routes, same zod validation, same bearer-token check) and sends the answer
// back. What may be called that way is narrowed by the receiver (`allow`); the token is the
// same one the REST call would carry. The sender gets {status, text} as from fetch.
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { z } from 'zod';

export const BusRequest = z.object({
  method: z.enum(['GET', 'PUT', 'POST', 'DELETE']),
  /** path and query, e.g. /api/v1/deploy/x/logs?bytes=100 */
  path: z.string().startsWith('/').max(4096),
  authorization: z.string().max(8192).optional(),
  body: z.unknown().optional(),
});
export type BusRequest = z.infer<typeof BusRequest>;

export const BusReply = z.object({ status: z.number().int(), text: z.string() });
export type BusReply = z.infer<typeof BusReply>;

/** What an HTTP client needs of a transport: one exchange, the answer or a thrown error. */
export type Exchange = (r: BusRequest & { timeoutMs: number }) => Promise<BusReply>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends requests to `subject` (one process, or a queue group of them). */
export function busExchange(nc: NatsConnection, subject: string): Exchange {
  return async ({ timeoutMs, ...req }) => {
    const m = await nc.request(subject, enc.encode(JSON.stringify(req)), { timeout: timeoutMs });
    const parsed = BusReply.safeParse(JSON.parse(dec.decode(m.data)));
    if (!parsed.success) throw new Error(`the answer on ${subject} is not a bus reply`);
    return parsed.data;
  };
}

export interface ServeOptions {
  /** subscribe with this queue group (several replicas share the requests) */
  queue?: string;
  /** which calls may come over the bus; anything else gets 404 without reaching the app */
  allow: (req: BusRequest, subject: string) => string | true;
  /** replays the request into the app */
  handle: (req: BusRequest) => Promise<BusReply>;
  log?: (msg: string) => void;
}

/** Answers requests on `subject` (wildcards allowed) until the subscription is closed. */
export function serveBus(nc: NatsConnection, subject: string, o: ServeOptions): Subscription {
  const reply = (m: Msg, r: BusReply) => {
    try {
      m.respond(enc.encode(JSON.stringify(r)));
    } catch (e) {
      // an answer larger than the servers' max_payload: say so instead of leaving the caller to time out
      o.log?.(`bus: cannot answer on ${m.subject}: ${(e as Error).message}`);
      m.respond(
        enc.encode(
          JSON.stringify({ status: 502, text: JSON.stringify({ response: false, status: 502, error: 'answer too large for the bus' }) }),
        ),
      );
    }
  };
  const error = (status: number, msg: string): BusReply => ({ status, text: JSON.stringify({ response: false, status, error: msg }) });
  return nc.subscribe(subject, {
    ...(o.queue ? { queue: o.queue } : {}),
    callback: (err, m) => {
      if (err || !m.reply) return;
      void (async () => {
        let req: BusRequest;
        try {
          const parsed = BusRequest.safeParse(JSON.parse(dec.decode(m.data)));
          if (!parsed.success) return reply(m, error(400, `not a bus request: ${parsed.error.issues[0]?.message ?? 'invalid'}`));
          req = parsed.data;
        } catch {
          return reply(m, error(400, 'not a bus request: not JSON'));
        }
        const ok = o.allow(req, m.subject);
        if (ok !== true) return reply(m, error(ok.startsWith('forbidden') ? 403 : 404, ok));
        try {
          reply(m, await o.handle(req));
        } catch (e) {
          reply(m, error(500, `bus call failed: ${(e as Error).message}`));
        }
      })();
    },
  });
}

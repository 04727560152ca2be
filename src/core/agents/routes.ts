// The agent <-> core wire contract (src/bus/protocol.ts): register, heartbeat, events.
// The auth hook has let in the join token or a node credential; which node a caller may
// speak for is decided here, before anything is stored (src/core/security).
import {
  CertificateRequest,
  CertificateResponse,
  EventBatch,
  EventBatchResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
} from '../../bus/protocol.js';
import { ErrorBody } from '../../model/index.js';
import { notFound } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';

const agentRoutes: CoreRoutes<'nodes' | 'ingest' | 'security'> = async (app, { ctx }) => {
  const tags = ['agent protocol'];
  app.post(
    '/api/v1/agent/register',
    {
      schema: {
        tags,
        summary: 'an agent announces itself (idempotent; also after restarts)',
        body: RegisterRequest,
        response: { 200: RegisterResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req) => {
      const r = await ctx.security.register(req.principal!, req.body.id, () => ctx.nodes.register(req.body));
      return { ...r.result, ...(r.credential ? { credential: r.credential } : {}), agentToken: ctx.security.commandTokenFor(req.body.id) };
    },
  );

  app.post(
    '/api/v1/agent/certificate',
    {
      schema: {
        tags,
        summary: "an agent's API certificate from the core's own CA, for the one host it names",
        body: CertificateRequest,
        response: { 200: CertificateResponse, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const ca = ctx.config.ca;
      if (!ca) throw notFound('this core has no CA of its own: give the agent --tls-cert/--tls-key (or --insecure-http)');
      ctx.security.checkCertificate(req.principal!, req.body.node, req.body.host);
      return { certificate: await ca.signAgent(req.body.csr, req.body.host, req.body.node), ca: ca.pem };
    },
  );

  app.post(
    '/api/v1/agent/heartbeat',
    {
      schema: {
        tags,
        summary: 'liveness; 404 means: register again',
        body: HeartbeatRequest,
        response: { 200: HeartbeatResponse, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.body.id);
      return ctx.nodes.heartbeat(req.body);
    },
  );

  app.post(
    '/api/v1/agent/events',
    {
      schema: {
        tags,
        summary: 'a batch of agent events; at-least-once, deduplicated by seq',
        body: EventBatch,
        response: { 200: EventBatchResponse, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.body.node);
      return ctx.ingest.accept(req.body);
    },
  );
};

export default agentRoutes;

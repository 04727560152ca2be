// The agent <-> core wire contract (src/bus/protocol.ts): register, heartbeat, events.
import {
  EventBatch,
  EventBatchResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
} from '../../bus/protocol.js';
import { ErrorBody } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';

const agentRoutes: CoreRoutes<'nodes' | 'ingest'> = async (app, { ctx }) => {
  const tags = ['agent protocol'];
  app.post(
    '/api/v1/agent/register',
    {
      schema: {
        tags,
        summary: 'an agent announces itself (idempotent; also after restarts)',
        body: RegisterRequest,
        response: { 200: RegisterResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => ctx.nodes.register(req.body),
  );

  app.post(
    '/api/v1/agent/heartbeat',
    {
      schema: {
        tags,
        summary: 'liveness; 404 means: register again',
        body: HeartbeatRequest,
        response: { 200: HeartbeatResponse, 404: ErrorBody },
      },
    },
    async (req) => ctx.nodes.heartbeat(req.body),
  );

  app.post(
    '/api/v1/agent/events',
    {
      schema: {
        tags,
        summary: 'a batch of agent events; at-least-once, deduplicated by seq',
        body: EventBatch,
        response: { 200: EventBatchResponse, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => ctx.ingest.accept(req.body),
  );
};

export default agentRoutes;

// API tokens (create, list, revoke) and the join token's rotation. Secrets appear in one
// answer only, the one that creates them; listings carry ids, names and scopes.
import { z } from 'zod';
import { ErrorBody } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';
import { CreatedToken, CreateToken, RotatedJoin, TokenInfo, TokenList } from './schema.js';

const WhoAmI = z.object({
  subject: z.string().describe('join-token, token:<name>, loopback'),
  scope: z.enum(['admin', 'read-only']),
});

const tokenRoutes: CoreRoutes<'security'> = async (app, { ctx }) => {
  const tags = ['security'];
  // any client token may ask what it may do (the dashboard hides what a read-only token cannot)
  app.get(
    '/api/v1/whoami',
    { config: { auth: 'client' }, schema: { tags, summary: "the caller's subject and scope", response: { 200: WhoAmI } } },
    async (req) => {
      const p = req.principal!;
      return { subject: p.subject, scope: 'scope' in p ? p.scope : 'read-only' };
    },
  );
  app.post(
    '/api/v1/tokens',
    {
      schema: {
        tags,
        summary: 'create an API token (admin or read-only); the secret is in this answer only',
        body: CreateToken,
        response: { 201: CreatedToken, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => reply.status(201).send(await ctx.security.createToken(req.body.scope, req.body.name)),
  );

  app.get(
    '/api/v1/tokens',
    { schema: { tags, summary: 'API tokens (ids, names, scopes; never secrets)', response: { 200: TokenList } } },
    async () => ({ tokens: ctx.security.listTokens() }),
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        tags,
        summary: 'revoke an API token (by id or name): refused from the next request on',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: TokenInfo, 404: ErrorBody },
      },
    },
    async (req) => ctx.security.revokeToken(req.params.id),
  );

  app.post(
    '/api/v1/join-token/rotate',
    {
      schema: {
        tags,
        summary: 'replace the join token (new nodes need the new one; joined nodes keep their credentials)',
        response: { 200: RotatedJoin },
      },
    },
    async () => ({ token: ctx.security.rotateJoin() }),
  );
};

export default tokenRoutes;

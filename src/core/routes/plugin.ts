import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CoreContext } from '../context.js';

/** Every route module of the core is one of these, listed in routes/index.ts. */
export type CoreRoutes = FastifyPluginAsyncZod<{ ctx: CoreContext }>;

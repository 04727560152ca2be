// The migration API's wire shapes (zod): the routes serialize through them, the OpenAPI
// document shows them, and src/client reads answers with them.
import { z } from 'zod';

/** POST /api/v1/instances/{id}/migrate */
export const MigrateBody = z
  .object({ node: z.string().min(1).max(128).optional().describe('target node; omit to let the destination policy choose') })
  .strict();
/** the answer of a migration that completed */
export const MigrationDone = z.object({
  instance: z.string(),
  newInstance: z.string(),
  mel: z.string(),
  from: z.string(),
  to: z.string(),
  ms: z.number(),
  reason: z.string(),
});

/** GET /api/v1/loads */
export const LoadsView = z.object({
  nodes: z.array(
    z.object({
      id: z.string(),
      load: z.number().optional(),
      overloaded: z.boolean(),
      inFlight: z.boolean(),
      pendingLoad: z.number(),
      acceptance: z.string(),
    }),
  ),
  instances: z.array(z.object({ id: z.string(), mel: z.string(), node: z.string(), load: z.number().optional(), movable: z.boolean() })),
});

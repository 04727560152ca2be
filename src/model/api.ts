// The bodies every route shares: the seed's `{response, status}` envelope.
import { z } from 'zod';

export { ErrorBody } from './errors.js';
export const OkBody = z.object({ response: z.literal(true), status: z.number().int() });

/** GET /api/v1/instances/{id}/logs */
export const InstanceLogs = z.object({ id: z.string(), node: z.string(), name: z.string(), logs: z.string() });
export type InstanceLogs = z.infer<typeof InstanceLogs>;

/** GET /healthz (core) */
export const CoreHealth = z.object({ status: z.literal('ok'), version: z.string(), nodes: z.number(), mels: z.number() });
export type CoreHealth = z.infer<typeof CoreHealth>;

/** GET /api/v1/system/cores: the cores sharing this store and the one that leads */
export const CoresView = z.object({
  store: z.enum(['sqlite', 'postgres']),
  /** the core that answered */
  self: z.string(),
  leader: z.object({ holder: z.string(), term: z.number().int(), since: z.number().int() }).nullable(),
  cores: z.array(z.object({ holder: z.string(), leader: z.boolean() })),
});
export type CoresView = z.infer<typeof CoresView>;

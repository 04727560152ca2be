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

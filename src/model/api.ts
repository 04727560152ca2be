// The bodies every route shares: the seed's `{response, status}` envelope.
import { z } from 'zod';

export const ErrorBody = z.object({ response: z.literal(false), status: z.number().int(), error: z.string() });
export const OkBody = z.object({ response: z.literal(true), status: z.number().int() });

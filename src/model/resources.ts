// Resources: CPU cores and memory bytes, the one pair that capacity, allocation and
// requests are all measured in.
import { z } from 'zod';

/** A node's capacity, what is allocated on it, or what an instance asks for. */
export const Resources = z.object({ cpus: z.number(), memoryBytes: z.number() });
export type Resources = z.infer<typeof Resources>;

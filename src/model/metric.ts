// Measurements: what an agent samples (metric), where (source), and one measured field.
import { z } from 'zod';

export const MetricName = z.enum(['cpu', 'mem', 'net', 'disk']);
export type MetricName = z.infer<typeof MetricName>;

/** host: the machine itself; guest: one instance (container or process) on it. */
export const SampleSource = z.enum(['host', 'guest']);
export type SampleSource = z.infer<typeof SampleSource>;

/** A measured value with its unit: "percent", "bytes", "bytes/s", "packets", "packets/s", "count". */
export const Field = z.object({ value: z.number(), unit: z.string() });
export type Field = z.infer<typeof Field>;

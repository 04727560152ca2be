// Cloudlets (after pycloud): the catalog of services a device may ask a cloudlet to start,
// and the app repository. The core keeps both; agents started with --cloudlet cache them.
import { z } from 'zod';

/** pycloud ids look like "edu.cmu.sei.ams.speech": dots allowed, nothing that needs escaping in a URL */
export const ServiceId = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/, 'service id: 1-128 characters of A-Z, a-z, 0-9, ".", "_" and "-"')
  .describe('service id, e.g. edu.cmu.sei.ams.speech');

const Tag = z.string().regex(/^[^,\s]{1,64}$/, 'tags: 1-64 characters each, no commas or spaces');
const MiB = z
  .number()
  .int()
  .min(0)
  .max(1024 * 1024 * 1024);

/** What an operator declares: POST /api/v1/services (id included), PUT /api/v1/services/{id} (id optional). */
export const ServiceBody = z
  .object({
    image: z.string().min(1).max(512).describe('container image'),
    port: z.number().int().min(1).max(65535).describe('TCP port the service listens on inside its container'),
    command: z.array(z.string().max(4096)).max(256).optional().describe('argv; absent = the image default'),
    env: z.record(z.string().max(256), z.string().max(4096)).optional(),
    tags: z.array(Tag).max(64).default([]),
    description: z.string().max(4096).default(''),
    version: z.string().max(64).default('1.0'),
    minMemory: MiB.default(0).describe('MiB the service needs at least (pycloud min_memory)'),
    idealMemory: MiB.default(0).describe('MiB it runs best with (pycloud ideal_memory)'),
    numUsers: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe('users one instance serves well (pycloud num_users; 0 = unbounded)'),
  })
  .strict();
export type ServiceBody = z.infer<typeof ServiceBody>;

export const ServiceSpec = ServiceBody.extend({ id: ServiceId }).strict();
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const ServiceView = ServiceSpec.extend({ createdAt: z.string(), updatedAt: z.string() });
export type ServiceView = z.infer<typeof ServiceView>;

/** The metadata of an app; the file travels apart (multipart part or raw body). */
export const AppFields = z
  .object({
    name: z.string().min(1).max(256),
    serviceId: ServiceId.optional().describe('the service the app is a client of'),
    description: z.string().max(4096).default(''),
    packageName: z.string().max(256).default(''),
    appVersion: z.string().max(64).default(''),
    minAndroidVersion: z.number().int().min(0).max(1000).default(0),
    tags: z.array(Tag).max(64).default([]),
    fileName: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\\\0"\r\n]+$/, 'fileName: a plain file name (no slashes, quotes or line breaks)')
      .optional(),
  })
  .strict();
export type AppFields = z.infer<typeof AppFields>;

export const AppView = AppFields.extend({
  id: z.string(),
  fileName: z.string(),
  md5: z.string().describe('MD5 of the file, hex'),
  size: z.number().int(),
  createdAt: z.string(),
});
export type AppView = z.infer<typeof AppView>;

/** Splits "a,b , c" into tags; empty parts dropped. */
export function parseTags(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

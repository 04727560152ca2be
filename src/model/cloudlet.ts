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

// ---- the agent protocol of cloudlets (agent <-> core) ---------------------------------

/** Instance ids are MEL names: "cl-<service>-<8 hex>". */
export const CloudletInstanceId = z
  .string()
  .regex(/^cl-[a-z0-9-]{1,35}-[0-9a-f]{8}$/, 'instance id: as the cloudlet gave it, cl-<service>-<8 hex>');

/** A device id (X-Device-ID): whatever the device sends, within reason. */
export const DeviceId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'X-Device-ID: 1-128 printable ASCII characters, no spaces');

/** What a cloudlet agent tells the core about one instance it started for devices. */
export const CloudletReport = z
  .object({
    node: z.string().min(1).max(128),
    serviceId: ServiceId,
    /** the container's name on the node */
    container: z.string().min(1).max(128),
    image: z.string().min(1).max(512),
    servicePort: z.number().int().min(1).max(65535),
    /** where the node publishes servicePort */
    hostPort: z.number().int().min(1).max(65535).nullable(),
    users: z.array(DeviceId).max(100_000),
  })
  .strict();
export type CloudletReport = z.infer<typeof CloudletReport>;

/** An instance the core has on a cloudlet (after a migration, the destination learns it so). */
export const CloudletAssigned = z.object({
  id: CloudletInstanceId,
  serviceId: ServiceId,
  container: z.string(),
  image: z.string(),
  servicePort: z.number().int(),
  hostPort: z.number().int().nullable(),
  users: z.array(z.string()),
  state: z.string(),
});
export type CloudletAssigned = z.infer<typeof CloudletAssigned>;

/** One message of the device mailbox (pycloud: "your service moved"). */
export const MailboxMessage = z.object({
  service_id: z.string(),
  device_id: z.string(),
  message: z.string(),
  text: z.string(),
  INSTANCE_ID: z.string().optional(),
  IP_ADDRESS: z.string().optional(),
  PORT: z.number().int().optional(),
  cloudlet: z.string().optional(),
  created: z.string(),
});
export type MailboxMessage = z.infer<typeof MailboxMessage>;

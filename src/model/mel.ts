// The MEL: desired state of a service. One zod schema validates requests, types the
// code and generates the OpenAPI document.
import { z } from 'zod';
import { NodeLayer } from './node.js';
import { SloSchema } from './slo.js';

export const MelName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$/, 'name: 1-48 characters of a-z, 0-9 and "-", not starting or ending with "-"')
  .describe('MEL name, used in container names');

const PortKey = z
  .string()
  .regex(/^\d{1,5}(\/(tcp|udp))?$/, 'ports: keys are container ports like "80/tcp" or "53/udp"')
  .refine((k) => Number(k.split('/')[0]) >= 1 && Number(k.split('/')[0]) <= 65535, 'ports: container port must be 1..65535');

/** What one instance asks for; both default when the MEL leaves them out. */
export const ResourceRequest = z
  .object({
    cpus: z.number().positive().max(1024).default(0.1).describe('CPU cores requested'),
    memoryBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('memory requested, bytes'),
  })
  .strict();

export const Placement = z
  .object({
    layer: NodeLayer.optional().describe('hard: only nodes of this layer'),
    preferLayer: NodeLayer.optional().describe('soft: prefer this layer'),
    domain: z.string().min(1).optional().describe('hard: only nodes of this domain'),
    preferDomain: z.string().min(1).optional().describe('soft: prefer this domain'),
    labels: z.record(z.string(), z.string()).optional().describe('hard: node labels that must match'),
    node: z.string().min(1).max(128).optional().describe('hard: only this node (a cloudlet instance is pinned to its cloudlet)'),
    spread: z.boolean().optional().describe('at most one replica per node while possible'),
  })
  .strict();

/** The placement constraints of a MEL (hard and soft), as the scheduler reads them. */
export type PlacementConstraints = z.infer<typeof Placement>;

export const HealthCheck = z
  .object({
    tcpPort: z.number().int().min(1).max(65535).optional(),
    command: z.array(z.string()).min(1).optional(),
  })
  .strict()
  .refine((h) => (h.tcpPort === undefined) !== (h.command === undefined), 'healthCheck: give exactly one of tcpPort or command');

/** Everything but the name: the body of PUT /mels/{name}. */
export const MelBody = z
  .object({
    image: z.string().min(1).max(512).describe('container image'),
    command: z.array(z.string()).optional().describe('argv; absent = the image default'),
    ports: z
      .record(PortKey, z.number().int().min(1, 'ports: host port must be 1..65535 or null (any free port)').max(65535).nullable())
      .optional()
      .describe('container port -> host port (null = any)'),
    volumes: z
      .record(
        z.string().min(1),
        z
          .object({ bind: z.string().startsWith('/', 'volumes: bind must be an absolute path'), mode: z.enum(['rw', 'ro']).default('rw') })
          .strict(),
      )
      .optional(),
    env: z.record(z.string(), z.string()).optional(),
    privileged: z.boolean().default(false),
    replicas: z.number().int().min(0).max(100_000).default(1),
    resources: ResourceRequest.default({ cpus: 0.1, memoryBytes: 64 * 1024 * 1024 }),
    placement: Placement.default({}),
    healthCheck: HealthCheck.optional(),
    labels: z
      .record(z.string().max(128), z.string().max(256))
      .optional()
      .describe('free-form labels (not part of the template: changing them replaces nothing), e.g. a cloudlet service and its user count'),
    slo: SloSchema.optional().describe(
      'QoS objectives, e.g. {"responseTime": {"max": 2.0}, "availability": {"min": 0.999}}: POST /sla-service/generate makes an agreement of them',
    ),
  })
  .strict();
export type MelBody = z.infer<typeof MelBody>;

export const MelSpec = MelBody.extend({ name: MelName }).strict();
export type MelSpec = z.infer<typeof MelSpec>;

/** What the API returns for a MEL: the spec plus bookkeeping and a status summary. */
export const MelView = MelSpec.extend({
  generation: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.object({
    desired: z.number().int(),
    running: z.number().int(),
    pending: z.number().int(),
    starting: z.number().int(),
    failed: z.number().int(),
    /** why replicas are pending, when they are */
    reason: z.string().optional(),
  }),
});
export type MelView = z.infer<typeof MelView>;

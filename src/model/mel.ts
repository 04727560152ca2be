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

/** ISO 8601 durations (`PT30S`, `PT5M`, `P1DT2H`), as the SLA documents and MEL cooldowns spell them too. */
export const ISO_DURATION =
  /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** A duration in a MEL: seconds (a number, at least `min`, at most 30 days) or ISO 8601. */
const Duration = (what: string, min: 0 | 1) =>
  z.union([
    z
      .number()
      .min(min, `${what}: seconds must be >= ${min}`)
      .max(30 * 86_400, `${what}: at most 30 days (2592000 seconds)`),
    z
      .string()
      .regex(ISO_DURATION, `${what}: seconds (a number) or ISO 8601 like "PT30S" or "PT5M"`)
      .refine((s) => /[1-9]/.test(s), `${what}: a zero duration is written 0`),
  ]);

/** What the core does with a MEL's instances when their node stops answering (after Nomad's `disconnect` block). */
export const DisconnectReconcile = z.enum(['keep-original', 'keep-replacement', 'best-score']);
export type DisconnectReconcile = z.infer<typeof DisconnectReconcile>;

export const Disconnect = z
  .object({
    lostAfter: Duration('disconnect.lostAfter', 0)
      .optional()
      .describe('how long the instances of a down node still count (state unknown) before they are lost; 0 (default) = lost at once'),
    replace: z.boolean().optional().describe('place replacements for lost instances (default true)'),
    reconcile: DisconnectReconcile.optional().describe(
      'when the node comes back with its lost instances still running, which copies stay (default keep-replacement)',
    ),
    stopAfter: Duration('disconnect.stopAfter', 1)
      .optional()
      .describe("the agent stops the MEL's instances once it has not reached the core for this long (absent: never)"),
  })
  .strict()
  .refine(
    (d) => !(d.replace === false && d.stopAfter !== undefined),
    'disconnect: stopAfter with replace false would leave nothing running during a partition',
  );
export type Disconnect = z.infer<typeof Disconnect>;

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
    disconnect: Disconnect.optional().describe(
      'what happens to instances on a node that stops answering, e.g. {"lostAfter": "PT5M", "reconcile": "keep-original"}; absent = lost and replaced at once, the replacement kept',
    ),
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
    /** on a node that stopped answering, still counted (disconnect.lostAfter) */
    unknown: z.number().int().optional(),
    /** why replicas are pending, when they are */
    reason: z.string().optional(),
  }),
});
export type MelView = z.infer<typeof MelView>;

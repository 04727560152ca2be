// Request bodies of the agent API (zod 4). Seed compatibility rules live here:
//  - an empty string (or null) for an optional field means "not given" (the seed's sample
//    call sends "ports": "", "privileged": "", "command": "" and an unknown "host": "");
//  - unknown fields are ignored (z.object strips them);
//  - `command` is a string (split without a shell, see deploy/command.ts) or a list.
import { z } from 'zod';
import { splitCommand } from '../deploy/command.js';
import { MetricName, SampleSource } from '../../model/metric.js';
import { NodeLayer } from '../../model/node.js';
import { ErrorCodeSchema } from '../../model/errors.js';
import type { InstanceInfo } from '../../runtime/types.js';

const notGiven = (v: unknown): unknown => (v === '' || v === null ? undefined : v);
const optional = <T extends z.ZodType>(s: T) => z.preprocess(notGiven, s.optional());

const MAX_STR = 4096;

export const InstanceName = z
  .string()
  .min(1, 'must not be empty')
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must start with a letter or digit and contain only letters, digits, "_", "." or "-"');

export const ImageRef = z
  .string()
  .min(1, 'must not be empty')
  .max(512)
  .regex(/^[a-zA-Z0-9][\w.\-/:@]*$/, 'is not an image reference (e.g. "redis:7-alpine")');

const Command = z.union(
  [
    z
      .string()
      .max(65536)
      .transform((s, ctx) => {
        try {
          return splitCommand(s);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: `cannot be split into arguments: ${(e as Error).message}` });
          return z.NEVER;
        }
      }),
    z.array(z.string().max(MAX_STR)).max(1024),
  ],
  { error: 'command must be a string or a list of strings' },
);

/** "80", "80/tcp", "53/udp" -> "80/tcp" style; host port a number, a numeric string, or null = any. */
const PortKey = z
  .string()
  .regex(/^\d{1,5}(\/(tcp|udp|sctp))?$/, 'port keys look like "80/tcp", "53/udp" or "80"')
  .refine((k) => {
    const n = Number(k.split('/')[0]);
    return n >= 1 && n <= 65535;
  }, 'container port must be 1..65535');
const HostPort = z.union(
  [
    z.number().int().min(1).max(65535),
    z
      .string()
      .regex(/^\d{1,5}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(65535)),
    z.null(),
  ],
  { error: 'host port must be 1..65535 or null (any free port)' },
);
const Ports = z
  .record(PortKey, HostPort)
  .refine((r) => Object.keys(r).length <= 256, 'at most 256 ports')
  .transform((r) => {
    const out: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(r)) out[k.includes('/') ? k : `${k}/tcp`] = v;
    return out;
  });

const VolumeKey = z
  .string()
  .min(1)
  .max(MAX_STR)
  .regex(/^(\/|[a-zA-Z0-9][a-zA-Z0-9_.-]*$)/, 'volume keys are an absolute host path or a volume name');
const Volumes = z
  .record(
    VolumeKey,
    z.object({
      bind: z.string().max(MAX_STR).regex(/^\//, 'bind must be an absolute path in the container'),
      mode: z.enum(['rw', 'ro']).default('rw'),
    }),
  )
  .refine((r) => Object.keys(r).length <= 256, 'at most 256 volumes');

const StrMap = z
  .record(
    z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^=\0]+$/, 'keys must not contain "=" or NUL'),
    z.string().max(MAX_STR),
  )
  .refine((r) => Object.keys(r).length <= 512, 'at most 512 entries');

export const DeployBody = z.object({
  image: ImageRef,
  name: InstanceName,
  command: optional(Command),
  ports: optional(Ports),
  volumes: optional(Volumes),
  privileged: optional(z.boolean()),
  // extensions for the core
  env: optional(StrMap),
  labels: optional(StrMap),
  resources: optional(
    z.object({
      cpus: z.number().positive().max(1024).optional(),
      memoryBytes: z
        .number()
        .int()
        .min(4 * 1024 * 1024)
        .max(2 ** 50)
        .optional(),
    }),
  ),
  workdir: optional(z.string().max(MAX_STR)),
});
export type DeployBody = z.infer<typeof DeployBody>;

export const UndeployBody = z.object({
  name: InstanceName,
  image: optional(ImageRef),
  /** extension: keep the image even when `image` is given (the core keeps images for re-use) */
  keepImage: optional(z.boolean()),
});
export type UndeployBody = z.infer<typeof UndeployBody>;

/** POST /api/v1/deploy/{name}/check: one health check of an instance. argv only, never a shell string. */
export const CheckBody = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('tcp'), port: z.number().int().min(1).max(65535) }).strict(),
    z
      .object({
        kind: z.literal('command'),
        argv: z
          .array(z.string().max(MAX_STR))
          .min(1, 'argv: give the program and its arguments as a list')
          .max(1024)
          .refine((a) => a[0] !== '', 'argv[0] must name a program'),
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
      })
      .strict(),
  ],
  { error: 'kind must be "tcp" (with port) or "command" (with argv)' },
);
export type CheckBody = z.infer<typeof CheckBody>;

/** POST /api/v1/deploy/{name}/check answer: healthy or not, and what was tried */
export const CheckResponse = z.object({
  response: z.literal(true),
  status: z.literal(200),
  name: z.string(),
  healthy: z.boolean(),
  detail: z.string(),
});

const Source = z.enum(['host', 'guest'], { error: 'source must be "host" or "guest"' });
/** seconds; the seed sends an integer, numeric strings are accepted too */
const Period = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ],
    { error: 'time must be a number of seconds' },
  )
  .pipe(z.number().min(0.1, 'time must be at least 0.1 seconds').max(86400, 'time must be at most 86400 seconds'));

/** beyond the seed: who holds the monitor ("" or absent = the seed's caller) */
const Holder = z
  .string()
  .max(200, 'holder must be at most 200 characters')
  .nullish()
  .transform((h) => h ?? '');
export const MonitorStartBody = z.object({ time: Period, source: Source, holder: Holder });
export const MonitorStopBody = z.object({ source: Source, holder: Holder });

/** PUT /api/v1/probe/{id} (beyond the seed): a probe the agent runs against an instance of its own or a host */
export const ProbeBody = z
  .object({
    kind: z.enum(['http', 'tcp'], { error: 'kind must be "http" or "tcp"' }),
    /** an instance on this node: its published port is dialled where this host publishes it */
    instance: z.string().min(1).max(200).optional(),
    /** or a host name / address to dial as given */
    host: z.string().min(1).max(255).optional(),
    /** the instance's container port (default: its first published tcp port), or the host's port */
    port: z.number().int().min(1).max(65535).optional(),
    path: z.string().max(2048).startsWith('/', 'path must start with /').optional(),
    /** ms: a slower answer counts as a failure */
    timeoutMs: z.number().min(1).max(60_000).default(5000),
    time: Period,
  })
  .refine((b) => (b.instance === undefined) !== (b.host === undefined), { message: 'give exactly one of instance and host' })
  .refine((b) => b.instance !== undefined || b.port !== undefined, { message: 'port: required with host', path: ['port'] });
export const ProbeParams = z.object({ id: z.string().min(1).max(200) });

export const EventsQuery = z.object({
  type: z
    .string()
    .max(200)
    .optional()
    .transform((s) =>
      s
        ? s
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : undefined,
    )
    .pipe(z.array(z.enum(['sample', 'probe', 'instance', 'pull', 'monitor', 'sensor'])).optional()),
});

/** path option -> metric; the seed also accepts "memory" and "network" */
export const MONITOR_OPTIONS: Record<string, 'cpu' | 'mem' | 'net' | 'disk'> = {
  cpu: 'cpu',
  mem: 'mem',
  memory: 'mem',
  net: 'net',
  network: 'net',
  disk: 'disk',
};

// ---- Responses (the 200 bodies; errors are the seed's {"response": false, ...}) ----------
// Shared by the routes (fastify serializes through them) and by src/client. The key order
// is the order the handlers write, so the bytes on the wire do not change.

const Ok = { response: z.literal(true), status: z.literal(200) };

export const PublishedPortSchema = z.object({
  containerPort: z.number(),
  protocol: z.enum(['tcp', 'udp']),
  hostIp: z.string(),
  hostPort: z.number(),
});

/** One instance as a runtime driver reports it (runtime/types.ts InstanceInfo). */
export const InstanceInfoSchema = z.object({
  name: z.string(),
  id: z.string(),
  driver: z.enum(['docker', 'process']),
  image: z.string(),
  command: z.array(z.string()),
  state: z.enum(['pulling', 'created', 'running', 'restarting', 'exited', 'failed', 'removed']),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  exitCode: z.number().optional(),
  ports: z.array(PublishedPortSchema),
  labels: z.record(z.string(), z.string()),
  pid: z.number().optional(),
  restarts: z.number().optional(),
});
// the schema and the runtime's type must name the same fields: a field the schema missed
// would silently vanish from the wire (the serializer strips unknown keys)
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const instanceInfoKeysMatch: SameKeys<InstanceInfo, z.infer<typeof InstanceInfoSchema>> = true;
void instanceInfoKeysMatch;

/** GET /api/v1 */
export const WhoAmIResponse = z.object({
  ...Ok,
  comment: z.string(),
  node: z.string(),
  version: z.string(),
  layer: NodeLayer,
  domain: z.string(),
  driver: z.enum(['docker', 'process']),
});
/** PUT /api/v1/deploy, GET /api/v1/deploy/{name} */
export const InstanceResponse = z.object({ ...Ok, instance: InstanceInfoSchema });
/** DELETE /api/v1/deploy */
export const UndeployResponse = z.object({ ...Ok, imageRemoved: z.boolean() });
/** GET /api/v1/deploy */
export const InstancesResponse = z.object({ ...Ok, instances: z.array(InstanceInfoSchema) });
/** the most deployments one POST /api/v1/deploy/batch carries */
export const DEPLOY_BATCH_MAX = 100;
/**
 * POST /api/v1/deploy/batch (extension): several deployments in one request, each as the seed's
 * PUT would take it. A batch that fails validation is refused whole (400), so nothing of it runs.
 */
export const DeployBatchBody = z.object({
  deployments: z
    .array(DeployBody)
    .min(1)
    .max(DEPLOY_BATCH_MAX)
    .refine((ds) => new Set(ds.map((d) => d.name)).size === ds.length, 'deployments: each name may appear once in a batch'),
});
export type DeployBatchBody = z.infer<typeof DeployBatchBody>;
/** one deployment's outcome in a batch: the status and body the seed's PUT would have answered */
export const DeployBatchItem = z.object({
  name: z.string(),
  status: z.number().int(),
  instance: InstanceInfoSchema.optional(),
  error: z.string().optional(),
  code: ErrorCodeSchema.optional(),
});
export const DeployBatchResponse = z.object({ ...Ok, results: z.array(DeployBatchItem) });
/** GET /api/v1/deploy/{name}/logs */
export const LogsResponse = z.object({ ...Ok, name: z.string(), logs: z.string() });

/** PUT /api/v1/monitor/{option} */
export const MonitorStartResponse = z.object({
  ...Ok,
  monitor: z.object({ metric: MetricName, source: SampleSource, period: z.number(), action: z.enum(['started', 'retimed']) }),
});
/** DELETE /api/v1/monitor/{option} */
export const OkResponse = z.object(Ok);
/** GET /api/v1/monitor */
export const MonitorsResponse = z.object({
  ...Ok,
  monitors: z.array(
    z.object({
      metric: MetricName,
      source: SampleSource,
      period: z.number(),
      startedAt: z.string(),
      samples: z.number(),
      holders: z.array(z.string()),
    }),
  ),
});
/** GET /api/v1/probe */
export const ProbesResponse = z.object({
  ...Ok,
  probes: z.array(z.object({ id: z.string(), kind: z.enum(['http', 'tcp']), target: z.string(), period: z.number(), samples: z.number() })),
});
/** an edge sensor process on this agent (PUT/GET /api/v1/sensor) */
const EdgeSensorInfo = z.object({
  id: z.string(),
  state: z.enum(['starting', 'running', 'restarting', 'failed']),
  pid: z.number().nullable(),
  restarts: z.number(),
  values: z.number(),
  last: z.object({ channel: z.string(), value: z.union([z.number(), z.boolean()]), ts: z.number() }).optional(),
  problem: z.string().optional(),
  dropped: z.number(),
});
export const SensorPutResponse = z.object({ ...Ok, sensor: EdgeSensorInfo });
export const SensorsResponse = z.object({ ...Ok, sensors: z.array(EdgeSensorInfo) });
/** GET /healthz */
export const HealthResponse = z.object({ status: z.literal('ok'), node: z.string() });

// The categories the OCCI documents define that osmo serves: Core (GFD.221), the
// infrastructure compute kind (GFD.224) and the monitoring extension's sensor, collector,
// their actions and the three mixin tags the provider mixins depend on.
import type { ActionCategory, AttributeDef, KindCategory, MixinCategory } from './category.js';

export const CORE = 'http://schemas.ogf.org/occi/core#';
export const INFRA = 'http://schemas.ogf.org/occi/infrastructure#';
export const MON = 'http://schemas.ogf.org/occi/monitoring#';
export const SENSOR_ACTION = 'http://schemas.ogf.org/occi/monitoring/sensor/action#';

export const ENTITY_ID = CORE + 'entity';
export const RESOURCE_ID = CORE + 'resource';
export const LINK_ID = CORE + 'link';
export const COMPUTE_ID = INFRA + 'compute';
export const SENSOR_ID = MON + 'sensor';
export const COLLECTOR_ID = MON + 'collector';
export const METRIC_TAG = MON + 'metric';
export const AGGREGATOR_TAG = MON + 'aggregator';
export const PUBLISHER_TAG = MON + 'publisher';

const str = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'string', mutable: true, ...extra });
const num = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'number', mutable: true, ...extra });

/** Kinds and actions, built under the server's OCCI root (e.g. '/occi'). */
export function standardCategories(root: string): { kinds: KindCategory[]; mixins: MixinCategory[]; actions: ActionCategory[] } {
  const loc = (p: string) => `${root}/${p}/`;
  const actions: ActionCategory[] = [
    { class: 'action', scheme: SENSOR_ACTION, term: 'start', title: 'Start the sensor: deploy its collectors and pipe', attributes: [] },
    {
      class: 'action',
      scheme: SENSOR_ACTION,
      term: 'stop',
      title: 'Stop the sensor: tear its collectors and pipe down, keep the definition',
      attributes: [],
    },
  ];
  const kinds: KindCategory[] = [
    {
      class: 'kind',
      scheme: CORE,
      term: 'entity',
      title: 'Entity',
      actions: [],
      attributes: [str('occi.core.id', { mutable: false }), str('occi.core.title')],
    },
    {
      class: 'kind',
      scheme: CORE,
      term: 'resource',
      title: 'Resource',
      parent: ENTITY_ID,
      location: loc('resource'),
      actions: [],
      attributes: [str('occi.core.summary')],
    },
    {
      class: 'kind',
      scheme: CORE,
      term: 'link',
      title: 'Link',
      parent: ENTITY_ID,
      location: loc('link'),
      actions: [],
      attributes: [
        str('occi.core.source', { mutable: false, required: true }),
        str('occi.core.target', { mutable: false, required: true }),
      ],
    },
    {
      class: 'kind',
      scheme: INFRA,
      term: 'compute',
      title: 'Compute resource (an osmo node or instance, read-only)',
      parent: RESOURCE_ID,
      location: loc('compute'),
      actions: [],
      readOnly: true,
      attributes: [
        str('occi.compute.architecture', { mutable: false, enum: ['x86', 'x64'] }),
        num('occi.compute.cores', { mutable: false, integer: true, minimum: 0 }),
        num('occi.compute.share', { mutable: false, integer: true, minimum: 0 }),
        str('occi.compute.hostname', { mutable: false }),
        num('occi.compute.speed', { mutable: false, minimum: 0 }),
        num('occi.compute.memory', { mutable: false, minimum: 0, description: 'GiB' }),
        str('occi.compute.state', { mutable: false, required: true, enum: ['active', 'inactive', 'suspended', 'error'] }),
        str('occi.compute.state.message', { mutable: false }),
      ],
    },
    {
      class: 'kind',
      scheme: MON,
      term: 'sensor',
      title: 'Sensor: processes and publishes what its collectors measure',
      parent: RESOURCE_ID,
      location: loc('sensor'),
      actions: actions.map((a) => a.scheme + a.term),
      attributes: [
        num('occi.sensor.period', { required: true, minimum: 0, description: 'seconds between two outputs of the sensor' }),
        num('occi.sensor.timebase', { description: 'epoch seconds the schedule is relative to; negative suspends the sensor' }),
        num('occi.sensor.timestart', { minimum: 0, description: 'seconds after timebase when the sensor starts' }),
        num('occi.sensor.timestop', { minimum: 0, description: 'seconds after timebase when the sensor stops' }),
        num('occi.sensor.granularity', { minimum: 0, description: 'resolution of the timestamps, seconds' }),
        num('occi.sensor.accuracy', { minimum: 0, description: 'tolerated deviation from the period, seconds' }),
        str('osmo.sensor.state', {
          mutable: false,
          enum: ['inactive', 'deploying', 'active', 'failed'],
          default: 'inactive',
          description: 'set by osmo',
        }),
        str('osmo.sensor.state.message', { mutable: false, description: 'why the sensor failed, set by osmo' }),
        {
          name: 'osmo.sensor.dangling',
          type: 'boolean',
          mutable: true,
          default: false,
          description: 'accept output channels nobody reads',
        },
        str('osmo.sensor.placement', { enum: ['core', 'edge'], default: 'core', description: 'where the pipe runs' }),
      ],
    },
    {
      class: 'kind',
      scheme: MON,
      term: 'collector',
      title: 'Collector: measures the target resource for the source sensor',
      parent: LINK_ID,
      location: loc('collector'),
      actions: [],
      attributes: [num('occi.collector.period', { required: true, minimum: 0, description: 'seconds between two measurements' })],
    },
  ];
  const tag = (term: string, applies: string, title: string): MixinCategory => ({
    class: 'mixin',
    scheme: MON,
    term,
    title,
    attributes: [],
    actions: [],
    depends: [],
    applies: [applies],
    location: loc(`mixin/monitoring/${term}`),
  });
  const mixins: MixinCategory[] = [
    tag('metric', COLLECTOR_ID, 'Tag of the mixins that measure something on a collector'),
    tag('aggregator', SENSOR_ID, 'Tag of the mixins that process values in a sensor'),
    tag('publisher', SENSOR_ID, 'Tag of the mixins that deliver values out of a sensor'),
  ];
  return { kinds, mixins, actions };
}

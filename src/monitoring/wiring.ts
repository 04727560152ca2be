// The wiring checker: equal channel names connect metric → aggregator → publisher inside one
// sensor and its collectors. Every input needs exactly one producer of a compatible type,
// the aggregators form no cycle, and an output nobody reads is refused unless the sensor
// says `osmo.sensor.dangling`. Errors name the channel (and the stages involved).
import { invalid } from '../shared/errors.js';
import type { StageRole, ValueType } from './category.js';
import type { LinkEntity, ResourceEntity } from './entity.js';
import type { ProviderMixin } from './providers.js';
import type { Registry } from './registry.js';

export interface Port {
  attribute: string;
  channel: string;
  types: readonly ValueType[];
}

/** One provider mixin on one entity: a stage of the pipe. */
export interface Stage {
  /** e.g. "collector c1: http://osmo/occi/monitoring/metric#cpu", for messages */
  label: string;
  role: StageRole;
  mixin: ProviderMixin;
  /** the sensor (aggregators, publishers) or the collector (metrics) that carries the mixin */
  entity: ResourceEntity | LinkEntity;
  inputs: Port[];
  outputs: Port[];
}

export interface Wiring {
  stages: Stage[];
  /** channel → index of its producing stage */
  producer: Map<string, number>;
  /** channel → indices of the stages reading it */
  consumers: Map<string, number[]>;
  /** aggregator stage indices, each after the stages it reads from */
  order: number[];
}

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function stagesOf(reg: Registry, entity: ResourceEntity | LinkEntity, what: string): Stage[] {
  const out: Stage[] = [];
  for (const id of entity.mixins) {
    const mixin = reg.provider(id);
    if (!mixin) continue;
    const label = `${what} ${entity.id}: ${mixin.term}`;
    const inputs: Port[] = [];
    const outputs: Port[] = [];
    for (const a of mixin.attributes) {
      if (!a.channel) continue;
      const v = entity.attributes[a.name];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !CHANNEL.test(v)) {
        throw invalid(`${label}: attribute ${a.name}: channel name "${String(v)}" must be 1-64 letters, digits, "_", ".", ":" or "-"`, {
          attribute: a.name,
        });
      }
      (a.channel.direction === 'in' ? inputs : outputs).push({ attribute: a.name, channel: v, types: a.channel.types });
    }
    if (mixin.role === 'metric' && outputs.length === 0) {
      throw invalid(
        `${label}: set at least one output channel (${mixin.attributes
          .filter((a) => a.channel)
          .map((a) => a.name)
          .join(', ')})`,
        { category: id },
      );
    }
    out.push({ label, role: mixin.role, mixin, entity, inputs, outputs });
  }
  return out;
}

function checkParameters(s: Stage): void {
  const at = (n: string) => s.entity.attributes[`osmo.aggregator.${s.mixin.term}.${n}`] as number | undefined;
  if (s.mixin.term === 'threshold' && (at('low') ?? 0) > (at('high') ?? 0)) {
    throw invalid(
      `${s.label}: attribute osmo.aggregator.threshold.low (${at('low')}) must not exceed osmo.aggregator.threshold.high (${at('high')})`,
      { attribute: 'osmo.aggregator.threshold.low' },
    );
  }
  if (s.mixin.term === 'percentile' && (at('p') ?? 0) > 100) {
    throw invalid(`${s.label}: attribute osmo.aggregator.percentile.p must be within 0..100`, {
      attribute: 'osmo.aggregator.percentile.p',
    });
  }
}

export interface WiringOptions {
  /** Refuse inputs nobody produces (default true). A sensor stored before its collectors may pass false. */
  requireProducers?: boolean;
}

/** Checks and resolves the wiring of a sensor and its collectors; throws `invalid` naming the channel. */
export function checkWiring(reg: Registry, sensor: ResourceEntity, collectors: readonly LinkEntity[], opts: WiringOptions = {}): Wiring {
  const stages = [...collectors.flatMap((c) => stagesOf(reg, c, 'collector')), ...stagesOf(reg, sensor, 'sensor')];
  for (const s of stages) checkParameters(s);
  for (const s of stages) {
    if (s.role === 'metric' && s.entity === sensor)
      throw invalid(`${s.label}: a metric belongs on a collector`, { category: s.mixin.scheme + s.mixin.term });
  }

  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  stages.forEach((s, i) => {
    for (const o of s.outputs) {
      const prev = producer.get(o.channel);
      if (prev !== undefined) {
        throw invalid(`channel "${o.channel}" has two producers: ${stages[prev]!.label} and ${s.label}`, { channel: o.channel });
      }
      producer.set(o.channel, i);
    }
    for (const p of s.inputs) (consumers.get(p.channel) ?? consumers.set(p.channel, []).get(p.channel)!).push(i);
  });

  for (const [channel, readers] of consumers) {
    const pi = producer.get(channel);
    if (pi === undefined) {
      if (opts.requireProducers === false) continue;
      throw invalid(`channel "${channel}" read by ${stages[readers[0]!]!.label} has no producer`, { channel });
    }
    const type = stages[pi]!.outputs.find((o) => o.channel === channel)!.types[0]!;
    for (const r of readers) {
      const port = stages[r]!.inputs.find((p) => p.channel === channel)!;
      if (!port.types.includes(type)) {
        throw invalid(
          `channel "${channel}": ${stages[pi]!.label} produces ${type} but ${stages[r]!.label} (${port.attribute}) accepts ${port.types.join(' | ')}`,
          { channel },
        );
      }
    }
  }

  if (sensor.attributes['osmo.sensor.dangling'] !== true) {
    for (const [channel, pi] of producer) {
      if (!consumers.has(channel)) {
        throw invalid(`channel "${channel}" produced by ${stages[pi]!.label} is read by nobody (set osmo.sensor.dangling to allow it)`, {
          channel,
        });
      }
    }
  }

  return { stages, producer, consumers, order: topologicalOrder(stages, producer) };
}

// Kahn's algorithm over aggregator → aggregator edges; whatever is left over is in a cycle.
function topologicalOrder(stages: readonly Stage[], producer: Map<string, number>): number[] {
  const aggs = stages.map((s, i) => (s.role === 'aggregator' ? i : -1)).filter((i) => i >= 0);
  const pending = new Map<number, number>();
  const readersOf = new Map<number, number[]>();
  for (const i of aggs) {
    let n = 0;
    for (const p of stages[i]!.inputs) {
      const from = producer.get(p.channel);
      if (from !== undefined && stages[from]!.role === 'aggregator') {
        n++;
        (readersOf.get(from) ?? readersOf.set(from, []).get(from)!).push(i);
      }
    }
    pending.set(i, n);
  }
  const ready = aggs.filter((i) => pending.get(i) === 0);
  const order: number[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    order.push(i);
    for (const r of readersOf.get(i) ?? []) {
      const n = pending.get(r)! - 1;
      pending.set(r, n);
      if (n === 0) ready.push(r);
    }
  }
  if (order.length < aggs.length) {
    const stuck = aggs.filter((i) => !order.includes(i));
    const channels = stuck.flatMap((i) => stages[i]!.outputs.map((o) => o.channel));
    throw invalid(
      `channels ${channels.map((c) => `"${c}"`).join(', ')} form a cycle through ${stuck.map((i) => stages[i]!.label).join(', ')}`,
      { channel: channels[0] },
    );
  }
  return order;
}

// A sensor's pipe, compiled from its checked wiring: metric samples enter by a numeric
// handle, flow through the aggregators in channel order and leave through the publishers'
// sinks, which the host (the core, doing the I/O) supplies. The hot path allocates nothing.
import type { ValueType } from './category.js';
import type { LinkEntity, ResourceEntity } from './entity.js';
import { Ewma, type Operator, Rate, Threshold, Window } from './operators.js';
import type { Registry } from './registry.js';
import { checkWiring, type Stage } from './wiring.js';

/** Receives what a publisher should deliver; value types: number, boolean as 0/1, state as 0/1. */
export type Sink = (value: number, timeMs: number) => void;

/** Where a metric's samples enter the pipe. */
export interface PipeInput {
  /** pass to Pipe.push */
  handle: number;
  collector: LinkEntity;
  /** the metric mixin's term: cpu, mem, http-probe, … */
  metric: string;
  /** the output attribute, e.g. osmo.metric.http-probe.latency */
  attribute: string;
  channel: string;
}

export interface PublisherInfo {
  stage: Stage;
  channel: string;
  type: ValueType;
}

const num = (s: Stage, n: string): number => s.entity.attributes[`osmo.aggregator.${s.mixin.term}.${n}`] as number;

function operatorFor(s: Stage): Operator {
  switch (s.mixin.term) {
    case 'ewma':
      return new Ewma(num(s, 'gain'));
    case 'mean':
    case 'min':
    case 'max':
      return new Window(s.mixin.term, num(s, 'period') * 1000);
    case 'percentile':
      return new Window('percentile', num(s, 'period') * 1000, num(s, 'p'), num(s, 'capacity'));
    case 'rate':
      return new Rate(s.entity.attributes['osmo.aggregator.rate.counter'] === true);
    case 'threshold':
      return new Threshold(num(s, 'high'), num(s, 'low'));
    default:
      throw new Error(`no operator for aggregator ${s.mixin.term}`);
  }
}

export class Pipe {
  /** per channel index: the operators reading it */
  private readonly readers: number[][];
  /** per channel index: the sinks reading it */
  private readonly sinks: Sink[][];
  private readonly ops: Operator[];
  /** per operator: the channel index it writes */
  private readonly opOut: Int32Array;
  readonly inputs: PipeInput[];
  readonly publishers: PublisherInfo[];

  /**
   * Builds the pipe of a sensor; throws `invalid` (naming the channel) if the wiring is wrong.
   * `sinkFor` is asked once per publisher.
   */
  constructor(reg: Registry, sensor: ResourceEntity, collectors: readonly LinkEntity[], sinkFor: (p: PublisherInfo) => Sink) {
    const w = checkWiring(reg, sensor, collectors);
    const index = new Map<string, number>();
    const ch = (name: string): number => index.get(name) ?? index.set(name, index.size).get(name)!;
    for (const s of w.stages) for (const p of [...s.inputs, ...s.outputs]) ch(p.channel);
    this.readers = Array.from({ length: index.size }, () => []);
    this.sinks = Array.from({ length: index.size }, () => []);
    this.ops = [];
    const outs: number[] = [];
    for (const i of w.order) {
      const s = w.stages[i]!;
      const k = this.ops.push(operatorFor(s)) - 1;
      outs.push(ch(s.outputs[0]!.channel));
      for (const p of s.inputs) this.readers[ch(p.channel)]!.push(k);
    }
    this.opOut = Int32Array.from(outs);
    this.publishers = [];
    for (const s of w.stages) {
      if (s.role !== 'publisher') continue;
      const input = s.inputs[0]!;
      const pi = w.producer.get(input.channel);
      const type = pi === undefined ? 'number' : w.stages[pi]!.outputs.find((o) => o.channel === input.channel)!.types[0]!;
      const info: PublisherInfo = { stage: s, channel: input.channel, type };
      this.publishers.push(info);
      this.sinks[ch(input.channel)]!.push(sinkFor(info));
    }
    this.inputs = w.stages
      .filter((s) => s.role === 'metric')
      .flatMap((s) =>
        s.outputs.map((o) => ({
          handle: ch(o.channel),
          collector: s.entity as LinkEntity,
          metric: s.mixin.term,
          attribute: o.attribute,
          channel: o.channel,
        })),
      );
  }

  /** Feeds one metric sample (time in ms) through the pipe. */
  push(handle: number, x: number, t: number): void {
    this.dispatch(handle, x, t);
  }

  /** Lets windows close at time `t` without a new sample (call it on a timer). */
  tick(t: number): void {
    for (let k = 0; k < this.ops.length; k++) {
      const op = this.ops[k]!;
      if (op.flush(t)) this.dispatch(this.opOut[k]!, op.value, op.time);
    }
  }

  private dispatch(channel: number, x: number, t: number): void {
    const sinks = this.sinks[channel]!;
    for (let i = 0; i < sinks.length; i++) sinks[i]!(x, t);
    const readers = this.readers[channel]!;
    for (let i = 0; i < readers.length; i++) {
      const k = readers[i]!;
      const op = this.ops[k]!;
      if (op.push(x, t)) this.dispatch(this.opOut[k]!, op.value, op.time);
    }
  }
}

// The edge sensor process (the seed deploys each sensor as a microservice next to what it
// measures): `osmo sensor-edge`, started and supervised by the agent of the target's node.
// It reads the spec and then the agent's samples and probe runs as JSON lines on stdin, runs
// the sensor's pipe and its portable publishers (log, UDP, webhook) itself, and tells the
// agent what it delivered on stdout. It keeps working while the core is away: nothing here
// talks to the core.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Field } from '../model/index.js';
import { Pipe, Registry, type PipeInput, type ResourceEntity } from '../monitoring/index.js';
import { EdgeSensorSpec, eventKey, whereKey, type FromEdge, type ToEdge } from './edge-protocol.js';
import { portablePublisher, type Publisher, type SensorValue } from './publishers.js';
import { due, readMonitor, readProbe } from './read.js';

const TICK_MS = 250;

interface Input {
  input: PipeInput;
  periodMs: number;
  lastAt: number;
  source: 'host' | 'guest' | 'probe';
}

/** Runs until stdin ends; resolves with the exit code. */
export async function runEdgeSensor(stdin: Readable, stdout: Writable): Promise<number> {
  const say = (m: FromEdge) => stdout.write(JSON.stringify(m) + '\n');
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  let pipe: Pipe | undefined;
  const publishers: Publisher[] = [];
  const byKey = new Map<string, Input[]>();
  let tick: NodeJS.Timeout | undefined;
  try {
    for await (const line of lines) {
      if (!line) continue;
      let msg: ToEdge;
      try {
        msg = JSON.parse(line) as ToEdge;
      } catch {
        say({ t: 'problem', m: 'a line from the agent is not JSON: ignored' });
        continue;
      }
      if (msg.t === 'spec') {
        if (pipe) continue;
        try {
          pipe = build(msg, publishers, byKey, say);
        } catch (e) {
          say({ t: 'fatal', m: (e as Error).message });
          return 2;
        }
        const p = pipe;
        tick = setInterval(() => p.tick(Date.now()), TICK_MS);
        say({ t: 'ready' });
      } else if (pipe && (msg.t === 'sample' || msg.t === 'probe')) {
        const key = eventKey(msg.t === 'sample' ? { metric: msg.metric, source: msg.source, target: msg.target } : { id: msg.id });
        for (const i of byKey.get(key) ?? []) {
          const fields = msg.fields as Record<string, Field>;
          const x = i.source === 'probe' ? readProbe(i.input, fields) : readMonitor(i.input, fields, i.source);
          if (x === undefined || !Number.isFinite(x) || !due(msg.ts, i.lastAt, i.periodMs)) continue;
          i.lastAt = msg.ts;
          pipe.push(i.input.handle, x, msg.ts);
        }
      }
    }
    return 0;
  } finally {
    if (tick) clearInterval(tick);
    await Promise.all(publishers.map((p) => p.close().catch(() => undefined)));
  }
}

function build(
  msg: Extract<ToEdge, { t: 'spec' }>,
  publishers: Publisher[],
  byKey: Map<string, Input[]>,
  say: (m: FromEdge) => void,
): Pipe {
  const spec = EdgeSensorSpec.parse(msg.spec);
  const sensor = spec.sensor as unknown as ResourceEntity;
  const where = new Map(spec.bindings.map((b) => [b.collector, b.where]));
  const pipe = new Pipe(new Registry('/occi'), sensor, sensor.links, (p) => {
    const term = p.stage.mixin.term;
    const attr = (n: string) => String(p.stage.entity.attributes[`osmo.publisher.${term}.${n}`] ?? '');
    const pub = portablePublisher(term, attr, msg.logDir, (m) => say({ t: 'problem', m }));
    if (!pub) throw new Error(`publisher ${term} needs the core: an edge sensor runs only log, udp and webhook`);
    publishers.push(pub);
    const asBool = p.type === 'boolean';
    return (value, ts) => {
      const v: SensorValue = { sensor: sensor.id, channel: p.channel, publisher: term, value: asBool ? value !== 0 : value, ts };
      pub.send(v);
      say({ t: 'value', v });
    };
  });
  for (const input of pipe.inputs) {
    const w = where.get(input.collector.id);
    if (!w) throw new Error(`collector ${input.collector.id} has no binding: the core did not say where its samples come from`);
    const key = whereKey(w);
    const list = byKey.get(key) ?? byKey.set(key, []).get(key)!;
    list.push({
      input,
      periodMs: Number(input.collector.attributes['occi.collector.period']) * 1000,
      lastAt: -Infinity,
      source: w.kind === 'probe' ? 'probe' : w.source,
    });
  }
  return pipe;
}

// From an agent's sample or probe event to the one number a collector's metric means, and
// the gate that keeps each collector's own period when the agent measures faster (it runs one
// monitor per metric and source at the shortest period anyone asked for). Used by the core's
// pipes and by edge sensors alike.
import type { Field } from '../model/index.js';
import type { PipeInput } from '../monitoring/index.js';

/**
 * True when a sample at `ts` (ms) is due for a collector of period `periodMs` whose last
 * sample was at `lastAt` (with slack for timer jitter).
 */
export function due(ts: number, lastAt: number, periodMs: number): boolean {
  return ts - lastAt >= periodMs - Math.min(periodMs / 2, 500);
}

const sumOf = (fields: Record<string, Field>, suffixes: string[]): number => {
  let sum = 0;
  for (const [k, f] of Object.entries(fields)) if (!k.startsWith('lo.') && suffixes.some((s) => k.endsWith(s))) sum += f.value;
  return sum;
};

/** The one number a metric mixin means, out of a monitor sample's fields. */
export function readMonitor(input: PipeInput, fields: Record<string, Field>, source: 'host' | 'guest'): number | undefined {
  const dir = String(input.collector.attributes[`osmo.metric.${input.metric}.direction`] ?? 'both');
  switch (input.metric) {
    case 'cpu':
      return fields.total?.value;
    case 'mem':
      return (source === 'host' ? fields.used : fields.usage)?.value;
    case 'net': {
      const s = dir === 'rx' ? ['rx_bytes_rate'] : dir === 'tx' ? ['tx_bytes_rate'] : ['rx_bytes_rate', 'tx_bytes_rate'];
      return sumOf(fields, s);
    }
    case 'disk': {
      const s = dir === 'read' ? ['read_bytes_rate'] : dir === 'write' ? ['write_bytes_rate'] : ['read_bytes_rate', 'write_bytes_rate'];
      return sumOf(fields, s);
    }
    default:
      return undefined;
  }
}

export function readProbe(input: PipeInput, fields: Record<string, Field>): number | undefined {
  const up = fields.up?.value === 1;
  // an HTTP answer has a latency whatever its status; no answer has none
  if (input.attribute.endsWith('.latency')) return up || (fields.status?.value ?? 0) > 0 ? fields.latency?.value : undefined;
  if (input.attribute.endsWith('.status')) return fields.status?.value;
  return up ? 1 : 0;
}

// Which fields of a sample a chart draws by default. Samples carry many flat fields
// ("total", "core0", "eth0.rx_bytes", "used", "/.used"); a chart reads best with a few
// of one unit, so pick those the operator most likely wants and keep units together.
import type { MetricName } from '../api/types.js';

const PREFER: Record<MetricName, RegExp[]> = {
  cpu: [/^total$/, /percent/],
  mem: [/^used_percent$|^percent$/, /^used$/, /usage/],
  net: [/rx_bytes_rate|rx_rate|rx\b.*\/s/, /tx_bytes_rate|tx_rate/, /bytes_rate|_rate$/],
  disk: [/read_bytes_rate|read_rate/, /write_bytes_rate|write_rate/, /_rate$/],
};

export function chooseFields(metric: MetricName, names: string[], units: Map<string, string>, max = 4): string[] {
  const picked: string[] = [];
  for (const re of PREFER[metric]) {
    for (const n of names) if (re.test(n) && !picked.includes(n)) picked.push(n);
    if (picked.length >= max) break;
  }
  const chosen = picked.length > 0 ? picked : names.filter((n) => units.get(n)?.endsWith('/s')).concat(names);
  // one unit per chart: the unit of the first pick
  const unit = units.get(chosen[0] ?? '');
  return [...new Set(chosen)].filter((n) => units.get(n) === unit).slice(0, max);
}

export const METRICS: MetricName[] = ['cpu', 'mem', 'net', 'disk'];

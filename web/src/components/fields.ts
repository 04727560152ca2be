// Which fields of a sample a chart draws by default. Samples carry many flat fields
// ("total", "core0", "eth0.rx_bytes_rate", "used_percent", "vda.read_bytes_rate"); a chart
// reads best with a few of one unit, so pick those an operator most likely wants.
import type { MetricName } from '../api/types.js';

/** Per-device rate pairs: received/sent for net, read/written for disk. */
const PAIRS: Partial<Record<MetricName, [RegExp, RegExp]>> = {
  net: [/(^|\.)rx_bytes_rate$/, /(^|\.)tx_bytes_rate$/],
  disk: [/(^|\.)read_bytes_rate$/, /(^|\.)write_bytes_rate$/],
};
/** virtual interfaces that would crowd out the real ones */
const VIRTUAL = /^(lo|ifb\d*|docker\d*|veth\w*|br-\w+|virbr\d*|tun\d*|tap\d*|loop\d*|ram\d*|sr\d*)$/;

export function chooseFields(metric: MetricName, names: string[], units: Map<string, string>, max = 4): string[] {
  const pair = PAIRS[metric];
  if (pair) {
    const devices = [
      ...new Set(
        names.filter((n) => pair[0].test(n) || pair[1].test(n)).map((n) => (n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : '')),
      ),
    ];
    const real = devices.filter((d) => !VIRTUAL.test(d));
    const picked = (real.length ? real : devices).slice(0, Math.floor(max / 2));
    const out = picked.flatMap((d) =>
      names.filter(
        (n) =>
          (d ? n.startsWith(`${d}.`) && !n.slice(d.length + 1).includes('.') : !n.includes('.')) && (pair[0].test(n) || pair[1].test(n)),
      ),
    );
    if (out.length) return out.slice(0, max);
  }
  const prefer: RegExp[] = metric === 'cpu' ? [/^total$/] : metric === 'mem' ? [/^used_percent$/, /^percent$/, /^used$/] : [];
  for (const re of prefer) {
    const hit = names.filter((n) => re.test(n));
    if (hit.length) return hit.slice(0, max);
  }
  // otherwise the fields of the first field's unit
  const unit = units.get(names[0] ?? '');
  return names.filter((n) => units.get(n) === unit).slice(0, max);
}

export const METRICS: MetricName[] = ['cpu', 'mem', 'net', 'disk'];

/** Axis labels that fit next to the unit: 15000000 -> "15M"; small numbers keep as many
 * decimals as the tick spacing needs (0.625, 0.630 stay apart). */
export function compact(v: number, incr = 0): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (!(incr > 0)) return String(+v.toFixed(2));
  return v.toFixed(Math.min(6, Math.max(0, -Math.floor(Math.log10(incr)))));
}

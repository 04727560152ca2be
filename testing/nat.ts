// A host behind NAT, as edge boxes on a home or mobile network are: three namespaces on one
// machine, `<prefix>-wan` (the reachable side: core, NATS), `<prefix>-gw` (a router that
// masquerades the private side's traffic as its own WAN address) and `<prefix>-edge` (a
// private address whose only way out is the router). Nothing on the WAN side has a route to
// the private network, so a connection can only be opened from the edge outwards. Removed by
// close(), even after a failure halfway through. Needs root, iproute2 and iptables.
import { run, tryRun, type Host } from './netns.js';

export interface NatNet {
  wan: Host;
  gw: Host;
  edge: Host;
  close(): void;
}

/**
 * `wanNet`/`lanNet`: the first three octets of two private /24s used only here, e.g.
 * `makeNat('onat', '10.231.20', '192.168.77')`: wan .1, router .2 on the WAN; router .1,
 * edge .2 on the private side.
 */
export function makeNat(prefix: string, wanNet: string, lanNet: string): NatNet {
  const ns = { wan: `${prefix}-wan`, gw: `${prefix}-gw`, edge: `${prefix}-edge` };
  const made: string[] = [];
  const close = () => {
    for (const n of made.reverse()) tryRun('ip', ['netns', 'del', n]);
  };
  const host = (name: string, ip: string): Host => ({ ns: name, ip, enter: ['nsenter', `--net=/run/netns/${name}`] });
  try {
    for (const n of Object.values(ns)) {
      tryRun('ip', ['netns', 'del', n]);
      run('ip', ['netns', 'add', n]);
      made.push(n);
      run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    // WAN link: wan eth0 <-> gw eth0; private link: gw eth1 <-> edge eth0
    run('ip', ['link', 'add', 'eth0', 'netns', ns.wan, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.gw]);
    run('ip', ['link', 'add', 'eth1', 'netns', ns.gw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.edge]);
    const addr = (n: string, dev: string, ip: string) => {
      run('ip', ['-n', n, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      run('ip', ['-n', n, 'link', 'set', dev, 'up']);
    };
    addr(ns.wan, 'eth0', `${wanNet}.1`);
    addr(ns.gw, 'eth0', `${wanNet}.2`);
    addr(ns.gw, 'eth1', `${lanNet}.1`);
    addr(ns.edge, 'eth0', `${lanNet}.2`);
    run('ip', ['-n', ns.edge, 'route', 'add', 'default', 'via', `${lanNet}.1`]);
    // the router: forwards, and rewrites the private side's source address to its own
    run('ip', ['netns', 'exec', ns.gw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    run('ip', [
      'netns',
      'exec',
      ns.gw,
      'iptables',
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      `${lanNet}.0/24`,
      '-o',
      'eth0',
      '-j',
      'MASQUERADE',
    ]);
  } catch (e) {
    close();
    throw e;
  }
  return { wan: host(ns.wan, `${wanNet}.1`), gw: host(ns.gw, `${wanNet}.2`), edge: host(ns.edge, `${lanNet}.2`), close };
}

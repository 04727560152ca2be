// One mDNS socket (bonjour-service over multicast-dns) with its failures turned into log
// lines: by default the library throws from a socket callback (a send with no route to the
// multicast group would end the agent) and leaves the socket's "error" event unhandled.
import { isIP } from 'node:net';
import { Bonjour } from 'bonjour-service';
import { invalid } from '../shared/errors.js';

export interface MdnsOptions {
  /**
   * IPv4 address of the interface to send and join on (a multi-homed edge box: the LAN side).
   * Default: the one the kernel routes 224.0.0.251 through.
   */
  interface?: string;
  /** where failures go (the agent's logger); they never throw */
  log?: (msg: string) => void;
}

/** The multicast-dns socket inside bonjour-service: not in its types, reached for its "error" event only. */
interface WithSocket {
  server?: { mdns?: { on(ev: 'error', fn: (e: Error) => void): void } };
}

export function openMdns(o: MdnsOptions = {}): Bonjour {
  if (o.interface !== undefined && isIP(o.interface) !== 4)
    throw invalid(`--mdns-interface: "${o.interface}" is not an IPv4 address of this machine`);
  const log = o.log ?? (() => {});
  // bind stays 0.0.0.0: a socket bound to the interface's own address never sees multicast
  const opts = o.interface ? { interface: o.interface, bind: '0.0.0.0' } : {};
  const b = new Bonjour(opts as object, (e: Error) => log(`mDNS: ${e.message}`));
  (b as unknown as WithSocket).server?.mdns?.on('error', (e) => log(`mDNS socket: ${e.message}`));
  return b;
}

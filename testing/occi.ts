// What the OCCI monitoring e2e tests share: the scheme's category ids, a UDP socket that
// collects a publisher's datagrams, and an OCCI JSON client of a core with a wait for a
// sensor's `active` state.
import { createSocket, type Socket } from 'node:dgram';
import { eventually } from './proc.js';

export const M = 'http://osmo/occi/monitoring/';
export const SENSOR = 'http://schemas.ogf.org/occi/monitoring#sensor';
export const COLLECTOR = 'http://schemas.ogf.org/occi/monitoring#collector';
export const START = { action: 'http://schemas.ogf.org/occi/monitoring/sensor/action#start' };

/** One value as the log, udp and webhook publishers write it. */
export interface Value {
  sensor: string;
  channel: string;
  value: number | boolean;
  ts: number;
}

/** Datagrams arriving on a local UDP socket, parsed. */
export class UdpInbox {
  readonly values: Value[] = [];
  readonly socket: Socket = createSocket('udp4');
  port = 0;
  async open(): Promise<this> {
    this.socket.on('message', (m) => this.values.push(JSON.parse(m.toString()) as Value));
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.port = this.socket.address().port;
    return this;
  }
  of(sensor: string): Value[] {
    return this.values.filter((v) => v.sensor === sensor);
  }
}

/** OCCI JSON calls to a core (read through a getter: tests replace a restarted core). */
export function occiClient(core: () => { url: string }) {
  const occi = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${core().url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/occi+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, text, json: text ? JSON.parse(text) : {} };
  };
  const stateOf = async (id: string) => (await occi('GET', `/occi/sensor/${id}`)).json.attributes as Record<string, string>;
  const active = (id: string) =>
    eventually(
      async () => {
        const a = await stateOf(id);
        return a['osmo.sensor.state'] === 'active' ? a : undefined;
      },
      60_000,
      `sensor ${id} active`,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; last state: ${JSON.stringify(await stateOf(id))}`);
    });
  return { occi, stateOf, active };
}

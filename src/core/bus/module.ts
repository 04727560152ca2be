// The NATS bus of a core (--bus): the connection and the agents' requests (`bus`), and the
// event stream's consumer (`busEvents`, leader only: one reader keeps each node's order).
import { defineModule } from '../module.js';
import { EventConsumer } from './consumer.js';
import { CoreBus } from './service.js';

// like the rest of the core: warnings on stderr, said once by the caller
const log = {
  info: (m: string) => process.stderr.write(`osmo core: ${m}\n`),
  warn: (m: string) => process.emitWarning(m),
};

export const bus = defineModule({
  name: 'bus',
  deps: [],
  async start({ config }) {
    const b = await CoreBus.open(config.bus, (m) => log.warn(m));
    return { service: b, stop: () => b.close() };
  },
});

export const busEvents = defineModule({
  name: 'busEvents',
  deps: ['bus', 'ingest', 'state'],
  leaderOnly: true,
  async start({ bus, ingest, state, config }) {
    if (!bus.nc) return {};
    const c = new EventConsumer(bus.nc, ingest, {
      ...(config.busReplicas ? { replicas: config.busReplicas } : {}),
      log: (level, m) => log[level](m),
      flush: () => state.flushNodes(),
    });
    await c.start();
    return { stop: () => c.stop() };
  },
});

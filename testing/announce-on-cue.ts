// osmo's announcer on cue (bench/discovery.ts): stdin "announce NAME" -> prints
// {"t0_ns": ...} (process.hrtime = CLOCK_MONOTONIC, taken before announce()) and {"up": NAME};
// "withdraw" -> close() (goodbyes) and {"down": NAME}. Run in the cloudlet's namespace:
//   node --import tsx testing/announce-on-cue.ts PORT
import { createInterface } from 'node:readline';
import { announce, type Announcement } from '../src/discovery/announcer.js';

const port = Number(process.argv[2] ?? 9999);
let current: Announcement | undefined;
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, name] = line.split(/\s+/);
  if (cmd === 'announce' && name) {
    say({ t0_ns: String(process.hrtime.bigint()), name });
    current = await announce({ nodeId: name, layer: 'edge', domain: 'bench', cloudlet: { port } });
    say({ up: name });
  } else if (cmd === 'withdraw' && current) {
    await current.close();
    current = undefined;
    say({ down: name ?? '' });
  }
}

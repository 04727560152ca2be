// STUB cloudlet, for tests only: answers GET /api/system from a JSON file (re-read per
// request, so a test can change a cloudlet's load or running services mid-test; a file
// that is not JSON is served as text, a cloudlet answering garbage) and announces itself
// with osmo's real announcer (src/discovery). It is not the cloudlet API: the real one is
// `osmo agent --cloudlet`. Run: node --import tsx testing/stub-cloudlet.ts PORT NODE_ID FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { announce } from '../src/discovery/announcer.js';

const [port, nodeId, file] = process.argv.slice(2);
if (!port || !nodeId || !file) throw new Error('usage: stub-cloudlet.ts PORT NODE_ID FILE');

const server = createServer((req, res) => {
  if (!req.url?.startsWith('/api/system')) return void res.writeHead(404).end();
  const text = readFileSync(file, 'utf8');
  let json = true;
  try {
    JSON.parse(text);
  } catch {
    json = false;
  }
  res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/plain' }).end(text);
});
await new Promise<void>((r) => server.listen(Number(port), '0.0.0.0', r));
const a = await announce({ nodeId, layer: 'edge', domain: 'test', cloudlet: { port: Number(port) } });
process.stdout.write(`stub cloudlet ${nodeId} announced as ${a.services.map((s) => s.name).join(', ')}\n`);
process.once('SIGTERM', () => {
  void a.close().then(() => {
    process.stdout.write('stub cloudlet: goodbyes sent\n');
    server.close(() => process.exit(0));
  });
});

// The latency baseline of bench/core-scale.ts: a bare node:http server in its own process,
// answering a JSON POST the size of a heartbeat. Prints its port on stdout.
import { createServer } from 'node:http';

const s = createServer((q, r) => {
  q.resume();
  q.on('end', () => {
    r.writeHead(200, { 'content-type': 'application/json' });
    r.end('{"status":"ready","heartbeatIntervalMs":1000}');
  });
});
s.keepAliveTimeout = 60_000;
s.listen(0, '127.0.0.1', () => {
  const a = s.address();
  console.log(typeof a === 'object' && a ? a.port : 0);
});

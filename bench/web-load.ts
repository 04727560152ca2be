// Dashboard load: from navigation to the first rendered view, and the bytes it moves,
// against Swagger UI at /docs on the same core in the same run (the other page the core
// serves, a well-kept static bundle: the baseline). A real core (startCore, temp data dir),
// Debian's chromium through playwright-core, cache disabled so every run transfers all.
// Run: node --import tsx bench/web-load.ts   (needs `npm run build` for dist/web)
import { rmSync } from 'node:fs';
import { startCore } from '../src/core/index.js';
import { launch } from '../testing/browser.js';
import { tempDir } from '../testing/proc.js';

const RUNS = Number(process.env.RUNS ?? 9);
const dataDir = tempDir('osmo-bench-web-');
const core = await startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });
const browser = await launch();
const cdp = await browser.context.newCDPSession(browser.page);
await cdp.send('Network.enable');
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });

let bytes = 0;
cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));

async function measure(url: string, ready: string): Promise<{ ms: number; bytes: number; heapMb: number }> {
  const page = browser.page;
  await page.goto('about:blank');
  bytes = 0;
  const t0 = performance.now();
  await page.goto(url);
  await page.locator(ready).first().waitFor({ timeout: 30_000 });
  const ms = performance.now() - t0;
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return { ms, bytes, heapMb: heap.usedSize / 1048576 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const dash: { ms: number; bytes: number; heapMb: number }[] = [];
const docs: { ms: number; bytes: number; heapMb: number }[] = [];
// one warm-up of each (first chromium start, fastify route compilation)
await measure(`${core.url}/ui/topology`, 'text=No node has joined yet');
await measure(`${core.url}/docs`, '.swagger-ui .info');
for (let i = 0; i < RUNS; i++) {
  // interleaved so background load hits both alike
  dash.push(await measure(`${core.url}/ui/topology`, 'text=No node has joined yet'));
  docs.push(await measure(`${core.url}/docs`, '.swagger-ui .info'));
}

const row = (name: string, r: typeof dash) => {
  const ms = median(r.map((x) => x.ms));
  const kb = median(r.map((x) => x.bytes)) / 1024;
  const heap = median(r.map((x) => x.heapMb));
  console.log(
    `${name.padEnd(26)} ${ms.toFixed(0).padStart(6)} ms  ${kb.toFixed(0).padStart(6)} KiB transferred  ${heap.toFixed(1).padStart(5)} MiB JS heap`,
  );
  return { ms, kb, heap };
};
console.log(`median of ${RUNS} interleaved runs, cache disabled`);
const a = row('dashboard /ui/topology', dash);
const b = row('baseline: Swagger UI /docs', docs);
console.log(
  `ratio dashboard / baseline: time ${(a.ms / b.ms).toFixed(2)}, bytes ${(a.kb / b.kb).toFixed(2)}, heap ${(a.heap / b.heap).toFixed(2)}`,
);

await browser.close();
await core.close();
rmSync(dataDir, { recursive: true, force: true });

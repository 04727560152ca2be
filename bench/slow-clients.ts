// A normal request's latency on the core and on the agent while hostile clients attack them,
// beside the same latency without attack, in the same invocation (issue 15, "Slow and huge
// clients"). For each server, after 200 GETs of warm-up: 200 sequential GETs of a real API
// route (the core's /api/v1/nodes, the agent's /api/v1) with no attack, then the same 200 while
//   - slowloris: 500 connections dribbling a header byte a second;
//   - idle: 10,000 connections that never send a byte;
//   - huge bodies: 4 clients sending 100 MiB bodies back to back (Content-Length, as fast as
//     the server reads);
// and how long the server took to close every slowloris / idle socket (its limits:
// src/shared/http-limits.ts). Real processes from the sources (tsx), real sockets on loopback.
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock node --import tsx bench/slow-clients.ts [requests]
import { spawnCore } from '../testing/cluster.js';
import { startAgentProc } from '../testing/agent-proc.js';
import { hugeBody, idle, slowloris, type Held } from '../testing/slow-clients.js';

const N = Number(process.argv[2] ?? 200);
const MiB = 1024 * 1024;

async function latencies(url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${q(xs, 0.5).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${xs[xs.length - 1]!.toFixed(1)} ms`;

async function shedSeconds(h: Held): Promise<string> {
  const t = performance.now();
  const deadline = t + 180_000;
  while (h.closed() < h.opened && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  h.stop();
  return h.closed() >= h.opened ? `${((performance.now() - t) / 1000).toFixed(0)} s more` : 'not within 180 s';
}

async function measure(name: string, base: string, route: string, body: { method: string; path: string }): Promise<void> {
  const url = `${base}${route}`;
  console.log(`\n${name}: GET ${route}, ${N} sequential requests`);
  await latencies(url); // warm-up (JIT, caches), not counted
  console.log(`  no attack          ${fmt(await latencies(url))}`);

  const sl = await slowloris(base, 500);
  console.log(`  slowloris (500)    ${fmt(await latencies(url))}; all closed by the server ${await shedSeconds(sl)}`);

  const id = await idle(base, 10_000);
  console.log(`  idle (10,000)      ${fmt(await latencies(url))}; all closed by the server ${await shedSeconds(id)}`);

  let attacking = true;
  let bodies = 0;
  const senders = Array.from({ length: 4 }, async () => {
    while (attacking) {
      await hugeBody(base, body.method, body.path, 100 * MiB);
      bodies++;
    }
  });
  const underBodies = await latencies(url);
  attacking = false;
  await Promise.all(senders);
  console.log(`  100 MiB bodies (4) ${fmt(underBodies)}; ${bodies} bodies refused meanwhile`);
}

const core = await spawnCore();
const agent = await startAgentProc({ nodeId: `bench-slow-${process.pid}` });
try {
  await measure('core', core.url, '/api/v1/nodes', { method: 'POST', path: '/api/v1/mels' });
  await measure('agent', agent.url, '/api/v1', { method: 'PUT', path: '/api/v1/deploy' });
} finally {
  await agent.stop();
  await core.proc.stop();
}

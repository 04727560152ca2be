// The OpenAPI fuzzer (testing/fuzz/): every operation of the core's and the agent's own
// /openapi.json, valid and mutated requests, every answer validated by Stoplight Prism
// against the document. It runs in a network namespace with only loopback, so fuzzed
// addresses (node registrations, probes) and image names reach nothing outside.
// Another seed or more examples: docs/testing.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../../testing/proc.js';

const NS = `fuzz-${process.pid}`;
const TSX = import.meta.resolve('tsx');

interface Report {
  seed: number;
  seconds: number;
  core: { operations: number; requests: number; failures: number };
  agent: { operations: number; requests: number; failures: number };
  failures: Array<{ target: string; op: string; kind: string; request: string; status: number; problem: string }>;
}

test('fuzzed from their OpenAPI documents, the core and the agent answer only what the documents say, and never a 5xx', async () => {
  execFileSync('ip', ['netns', 'add', NS]);
  try {
    execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    const child = spawn('nsenter', [`--net=/run/netns/${NS}`, process.execPath, '--import', TSX, join(ROOT, 'testing/fuzz/run.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const line = out.trim().split('\n').pop() ?? '';
    assert.ok(line.startsWith('{'), `the fuzz run printed no report (exit ${code}):\n${err}`);
    const report = JSON.parse(line) as Report;
    console.log(
      `seed ${report.seed}, ${report.seconds} s: core ${report.core.operations} operations / ${report.core.requests} requests, agent ${report.agent.operations} / ${report.agent.requests}`,
    );
    assert.ok(report.core.operations > 50 && report.agent.operations > 10, 'both documents were fuzzed');
    assert.deepEqual(
      report.failures.map((f) => `${f.target} ${f.op} [${f.kind}] ${f.request} -> ${f.status}: ${f.problem}`),
      [],
      err.slice(-8000),
    );
    assert.equal(code, 0);
  } finally {
    execFileSync('ip', ['netns', 'del', NS]);
  }
});

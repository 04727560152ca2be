// LQNX reduction: demands computed by hand, equivalence with the flat network, activity
// graphs (OR, AND, loops), and the unsupported features rejected with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reduceLqnx, solveLqnx } from '../../../src/planner/lqnx.js';
import { solve } from '../../../src/planner/solve.js';
import { isOsmoError } from '../../../src/shared/errors.js';
import { ROOT } from '../../../testing/proc.js';

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);

test('the shipped shop.lqnx reduces to the demands computed by hand', () => {
  const { network, visits } = reduceLqnx(readFileSync(join(ROOT, 'examples/planner/shop.lqnx'), 'utf8'));
  assert.deepEqual(network.classes, [{ name: 'Users', population: 300, thinkTime: 4 }]);
  const st = Object.fromEntries(network.stations.map((s) => [s.name, s]));
  assert.equal(st.Browsers!.type, 'delay');
  assert.equal(st.WebCPU!.servers, 2);
  assert.equal(st.AppCPU!.servers, 4);
  close(st.WebCPU!.demands.Users!, 0.012, 'web');
  // logic: parse 0.01 + 0.75·0.002 + 0.25·0.04 = 0.0215 per call, 2 calls, speed-factor 2
  close(st.AppCPU!.demands.Users!, 0.0215, 'app');
  // query: 2 · 0.25 · 1.5 calls · 0.015 s
  close(st.DBDisk!.demands.Users!, 0.01125, 'db');
  assert.deepEqual(visits.Users, { visit: 1, page: 1, logic: 2, query: 0.75 });
});

test('solving the LQN equals solving the reduced network; entries carry throughputs', () => {
  const xml = readFileSync(join(ROOT, 'examples/planner/shop.lqnx'), 'utf8');
  const l = solveLqnx(xml, { method: 'exact' });
  const n = solve(reduceLqnx(xml).network, { method: 'exact' });
  assert.deepEqual(l.classes, n.classes);
  assert.deepEqual(l.stations, n.stations);
  close(l.entries.query!.throughput, 0.75 * l.classes.Users!.throughput, 'query throughput');
  close(l.tasks.App!.throughput, 2 * l.classes.Users!.throughput, 'App throughput');
});

const model = (
  body: string,
  ref = '<task name="C" scheduling="ref" multiplicity="5" think-time="2"><entry name="c"><entry-phase-activities><activity name="c1" phase="1" host-demand-mean="0"><synch-call dest="e" calls-mean="1"/></activity></entry-phase-activities></entry></task>',
) => `<?xml version="1.0"?><lqn-model name="t"><processor name="PC" scheduling="inf">${ref}</processor>${body}</lqn-model>`;

test('activity graphs: AND-forks add, AND-joins count once, loops multiply', () => {
  const xml = model(`<processor name="P" scheduling="ps"><task name="S"><entry name="e"/><task-activities>
    <activity name="a" bound-to-entry="e" host-demand-mean="1"/>
    <activity name="b" host-demand-mean="2"/><activity name="c" host-demand-mean="3"/>
    <activity name="d" host-demand-mean="4"/><activity name="l" host-demand-mean="0.5"/><activity name="z" host-demand-mean="10"/>
    <precedence><pre><activity name="a"/></pre><post-AND><activity name="b"/><activity name="c"/></post-AND></precedence>
    <precedence><pre-AND><activity name="b"/><activity name="c"/></pre-AND><post><activity name="d"/></post></precedence>
    <precedence><pre><activity name="d"/></pre><post-LOOP end="z"><activity name="l" count="3"/></post-LOOP></precedence>
  </task-activities></task></processor>`);
  const { network } = reduceLqnx(xml);
  // a + b + c + d + 3·l + z = 1 + 2 + 3 + 4 + 1.5 + 10
  close(network.stations.find((s) => s.name === 'P')!.demands.C!, 21.5, 'P');
});

test('unsupported or broken models are rejected with a message that says why', () => {
  const bad = (xml: string, re: RegExp) =>
    assert.throws(
      () => reduceLqnx(xml),
      (e: unknown) => isOsmoError(e) && e.kind === 'invalid' && re.test(e.message),
    );
  bad('<lqn-model><processor name="P"', /not well-formed XML|no <processor>|no <lqn-model>/);
  bad('<nope/>', /no <lqn-model> root element/);
  bad(
    model(
      '<processor name="P"><task name="S"><entry name="e"><entry-phase-activities><activity name="x" phase="1" host-demand-mean="1"><asynch-call dest="e" calls-mean="1"/></activity></entry-phase-activities></entry></task></processor>',
    ),
    /asynchronous calls/,
  );
  bad('<lqn-model><processor name="P"><task name="S"><entry name="e"/></task></processor></lqn-model>', /no reference task/);
  bad(
    model(
      '<processor name="P"><task name="S"><entry name="e"><entry-phase-activities><activity name="x" phase="1" host-demand-mean="1"><synch-call dest="e" calls-mean="1"/></activity></entry-phase-activities></entry></task></processor>',
    ),
    /call cycle c → e → e/,
  );
  bad(
    model(
      '<processor name="P"><task name="S"><entry name="e"><entry-phase-activities><activity name="x" phase="1" host-demand-mean="-1"/></entry-phase-activities></entry></task></processor>',
    ),
    /host-demand-mean must be a non-negative number/,
  );
  bad(
    model(
      '<processor name="P"><task name="S"><entry name="e"><entry-phase-activities><activity name="x" phase="1" host-demand-mean="1"><synch-call dest="nowhere" calls-mean="1"/></activity></entry-phase-activities></entry></task></processor>',
    ),
    /unknown entry "nowhere"/,
  );
});

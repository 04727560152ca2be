// LQNX (the LQNS XML format) → the closed network of network.ts, by reduction:
//  - each reference task (scheduling="ref") is a class: population = its multiplicity,
//    think time = its think-time;
//  - each processor is a station: scheduling "inf"/"delay" → delay, anything else → a
//    queue with `multiplicity` servers (solved as PS);
//  - a class's demand at a processor = Σ over the entries it reaches of
//    (visits to the entry) × (host demand of the entry's activities) / speed-factor,
//    where visits multiply along synch-call calls-mean.
// Limits (also in docs/planner.md): software contention is ignored (tasks behave as if
// infinitely threaded, so task multiplicity only matters for reference tasks); blocking
// while a caller waits for a reply is not modelled; asynch calls (send-no-reply),
// forwarding and open arrivals are rejected; all phases count as one; AND-forks add up
// their branches (no parallel speed-up); call graphs must be acyclic.
import { XMLParser } from 'fast-xml-parser';
import { invalid } from '../shared/errors.js';
import { parseNetwork, toNumeric, type Network } from './network.js';
import { formatResult, solveNumeric, type SolveOptions, type SolveResult } from './solve.js';

type Attrs = Record<string, unknown>;
interface XActivity extends Attrs {
  'synch-call'?: Attrs[];
  'asynch-call'?: Attrs[];
}
interface XPrecedence {
  pre?: { activity?: Attrs[] }[];
  'pre-OR'?: { activity?: Attrs[] }[];
  'pre-AND'?: { activity?: Attrs[] }[];
  post?: { activity?: Attrs[] }[];
  'post-OR'?: { activity?: Attrs[] }[];
  'post-AND'?: { activity?: Attrs[] }[];
  'post-LOOP'?: (Attrs & { activity?: Attrs[] })[];
}
interface XEntry extends Attrs {
  'entry-phase-activities'?: { activity?: XActivity[] }[];
  forwarding?: unknown[];
}
interface XTask extends Attrs {
  entry?: XEntry[];
  'task-activities'?: { activity?: XActivity[]; precedence?: XPrecedence[] }[];
}
interface XProcessor extends Attrs {
  task?: XTask[];
}

const ARRAYS = new Set([
  'processor',
  'task',
  'entry',
  'activity',
  'synch-call',
  'asynch-call',
  'precedence',
  'pre',
  'pre-OR',
  'pre-AND',
  'post',
  'post-OR',
  'post-AND',
  'post-LOOP',
  'task-activities',
  'entry-phase-activities',
  'forwarding',
]);

const num = (v: unknown, def: number, what: string): number => {
  if (v === undefined || v === '') return def;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw invalid(`LQNX: ${what} must be a non-negative number, got "${String(v)}"`);
  return n;
};
const str = (v: unknown): string => (v === undefined ? '' : String(v));

interface Work {
  /** host demand per call, already divided by the processor's speed factor */
  demand: number;
  processor: string;
  calls: Array<{ dest: string; mean: number }>;
}

export interface LqnReduction {
  network: Network;
  /** visits per class to each entry */
  visits: Record<string, Record<string, number>>;
  entryTask: Record<string, string>;
}

export function reduceLqnx(xml: string): LqnReduction {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (n) => ARRAYS.has(n),
  });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (e) {
    throw invalid(`LQNX: not well-formed XML: ${(e as Error).message}`);
  }
  const model = doc['lqn-model'] as { processor?: XProcessor[] } | undefined;
  if (!model) throw invalid('LQNX: no <lqn-model> root element');
  const processors = model.processor ?? [];
  if (processors.length === 0) throw invalid('LQNX: the model has no <processor>');

  const entryWork = new Map<string, Work>();
  const entryTask: Record<string, string> = {};
  const refTasks: Array<{ name: string; population: number; think: number; entries: string[] }> = [];
  const stations: Network['stations'] = [];

  for (const p of processors) {
    const pname = str(p.name);
    const sched = str(p.scheduling || 'fcfs');
    const speed = num(p['speed-factor'], 1, `processor "${pname}" speed-factor`) || 1;
    const mult = num(p.multiplicity, 1, `processor "${pname}" multiplicity`);
    const delay = sched === 'inf' || sched === 'delay';
    stations.push(
      delay
        ? { name: pname, type: 'delay', servers: 1, demands: {} }
        : { name: pname, type: 'queue', servers: Math.max(1, Math.round(mult)), demands: {} },
    );
    for (const t of p.task ?? []) {
      const tname = str(t.name);
      const entries = (t.entry ?? []).map((e) => str(e.name));
      if (str(t.scheduling) === 'ref') {
        refTasks.push({
          name: tname,
          population: num(t.multiplicity, 1, `task "${tname}" multiplicity`),
          think: num(t['think-time'], 0, `task "${tname}" think-time`),
          entries,
        });
      }
      for (const e of t.entry ?? []) {
        const ename = str(e.name);
        if (e['open-arrival-rate'] !== undefined)
          throw invalid(`LQNX: entry "${ename}" has an open arrival rate; only closed models (reference tasks) are supported`);
        if (e.forwarding?.length) throw invalid(`LQNX: entry "${ename}" forwards calls; forwarding is not supported`);
        entryTask[ename] = tname;
        const w: Work = { demand: 0, processor: pname, calls: [] };
        for (const block of e['entry-phase-activities'] ?? []) for (const a of block.activity ?? []) addActivity(w, a, 1, speed);
        entryWork.set(ename, w);
      }
      for (const ta of t['task-activities'] ?? []) {
        const weights = activityWeights(tname, ta.activity ?? [], ta.precedence ?? []);
        for (const [ename, perAct] of weights) {
          const w = entryWork.get(ename);
          if (!w) throw invalid(`LQNX: activity bound to unknown entry "${ename}" in task "${tname}"`);
          for (const a of ta.activity ?? []) {
            const k = perAct.get(str(a.name));
            if (k) addActivity(w, a, k, speed);
          }
        }
      }
    }
  }
  if (refTasks.length === 0) throw invalid('LQNX: no reference task (scheduling="ref"): nothing drives the model');

  const visits: Record<string, Record<string, number>> = {};
  const demands = new Map<string, Record<string, number>>(stations.map((s) => [s.name, s.demands]));
  for (const rt of refTasks) {
    if (rt.entries.length !== 1)
      throw invalid(`LQNX: reference task "${rt.name}" has ${rt.entries.length} entries; exactly one is supported`);
    const v: Record<string, number> = {};
    const walk = (entry: string, mult: number, path: string[]) => {
      if (path.includes(entry)) throw invalid(`LQNX: call cycle ${[...path, entry].join(' → ')}`);
      const w = entryWork.get(entry);
      if (!w) throw invalid(`LQNX: call to unknown entry "${entry}"`);
      v[entry] = (v[entry] ?? 0) + mult;
      const d = demands.get(w.processor)!;
      if (w.demand > 0) d[rt.name] = (d[rt.name] ?? 0) + mult * w.demand;
      for (const c of w.calls) walk(c.dest, mult * c.mean, [...path, entry]);
    };
    walk(rt.entries[0]!, 1, []);
    visits[rt.name] = v;
  }
  const network = parseNetwork({
    classes: refTasks.map((r) => ({ name: r.name, population: r.population, thinkTime: r.think })),
    stations,
  });
  return { network, visits, entryTask };
}

function addActivity(w: Work, a: XActivity, weight: number, speed: number): void {
  const name = str(a.name);
  if (a['asynch-call']?.length) throw invalid(`LQNX: activity "${name}" makes asynchronous calls (send-no-reply); not supported`);
  w.demand += (weight * num(a['host-demand-mean'], 0, `activity "${name}" host-demand-mean`)) / speed;
  for (const c of a['synch-call'] ?? [])
    w.calls.push({ dest: str(c.dest), mean: weight * num(c['calls-mean'], 1, `synch-call to "${str(c.dest)}" calls-mean`) });
}

/** For each entry with an activity graph: how many times each activity runs per entry call. */
function activityWeights(task: string, acts: XActivity[], precs: XPrecedence[]): Map<string, Map<string, number>> {
  // edges pre → post with a multiplier: OR branches by probability, loops by count,
  // AND-joins split 1/k so the joined activity is counted once
  const edges = new Map<string, Array<{ to: string; w: number }>>();
  const edge = (from: string, to: string, w: number) => {
    if (!edges.has(from)) edges.set(from, []);
    edges.get(from)!.push({ to, w });
  };
  const names = (list?: { activity?: Attrs[] }[]) => (list ?? []).flatMap((x) => (x.activity ?? []).map((a) => ({ name: str(a.name), a })));
  for (const p of precs) {
    const pre = [...names(p.pre), ...names(p['pre-OR'])].map((x) => ({ name: x.name, share: 1 }));
    const and = names(p['pre-AND']);
    for (const x of and) pre.push({ name: x.name, share: 1 / and.length });
    const post: Array<{ name: string; w: number }> = [
      ...names(p.post).map((x) => ({ name: x.name, w: 1 })),
      ...names(p['post-AND']).map((x) => ({ name: x.name, w: 1 })),
      ...names(p['post-OR']).map((x) => ({ name: x.name, w: num(x.a.prob, 1, `activity "${x.name}" prob`) })),
    ];
    for (const loop of p['post-LOOP'] ?? []) {
      for (const a of loop.activity ?? []) post.push({ name: str(a.name), w: num(a.count, 1, `activity "${str(a.name)}" count`) });
      if (loop.end !== undefined) post.push({ name: str(loop.end), w: 1 });
    }
    for (const a of pre) for (const b of post) edge(a.name, b.name, a.share * b.w);
  }
  const out = new Map<string, Map<string, number>>();
  for (const a of acts) {
    const entry = a['bound-to-entry'];
    if (entry === undefined) continue;
    const weights = new Map<string, number>();
    const visit = (name: string, w: number, path: string[]) => {
      if (path.includes(name)) throw invalid(`LQNX: activity cycle in task "${task}": ${[...path, name].join(' → ')}`);
      weights.set(name, (weights.get(name) ?? 0) + w);
      for (const e of edges.get(name) ?? []) visit(e.to, w * e.w, [...path, name]);
    };
    visit(str(a.name), 1, []);
    out.set(str(entry), weights);
  }
  return out;
}

export interface LqnSolveResult extends SolveResult {
  tasks: Record<string, { throughput: number }>;
  entries: Record<string, { throughput: number }>;
}

/** Solves an LQNX model by reduction; adds per-entry and per-task throughputs. */
export function solveLqnx(xml: string, opts: SolveOptions = {}): LqnSolveResult {
  const red = reduceLqnx(xml);
  const num = toNumeric(red.network);
  const base = formatResult(num, solveNumeric(num, opts), (opts.method ?? 'auto') === 'auto');
  const entries: LqnSolveResult['entries'] = {};
  const tasks: LqnSolveResult['tasks'] = {};
  for (const [cls, v] of Object.entries(red.visits)) {
    const X = base.classes[cls]!.throughput;
    for (const [entry, n] of Object.entries(v)) {
      entries[entry] = { throughput: (entries[entry]?.throughput ?? 0) + X * n };
      const t = red.entryTask[entry]!;
      tasks[t] = { throughput: (tasks[t]?.throughput ?? 0) + X * n };
    }
  }
  return { ...base, tasks, entries };
}

// One rebalancing round: which instances leave which nodes, and where they go.
// Pure: a snapshot and the policies in, moves out. The core executes the moves
// (make-before-break) and marks the sources in flight until they settle.
//
// Two kinds of move:
//  - overload: a node whose hysteresis state is overloaded sheds instances (selection
//    policy) until its projected L is back at `low`, towards destinations ranked by the
//    osmotic tier, then the destination policy;
//  - flow-back: an instance living outside its MEL's home tier (it spilled over to cloud)
//    returns home (tier 0 only) once a home node would stay at or under `low` with it.
// Guards that keep the system from flapping: a destination is never overloaded and must
// stay below `high` with the instance (whatever its acceptance policy), flow-back needs
// `low`, a node with a move in flight (or settling) neither sheds nor receives, so its
// measured load catches up before it is judged again, and at most
// maxMovesPerRound moves happen per round.
import type { NodeSnapshot, PlacementConstraints, Resources } from '../core/scheduler/types.js';
import { accepts, type PendingEntry } from './acceptance.js';
import { policyFor, type PolicyDocument, type PolicySet } from './document.js';
import { capacityFilter, constraintFilter, estimateLoad } from './fit.js';
import { nextOverloaded } from './hysteresis.js';
import { tierOf } from './osmotic.js';

export interface RebalanceNode extends NodeSnapshot {
  /** a move from this node is executing or settling: it sheds nothing this round */
  inFlight?: boolean;
  /** when `load` was measured (ms); older than stalenessTimeoutMs means unknown */
  loadTs?: number;
  /** the pending table itself; when given, pendingLoad is recomputed from its unexpired entries */
  pending?: PendingEntry[];
}

export interface InstanceSnapshot {
  id: string;
  mel: string;
  image: string;
  node: string;
  /** measured contribution to its node's L; estimated from resources when unknown */
  load?: number;
  resources: Resources;
  placement: PlacementConstraints;
  /** domain the instance belongs to for osmotic flow (defaults to placement.preferDomain) */
  homeDomain?: string;
  /** false: never moved automatically (e.g. being migrated right now) */
  movable?: boolean;
}

export interface RebalanceState {
  nodes: RebalanceNode[];
  instances: InstanceSnapshot[];
}

export interface Move {
  instance: string;
  mel: string;
  from: string;
  to: string;
  kind: 'overload' | 'flow-back';
  /** the instance's estimated load on the destination (its phantom load until it arrives) */
  estimatedLoad: number;
  reason: string;
}

export interface RebalanceResult {
  moves: Move[];
  /** hysteresis state of every node after this round's loads */
  overloaded: Record<string, boolean>;
  /** nodes that needed to shed but could not, and why */
  notes: { node: string; reason: string }[];
}

// Guards compare with a margin so float noise (L - x + x) cannot flip a decision.
const EPS = 1e-9;

interface Work {
  n: RebalanceNode;
  p: PolicyDocument;
  load: number | undefined;
  overloaded: boolean;
  pending: number;
  pendingCount: number;
  /** load sent here earlier in this round: counted in full, whatever the phantom weight */
  added: number;
  cpus: number;
  mem: number;
  busy: boolean;
}

/** How an instance's load on one node translates to another: weighted geometric mean of capacity ratios (exactly invertible). */
export function transferLoad(load: number, from: Resources, to: Resources, w: PolicyDocument['weights']): number {
  const sum = w.cpu + w.mem + w.io;
  if (sum <= 0) return load;
  const rc = from.cpus / to.cpus;
  const rm = from.memoryBytes / to.memoryBytes;
  return load * Math.pow(rc, w.cpu / sum) * Math.pow(rm, w.mem / sum);
}

const f2 = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(2));

export function rebalance(state: RebalanceState, policies: PolicySet | PolicyDocument, now: number): RebalanceResult {
  const globalPolicy = 'global' in policies ? policies.global : policies;
  const hasOverrides = 'global' in policies && !!policies.nodes && Object.keys(policies.nodes).length > 0;
  const work = new Map<string, Work>();
  const list: Work[] = [];
  const overloaded: Record<string, boolean> = {};
  for (const n of state.nodes) {
    const p = hasOverrides ? policyFor(policies, n.id) : globalPolicy;
    const m = p.management;
    const fresh = n.load !== undefined && (n.loadTs === undefined || now - n.loadTs <= m.stalenessTimeoutMs);
    const load = fresh ? n.load : undefined;
    let pending = n.pendingLoad;
    let pendingCount = 0;
    if (n.pending) {
      pending = 0;
      for (const e of n.pending)
        if (now - e.acceptedAt <= m.acceptanceTimeoutMs) {
          pending += e.load;
          pendingCount++;
        }
    }
    const w: Work = {
      n,
      p,
      load,
      overloaded: nextOverloaded(n.overloaded, load, p.thresholds),
      pending,
      pendingCount,
      added: 0,
      cpus: n.allocated.cpus,
      mem: n.allocated.memoryBytes,
      busy: !!n.inFlight,
    };
    overloaded[n.id] = w.overloaded;
    work.set(n.id, w);
    list.push(w);
  }

  const byNode = new Map<string, InstanceSnapshot[]>();
  for (const i of state.instances) {
    const arr = byNode.get(i.node);
    if (arr) arr.push(i);
    else byNode.set(i.node, [i]);
  }

  // Only nodes that could take anything at all are scanned per move.
  const dests = list.filter(
    (w) => w.load !== undefined && !w.overloaded && !w.busy && w.n.status === 'ready' && w.n.schedulable && w.n.acceptance !== 'never',
  );
  // Nodes that know an image or a MEL, for prefer-known-destination.
  const knowsImage = new Map<string, Set<string>>();
  const knowsMel = new Map<string, Set<string>>();
  const addTo = (m: Map<string, Set<string>>, k: string, node: string): void => {
    const s = m.get(k);
    if (s) s.add(node);
    else m.set(k, new Set([node]));
  };
  for (const w of dests) {
    for (const img of w.n.images) addTo(knowsImage, img, w.n.id);
    for (const mel of Object.keys(w.n.mels)) addTo(knowsMel, mel, w.n.id);
  }
  const knows = (d: Work, i: InstanceSnapshot): boolean =>
    !!knowsImage.get(i.image)?.has(d.n.id) || !!knowsMel.get(i.mel)?.has(d.n.id);

  const maxMoves = globalPolicy.management.maxMovesPerRound;
  const moves: Move[] = [];
  const notes: RebalanceResult['notes'] = [];
  const moved = new Set<string>();

  const instLoad = (i: InstanceSnapshot, src: Work): number =>
    i.load ?? estimateLoad(i.resources, src.n.capacity, src.p.weights);

  /** Why d cannot take i now (null = it can), with the load it would reach. */
  const eligible = (d: Work, src: Work, i: InstanceSnapshot, x: number, flowBack: boolean): { est: number; after: number } | null => {
    if (d === src || d.overloaded || d.load === undefined) return null;
    if (constraintFilter(d.n, i.placement)) return null;
    if (capacityFilter(d.n.capacity, { cpus: d.cpus, memoryBytes: d.mem }, i.resources)) return null;
    if (d.n.pending && d.pendingCount >= d.p.management.pendingTableSize) return null;
    const est = transferLoad(x, src.n.capacity, d.n.capacity, d.p.weights);
    const after = d.load + d.p.management.phantomLoadWeight * d.pending + d.added + est;
    if (after >= d.p.thresholds.high - EPS) return null;
    if (flowBack && after > d.p.thresholds.low - EPS) return null;
    if (!accepts(d.n.acceptance, { load: d.load + d.added, overloaded: d.overloaded, pendingLoad: d.pending }, est, d.p).ok) return null;
    return { est, after };
  };

  const proximity = (d: Work, src: Work): number =>
    d.n.domain === src.n.domain ? 0 : d.n.layer === src.n.layer ? 1 : 2;

  /** The best destination for i leaving src: osmotic tier first, then the source's destination policy. */
  const choose = (
    src: Work,
    i: InstanceSnapshot,
    x: number,
    flowBack: boolean,
    maxTier: number,
  ): { d: Work; est: number; after: number; tier: number } | null => {
    const policy = src.p.destination;
    const home = i.homeDomain ?? i.placement.preferDomain;
    const preferKnown = src.p.selection === 'prefer-known-destination';
    let best: { d: Work; est: number; after: number; tier: number; key: number[] } | null = null;
    for (const d of dests) {
      const tier = tierOf(d.n, i.placement.preferLayer, home);
      if (tier > maxTier) continue;
      if (best && tier > best.tier) continue;
      const e = eligible(d, src, i, x, flowBack);
      if (!e) continue;
      const known = knows(d, i) ? 0 : 1;
      const key =
        policy === 'least-loaded'
          ? [tier, preferKnown ? known : 0, e.after, known]
          : policy === 'nearest'
            ? [tier, preferKnown ? known : 0, proximity(d, src), known]
            : [tier, preferKnown ? known : 0, proximity(d, src), e.after, known];
      if (!best || lexBefore(key, d.n.id, best.key, best.d.n.id)) best = { d, ...e, tier, key };
    }
    return best;
  };

  const commit = (src: Work, d: Work, i: InstanceSnapshot, x: number, est: number, kind: Move['kind'], reason: string): void => {
    moves.push({ instance: i.id, mel: i.mel, from: src.n.id, to: d.n.id, kind, estimatedLoad: est, reason });
    moved.add(i.id);
    // Make-before-break: the source keeps its allocation until the move completes, so the
    // capacity it frees is not handed out in this round; only its projected load drops.
    if (src.load !== undefined) src.load = Math.max(0, src.load - x);
    d.added += est;
    d.pendingCount += 1;
    d.cpus += i.resources.cpus;
    d.mem += i.resources.memoryBytes;
    addTo(knowsImage, i.image, d.n.id);
    addTo(knowsMel, i.mel, d.n.id);
  };

  // Overload: most loaded nodes first.
  const sources = list
    .filter((w) => w.overloaded && w.load !== undefined)
    .sort((a, b) => (b.load as number) - (a.load as number) || (a.n.id < b.n.id ? -1 : 1));
  for (const src of sources) {
    if (moves.length >= maxMoves) break;
    const t = src.p.thresholds;
    const head = `${src.n.id} overloaded (L ${f2(src.load)}, high ${t.high}, low ${t.low})`;
    if (src.busy) {
      notes.push({ node: src.n.id, reason: `${head}: a previous move is still in flight` });
      continue;
    }
    const cands = (byNode.get(src.n.id) ?? []).filter((i) => i.movable !== false);
    const sel = src.p.selection;
    const loads = new Map(cands.map((i) => [i.id, instLoad(i, src)]));
    const L = (i: InstanceSnapshot): number => loads.get(i.id) as number;
    cands.sort((a, b) => (sel === 'ascending-load' ? L(a) - L(b) : L(b) - L(a)) || (a.id < b.id ? -1 : 1));
    if (sel === 'prefer-known-destination') {
      // Stable partition: instances whose image or MEL already lives on a possible destination first.
      const known = cands.filter((i) => hasKnownDestination(i));
      const rest = cands.filter((i) => !hasKnownDestination(i));
      cands.splice(0, cands.length, ...known, ...rest);
    }
    let shed = 0;
    for (const i of cands) {
      if (moves.length >= maxMoves || (src.load as number) <= t.low + EPS) break;
      const x = L(i);
      const c = choose(src, i, x, false, Infinity);
      if (!c) continue;
      const why =
        `${head}; selection ${sel} picked ${i.id} (load ${f2(x)}); destination ${src.p.destination}` +
        `${c.tier > 0 ? ` with spill-over from ${i.placement.preferLayer}` : ''} chose ${c.d.n.id}` +
        ` (${c.d.n.layer}/${c.d.n.domain}, L ${f2(c.d.load)} -> ${f2(c.after)})`;
      commit(src, c.d, i, x, c.est, 'overload', why);
      shed++;
    }
    if (shed === 0 && moves.length < maxMoves)
      notes.push({ node: src.n.id, reason: `${head}: no instance can go anywhere (no destination accepts)` });
  }

  function hasKnownDestination(i: InstanceSnapshot): boolean {
    const a = knowsImage.get(i.image);
    const b = knowsMel.get(i.mel);
    return (!!a && (a.size > 1 || !a.has(i.node))) || (!!b && (b.size > 1 || !b.has(i.node)));
  }

  // Flow-back: instances outside their home tier return when home is under `low`.
  if (moves.length < maxMoves) {
    for (const i of state.instances) {
      if (moves.length >= maxMoves) break;
      if (!i.placement.preferLayer || i.movable === false || moved.has(i.id)) continue;
      const src = work.get(i.node);
      if (!src || src.busy) continue;
      const home = i.homeDomain ?? i.placement.preferDomain;
      const cur = tierOf(src.n, i.placement.preferLayer, home);
      if (cur === 0) continue;
      const x = instLoad(i, src);
      const c = choose(src, i, x, true, 0);
      if (!c) continue;
      const why =
        `flow-back: ${i.id} runs on ${src.n.id} (${src.n.layer}) outside its preferred layer ${i.placement.preferLayer}` +
        `${home ? ` in ${home}` : ''}; ${c.d.n.id} is under low ${c.d.p.thresholds.low} with it (L ${f2(c.d.load)} -> ${f2(c.after)})`;
      commit(src, c.d, i, x, c.est, 'flow-back', why);
    }
  }

  return { moves, overloaded, notes };
}

function lexBefore(x: number[], xs: string, y: number[], ys: string): boolean {
  for (let k = 0; k < x.length; k++) {
    const d = (x[k] as number) - (y[k] as number);
    if (d !== 0) return d < 0;
  }
  return xs < ys;
}

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
import type { MoveKind, NodeSnapshot, PlacementConstraints, Resources } from '../model/index.js';
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
  kind: MoveKind;
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
  /** MELs sent here this round (prefer-known-destination sees them) */
  arrivals?: Set<string>;
}

interface Group {
  layer: NodeSnapshot['layer'];
  domain: string;
  /** sorted by the load at the start of the round (a lower bound of the load now) */
  nodes: Work[];
  minLoad: number;
  /** the largest thresholds among the group's nodes (per-node overrides may differ) */
  maxHigh: number;
  maxLow: number;
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

export interface RebalanceOptions {
  /** instances an operator asked to move (destination chosen by the policy); not counted in maxMovesPerRound */
  force?: string[];
}

export function rebalance(
  state: RebalanceState,
  policies: PolicySet | PolicyDocument,
  now: number,
  opts: RebalanceOptions = {},
): RebalanceResult {
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

  // Only the instances of nodes that shed are grouped (most nodes are not overloaded).
  const byNode = new Map<string, InstanceSnapshot[]>();
  for (const w of list) if (w.overloaded && w.load !== undefined) byNode.set(w.n.id, []);
  if (byNode.size > 0)
    for (const i of state.instances) {
      const arr = byNode.get(i.node);
      if (arr) arr.push(i);
    }

  // Only nodes that could take anything at all are scanned per move.
  const dests = list.filter(
    (w) => w.load !== undefined && !w.overloaded && !w.busy && w.n.status === 'ready' && w.n.schedulable && w.n.acceptance !== 'never',
  );
  // Destinations grouped by (layer, domain): tier and proximity are properties of the
  // group, so a search visits groups best-first and stops when no group can beat the best.
  const groups = new Map<string, Group>();
  for (const w of dests) {
    const k = `${w.n.layer}|${w.n.domain}`;
    const g = groups.get(k);
    if (g) {
      g.nodes.push(w);
      g.minLoad = Math.min(g.minLoad, w.load as number);
      g.maxHigh = Math.max(g.maxHigh, w.p.thresholds.high);
      g.maxLow = Math.max(g.maxLow, w.p.thresholds.low);
    } else
      groups.set(k, {
        layer: w.n.layer,
        domain: w.n.domain,
        nodes: [w],
        minLoad: w.load as number,
        maxHigh: w.p.thresholds.high,
        maxLow: w.p.thresholds.low,
      });
  }
  const groupList = [...groups.values()];
  for (const g of groupList) g.nodes.sort((a, b) => (a.load as number) - (b.load as number));

  // prefer-known-destination: a node that already has the image or an instance of the MEL.
  const knows = (d: Work, i: InstanceSnapshot): boolean =>
    (d.n.mels[i.mel] ?? 0) > 0 || d.n.images.includes(i.image) || !!d.arrivals?.has(i.mel);
  const knownMemo = new Map<string, boolean>();
  const hasKnownDestination = (i: InstanceSnapshot): boolean => {
    const k = `${i.mel}\u0000${i.image}`;
    let v = knownMemo.get(k);
    if (v === undefined) {
      v = dests.some((d) => d.n.id !== i.node && knows(d, i));
      knownMemo.set(k, v);
    }
    return v;
  };

  const maxMoves = globalPolicy.management.maxMovesPerRound;
  const moves: Move[] = [];
  const notes: RebalanceResult['notes'] = [];
  const moved = new Set<string>();

  const instLoad = (i: InstanceSnapshot, src: Work): number => i.load ?? estimateLoad(i.resources, src.n.capacity, src.p.weights);

  /** Why d cannot take i now (null = it can), with the load it would reach. */
  // eligible() returns the estimated load on d (or -1 when d cannot take i) and leaves
  // the projected L in `afterOut`: no allocation in the innermost loop.
  let afterOut = 0;
  const eligible = (d: Work, src: Work, i: InstanceSnapshot, x: number, flowBack: boolean): number => {
    if (d === src || d.overloaded || d.load === undefined) return -1;
    const est = transferLoad(x, src.n.capacity, d.n.capacity, d.p.weights);
    const after = d.load + d.p.management.phantomLoadWeight * d.pending + d.added + est;
    if (after >= d.p.thresholds.high - EPS) return -1;
    if (flowBack && after > d.p.thresholds.low - EPS) return -1;
    if (constraintFilter(d.n, i.placement)) return -1;
    if (capacityFilter(d.n.capacity, { cpus: d.cpus, memoryBytes: d.mem }, i.resources)) return -1;
    if (d.n.pending && d.pendingCount >= d.p.management.pendingTableSize) return -1;
    if (!accepts(d.n.acceptance, { load: d.load + d.added, overloaded: d.overloaded, pendingLoad: d.pending }, est, d.p).ok) return -1;
    afterOut = after;
    return est;
  };

  // A search that found nothing stays fruitless for the rest of the round (destinations
  // only fill up), so it is remembered by everything eligibility depends on.
  const failed = new Map<string, number>();
  const rankCache = new Map<string, { g: Group; tier: number; prox: number; minLoad: number }[]>();

  /** The best destination for i leaving src: osmotic tier first, then the source's destination policy. */
  const choose = (
    src: Work,
    i: InstanceSnapshot,
    x: number,
    flowBack: boolean,
    maxTier: number,
  ): { d: Work; est: number; after: number; tier: number } | null => {
    const pl = i.placement;
    const home = i.homeDomain ?? pl.preferDomain;
    const memoKey = `${flowBack ? 1 : 0}|${maxTier}|${pl.layer}|${pl.domain}|${pl.preferLayer}|${home}|${pl.labels ? JSON.stringify(pl.labels) : ''}|${i.resources.cpus}|${i.resources.memoryBytes}|${src.n.capacity.cpus}|${src.n.capacity.memoryBytes}`;
    const f = failed.get(memoKey);
    if (f !== undefined && x >= f) return null;
    const policy = src.p.destination;
    const byLoad = policy === 'least-loaded';
    const byProx = !byLoad;
    const thenLoad = policy !== 'nearest';
    // Group order depends only on the preference and the source's place; the group's
    // initial minimum load stays a valid lower bound all round, so the order is cached.
    const rankKey = `${maxTier}|${pl.preferLayer}|${home}|${src.n.domain}|${src.n.layer}|${policy}`;
    let ranked = rankCache.get(rankKey);
    if (!ranked) {
      ranked = [];
      for (const g of groupList) {
        const tier = tierOf(g, pl.preferLayer, home);
        if (tier > maxTier) continue;
        const prox = byProx ? (g.domain === src.n.domain ? 0 : g.layer === src.n.layer ? 1 : 2) : 0;
        ranked.push({ g, tier, prox, minLoad: thenLoad ? g.minLoad : 0 });
      }
      ranked.sort((a, b) => a.tier - b.tier || a.prox - b.prox || a.minLoad - b.minLoad);
      rankCache.set(rankKey, ranked);
    }
    // The order: tier, then the policy (least-loaded: L after; nearest: proximity;
    // least-loaded-nearest: proximity then L after), then a node that already knows the
    // image or MEL, then id. `known` is computed only when everything before it ties.
    let best: Work | undefined;
    let bTier = 0;
    let bProx = 0;
    let bAfter = 0;
    let bEst = 0;
    let bKnown: boolean | undefined;
    for (const r of ranked) {
      // (tier, prox, minLoad) bounds every node of the group from below: stop once it loses.
      if (best) {
        const c = r.tier - bTier || r.prox - bProx || (thenLoad ? r.minLoad - bAfter : 0);
        if (c > 0) break;
      }
      const bound = flowBack ? r.g.maxLow : r.g.maxHigh;
      for (const d of r.g.nodes) {
        // Nodes are in start-of-round load order and L only rises during a round: once a
        // node's start load is past the bound (or, when load ranks, past the best's), so are the rest.
        const l0 = d.n.load as number;
        if (l0 >= bound || (thenLoad && best && r.tier === bTier && r.prox === bProx && l0 > bAfter)) break;
        const est = eligible(d, src, i, x, flowBack);
        if (est < 0) continue;
        const after = afterOut;
        if (best) {
          let c = r.tier - bTier || r.prox - bProx || (thenLoad ? after - bAfter : 0);
          if (c === 0) {
            bKnown ??= knows(best, i);
            const k = knows(d, i);
            c = k === bKnown ? (d.n.id < best.n.id ? -1 : 1) : k ? -1 : 1;
          }
          if (c >= 0) continue;
        }
        best = d;
        bTier = r.tier;
        bProx = r.prox;
        bAfter = after;
        bEst = est;
        bKnown = undefined;
      }
    }
    if (!best) {
      failed.set(memoKey, Math.min(x, f ?? Infinity));
      return null;
    }
    return { d: best, est: bEst, after: bAfter, tier: bTier };
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
    (d.arrivals ??= new Set()).add(i.mel);
    knownMemo.set(`${i.mel}\u0000${i.image}`, true);
  };

  // Manual moves first: the operator asked for them.
  if (opts.force?.length) {
    const want = new Set(opts.force);
    for (const i of state.instances) {
      if (!want.has(i.id)) continue;
      const src = work.get(i.node);
      if (!src) continue;
      const x = instLoad(i, src);
      const c = choose(src, i, x, false, Infinity);
      if (!c) {
        notes.push({ node: src.n.id, reason: `manual move of ${i.id}: no destination accepts it` });
        continue;
      }
      const why =
        `manual: operator asked to move ${i.id} (load ${f2(x)}); destination ${src.p.destination}` +
        ` chose ${c.d.n.id} (${c.d.n.layer}/${c.d.n.domain}, L ${f2(c.d.load)} -> ${f2(c.after)})`;
      commit(src, c.d, i, x, c.est, 'manual', why);
    }
  }

  // Overload: most loaded nodes first.
  const sources = list
    .filter((w) => w.overloaded && w.load !== undefined)
    .sort((a, b) => (b.load as number) - (a.load as number) || (a.n.id < b.n.id ? -1 : 1));
  const manual = moves.length;
  for (const src of sources) {
    if (moves.length - manual >= maxMoves) break;
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
      if (moves.length - manual >= maxMoves || (src.load as number) <= t.low + EPS) break;
      const x = L(i);
      // moving an (almost) idle instance does not relieve anything, it only churns
      if (x < src.p.management.minInstanceLoad) continue;
      const c = choose(src, i, x, false, Infinity);
      if (!c) continue;
      const why =
        `${head}; selection ${sel} picked ${i.id} (load ${f2(x)}); destination ${src.p.destination}` +
        `${c.tier > 0 ? ` with spill-over from ${i.placement.preferLayer}` : ''} chose ${c.d.n.id}` +
        ` (${c.d.n.layer}/${c.d.n.domain}, L ${f2(c.d.load)} -> ${f2(c.after)})`;
      commit(src, c.d, i, x, c.est, 'overload', why);
      shed++;
    }
    if (shed === 0 && moves.length - manual < maxMoves)
      notes.push({ node: src.n.id, reason: `${head}: no instance can go anywhere (no destination accepts)` });
  }

  // Flow-back: instances outside their home tier return when home is under `low`.
  if (moves.length - manual < maxMoves) {
    for (const i of state.instances) {
      if (moves.length - manual >= maxMoves) break;
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

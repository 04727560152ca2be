// reconnect(): a node that was down reports again, and some instances of one MEL were
// `unknown` (still counted) or `lost` (replaced) meanwhile. Pure: the MEL's instances, what
// the agent still runs, and the node ranking in; which copies to adopt, stop or forget out.
// The rule is the MEL's disconnect.reconcile (after Nomad's `disconnect.reconcile`):
//   keep-original    the originals that still run stay, their replacements stop
//   keep-replacement the replacements stay, the originals stop (adopted only while the MEL is short)
//   best-score       the copies on the best-ranked nodes (as the scheduler ranks them now) stay
// Whatever the rule, the MEL ends with at most its replica count: nothing runs twice for long.
import type { InstanceRecord } from '../../store/index.js';
import type { DisconnectPolicy } from '../mels/disconnect.js';

/** What the node that came back says about one of its unknown or lost instances. */
export type ContainerFact = 'alive' | 'dead' | 'absent';

export interface ReconnectInput {
  replicas: number;
  generation: number;
  policy: DisconnectPolicy;
  /** the MEL's unknown or lost instances on the node that came back, with what its agent runs */
  returning: Array<{ instance: InstanceRecord; container: ContainerFact }>;
  /** the MEL's other instances (anywhere) */
  others: InstanceRecord[];
  /** node ids best first (best-score); only asked when that rule must choose */
  rank: (nodes: string[]) => string[];
}

export interface ReconnectPlan {
  /** back to running */
  adopt: string[];
  /** the container was found dead: failed (the usual crash-loop handling replaces it) */
  fail: string[];
  /** stop and remove, with the reason for the event */
  stop: Array<{ id: string; reason: string }>;
  /** no container any more: forget the row */
  forget: string[];
}

const counts = (i: InstanceRecord) => i.desired === 'run' && (i.state === 'running' || i.state === 'starting' || i.state === 'unknown');
const byAge = (a: InstanceRecord, b: InstanceRecord) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
const runningFirst = (a: InstanceRecord, b: InstanceRecord) =>
  (a.state === 'running' ? 0 : 1) - (b.state === 'running' ? 0 : 1) || byAge(a, b);

export function reconnect(input: ReconnectInput): ReconnectPlan {
  const plan: ReconnectPlan = { adopt: [], fail: [], stop: [], forget: [] };
  const candidates: InstanceRecord[] = [];
  for (const { instance: i, container } of input.returning) {
    if (container === 'absent') {
      plan.forget.push(i.id);
    } else if (i.state === 'unknown') {
      // never replaced (lostAfter had not run out): it simply counts again, or failed meanwhile
      (container === 'alive' ? plan.adopt : plan.fail).push(i.id);
    } else if (container === 'dead' || i.generation !== input.generation) {
      plan.stop.push({ id: i.id, reason: container === 'dead' ? 'node back; container not running' : 'node back; spec changed meanwhile' });
    } else {
      candidates.push(i);
    }
  }
  if (candidates.length === 0) return plan;

  // replacements: copies that count and were created once the first candidate was lost
  const lostAt = Math.min(...candidates.map((c) => c.updatedAt));
  const counted = input.others.filter(counts);
  const replacements = counted.filter((o) => o.state !== 'unknown' && o.createdAt >= lostAt);
  const fixed = counted.length - replacements.length;
  const room = Math.max(0, input.replicas - fixed);

  const originals = [...candidates].sort(byAge);
  const fresh = [...replacements].sort(runningFirst);
  let pool: InstanceRecord[];
  const rule = input.policy.reconcile;
  if (rule === 'keep-original') pool = [...originals, ...fresh];
  else if (rule === 'keep-replacement') pool = [...fresh, ...originals];
  else {
    const order = input.rank([...new Set([...originals, ...fresh].map((i) => i.node!))]);
    const pos = (i: InstanceRecord) => {
      const k = order.indexOf(i.node!);
      return k < 0 ? order.length : k;
    };
    const original = new Set(originals.map((o) => o.id));
    pool = [...originals, ...fresh].sort(
      (a, b) => pos(a) - pos(b) || (original.has(a.id) ? 0 : 1) - (original.has(b.id) ? 0 : 1) || runningFirst(a, b),
    );
  }
  const keep = new Set(pool.slice(0, room).map((i) => i.id));
  for (const o of originals) {
    if (keep.has(o.id)) plan.adopt.push(o.id);
    else plan.stop.push({ id: o.id, reason: `node back; replacement kept (${rule})` });
  }
  for (const r of fresh) if (!keep.has(r.id)) plan.stop.push({ id: r.id, reason: `node back; original kept (${rule})` });
  return plan;
}

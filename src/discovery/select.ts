// `osmo cloudlet pick`: discover the cloudlets, ask each for its system metadata at once,
// rank them (pick.ts). The I/O half of the choice.
import { discover } from './browse.js';
import { rankCloudlets, whyChosen, type Candidate, type Ranking, type Rejected } from './pick.js';
import { askCloudlet } from './system.js';
import type { Found } from './types.js';

export interface PickOptions {
  serviceId: string;
  /** how long to listen for announcements */
  timeoutMs: number;
  /** deadline of each cloudlet's /api/system answer; default 3 s */
  askTimeoutMs?: number;
  interface?: string;
  log?: (msg: string) => void;
}

export interface Pick extends Ranking {
  found: Found[];
  best?: Candidate;
  why?: string;
}

export async function pickCloudlet(o: PickOptions): Promise<Pick> {
  const found = await discover({
    kinds: ['cloudlet'],
    timeoutMs: o.timeoutMs,
    ...(o.interface ? { interface: o.interface } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const answers = await Promise.all(found.map((f) => askCloudlet(f, o.serviceId, o.askTimeoutMs ?? 3000)));
  const candidates = answers.filter((a): a is Candidate => 'offers' in a);
  const unreadable = answers.filter((a): a is Rejected => !('offers' in a));
  const r = rankCloudlets(o.serviceId, candidates);
  const best = r.ranked[0];
  return {
    found,
    ranked: r.ranked,
    rejected: [...unreadable, ...r.rejected],
    ...(best ? { best, why: whyChosen(best, r.ranked[1]) } : {}),
  };
}

// Several core URLs (`--core URL1,URL2`, OSMO_CORE): every core serves the API (a follower
// forwards to the leader), so a call may go to any. One that finds its core unreachable, or
// answering 503 OSMO_NO_LEADER (the lead is moving), goes to the next, round after round,
// for a bounded time; the caller sees one answer, or the last failure. The client stays on
// the core that answered, unless that core only forwarded the call: then it settles on the
// leader (below). A call cut after it was sent (the core died mid-request) may have taken
// effect there: the CoreClient's POSTs carry one Idempotency-Key for all their tries
// (http.ts), so the core answers the retry from the first try instead of acting again; other
// calls are PUTs and DELETEs, safe to repeat.
import { isApiError } from './errors.js';
import { originOf, parseVia } from './via.js';

const codeOf = (text: string): unknown => {
  try {
    return (JSON.parse(text) as { code?: unknown }).code;
  } catch {
    return undefined;
  }
};

/** The answer of a core that cannot serve the call now: no leader to forward to. */
export function noLeader(text: string): boolean {
  return codeOf(text) === 'OSMO_NO_LEADER';
}

/**
 * An answer another try may turn into the real one: no leader (503), or the first try of
 * this call, cut on its way back through another core, still running on the leader (409).
 */
export function tryAgain(status: number, text: string): boolean {
  return (status === 503 && noLeader(text)) || (status === 409 && codeOf(text) === 'OSMO_IDEMPOTENCY_IN_FLIGHT');
}

export interface BasesOptions {
  /** how long a call keeps moving between bases before it gives up (default 15 s) */
  windowMs?: number;
  /** after a whole round of bases all answered forwarded: how long the client stays put (default 30 s) */
  holdMs?: number;
  /** the clock of the hold (tests move it) */
  now?: () => number;
}

/** What the client learns from an answer's x-osmo-via (via.ts): undefined when it has no header. */
export type ViaOf<T> = (answer: T) => string | string[] | null | undefined;

// Settling on the leader. A follower forwards every call to the leader: both cores do the work
// of one call (for heartbeats, a fleet's worth: docs/decisions.md). So an answer marked as
// forwarded moves the client to the base the mark names as the leader when it has it, else
// to the next base (the leader may be there under another name). When a whole round of
// bases answered forwarded (the leader is not in the list, or not reachable from here), the
// client holds the base it is on for `holdMs` before it looks again, rather than going round
// on every call.
export class Bases {
  private readonly list: string[];
  private readonly origins: Array<string | undefined>;
  private at = 0;
  private readonly windowMs: number;
  private readonly holdMs: number;
  private readonly now: () => number;
  /** forwarded answers in a row since the last direct one */
  private forwarded = 0;
  private holdUntil = 0;

  constructor(spec: string, o: BasesOptions = {}) {
    const list = spec
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    this.list = list.length > 0 ? list : [spec.replace(/\/+$/, '')];
    this.origins = this.list.map(originOf);
    this.windowMs = o.windowMs ?? 15_000;
    this.holdMs = o.holdMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  get current(): string {
    return this.list[this.at]!;
  }

  /** true while the client stays on its base although it forwards (a round found no leader in the list) */
  get holding(): boolean {
    return this.now() < this.holdUntil;
  }

  /**
   * `attempt` against the current base; with several, against the next while it throws
   * "unreachable" or its answer is `retry`-able, until one answers or the window passed.
   * `via` reads an answer's x-osmo-via: a forwarded one moves the next calls towards the leader.
   */
  async call<T>(attempt: (base: string) => Promise<T>, retry: (answer: T) => boolean, via?: ViaOf<T>): Promise<T> {
    if (this.list.length === 1) return attempt(this.list[0]!);
    const deadline = Date.now() + this.windowMs;
    for (let misses = 1; ; misses++) {
      let answer: { value: T } | undefined;
      try {
        answer = { value: await attempt(this.current) };
        if (!retry(answer.value)) {
          if (via) this.learn(via(answer.value));
          return answer.value;
        }
      } catch (e) {
        if (!isApiError(e) || e.kind !== 'unreachable') throw e;
        if (Date.now() >= deadline) throw e;
      }
      if (answer && Date.now() >= deadline) return answer.value;
      this.at = (this.at + 1) % this.list.length;
      // a whole round without an answer: a new leader is being chosen, give it a moment
      if (misses % this.list.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
  }

  private learn(header: string | string[] | null | undefined): void {
    const v = parseVia(header);
    // straight from the leader, or from a core that is not in a cluster (no mark): stay
    if (!v?.forwarded) {
      this.forwarded = 0;
      return;
    }
    if (this.holding) return;
    if (++this.forwarded >= this.list.length) {
      this.forwarded = 0;
      this.holdUntil = this.now() + this.holdMs;
      return;
    }
    const leader = v.leader === undefined ? -1 : this.origins.indexOf(v.leader);
    this.at = leader >= 0 && leader !== this.at ? leader : (this.at + 1) % this.list.length;
  }
}

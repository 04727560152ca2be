// The load the policies need must be measured: this turns on (or re-times) the monitors
// on each ready agent through its seed API, PUT /api/v1/monitor/<metric> {time, source}.
// Guest cpu/mem always (instance loads drive selection and what a move carries); host
// cpu/mem when the node's load source is host; net/disk too when the io weight is > 0. Re-sent when the period or the source
// changes, when the agent re-registers (a restarted agent forgets its monitors), and
// every 20 s as a safety net (the agent treats a repeat as a re-time); past 500 nodes the
// safety net stretches so that it refreshes at most 25 nodes a second: at 5,000 nodes a
// 20 s net alone was 1,000 requests a second out of the core, about as much work as all
// the fleet's heartbeats, to re-send what the agents almost always still had.
import type { PolicyDocument } from '../../policy/document.js';
import type { ClusterState } from '../state.js';
import type { AgentApi, MonitorOption } from '../../client/index.js';
import { Limiter } from '../reconciler/limiter.js';

const RESEND_MS = 20_000;
const RETRY_MS = 5_000;
/** nodes the safety net refreshes per second at most, whatever the fleet's size */
const REFRESH_NODES_PER_S = 25;

export class MonitorKeeper {
  /** what was last sent to each node, and when it is due again */
  private readonly sent = new Map<string, { key: string; at: number }>();
  /**
   * nodes being sent to at once: a thousand nodes (just registered, or back after a stall)
   * must not become thousands of requests built in one synchronous stretch of the loop
   */
  private readonly limiter = new Limiter(32);

  constructor(
    private readonly state: ClusterState,
    /** the token each node's agent accepts from the core */
    private readonly apiFor: (to: { id: string; address: string }) => AgentApi,
  ) {}

  async ensure(now: number, policyOf: (node: string) => PolicyDocument): Promise<void> {
    const calls: Promise<void>[] = [];
    let ready = 0;
    for (const n of this.state.nodes.values()) if (n.status === 'ready') ready++;
    const resendMs = Math.max(RESEND_MS, (ready / REFRESH_NODES_PER_S) * 1000);
    for (const n of this.state.nodes.values()) {
      if (n.status !== 'ready') continue;
      const p = policyOf(n.id);
      const time = p.management.monitoringPeriodMs / 1000;
      const wants: Array<[MonitorOption, 'host' | 'guest']> = [
        ['cpu', 'guest'],
        ['mem', 'guest'],
      ];
      if (p.loadSource === 'host') wants.push(['cpu', 'host'], ['mem', 'host']);
      // the io term costs two more samplers per source: only when it weighs anything
      if (p.weights.io > 0) {
        wants.push(['net', 'guest'], ['disk', 'guest']);
        if (p.loadSource === 'host') wants.push(['net', 'host'], ['disk', 'host']);
      }
      const key = `${n.registeredAt}|${n.address}|${time}|${wants.map((w) => w.join(':')).join(',')}`;
      const prev = this.sent.get(n.id);
      if (prev && prev.key === key && now < prev.at) continue;
      // the safety-net resend of each node at its own moment within 0.75–1.25 of the period:
      // nodes registered together must not make a thousand requests in one refresh
      this.sent.set(n.id, { key, at: now + resendMs * (0.75 + Math.random() / 2) });
      calls.push(
        this.limiter
          .run(() => Promise.all(wants.map(([metric, source]) => this.put(n, metric, { time, source }))))
          .then(
            () => undefined,
            // try again in a few seconds, not on every refresh
            () => void this.sent.set(n.id, { key: 'failed', at: now + RETRY_MS }),
          ),
      );
    }
    await Promise.all(calls);
  }

  private async put(
    to: { id: string; address: string },
    metric: MonitorOption,
    body: { time: number; source: 'host' | 'guest' },
  ): Promise<void> {
    await this.apiFor(to).monitor(metric, body, 5000);
  }
}

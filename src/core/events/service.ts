// The core's event log: agent events (after dedupe) and the core's own events (node
// status changes, placements, reconcile actions) go to one table and one live stream.
// Samples are the exception: they go to the samples table and only to live subscribers,
// because a thousand nodes sampling every second would drown the log.
import { PubSub } from '../../bus/pubsub.js';
import type { EventRecord, NewEvent, Store } from '../../store/index.js';

export type CoreEventType = 'node' | 'mel' | 'placement' | 'reconcile' | 'instance-state';

/** A core event before it is stored (the log adds origin, seq and time). */
export type CoreEventInput = { type: string; node: string | null; data: Record<string, unknown> };

export class EventLog {
  readonly live = new PubSub<EventRecord>();
  private liveOnlyId = 0;

  constructor(private readonly store: Store) {}

  /** Commits then publishes (a subscriber never sees an event the log does not hold). */
  async append(events: NewEvent[]): Promise<EventRecord[]> {
    const stored = await this.store.events.append(events);
    for (const e of stored) this.live.publish(e.type, e);
    return stored;
  }

  async core(type: CoreEventType | string, node: string | null, data: Record<string, unknown>): Promise<void> {
    await this.append([{ origin: 'core', seq: null, node, type, ts: Date.now(), data }]);
  }

  async coreMany(items: CoreEventInput[]): Promise<void> {
    const ts = Date.now();
    await this.append(items.map((i) => ({ origin: 'core', seq: null, node: i.node, type: i.type, ts, data: i.data })));
  }

  /** Live-only (not stored): negative ids so a resuming client never confuses them with log ids. */
  publishLive(e: Omit<EventRecord, 'id'>): void {
    this.live.publish(e.type, { ...e, id: --this.liveOnlyId });
  }
}

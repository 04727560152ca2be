// The core's event log: agent events (after dedupe) and the core's own events (node
// status changes, placements, reconcile actions) go to one table and one live stream.
// Samples are the exception: they go to the samples table and only to live subscribers,
// because a thousand nodes sampling every second would drown the log.
import type { CoreEvent, CoreEventData, CoreEventType, NewOsmoEvent, OsmoEvent } from '../../bus/events.js';
import { PubSub } from '../../bus/pubsub.js';
import type { EventQuery, EventRecord, Store } from '../../store/index.js';

/**
 * The store keeps events as JSON rows; everything in them came through append() below,
 * which takes only typed events, so a row read back is one of them.
 */
function typed(r: EventRecord): OsmoEvent {
  return r as OsmoEvent;
}

export class EventLog {
  readonly live = new PubSub<OsmoEvent>();
  private liveOnlyId = 0;

  constructor(private readonly store: Store) {}

  /** Commits then publishes (a subscriber never sees an event the log does not hold). */
  async append(events: NewOsmoEvent[]): Promise<OsmoEvent[]> {
    const stored = (await this.store.events.append(events)).map(typed);
    this.publish(stored);
    return stored;
  }

  /** The core's own events as the store takes them (ClusterState.commitPass stores them with a pass's instances). */
  stampCore(items: CoreEvent[]): NewOsmoEvent[] {
    const ts = Date.now();
    return items.map((i) => ({ origin: 'core', seq: null, ts, ...i }));
  }

  /** Hands events stored by ClusterState.commitPass to live subscribers. */
  publishStored(stored: EventRecord[]): void {
    this.publish(stored.map(typed));
  }

  /** Stores agent events through `store` (a transaction's); the caller publishes them after the commit. */
  async storeAgent(store: Store, events: NewOsmoEvent[]): Promise<OsmoEvent[]> {
    if (events.length === 0) return [];
    return (await store.events.append(events)).map(typed);
  }

  /** Hands stored events to live subscribers. */
  publish(stored: OsmoEvent[]): void {
    for (const e of stored) this.live.publish(e.type, e);
  }

  /** Logs one of the core's own events. */
  async core<K extends CoreEventType>(type: K, node: string | null, data: CoreEventData<K>): Promise<void> {
    // TS cannot tie `data` to `type` through the generic K; the signature above does
    await this.coreMany([{ type, node, data } as CoreEvent]);
  }

  async coreMany(items: CoreEvent[]): Promise<void> {
    await this.append(this.stampCore(items));
  }

  /** The stored history, oldest first. */
  async history(q: EventQuery): Promise<OsmoEvent[]> {
    return (await this.store.events.list(q)).map(typed);
  }

  /** Live-only (not stored): negative ids so a resuming client never confuses them with log ids. */
  publishLive(e: NewOsmoEvent): void {
    this.live.publish(e.type, { ...e, id: --this.liveOnlyId });
  }
}

// The agent's storage layer: the seed used Redis pub/sub; osmo keeps the same shape in
// process. Publishers (deploy, monitor) never wait on subscribers; a throwing subscriber
// is isolated so it cannot break a publisher.
export type Listener<T> = (message: T, channel: string) => void;

export class PubSub<T> {
  private readonly channels = new Map<string, Set<Listener<T>>>();
  private readonly all = new Set<Listener<T>>();

  publish(channel: string, message: T): void {
    for (const l of this.channels.get(channel) ?? []) safeCall(l, message, channel);
    for (const l of this.all) safeCall(l, message, channel);
  }

  /** Subscribe to one channel, or to every channel with '*'. Returns an unsubscribe. */
  subscribe(channel: string, listener: Listener<T>): () => void {
    if (channel === '*') {
      this.all.add(listener);
      return () => this.all.delete(listener);
    }
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}

function safeCall<T>(l: Listener<T>, m: T, c: string): void {
  try {
    l(m, c);
  } catch (e) {
    process.emitWarning(`pubsub subscriber on ${c} threw: ${(e as Error).message}`);
  }
}

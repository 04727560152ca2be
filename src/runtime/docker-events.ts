// Docker events for this node's containers -> InstanceChange. One engine stream per runtime,
// opened on the first listener and closed with the last. The engine ends the stream when it
// restarts (or a proxy times out); we reconnect with back-off and ask for events `since` the
// last one seen, so a short gap loses nothing.
import type Docker from 'dockerode';
import { toInstanceInfo } from './docker-info.js';
import { onJsonLines } from './json-lines.js';
import { LABEL_NAME, LABEL_NODE, type InstanceChange } from './types.js';
import type { ContainerState } from '../model/index.js';

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const ACTIONS = ['start', 'die', 'oom', 'destroy'] as const;

export function toChange(ev: EngineEvent): InstanceChange | undefined {
  const attrs = ev.Actor?.Attributes ?? {};
  const name = attrs[LABEL_NAME] ?? attrs['name'];
  if (!name) return undefined;
  const action = ev.Action ?? ev.status;
  const states: Record<(typeof ACTIONS)[number], ContainerState> = {
    start: 'running',
    die: 'exited',
    oom: 'failed',
    destroy: 'removed',
  };
  if (!action || !(ACTIONS as readonly string[]).includes(action)) return undefined;
  const state = states[action as (typeof ACTIONS)[number]];
  const reason = action === 'die' ? `exit code ${attrs['exitCode'] ?? '?'}` : action === 'oom' ? 'out of memory' : action;
  return { name, state, reason };
}

export class DockerEventWatcher {
  private readonly listeners = new Set<(c: InstanceChange) => void>();
  private stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  private since = Math.floor(Date.now() / 1000);
  private backoffMs = 250;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Bumped on every stop: a connect still in flight from an earlier start must not attach. */
  private generation = 0;
  /** `since` replays from a whole second; these keys were delivered already. */
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly docker: Docker,
    private readonly nodeId: string,
  ) {}

  add(listener: (c: InstanceChange) => void): () => void {
    this.listeners.add(listener);
    if (this.stopped) {
      this.stopped = false;
      this.since = Math.floor(Date.now() / 1000);
      void this.connect();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.stream;
    this.stream = undefined;
    s?.removeAllListeners();
    s?.on('error', () => {});
    s?.destroy?.();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = this.generation;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({
        since: this.since,
        filters: { type: ['container'], label: [`${LABEL_NODE}=${this.nodeId}`], event: [...ACTIONS] },
      });
    } catch {
      if (generation === this.generation) this.retry();
      return;
    }
    if (this.stopped || generation !== this.generation) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return;
    }
    this.stream = stream;
    this.backoffMs = 250;
    onJsonLines(stream, (o) => {
      const ev = o as EngineEvent;
      const key = `${ev.timeNano ?? ''}:${ev.Actor?.ID ?? ''}:${ev.Action ?? ev.status ?? ''}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      if (this.seen.size > 1000) this.seen.clear();
      if (ev.time) this.since = ev.time;
      const change = toChange(ev);
      if (!change) return;
      // Enrich in arrival order: a slow inspect must not let a later event overtake an earlier one.
      this.queue = this.queue.then(() => this.enrich(change, ev)).then((c) => this.deliver(c));
    });
    const ended = () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.retry();
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
  }

  /**
   * start/die: inspect for the container's full state. A die after an OOM kill is then
   * `failed` (the engine's die event does not say why), and listeners get `info`.
   */
  private async enrich(change: InstanceChange, ev: EngineEvent): Promise<InstanceChange> {
    const id = ev.Actor?.ID;
    if (!id || (change.state !== 'running' && change.state !== 'exited')) return change;
    try {
      const c = await this.docker.getContainer(id).inspect();
      const info = toInstanceInfo(c);
      // The container may have moved on since; the event's own state is what this change reports,
      // except that an OOM-killed exit is a failure.
      const state = change.state === 'exited' && c.State.OOMKilled ? 'failed' : change.state;
      return { ...change, state, info, ...(state === 'failed' ? { reason: `${change.reason}, out of memory` } : {}) };
    } catch {
      return change; // removed meanwhile: the event alone
    }
  }

  private deliver(change: InstanceChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a listener's bug must not stop the stream for the others
      }
    }
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, wait);
    this.timer.unref();
  }
}

// One long-lived `GET /containers/{id}/stats?stream=true` per container that someone samples:
// the engine pushes a document about once a second, we keep the newest, and stats() answers
// from it at once. A one-shot `stream=false` call takes ~2 s (the engine reads twice to fill
// precpu_stats), so a guest monitor that waited for it reached half its 1 s rate; overlapping
// one-shot calls would hold the rate but cost twice the CPU of a stream (docs/decisions.md,
// bench/guest-stats-modes.ts). A stream nobody read for `idleMs` is closed, so an agent with
// no guest monitor holds no connection. Of each document only the reading a sample needs is
// kept (toReading): holding the parsed document for the second until the next one made it
// outlive the young generation, and the old-generation collections it caused were most of the
// agent's sampling cost (docs/benchmarks.md, "Issue 14").
import type Docker from 'dockerode';
import { onJsonLines } from './json-lines.js';
import { toReading, type EngineStats, type StatsReading } from './docker-stats.js';

type StatsStream = NodeJS.ReadableStream & { destroy?: () => void };

interface Entry {
  stream?: StatsStream;
  latest?: StatsReading;
  /** documents seen: the first one has no precpu_stats, so cpu % needs the second */
  count: number;
  lastUsed: number;
  ready: Promise<void>;
  settle: (e?: Error) => void;
}

const FIRST_READING_TIMEOUT_MS = 10_000;

export class StatsStreams {
  private readonly byId = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly idleMs = 10_000,
  ) {}

  /**
   * The newest reading of container `id`. The first call opens the stream and waits for a
   * document with a CPU interval (about 2 s); later calls return without waiting.
   */
  async latest(id: string): Promise<StatsReading> {
    let e = this.byId.get(id);
    if (!e) e = this.open(id);
    e.lastUsed = Date.now();
    await e.ready;
    if (!e.latest) throw new Error(`stats stream of ${id.slice(0, 12)} ended before its first reading`);
    return e.latest;
  }

  /** Closes the stream of one container (removed, or no longer running). */
  drop(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    e.settle(new Error('stats stream closed'));
    e.stream?.removeAllListeners();
    e.stream?.on('error', () => {});
    e.stream?.destroy?.();
    if (this.byId.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  close(): void {
    for (const id of [...this.byId.keys()]) this.drop(id);
  }

  private open(id: string): Entry {
    let settle!: (e?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(
        () => settle(new Error(`no stats from the engine for ${id.slice(0, 12)} within ${FIRST_READING_TIMEOUT_MS} ms`)),
        FIRST_READING_TIMEOUT_MS,
      );
      timer.unref();
      settle = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
    });
    // a caller that gave up must not leave an unhandled rejection behind
    ready.catch(() => {});
    const e: Entry = { count: 0, lastUsed: Date.now(), ready, settle };
    this.byId.set(id, e);
    this.sweep();
    this.docker
      .getContainer(id)
      .stats({ stream: true })
      .then((stream: StatsStream) => {
        if (this.byId.get(id) !== e) {
          stream.destroy?.();
          return;
        }
        e.stream = stream;
        onJsonLines(stream, (o) => {
          const doc = o as EngineStats;
          e.latest = toReading(doc);
          e.count++;
          if (e.count >= 2 || doc.precpu_stats?.system_cpu_usage) e.settle();
        });
        const end = (err?: Error) => {
          // the container stopped or went away, or the engine restarted: the next read reopens
          if (this.byId.get(id) === e) this.drop(id);
          e.settle(err ?? new Error('stats stream ended'));
        };
        stream.on('end', () => end());
        stream.on('close', () => end());
        stream.on('error', (err: Error) => end(err));
      })
      .catch((err: unknown) => {
        if (this.byId.get(id) === e) this.byId.delete(id);
        e.settle(err instanceof Error ? err : new Error(String(err)));
      });
    return e;
  }

  private sweep(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const [id, e] of this.byId) if (now - e.lastUsed > this.idleMs) this.drop(id);
      },
      Math.max(1000, this.idleMs / 2),
    );
    this.sweeper.unref();
  }
}

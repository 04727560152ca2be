// The event producer (the seed's subscriber to the storage layer): takes every event body
// published on the bus, stamps it with seq / node / ts and hands it to
//  - local listeners (the SSE stream, the Prometheus collector),
//  - a JSON-lines file or stdout (--events-file PATH | -), written synchronously at the end of
//    each burst of events (one write per monitor tick, not per event),
//  - a remote sink (the core) through the on-disk outbox and the forwarder.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PubSub } from '../../bus/pubsub.js';
import type { AgentEvent, AgentEventBody } from '../../bus/events.js';
import { SeqCounter } from './seq.js';
import { Outbox } from './outbox.js';
import { Forwarder, type SendBatch } from './forwarder.js';

export interface ProducerOptions {
  nodeId: string;
  dataDir: string;
  bus: PubSub<AgentEventBody>;
  /** JSON lines of every event; "-" = stdout */
  eventsFile?: string;
  remote?: { send: SendBatch; maxBytes?: number; segmentBytes?: number; lingerMs?: number };
  log?: (level: 'info' | 'warn', msg: string) => void;
}

type Local = (e: AgentEvent) => void;

export class EventProducer {
  private readonly seq: SeqCounter;
  private readonly locals = new Set<Local>();
  private readonly unsubscribe: () => void;
  private fileFd: number | undefined;
  private fileFailing = false;
  /** lines of the current burst, written when it ends (flushLines) */
  private pendingLines = '';
  readonly outbox: Outbox | undefined;
  readonly forwarder: Forwarder | undefined;
  readonly counts = new Map<string, number>();

  constructor(private readonly o: ProducerOptions) {
    mkdirSync(o.dataDir, { recursive: true });
    this.seq = new SeqCounter(o.dataDir, (m) => o.log?.('warn', m));
    if (o.eventsFile && o.eventsFile !== '-') {
      mkdirSync(dirname(o.eventsFile), { recursive: true });
      this.fileFd = openSync(o.eventsFile, 'a');
    }
    if (o.remote) {
      this.outbox = new Outbox({
        dir: join(o.dataDir, 'outbox'),
        ...(o.remote.maxBytes ? { maxBytes: o.remote.maxBytes } : {}),
        ...(o.remote.segmentBytes ? { segmentBytes: o.remote.segmentBytes } : {}),
        onDrop: (n, seg) =>
          o.log?.(
            'warn',
            `event outbox full: dropped ${n} undelivered events (segment ${seg}); ${this.outbox?.dropped ?? n} dropped so far`,
          ),
        onWriteError: (m) => o.log?.('warn', m),
      });
      this.forwarder = new Forwarder({
        outbox: this.outbox,
        send: o.remote.send,
        ...(o.remote.lingerMs !== undefined ? { lingerMs: o.remote.lingerMs } : {}),
        log: (m) => o.log?.('warn', m),
        onReject: (n, why) => o.log?.('warn', `sink rejected a batch of ${n} events, dropped it: ${why}`),
      });
      this.forwarder.kick(); // whatever a previous run left behind
    }
    this.unsubscribe = o.bus.subscribe('*', (body) => this.emit(body));
  }

  get lastSeq(): number {
    return this.seq.last;
  }

  /** Stamped events as they are produced. Returns an unsubscribe. */
  onEvent(l: Local): () => void {
    this.locals.add(l);
    return () => this.locals.delete(l);
  }

  private emit(body: AgentEventBody): void {
    const e = { ...body, seq: this.seq.take(), node: this.o.nodeId, ts: Date.now() };
    this.counts.set(e.type, (this.counts.get(e.type) ?? 0) + 1);
    for (const l of this.locals) {
      try {
        l(e);
      } catch {
        /* a broken local listener must not stop delivery */
      }
    }
    if (this.o.eventsFile) {
      // The lines of one synchronous burst (a monitor tick publishes one sample per target) go
      // out in one write when it ends, before any other callback runs: a write per event was
      // the largest single cost of a sampling agent (docs/benchmarks.md, "Issue 14").
      if (!this.pendingLines) queueMicrotask(() => this.flushLines());
      this.pendingLines += JSON.stringify(e) + '\n';
    }
    if (this.outbox) {
      this.outbox.append(e);
      this.forwarder!.kick();
    }
  }

  private flushLines(): void {
    const lines = this.pendingLines;
    this.pendingLines = '';
    if (!lines) return;
    try {
      if (this.fileFd !== undefined) writeSync(this.fileFd, lines);
      else process.stdout.write(lines);
      this.fileFailing = false;
    } catch (err) {
      // a full disk costs the file its lines, never the agent its life
      if (!this.fileFailing)
        this.o.log?.('warn', `events file: cannot write (${(err as Error).message}); lines are lost until it works again`);
      this.fileFailing = true;
    }
  }

  /** Stops producing; tries to deliver the outbox for up to drainMs, keeps the rest on disk. */
  async close(drainMs = 2000): Promise<void> {
    this.unsubscribe();
    if (this.forwarder) {
      this.forwarder.stop();
      await this.forwarder.drain(drainMs).catch(() => false);
    }
    this.outbox?.close();
    this.flushLines();
    if (this.fileFd !== undefined) closeSync(this.fileFd);
    this.fileFd = undefined;
    this.locals.clear();
  }
}

// The core's side of the event stream: OSMO_EVENTS (subjects osmo.events.<node>, work-queue
// retention: a message leaves the stream when the core acknowledged it) read through one
// durable pull consumer, osmo-core, on the leader. Each message is one batch of one node's
// events; it goes to Ingest (the code the HTTP event route feeds) and is acknowledged only
// after Ingest stored it, so a core killed at any point re-reads what it had not finished.
//
// Order matters: Ingest drops a node's seqs at or below the last it stored, so a batch must
// never be taken after a later one of the same node. Messages are handled one at a time, in
// stream order; when one cannot be stored now (the store is down), or when a previous run
// left messages delivered but unacknowledged (they would come back only after ack_wait,
// behind newer ones), the consumer is recreated: on a work queue that redelivers every
// message still in the stream, oldest first. Ingest drops what it already has.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { EventBatch } from '../../bus/protocol.js';
import { EVENTS_CONSUMER, EVENTS_STREAM, nodeOf, subjects } from '../../bus/nats/subjects.js';
import { isOsmoError } from '../../shared/errors.js';
import type { Ingest } from '../agents/service.js';

export interface ConsumerOptions {
  /** replicas of the stream when this core creates it (default: 3 on a cluster, else 1) */
  replicas?: number;
  /** bound of the stream (default 1 GiB): the backlog of events while no core reads them */
  maxBytes?: number;
  log: (level: 'info' | 'warn', m: string) => void;
  /** stores what Ingest kept in memory (the node's acknowledged seq) before a message is acknowledged */
  flush: () => Promise<void>;
}

const DEDUP_WINDOW_MS = 2 * 60_000;
const ACK_WAIT_MS = 60_000;

export class EventConsumer {
  private stopped = false;
  private current: { stop(): void } | undefined;
  private loop: Promise<void> | undefined;
  /** batches taken, and batches refused for good (malformed, or from an unknown node) */
  taken = 0;
  refused = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ingest: Pick<Ingest, 'accept'>,
    private readonly o: ConsumerOptions,
  ) {}

  async start(): Promise<void> {
    await this.ensureStream();
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.consumers.info(EVENTS_STREAM, EVENTS_CONSUMER).catch(() => undefined);
    if (!info) await this.createConsumer();
    else if (info.num_ack_pending > 0) await this.reset(`${info.num_ack_pending} message(s) a previous run took and did not finish`);
    this.loop = this.run();
  }

  private async ensureStream(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const have = await jsm.streams.info(EVENTS_STREAM).catch(() => undefined);
    if (have) return;
    const replicas = this.o.replicas ?? (this.nc.info?.cluster ? 3 : 1);
    await jsm.streams.add({
      name: EVENTS_STREAM,
      subjects: [subjects.allEvents],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: nanos(DEDUP_WINDOW_MS),
      max_bytes: this.o.maxBytes ?? 1024 ** 3,
    });
    this.o.log('info', `bus: created stream ${EVENTS_STREAM} (${replicas} replica${replicas > 1 ? 's' : ''})`);
  }

  private async createConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers.add(EVENTS_STREAM, {
      durable_name: EVENTS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: 1000,
      filter_subject: subjects.allEvents,
    });
  }

  /** Recreates the consumer: every message still in the work queue comes again, oldest first. */
  private async reset(why: string): Promise<void> {
    this.o.log('warn', `bus: re-reading the event stream from its oldest unacknowledged message (${why})`);
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers.delete(EVENTS_STREAM, EVENTS_CONSUMER).catch(() => undefined);
    await this.createConsumer();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let broken: string | undefined;
    while (!this.stopped) {
      try {
        if (broken) await this.reset(broken);
        broken = undefined;
        const js = jetstream(this.nc);
        const consumer = await js.consumers.get(EVENTS_STREAM, EVENTS_CONSUMER);
        const messages = await consumer.consume({ max_messages: 100 });
        this.current = messages;
        for await (const m of messages) {
          if (this.stopped) break;
          const outcome = await this.handle(m);
          if (outcome !== 'done') {
            broken = outcome;
            break;
          }
          attempt = 0;
        }
        messages.stop();
      } catch (e) {
        broken = `the consumer failed: ${(e as Error).message}`;
      }
      this.current = undefined;
      if (broken && !this.stopped) {
        this.o.log('warn', `bus: ${broken}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt++, 5000)));
      }
    }
  }

  /** 'done' (acknowledged or refused for good), or why the stream must be read again. */
  private async handle(m: JsMsg): Promise<string> {
    const node = nodeOf('events', m.subject);
    let batch: EventBatch;
    try {
      const parsed = EventBatch.safeParse({ node, events: m.json() });
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
      batch = parsed.data;
    } catch (e) {
      return this.refuse(m, `a message on ${m.subject} is not an event batch (${(e as Error).message})`);
    }
    try {
      await this.ingest.accept(batch);
      await this.o.flush();
    } catch (e) {
      // a batch Ingest will never take (unknown node, events naming another node): dropped, said
      if (isOsmoError(e) && (e.kind === 'not_found' || e.kind === 'invalid')) return this.refuse(m, `${m.subject}: ${e.message}`);
      return `storing a batch from ${node} failed (${(e as Error).message})`;
    }
    try {
      await m.ackAck();
    } catch (e) {
      return `acknowledging a batch from ${node} failed (${(e as Error).message})`;
    }
    this.taken++;
    return 'done';
  }

  private refuse(m: JsMsg, why: string): string {
    this.refused++;
    this.o.log('warn', `bus: dropped ${why}`);
    m.term(why.slice(0, 200));
    return 'done';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.stop();
    await this.loop?.catch(() => undefined);
  }
}

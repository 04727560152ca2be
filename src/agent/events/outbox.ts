// The on-disk outbox: every event bound for a remote sink is appended here first and
// removed only after the sink acknowledged it, so events survive a sink outage and an agent
// restart. Layout in <data-dir>/outbox/:
//   00000000000000000001.jsonl ...  append-only segments, one JSON event per line
//   cursor                          {"segment": n, "offset": bytes} of the first unacked byte
// Bounded: when the segments exceed maxBytes the oldest segment is dropped and the number of
// undelivered events in it is counted and reported (a warning, and a metric).
// A full disk (ENOSPC and any other write error) never throws out of here: an append that
// does not fit drops the oldest segments first (counted the same way), and as a last resort
// the event itself; a cursor that cannot be saved stays in memory (after a restart the sink
// sees some events again and drops them by seq). The count is exact: a batch on its way when
// its segment goes counts only if it is then not acknowledged.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  fsyncSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '../../bus/events.js';

export interface OutboxOptions {
  dir: string;
  /** total bytes kept on disk; oldest segments are dropped beyond it */
  maxBytes?: number;
  /** a segment is closed and a new one started past this size */
  segmentBytes?: number;
  onDrop?: (events: number, segment: string) => void;
  /** a write failed (disk full), or works again: said once per change, for the log */
  onWriteError?: (msg: string) => void;
}

export interface Position {
  segment: number;
  offset: number;
}

export interface Batch {
  events: AgentEvent[];
  /** where the cursor goes once this batch is acknowledged */
  next: Position;
}

const NAME = /^(\d{20})\.jsonl$/;
const fname = (n: number): string => `${String(n).padStart(20, '0')}.jsonl`;
const READ_CHUNK = 1 << 20;

export class Outbox {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly onDrop: (events: number, segment: string) => void;
  private readonly onWriteError: (msg: string) => void;
  /** kinds of failed writes already reported (cleared by the next success of that kind) */
  private readonly failing = new Set<'append' | 'cursor'>();
  /** the batch last handed out by peek() and not yet acknowledged (the forwarder sends one at a time) */
  private inflight: { from: Position; next: Position } | undefined;
  /** events of that batch whose segment was dropped while it was on its way: lost unless it is acknowledged */
  private inflightDropped = 0;
  /** a write has failed for lack of room: acknowledged segments are let go as soon as possible */
  private pressure = false;

  /** segment numbers on disk, ascending; the last one is the active (appended) segment */
  private segments: number[] = [];
  private sizes = new Map<number, number>();
  private fd = -1;
  private cursor: Position;
  dropped = 0;

  constructor(o: OutboxOptions) {
    this.dir = o.dir;
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = Math.min(o.segmentBytes ?? 4 * 1024 * 1024, Math.max(1024, Math.floor(this.maxBytes / 4)));
    this.onDrop = o.onDrop ?? (() => {});
    this.onWriteError = o.onWriteError ?? (() => {});
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) {
      const m = NAME.exec(f);
      if (!m) continue;
      const n = Number(m[1]);
      this.segments.push(n);
      this.sizes.set(n, statSync(join(this.dir, f)).size);
    }
    this.segments.sort((a, b) => a - b);
    this.cursor = this.loadCursor();
    // never append after a line a crash may have cut short: always open a fresh segment
    try {
      this.openSegment((this.segments.at(-1) ?? 0) + 1);
    } catch (e) {
      // a disk too full for even an empty file: append() tries again
      this.failed('append', 'cannot open a new outbox segment', e);
    }
  }

  get bytes(): number {
    let t = 0;
    for (const s of this.sizes.values()) t += s;
    return t;
  }

  /** true when nothing is waiting for an acknowledgement */
  get empty(): boolean {
    const active = this.segments.at(-1)!;
    return this.cursor.segment === active && this.cursor.offset >= (this.sizes.get(active) ?? 0);
  }

  /** Appends one event; never throws (see the top of this file for what a full disk costs). */
  append(e: AgentEvent): void {
    const line = Buffer.from(JSON.stringify(e) + '\n');
    for (;;) {
      try {
        this.write(line);
        if (this.failing.delete('append')) this.onWriteError('event outbox: appends work again');
        break;
      } catch (err) {
        this.failed('append', 'disk full? dropping the oldest undelivered events to make room', err);
        this.pressure = true;
        // make room: the oldest segment goes first; the active one only after being rolled over
        if (this.segments.length > 1) this.dropOldest();
        else if ((this.sizes.get(this.segments[0]!) ?? 0) > 0) this.roll();
        else {
          // nothing left to drop: this event is lost (and counted)
          this.dropped++;
          this.onDrop(1, 'new event (no room on disk)');
          return;
        }
      }
    }
    this.enforceBound();
  }

  private write(line: Buffer): void {
    const active = this.segments.at(-1)!;
    if (this.fd < 0) this.openActive();
    else if ((this.sizes.get(active) ?? 0) + line.length > this.segmentBytes && (this.sizes.get(active) ?? 0) > 0) {
      this.openSegment(active + 1);
    }
    const seg = this.segments.at(-1)!;
    const size = this.sizes.get(seg) ?? 0;
    let n = 0;
    try {
      n = writeSync(this.fd, line);
    } finally {
      // a short or failed write must leave no torn line behind
      if (n !== line.length) {
        try {
          ftruncateSync(this.fd, size);
        } catch {
          /* cannot happen on a file we hold open for writing; if it does, peek skips the torn line */
        }
      }
    }
    if (n !== line.length) throw Object.assign(new Error(`short write (${n} of ${line.length} bytes)`), { code: 'ENOSPC' });
    this.sizes.set(seg, size + line.length);
  }

  /** Starts a fresh active segment (its file is created by the next write), so the current one can be dropped like any old one. */
  private roll(): void {
    const active = this.segments.at(-1)!;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.segments.push(active + 1);
    this.sizes.set(active + 1, 0);
    this.dropOldest();
  }

  private failed(kind: 'append' | 'cursor', what: string, err: unknown): void {
    if (this.failing.has(kind)) return;
    this.failing.add(kind);
    this.onWriteError(`event outbox: ${what}: ${(err as Error).message}`);
  }

  /** The oldest unacknowledged events, in order, at most `max`. */
  peek(max = 1000): Batch {
    // a batch handed out before and never acknowledged: what of it was dropped meanwhile is lost now
    this.settleInflight();
    const events: AgentEvent[] = [];
    let pos = { ...this.cursor };
    while (events.length < max) {
      const idx = this.segments.indexOf(pos.segment);
      if (idx < 0) {
        const later = this.segments.find((s) => s > pos.segment);
        if (later === undefined) break;
        pos = { segment: later, offset: 0 };
        continue;
      }
      const size = this.sizes.get(pos.segment) ?? 0;
      if (pos.offset >= size) {
        const nextSeg = this.segments[idx + 1];
        if (nextSeg === undefined) break;
        pos = { segment: nextSeg, offset: 0 };
        continue;
      }
      const { lines, consumed } = this.readLines(pos, size, max - events.length);
      for (const l of lines) {
        try {
          events.push(JSON.parse(l) as AgentEvent);
        } catch {
          // a line cut short by a crash: skip it
        }
      }
      if (consumed === 0) {
        // no complete line left in this segment (a torn tail): move on if it is not the active one
        const nextSeg = this.segments[idx + 1];
        if (nextSeg === undefined) break;
        pos = { segment: nextSeg, offset: 0 };
        continue;
      }
      pos = { segment: pos.segment, offset: pos.offset + consumed };
    }
    this.inflight = events.length ? { from: { ...this.cursor }, next: pos } : undefined;
    return { events, next: pos };
  }

  private settleInflight(): void {
    if (this.inflightDropped > 0) {
      this.dropped += this.inflightDropped;
      this.onDrop(this.inflightDropped, 'a batch that was not delivered');
    }
    this.inflightDropped = 0;
    this.inflight = undefined;
  }

  /** Moves the cursor past an acknowledged batch; never throws (an unsaved cursor stays in memory). */
  ack(next: Position): void {
    // delivered after all: nothing of it was lost
    this.inflightDropped = 0;
    this.inflight = undefined;
    this.cursor = next;
    const active = this.segments.at(-1)!;
    // on a disk that ran full, an active segment delivered to its end is let go at once rather
    // than when it reaches segmentBytes: its room is what the next events and the cursor need
    if (this.pressure && next.segment === active && next.offset >= (this.sizes.get(active) ?? 0) && next.offset > 0) {
      this.segments.push(active + 1);
      this.sizes.set(active + 1, 0);
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      this.cursor = { segment: active + 1, offset: 0 };
    }
    // acknowledged segments go first: on a full disk their room is what lets the cursor be saved
    const now = this.segments.at(-1);
    for (const s of [...this.segments]) {
      if (s < this.cursor.segment && s !== now) this.removeSegment(s);
    }
    this.saveCursor();
  }

  private saveCursor(): void {
    const tmp = join(this.dir, 'cursor.tmp');
    try {
      writeFileSync(tmp, JSON.stringify(this.cursor));
      renameSync(tmp, join(this.dir, 'cursor'));
      if (this.failing.delete('cursor')) this.onWriteError('event outbox: the cursor is saved again');
    } catch (e) {
      this.failed('cursor', 'cannot save the outbox cursor (kept in memory; after a restart some events are sent again)', e);
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
    }
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        fsyncSync(this.fd);
      } catch {
        /* what did not reach the disk is sent again from the sink's side of the cursor, or lost with the disk */
      }
      closeSync(this.fd);
      this.fd = -1;
    }
    // an empty active segment is noise on the next start
    const active = this.segments.at(-1);
    if (active !== undefined && (this.sizes.get(active) ?? 0) === 0) {
      try {
        unlinkSync(join(this.dir, fname(active)));
      } catch {
        /* already gone */
      }
    }
  }

  private readLines(pos: Position, size: number, max: number): { lines: string[]; consumed: number } {
    const fd = openSync(join(this.dir, fname(pos.segment)), 'r');
    try {
      const len = Math.min(READ_CHUNK, size - pos.offset);
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos.offset);
      const lines: string[] = [];
      let start = 0;
      let consumed = 0;
      while (lines.length < max) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= n) break;
        lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
        consumed = start;
      }
      return { lines, consumed };
    } finally {
      closeSync(fd);
    }
  }

  /** Makes segment n the active one; when its file cannot be opened it stays active with no fd and the next write tries again. */
  private openSegment(n: number): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.segments.push(n);
    this.sizes.set(n, 0);
    this.openActive();
  }

  private openActive(): void {
    const n = this.segments.at(-1)!;
    this.fd = openSync(join(this.dir, fname(n)), 'a');
    this.sizes.set(n, fstatSync(this.fd).size);
  }

  private enforceBound(): void {
    while (this.bytes > this.maxBytes && this.segments.length > 1) this.dropOldest();
  }

  /** Drops the oldest segment, counting the undelivered events it held. */
  private dropOldest(): void {
    const oldest = this.segments[0]!;
    let lost = 0;
    try {
      lost = this.countUnacked(oldest);
      // the batch on its way counts only if it is not acknowledged (see settleInflight)
      const f = this.inflight;
      if (f && f.from.segment <= oldest && f.next.segment >= oldest) {
        const from = f.from.segment === oldest ? Math.max(f.from.offset, this.cursor.segment === oldest ? this.cursor.offset : 0) : 0;
        const to = f.next.segment === oldest ? f.next.offset : Infinity;
        const inBatch = this.countLines(oldest, from, to);
        lost -= inBatch;
        this.inflightDropped += inBatch;
      }
    } catch {
      /* unreadable: counted as none rather than guessed */
    }
    this.removeSegment(oldest);
    if (this.cursor.segment <= oldest) this.cursor = { segment: this.segments[0] ?? oldest + 1, offset: 0 };
    if (lost > 0) {
      this.dropped += lost;
      this.onDrop(lost, fname(oldest));
    }
  }

  private countUnacked(seg: number): number {
    if (seg < this.cursor.segment) return 0;
    return this.countLines(seg, seg === this.cursor.segment ? this.cursor.offset : 0, Infinity);
  }

  /** complete lines in segment `seg` between byte offsets `from` and `to` */
  private countLines(seg: number, from: number, to: number): number {
    if (this.sizes.get(seg) === 0) return 0;
    const buf = readFileSync(join(this.dir, fname(seg)));
    let n = 0;
    for (let i = from; i < Math.min(to, buf.length); i++) if (buf[i] === 10) n++;
    return n;
  }

  private removeSegment(s: number): void {
    try {
      unlinkSync(join(this.dir, fname(s)));
    } catch {
      /* already gone */
    }
    this.segments = this.segments.filter((x) => x !== s);
    this.sizes.delete(s);
  }

  private loadCursor(): Position {
    const file = join(this.dir, 'cursor');
    if (existsSync(file)) {
      try {
        const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<Position>;
        if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) return { segment: c.segment!, offset: c.offset! };
      } catch {
        /* unreadable cursor: deliver everything kept; the receiver drops duplicates by seq */
      }
    }
    return { segment: this.segments[0] ?? 1, offset: 0 };
  }
}

// The on-disk outbox: every event bound for a remote sink is appended here first and
// removed only after the sink acknowledged it, so events survive a sink outage and an agent
// restart. Layout in <data-dir>/outbox/:
//   00000000000000000001.jsonl ...  append-only segments, one JSON event per line
//   cursor                          {"segment": n, "offset": bytes} of the first unacked byte
// Bounded: when the segments exceed maxBytes the oldest segment is dropped and the number of
// undelivered events in it is counted and reported (a warning, and a metric).
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
    this.openSegment((this.segments.at(-1) ?? 0) + 1);
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

  append(e: AgentEvent): void {
    const line = Buffer.from(JSON.stringify(e) + '\n');
    const active = this.segments.at(-1)!;
    if ((this.sizes.get(active) ?? 0) + line.length > this.segmentBytes && (this.sizes.get(active) ?? 0) > 0) {
      this.openSegment(active + 1);
    }
    const seg = this.segments.at(-1)!;
    writeSync(this.fd, line);
    this.sizes.set(seg, (this.sizes.get(seg) ?? 0) + line.length);
    this.enforceBound();
  }

  /** The oldest unacknowledged events, in order, at most `max`. */
  peek(max = 1000): Batch {
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
    return { events, next: pos };
  }

  ack(next: Position): void {
    this.cursor = next;
    const tmp = join(this.dir, 'cursor.tmp');
    writeFileSync(tmp, JSON.stringify(next));
    renameSync(tmp, join(this.dir, 'cursor'));
    const active = this.segments.at(-1)!;
    for (const s of [...this.segments]) {
      if (s < next.segment && s !== active) this.removeSegment(s);
    }
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
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

  private openSegment(n: number): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(join(this.dir, fname(n)), 'a');
    this.segments.push(n);
    this.sizes.set(n, fstatSync(this.fd).size);
  }

  private enforceBound(): void {
    while (this.bytes > this.maxBytes && this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const lost = this.countUnacked(oldest);
      this.removeSegment(oldest);
      if (this.cursor.segment <= oldest) this.cursor = { segment: this.segments[0]!, offset: 0 };
      if (lost > 0) {
        this.dropped += lost;
        this.onDrop(lost, fname(oldest));
      }
    }
  }

  private countUnacked(seg: number): number {
    if (seg < this.cursor.segment) return 0;
    const from = seg === this.cursor.segment ? this.cursor.offset : 0;
    const buf = readFileSync(join(this.dir, fname(seg)));
    let n = 0;
    for (let i = from; i < buf.length; i++) if (buf[i] === 10) n++;
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

// A bounded byte log: the newest `capacity` bytes of a process's stdout+stderr. A chatty or
// runaway process can never grow the agent's memory past it.
export class RingLog {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(readonly capacity = 1024 * 1024) {}

  write(chunk: Buffer): void {
    if (chunk.length >= this.capacity) {
      this.dropped += this.size + chunk.length - this.capacity;
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capacity))];
      this.size = this.capacity;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const head = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (head.length <= excess) {
        this.chunks.shift();
        this.size -= head.length;
        this.dropped += head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** Bytes currently held (<= capacity). */
  get length(): number {
    return this.size;
  }

  /** Bytes dropped from the head since the log was made. */
  get droppedBytes(): number {
    return this.dropped;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

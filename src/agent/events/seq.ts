// Event sequence numbers: strictly increasing for the life of a data dir, across restarts
// and crashes. Writing the counter on every event would cost a file write per event, so
// the file holds a reserved ceiling: numbers are handed out below it, and a new block is
// reserved (written, then renamed into place) before the ceiling is crossed. A crash
// loses at most the unused rest of a block: a gap, never a repeat.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 1000;

export class SeqCounter {
  private next: number;
  private ceiling: number;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'event-seq');
    let stored: number;
    try {
      stored = Number(readFileSync(this.file, 'utf8').trim());
      if (!Number.isSafeInteger(stored) || stored < 0) stored = 0;
    } catch {
      stored = 0;
    }
    // the stored ceiling was reserved but maybe partly used: start above all of it
    this.next = stored + 1;
    this.ceiling = stored;
    this.reserve();
  }

  /** last number handed out (0 = none yet) */
  get last(): number {
    return this.next - 1;
  }

  take(): number {
    if (this.next > this.ceiling) this.reserve();
    return this.next++;
  }

  private reserve(): void {
    this.ceiling = this.next - 1 + BLOCK;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, String(this.ceiling));
    renameSync(tmp, this.file);
  }
}

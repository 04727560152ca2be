// Event sequence numbers: strictly increasing for the life of a data dir, across restarts
// and crashes. Writing the counter on every event would cost a file write per event, so
// the file holds a reserved ceiling: numbers are handed out below it, and a new block is
// reserved (written, then renamed into place) before the ceiling is crossed. A crash
// loses at most the unused rest of a block: a gap, never a repeat.
// A reservation that cannot be written (disk full) does not stop the numbering: it goes on
// in memory and the reservation is written again on each later take until it lands. Only a
// crash while it is unsaved can repeat numbers (the core then drops those events as seen).
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 1000;

export class SeqCounter {
  private next: number;
  private ceiling: number;
  private readonly file: string;
  private unsaved = false;

  /** `onWriteError`: told once when a reservation cannot be written, and once when it lands again */
  constructor(
    dataDir: string,
    private readonly onWriteError: (msg: string) => void = () => {},
  ) {
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
    else if (this.unsaved) this.save();
    return this.next++;
  }

  private reserve(): void {
    this.ceiling = this.next - 1 + BLOCK;
    this.save();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, String(this.ceiling));
      renameSync(tmp, this.file);
      if (this.unsaved) this.onWriteError('event sequence: the reservation is saved again');
      this.unsaved = false;
    } catch (e) {
      if (!this.unsaved)
        this.onWriteError(`event sequence: cannot save the reservation (numbering goes on in memory): ${(e as Error).message}`);
      this.unsaved = true;
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
    }
  }
}

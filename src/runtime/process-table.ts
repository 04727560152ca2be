// The process driver's memory across agent restarts: what it was asked to run, on disk as one
// JSON file replaced atomically (write temp, fsync, rename), so a crash mid-write leaves the
// previous table, never half of one.
import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Resources } from '../model/index.js';

const Entry = z.object({
  id: z.string(),
  name: z.string(),
  spec: z.object({
    name: z.string(),
    image: z.string(),
    command: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    resources: Resources.partial().optional(),
    workdir: z.string().optional(),
  }),
  createdAt: z.string(),
  /** false once it finished on its own (exit 0): not started again after an agent restart */
  wanted: z.boolean(),
  restarts: z.number().int().nonnegative(),
  /** the last child, to find and stop it if the agent died without stopping it */
  pid: z.number().int().positive().optional(),
  pidStart: z.number().optional(),
});
export type TableEntry = z.infer<typeof Entry>;

const Table = z.object({ version: z.literal(1), nodeId: z.string(), instances: z.array(Entry) });

export class ProcessTable {
  readonly file: string;

  constructor(
    readonly dir: string,
    readonly nodeId: string,
  ) {
    // One file per node id: two agents given the same data dir still keep apart.
    this.file = join(dir, `instances.${encodeURIComponent(nodeId)}.json`);
  }

  load(): TableEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`process runtime table ${this.file} is not JSON: ${(e as Error).message}`, { cause: e });
    }
    const parsed = Table.safeParse(json);
    if (!parsed.success) throw new Error(`process runtime table ${this.file} is corrupt: ${parsed.error.message}`);
    return parsed.data.instances;
  }

  /**
   * Durable replace, off the event loop: fsync can take seconds on a busy disk, and an agent
   * must not stall its API and samplers on it. Saves are serialised and coalesced: while one
   * is in flight the latest snapshot waits, and intermediate ones are skipped.
   */
  save(entries: TableEntry[]): Promise<void> {
    this.pending = JSON.stringify({ version: 1, nodeId: this.nodeId, instances: entries }, null, 2);
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private pending: string | undefined;
  private flushing: Promise<void> | undefined;

  private async flush(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    while (this.pending !== undefined) {
      const text = this.pending;
      this.pending = undefined;
      const tmp = `${this.file}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
    }
  }
}

// The process driver's memory across agent restarts: what it was asked to run, on disk as one
// JSON file replaced atomically (write temp, fsync, rename), so a crash mid-write leaves the
// previous table, never half of one.
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const Entry = z.object({
  id: z.string(),
  name: z.string(),
  spec: z.object({
    name: z.string(),
    image: z.string(),
    command: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    resources: z.object({ cpus: z.number().optional(), memoryBytes: z.number().optional() }).optional(),
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
    const parsed = Table.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`process runtime table ${this.file} is corrupt: ${parsed.error.message}`);
    return parsed.data.instances;
  }

  save(entries: TableEntry[]): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ version: 1, nodeId: this.nodeId, instances: entries }, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}

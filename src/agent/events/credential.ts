// The node credential the core issued at this node's first registration, and the token the
// core signs its commands with, kept in <data-dir>/node-credential.json (mode 0600) so that a
// restarted agent speaks for its node with its own credential, not the join token again.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const NodeCredential = z.object({ node: z.string(), credential: z.string().optional(), agentToken: z.string().optional() });
export type NodeCredential = z.infer<typeof NodeCredential>;

const fileOf = (dataDir: string) => join(dataDir, 'node-credential.json');

/** The stored credential of `node`, if this data dir holds one (for another node id: none). */
export function loadCredential(dataDir: string, node: string): NodeCredential | undefined {
  const file = fileOf(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const c = NodeCredential.parse(JSON.parse(readFileSync(file, 'utf8')));
    return c.node === node ? c : undefined;
  } catch {
    return undefined;
  }
}

export function saveCredential(dataDir: string, c: NodeCredential): void {
  const file = fileOf(dataDir);
  writeFileSync(file, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

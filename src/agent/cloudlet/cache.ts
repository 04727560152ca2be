// The cloudlet's copy of the core's catalog and app repository, on disk in the agent's data
// dir (<data-dir>/cloudlet/catalog.json and apps/<id>), so that devices are served while the
// core is unreachable ("disconnected mode"). Refreshed from the core through the agent
// protocol with the node's own credential; an app file is kept only when its MD5 matches.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppView, ServiceView } from '../../model/index.js';
import type { CoreClient } from '../events/core-client.js';
import { readJson, writeJson } from './files.js';

const Catalog = z.object({ services: z.array(ServiceView), apps: z.array(AppView), fetchedAt: z.number() });
type Catalog = z.infer<typeof Catalog>;

export class CatalogCache {
  private catalog: Catalog;
  private readonly file: string;
  private readonly apps: string;

  constructor(dir: string) {
    this.file = join(dir, 'catalog.json');
    this.apps = join(dir, 'apps');
    mkdirSync(this.apps, { recursive: true, mode: 0o700 });
    this.catalog = readJson(this.file, Catalog) ?? { services: [], apps: [], fetchedAt: 0 };
  }

  /** ms since epoch of the last copy taken from the core; 0 = never */
  get fetchedAt(): number {
    return this.catalog.fetchedAt;
  }

  services(): ServiceView[] {
    return this.catalog.services;
  }

  service(id: string): ServiceView | undefined {
    return this.catalog.services.find((s) => s.id === id);
  }

  /** apps whose file is here, carrying every tag given */
  listApps(tags: string[] = []): AppView[] {
    return this.catalog.apps.filter((a) => this.hasFile(a) && tags.every((t) => a.tags.includes(t)));
  }

  app(id: string): AppView | undefined {
    return this.listApps().find((a) => a.id === id);
  }

  appPath(a: AppView): string {
    return join(this.apps, a.id);
  }

  private hasFile(a: AppView): boolean {
    try {
      return statSync(join(this.apps, a.id)).size === a.size;
    } catch {
      return false;
    }
  }

  /** Takes a fresh copy from the core; throws when the core cannot be read (the old copy stays). */
  async refresh(core: CoreClient): Promise<void> {
    const c = await core.call(
      'GET',
      '/api/v1/agent/cloudlet/catalog',
      z.object({ services: z.array(ServiceView), apps: z.array(AppView) }),
    );
    for (const a of c.apps) {
      if (this.hasFile(a)) continue;
      const data = await core.bytes(`/api/v1/agent/cloudlet/apps/${encodeURIComponent(a.id)}/file`);
      if (createHash('md5').update(data).digest('hex') !== a.md5) continue; // changed under us: next round
      const tmp = join(this.apps, `.tmp-${a.id}`);
      writeFileSync(tmp, data, { mode: 0o600 });
      renameSync(tmp, join(this.apps, a.id));
    }
    const keep = new Set(c.apps.map((a) => a.id));
    for (const f of readdirSync(this.apps)) if (!keep.has(f) && !f.startsWith('.tmp-')) rmSync(join(this.apps, f), { force: true });
    this.catalog = { ...c, fetchedAt: Date.now() };
    writeJson(this.file, this.catalog);
  }

  /** true when a copy exists on disk (the cloudlet can serve without ever reaching the core) */
  get present(): boolean {
    return existsSync(this.file);
  }
}

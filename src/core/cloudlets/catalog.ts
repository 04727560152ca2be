// The cloudlet catalog (services a device may ask a cloudlet to start) and the app
// repository: metadata in the store, app files under <data-dir>/apps/<id> with their MD5.
// An upload is written to a temporary file first and only becomes visible (renamed, row
// inserted) once it is complete and its metadata valid: nothing half-written is ever listed.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppFields, AppView, type ServiceBody, ServiceSpec, ServiceView, type ServiceId } from '../../model/index.js';
import { conflict, invalid, notFound, OsmoError } from '../../shared/errors.js';
import type { AppRow, ServiceRow, Store } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import type { z } from 'zod';

/** An app file may not be larger than this (bytes). */
export const MAX_APP_BYTES = 256 * 1024 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/** A file being received: write it, then commit() or discard(). */
export interface Upload {
  path: string;
  md5: string;
  size: number;
}

export class Catalog {
  private readonly dir: string;

  constructor(
    private readonly ctx: { store: Store; events: EventLog },
    dataDir: string,
  ) {
    this.dir = join(dataDir, 'apps');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  // ---- services ----------------------------------------------------------------------

  async services(): Promise<ServiceView[]> {
    return (await this.ctx.store.cloudlets.services()).map(toServiceView).filter((s): s is ServiceView => s !== undefined);
  }

  async service(id: string): Promise<ServiceView> {
    const s = (await this.services()).find((x) => x.id === id);
    if (!s) throw notFound(`service ${id} not found`);
    return s;
  }

  async create(spec: ServiceSpec): Promise<ServiceView> {
    const rows = await this.ctx.store.cloudlets.services();
    if (rows.some((r) => r.id === spec.id)) throw conflict(`service ${spec.id} exists (PUT /api/v1/services/${spec.id} replaces it)`);
    return this.write(spec, undefined);
  }

  async put(id: z.infer<typeof ServiceId>, body: ServiceBody): Promise<{ view: ServiceView; created: boolean }> {
    const old = (await this.ctx.store.cloudlets.services()).find((r) => r.id === id);
    const view = await this.write({ ...body, id }, old?.createdAt);
    return { view, created: old === undefined };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.ctx.store.cloudlets.removeService(id))) throw notFound(`service ${id} not found`);
    await this.ctx.events.core('cloudlet', null, { action: 'service-removed', service: id });
  }

  private async write(spec: ServiceSpec, createdAt: number | undefined): Promise<ServiceView> {
    const now = Date.now();
    const row: ServiceRow = { id: spec.id, spec: JSON.stringify(spec), createdAt: createdAt ?? now, updatedAt: now };
    await this.ctx.store.cloudlets.putService(row);
    await this.ctx.events.core('cloudlet', null, { action: 'service-put', service: spec.id });
    return toServiceView(row)!;
  }

  // ---- apps --------------------------------------------------------------------------

  /** apps carrying every tag given (none = all) */
  async apps(tags: string[] = []): Promise<AppView[]> {
    const all = (await this.ctx.store.cloudlets.apps()).map(toAppView).filter((a): a is AppView => a !== undefined);
    return tags.length ? all.filter((a) => tags.every((t) => a.tags.includes(t))) : all;
  }

  async app(id: string): Promise<AppView> {
    const a = (await this.apps()).find((x) => x.id === id);
    if (!a) throw notFound(`app ${id} not found`);
    return a;
  }

  /** The stored file of an app, for download. */
  async appFile(id: string): Promise<{ app: AppView; path: string }> {
    const app = await this.app(id);
    return { app, path: join(this.dir, app.id) };
  }

  /** Streams `source` into a temporary file, hashing it; throws 413 past MAX_APP_BYTES. */
  async receive(source: Readable): Promise<Upload> {
    const path = join(this.dir, `.upload-${randomUUID()}`);
    const hash = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > MAX_APP_BYTES) {
          done(new OsmoError('invalid', `app file larger than ${MAX_APP_BYTES} bytes`, undefined, 'OSMO_PAYLOAD_TOO_LARGE'));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(path, { mode: 0o600 }));
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    return { path, md5: hash.digest('hex'), size };
  }

  /** Drops a received file that will not be committed. */
  discard(u: Upload): void {
    rmSync(u.path, { force: true });
  }

  /** Validates the metadata (400 naming the field) and makes the received file an app. */
  async commit(u: Upload, fields: unknown): Promise<AppView> {
    try {
      const r = AppFields.safeParse(fields);
      if (!r.success) throw invalid(`app metadata: ${zodMessage(r.error)}`);
      if (u.size === 0) throw invalid('app file: empty (send the file as the multipart part "file" or as the raw body)');
      const id = randomUUID();
      const meta = { ...r.data, fileName: r.data.fileName ?? `${r.data.name.replace(/[^A-Za-z0-9._-]/g, '_')}.apk` };
      renameSync(u.path, join(this.dir, id));
      const row: AppRow = { id, meta: JSON.stringify(meta), md5: u.md5, size: u.size, createdAt: Date.now() };
      try {
        await this.ctx.store.cloudlets.putApp(row);
      } catch (e) {
        rmSync(join(this.dir, id), { force: true });
        throw e;
      }
      await this.ctx.events.core('cloudlet', null, {
        action: 'app-added',
        app: id,
        ...(meta.serviceId ? { service: meta.serviceId } : {}),
      });
      return toAppView(row)!;
    } finally {
      this.discard(u);
    }
  }

  async removeApp(id: string): Promise<void> {
    if (!(await this.ctx.store.cloudlets.removeApp(id))) throw notFound(`app ${id} not found`);
    rmSync(join(this.dir, id), { force: true });
    await this.ctx.events.core('cloudlet', null, { action: 'app-removed', app: id });
  }

  /** True when the app's file is on disk with the recorded size (an operator may have deleted it). */
  fileIntact(app: AppView): boolean {
    try {
      return statSync(join(this.dir, app.id)).size === app.size;
    } catch {
      return false;
    }
  }

  openApp(app: AppView): Readable {
    return createReadStream(join(this.dir, app.id));
  }
}

function toServiceView(r: ServiceRow): ServiceView | undefined {
  const p = ServiceSpec.safeParse(JSON.parse(r.spec));
  if (!p.success) return undefined;
  return ServiceView.parse({ ...p.data, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) });
}

function toAppView(r: AppRow): AppView | undefined {
  const p = AppFields.safeParse(JSON.parse(r.meta));
  if (!p.success) return undefined;
  return AppView.parse({
    ...p.data,
    fileName: p.data.fileName ?? `${r.id}.apk`,
    id: r.id,
    md5: r.md5,
    size: r.size,
    createdAt: iso(r.createdAt),
  });
}

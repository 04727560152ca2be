// Instances devices started on this cloudlet: one container each, shared by the devices
// that joined it, removed when the last one leaves. The cloudlet deploys them itself (so a
// device is served with the core unreachable) under a name chosen here and kept in
// <data-dir>/cloudlet/instances.json; the core is told of every change (sync.ts) and adopts
// the container as a MEL pinned to this node, so it never starts a second copy.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { ServiceView } from '../../model/index.js';
import { LABEL_MEL, type InstanceInfo } from '../../runtime/types.js';
import { notFound, OsmoError } from '../../shared/errors.js';
import type { DeployService } from '../deploy/service.js';
import { readJson, writeJson } from './files.js';

/** container label naming the catalog service an instance runs */
export const LABEL_CLOUDLET_SERVICE = 'io.osmo.cloudlet.service';

const Local = z.object({
  id: z.string(),
  serviceId: z.string(),
  container: z.string(),
  image: z.string(),
  servicePort: z.number(),
  hostPort: z.number().nullable(),
  users: z.array(z.string()),
  createdAt: z.number(),
  /** the core holds this state (false: tell it at the next chance) */
  reported: z.boolean(),
  /** when the core last confirmed it */
  reportedAt: z.number(),
});
export type LocalInstance = z.infer<typeof Local>;
const StateFile = z.object({ instances: z.array(Local), released: z.array(z.string()) });

/** "edu.cmu.sei.ams.speech" → "edu-cmu-sei-ams-speech", cut to fit a MEL name */
export function slug(serviceId: string): string {
  const s = serviceId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 35)
    .replace(/-+$/, '');
  return s || 'svc';
}

export interface StartResult {
  instance: LocalInstance;
  joined: boolean;
}

export class DeviceInstances {
  private readonly file: string;
  private readonly byId = new Map<string, LocalInstance>();
  /** ids removed here that the core has not been told of yet */
  readonly released = new Set<string>();
  /** one start or stop per service at a time: two joins must not start two copies */
  private readonly locks = new Map<string, Promise<unknown>>();
  private onChange: (id: string) => void = () => undefined;

  constructor(
    dir: string,
    private readonly deploy: DeployService,
    /** the address devices reach this cloudlet's containers on */
    private readonly address: string,
    private readonly readyTimeoutMs = 60_000,
  ) {
    this.file = join(dir, 'instances.json');
    const saved = readJson(this.file, StateFile);
    for (const i of saved?.instances ?? []) this.byId.set(i.id, i);
    for (const r of saved?.released ?? []) this.released.add(r);
  }

  /** called after every change of an instance (sync.ts reports it to the core) */
  watch(f: (id: string) => void): void {
    this.onChange = f;
  }

  list(): LocalInstance[] {
    return [...this.byId.values()];
  }

  get(id: string): LocalInstance | undefined {
    return this.byId.get(id);
  }

  /** Drops instances whose container is gone (removed while the agent was down). */
  async reconcile(): Promise<void> {
    const running = new Map((await this.deploy.list()).map((c) => [c.name, c]));
    for (const i of this.list()) {
      if (!running.has(i.container)) {
        this.byId.delete(i.id);
        this.released.add(i.id);
      }
    }
    // a container started for devices that no state knows (a crash between deploy and save): nobody uses it
    for (const c of running.values()) {
      if (c.labels[LABEL_CLOUDLET_SERVICE] && !this.list().some((i) => i.container === c.name))
        await this.deploy.remove(c.name).catch(() => undefined);
    }
    this.save();
  }

  private save(): void {
    writeJson(this.file, { instances: this.list(), released: [...this.released] });
  }

  private serial<T>(key: string, f: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(f);
    this.locks.set(key, next);
    const drop = () => {
      if (this.locks.get(key) === next) this.locks.delete(key);
    };
    next.then(drop, drop);
    return next;
  }

  /** join=true: share a running instance of the service (a new one if there is none); false: always a new one. */
  start(svc: ServiceView, join: boolean, device: string): Promise<StartResult> {
    return this.serial(svc.id, async () => {
      if (join) {
        const running = this.list().find((i) => i.serviceId === svc.id);
        if (running) {
          if (!running.users.includes(device)) running.users.push(device);
          this.changed(running);
          return { instance: running, joined: true };
        }
      }
      const id = `cl-${slug(svc.id)}-${randomBytes(4).toString('hex')}`;
      const info = await this.deploy.deploy({
        name: id,
        image: svc.image,
        ...(svc.command ? { command: svc.command } : {}),
        ...(svc.env ? { env: svc.env } : {}),
        ports: { [`${svc.port}/tcp`]: null },
        labels: { [LABEL_MEL]: id, [LABEL_CLOUDLET_SERVICE]: svc.id },
        ...(svc.minMemory > 0 ? { resources: { memoryBytes: Math.max(svc.minMemory, svc.idealMemory) * 1024 * 1024 } } : {}),
      });
      const hostPort = publishedPort(info, svc.port);
      const inst: LocalInstance = {
        id,
        serviceId: svc.id,
        container: info.name,
        image: svc.image,
        servicePort: svc.port,
        hostPort,
        users: [device],
        createdAt: Date.now(),
        reported: false,
        reportedAt: 0,
      };
      try {
        if (hostPort === null) throw new OsmoError('unavailable', `service ${svc.id}: port ${svc.port}/tcp was not published`);
        await waitPort(this.address, hostPort, this.readyTimeoutMs);
      } catch (e) {
        await this.deploy.remove(info.name).catch(() => undefined);
        throw e;
      }
      this.byId.set(id, inst);
      this.changed(inst);
      return { instance: inst, joined: false };
    });
  }

  /** One user fewer (this device, or the newest one); the last one out removes the container. */
  async stop(id: string, device: string | undefined): Promise<{ instance: LocalInstance; removed: boolean }> {
    const first = this.byId.get(id);
    if (!first) throw notFound(`instance ${id} not found on this cloudlet`);
    return this.serial(first.serviceId, async () => {
      const i = this.byId.get(id);
      if (!i) throw notFound(`instance ${id} not found on this cloudlet`);
      const at = device !== undefined ? i.users.lastIndexOf(device) : -1;
      if (at >= 0) i.users.splice(at, 1);
      else i.users.pop();
      if (i.users.length > 0) {
        this.changed(i);
        return { instance: i, removed: false };
      }
      await this.deploy.remove(i.container).catch((e: unknown) => {
        if ((e as OsmoError).kind !== 'not_found') throw e;
      });
      this.byId.delete(id);
      this.released.add(id);
      this.save();
      this.onChange(id);
      return { instance: i, removed: true };
    });
  }

  /** The core confirmed this state of the instance (sync.ts). */
  confirmed(id: string, users: string[], at: number): void {
    const i = this.byId.get(id);
    if (!i || JSON.stringify(i.users) !== JSON.stringify(users)) return;
    i.reported = true;
    i.reportedAt = at;
    this.save();
  }

  /** The core knows this instance is gone. */
  releaseConfirmed(id: string): void {
    if (this.released.delete(id)) this.save();
  }

  /** The core moved it elsewhere (a migration): it is no longer ours. */
  forget(id: string): void {
    if (this.byId.delete(id)) this.save();
  }

  /** The core placed one here (the destination of a migration): serve it from now on. */
  adoptAssigned(i: Omit<LocalInstance, 'reported' | 'reportedAt' | 'createdAt'>): void {
    if (this.byId.has(i.id)) return;
    this.byId.set(i.id, { ...i, createdAt: Date.now(), reported: true, reportedAt: Date.now() });
    this.save();
  }

  private changed(i: LocalInstance): void {
    i.reported = false;
    this.save();
    this.onChange(i.id);
  }
}

function publishedPort(info: InstanceInfo, port: number): number | null {
  return info.ports.find((p) => p.containerPort === port && p.protocol === 'tcp')?.hostPort ?? null;
}

/** Resolves once a TCP connection to host:port is accepted (the service is ready). */
export async function waitPort(host: string, port: number, timeoutMs: number, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await dial(host, port, Math.max(100, Math.min(1000, deadline - Date.now())))) return;
    if (Date.now() > deadline) throw new OsmoError('unavailable', `${host}:${port} did not accept connections within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function dial(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

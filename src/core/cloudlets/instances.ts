// Instances devices started on cloudlets, as the core keeps them: each is one MEL (named
// as the cloudlet named it, replicas 1, pinned to its cloudlet) whose instance record is the
// container the cloudlet started — adopted, never deployed by the core, so nothing runs
// twice whether the cloudlet was connected or not when the device asked. The MEL's labels
// carry the service and the user count. A migration (by API or by the policy engine) moves
// the pin and leaves each user a message on the old cloudlet with the new address.
import { randomUUID } from 'node:crypto';
import {
  type CloudletAssigned,
  type CloudletReport,
  type MailboxMessage,
  type MelSpec,
  type PublishedPort,
  MelSpec as MelSpecSchema,
} from '../../model/index.js';
import { conflict, notFound, unavailable } from '../../shared/errors.js';
import type { CloudletInstanceRow, InstanceRecord, Store } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import type { PolicyEngine } from '../migration/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState, Mel } from '../state.js';
import type { Catalog } from './catalog.js';

const LABEL_SERVICE = 'osmo.cloudlet/service';
const LABEL_USERS = 'osmo.cloudlet/users';
const ADDRESS_LABEL = 'osmo.cloudlet/address';

export interface CloudletInstanceView {
  id: string;
  serviceId: string;
  node: string;
  users: string[];
  instance: string | null;
  container: string | null;
  state: string;
  address: string | null;
  hostPort: number | null;
}

interface Ctx {
  store: Store;
  events: EventLog;
  state: ClusterState;
  reconciler: Pick<Reconciler, 'kick'>;
  engine: Pick<PolicyEngine, 'manual'>;
}

export class CloudletInstances {
  private readonly rows = new Map<string, CloudletInstanceRow>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: Ctx,
    private readonly catalog: Catalog,
  ) {}

  async load(): Promise<void> {
    for (const r of await this.ctx.store.cloudlets.instances()) this.rows.set(r.mel, r);
  }

  /** Follows every finished migration of a cloudlet instance, whoever asked for it. */
  watchMigrations(): () => void {
    return this.ctx.events.live.subscribe('migration', (e) => {
      if (e.type !== 'migration' || e.data.phase !== 'done') return;
      if (this.rows.has(e.data.mel)) void this.moved(e.data.mel, e.data.to).catch(() => undefined);
    });
  }

  list(): CloudletInstanceView[] {
    return [...this.rows.values()].map((r) => this.view(r));
  }

  private view(r: CloudletInstanceRow): CloudletInstanceView {
    const i = this.current(r.mel);
    const node = this.ctx.state.nodes.get(r.node);
    return {
      id: r.mel,
      serviceId: r.serviceId,
      node: r.node,
      users: r.users,
      instance: i?.id ?? null,
      container: i?.name ?? null,
      state: i?.state ?? 'unknown',
      address: node?.labels[ADDRESS_LABEL] ?? null,
      hostPort: i ? hostPortOf(i.ports) : null,
    };
  }

  /** the instance record in use: running (or starting) and wanted */
  private current(mel: string): InstanceRecord | undefined {
    const list = this.ctx.state.instancesOf(mel).filter((i) => i.desired === 'run');
    return list.find((i) => i.state === 'running') ?? list[0];
  }

  /** A cloudlet reports an instance it started or whose users changed; the first report adopts it. */
  report(id: string, r: CloudletReport): Promise<{ id: string; users: string[] }> {
    return this.serial(async () => {
      const row = this.rows.get(id);
      if (row && row.node !== r.node) throw conflict(`instance ${id} moved to cloudlet ${row.node}`);
      const now = Date.now();
      const labels = { [LABEL_SERVICE]: r.serviceId, [LABEL_USERS]: String(r.users.length) };
      const mel = this.ctx.state.mels.get(id);
      if (!mel) {
        const svc = (await this.catalog.services()).find((s) => s.id === r.serviceId);
        const spec: MelSpec = MelSpecSchema.parse({
          name: id,
          image: r.image,
          ...(svc?.command ? { command: svc.command } : {}),
          ...(svc?.env ? { env: svc.env } : {}),
          ports: { [`${r.servicePort}/tcp`]: null },
          replicas: 1,
          placement: { node: r.node },
          labels,
          ...(svc && svc.minMemory > 0 ? { resources: { memoryBytes: Math.max(svc.minMemory, svc.idealMemory) * 1024 * 1024 } } : {}),
        });
        const m: Mel = { name: id, spec, generation: 1, createdAt: now, updatedAt: now };
        const rec: InstanceRecord = {
          id: randomUUID(),
          mel: id,
          node: r.node,
          name: r.container,
          generation: 1,
          desired: 'run',
          state: 'running',
          reason: usersReason(r.serviceId, r.users.length),
          ports: r.hostPort ? [{ containerPort: r.servicePort, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: r.hostPort }] : [],
          createdAt: now,
          updatedAt: now,
        };
        await this.ctx.state.saveMelWithInstances(m, [rec]);
        await this.ctx.events.core('cloudlet', r.node, {
          action: 'instance-adopted',
          service: r.serviceId,
          mel: id,
          users: r.users.length,
        });
      } else {
        await this.ctx.state.saveMel({ ...mel, spec: { ...mel.spec, labels: { ...mel.spec.labels, ...labels } }, updatedAt: now });
        const cur = this.current(id);
        if (cur) await this.ctx.state.saveInstances([{ ...cur, reason: usersReason(r.serviceId, r.users.length), updatedAt: now }]);
        await this.ctx.events.core('cloudlet', r.node, { action: 'instance-users', service: r.serviceId, mel: id, users: r.users.length });
      }
      const next: CloudletInstanceRow = {
        mel: id,
        serviceId: r.serviceId,
        node: r.node,
        users: r.users,
        createdAt: row?.createdAt ?? now,
        updatedAt: now,
      };
      await this.ctx.store.cloudlets.putInstance(next);
      this.rows.set(id, next);
      return { id, users: r.users };
    });
  }

  /** The last user left: the cloudlet removed the container; the core forgets the MEL. */
  release(id: string, node: string): Promise<void> {
    return this.serial(async () => {
      const row = this.rows.get(id);
      if (row && row.node !== node) return; // moved away meanwhile: the copy elsewhere lives on
      if (this.ctx.state.mels.has(id)) await this.ctx.state.forgetMel(id);
      await this.ctx.store.cloudlets.removeInstance(id);
      this.rows.delete(id);
      await this.ctx.events.core('cloudlet', node, { action: 'instance-released', mel: id, ...(row ? { service: row.serviceId } : {}) });
      this.ctx.reconciler.kick();
    });
  }

  /** What the core has on one cloudlet (a migration's destination learns of its new instance so). */
  assigned(node: string): CloudletAssigned[] {
    const out: CloudletAssigned[] = [];
    for (const r of this.rows.values()) {
      if (r.node !== node) continue;
      const i = this.current(r.mel);
      const mel = this.ctx.state.mels.get(r.mel);
      if (!i || !mel || i.node !== node) continue;
      const port = Number(Object.keys(mel.spec.ports ?? {})[0]?.split('/')[0] ?? 0);
      out.push({
        id: r.mel,
        serviceId: r.serviceId,
        container: i.name,
        image: mel.spec.image,
        servicePort: port,
        hostPort: hostPortOf(i.ports),
        users: r.users,
        state: i.state,
      });
    }
    return out;
  }

  /** Moves a device-started instance to another cloudlet (make-before-break); its users are told. */
  async migrate(id: string, to: string): Promise<CloudletInstanceView> {
    const row = this.rows.get(id);
    if (!row) throw notFound(`cloudlet instance ${id} not found`);
    const i = this.current(id);
    if (!i) throw conflict(`cloudlet instance ${id} has no running container`);
    const out = await this.ctx.engine.manual(i.id, to);
    if (!out.ok) throw unavailable(`migration of ${id} to ${to} rolled back: ${out.error ?? 'unknown error'}`);
    await this.moved(id, to);
    return this.view(this.rows.get(id)!);
  }

  /** After a migration: pin the MEL to the destination and leave each user a message on the old cloudlet. */
  private moved(id: string, to: string): Promise<void> {
    return this.serial(async () => {
      const row = this.rows.get(id);
      if (!row || row.node === to) return;
      const from = row.node;
      const now = Date.now();
      const mel = this.ctx.state.mels.get(id);
      if (mel)
        await this.ctx.state.saveMel({ ...mel, spec: { ...mel.spec, placement: { ...mel.spec.placement, node: to } }, updatedAt: now });
      const next = { ...row, node: to, updatedAt: now };
      await this.ctx.store.cloudlets.putInstance(next);
      this.rows.set(id, next);
      const dest = this.ctx.state.nodes.get(to);
      const i = this.current(id);
      const address = dest?.labels[ADDRESS_LABEL];
      const port = i ? hostPortOf(i.ports) : null;
      const created = new Date(now).toISOString();
      await this.ctx.store.cloudlets.addMessages(
        row.users.map((device) => {
          const body: MailboxMessage = {
            service_id: row.serviceId,
            device_id: device,
            message: 'MIGRATED',
            text: `service ${row.serviceId} moved to cloudlet ${to}${address ? ` at ${address}${port ? `:${port}` : ''}` : ''}`,
            INSTANCE_ID: id,
            ...(address ? { IP_ADDRESS: address } : {}),
            ...(port ? { PORT: port } : {}),
            cloudlet: to,
            created,
          };
          return { node: from, device, serviceId: row.serviceId, body: JSON.stringify(body), createdAt: now };
        }),
      );
      await this.ctx.events.core('cloudlet', from, {
        action: 'instance-moved',
        mel: id,
        service: row.serviceId,
        from,
        to,
        users: row.users.length,
      });
    });
  }

  /** A device's unread messages on one cloudlet, marked read. */
  async messages(node: string, device: string, serviceId: string | undefined): Promise<MailboxMessage[]> {
    const rows = await this.ctx.store.cloudlets.takeMessages(node, device, serviceId, Date.now());
    return rows.map((r) => JSON.parse(r.body) as MailboxMessage);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(f);
    this.chain = next;
    return next;
  }
}

function usersReason(service: string, users: number): string {
  return `cloudlet service ${service}, ${users} user${users === 1 ? '' : 's'}`;
}

function hostPortOf(ports: PublishedPort[]): number | null {
  return ports.find((p) => p.protocol === 'tcp')?.hostPort ?? null;
}

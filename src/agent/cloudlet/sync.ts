// Keeps the core and this cloudlet in agreement about device-started instances:
//  - every change (start, join, stop) is reported at once; when the core is unreachable it
//    stays marked and is reported on a later round, so the core adopts what the cloudlet
//    did in disconnected mode (one MEL per instance, pinned here; nothing is started twice,
//    because the core never deploys these itself);
//  - each round also reads what the core has on this node: an instance migrated here is
//    served from now on, one migrated away is forgotten (the core stops its container);
//  - and refreshes the catalog cache.
import { z } from 'zod';
import { CloudletAssigned, type CloudletReport } from '../../model/index.js';
import type { CoreClient } from '../events/core-client.js';
import type { CatalogCache } from './cache.js';
import type { DeviceInstances } from './instances.js';

const Ack = z.object({ id: z.string(), users: z.array(z.string()) });
const Assigned = z.object({ instances: z.array(CloudletAssigned) });

export class CloudletSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** true once a round reached the core (for /api/system) */
  connected = false;

  constructor(
    private readonly core: CoreClient,
    private readonly nodeId: string,
    private readonly cache: CatalogCache,
    private readonly instances: DeviceInstances,
    private readonly log: (msg: string) => void,
    private readonly periodMs = 2000,
  ) {
    instances.watch(() => this.kick());
  }

  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** a round now (or right after the one in progress) */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((e: unknown) => {
        if (this.connected) this.log(`cloudlet: the core is unreachable, serving from the cache (${(e as Error).message})`);
        this.connected = false;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** waits for the round in progress (tests, shutdown) */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async round(): Promise<void> {
    const startedAt = Date.now();
    for (const id of [...this.instances.released]) {
      await this.core.call('DELETE', `/api/v1/agent/cloudlet/instances/${id}`, z.unknown(), undefined, { node: this.nodeId });
      this.instances.releaseConfirmed(id);
    }
    for (const i of this.instances.list()) {
      if (i.reported) continue;
      const report: CloudletReport = {
        node: this.nodeId,
        serviceId: i.serviceId,
        container: i.container,
        image: i.image,
        servicePort: i.servicePort,
        hostPort: i.hostPort,
        users: [...i.users],
      };
      try {
        const ack = await this.core.call('PUT', `/api/v1/agent/cloudlet/instances/${i.id}`, Ack, report);
        this.instances.confirmed(i.id, ack.users, Date.now());
      } catch (e) {
        // 409: the core moved it to another cloudlet meanwhile; the container there is the one in use
        if ((e as { status?: number }).status === 409) this.instances.forget(i.id);
        else throw e;
      }
    }
    const { instances } = await this.core.call('GET', '/api/v1/agent/cloudlet/assigned', Assigned, undefined, { node: this.nodeId });
    const theirs = new Map(instances.map((i) => [i.id, i]));
    for (const mine of this.instances.list())
      if (!theirs.has(mine.id) && mine.reported && mine.reportedAt < startedAt) this.instances.forget(mine.id);
    for (const a of instances)
      if (!this.instances.get(a.id) && !this.instances.released.has(a.id) && a.state === 'running')
        this.instances.adoptAssigned({
          id: a.id,
          serviceId: a.serviceId,
          container: a.container,
          image: a.image,
          servicePort: a.servicePort,
          hostPort: a.hostPort,
          users: a.users,
        });
    await this.cache.refresh(this.core);
    if (!this.connected) this.log('cloudlet: in touch with the core (catalog and instances in sync)');
    this.connected = true;
  }
}

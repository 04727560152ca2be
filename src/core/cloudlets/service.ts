// The cloudlets context: the catalog and app repository (catalog.ts) and the instances
// devices started on cloudlets with their mailbox (instances.ts).
import type { Store } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import type { PolicyEngine } from '../migration/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState } from '../state.js';
import { Catalog } from './catalog.js';
import { CloudletInstances } from './instances.js';

export class CloudletService {
  readonly catalog: Catalog;
  readonly instances: CloudletInstances;

  constructor(
    ctx: {
      store: Store;
      events: EventLog;
      state: ClusterState;
      reconciler: Pick<Reconciler, 'kick'>;
      engine: Pick<PolicyEngine, 'manual'>;
    },
    dataDir: string,
  ) {
    this.catalog = new Catalog(ctx, dataDir);
    this.instances = new CloudletInstances(ctx, this.catalog);
  }
}

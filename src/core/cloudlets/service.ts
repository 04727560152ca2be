// The cloudlets context: the catalog and app repository (catalog.ts); device-started
// instances and the device mailbox come on top of it.
import type { Store } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import { Catalog } from './catalog.js';

export class CloudletService {
  readonly catalog: Catalog;

  constructor(ctx: { store: Store; events: EventLog }, dataDir: string) {
    this.catalog = new Catalog(ctx, dataDir);
  }
}

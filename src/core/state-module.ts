// The two modules everything else stands on: the store (opened and migrated) and the
// in-memory state rebuilt from it. Stopped last: dirty node rows are flushed, then the
// store is closed.
import { openStoreAt } from '../store/index.js';
import { defineModule } from './module.js';
import { ClusterState } from './state.js';

export const store = defineModule({
  name: 'store',
  deps: [],
  async start({ config }) {
    const s = await openStoreAt(config.store);
    return { service: s, stop: () => s.close() };
  },
});

export const state = defineModule({
  name: 'state',
  deps: ['store'],
  async start({ store }) {
    const s = new ClusterState(store);
    await s.load();
    return { service: s, stop: () => s.flushNodes() };
  },
});

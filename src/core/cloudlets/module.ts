// Cloudlets (after pycloud): the service catalog, the app repository, and what cloudlet
// agents read and report through the agent protocol.
import { defineModule } from '../module.js';
import agentCatalogRoutes from './routes-agent.js';
import catalogRoutes from './routes.js';
import cloudletInstanceRoutes from './routes-instances.js';
import { CloudletService } from './service.js';

export const cloudlets = defineModule({
  name: 'cloudlets',
  deps: ['store', 'events', 'state', 'reconciler', 'engine', 'security'],
  async start(ctx) {
    const service = new CloudletService(ctx, ctx.config.dataDir);
    await service.instances.load();
    const unwatch = service.instances.watchMigrations();
    return {
      service,
      stop: unwatch,
      routes: async (app, o) => {
        await app.register(catalogRoutes, o);
        await app.register(agentCatalogRoutes, o);
        await app.register(cloudletInstanceRoutes, o);
      },
    };
  },
});

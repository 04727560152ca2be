// Cloudlets (after pycloud): the service catalog, the app repository, and what cloudlet
// agents read and report through the agent protocol.
import { defineModule } from '../module.js';
import agentCatalogRoutes from './routes-agent.js';
import catalogRoutes from './routes.js';
import { CloudletService } from './service.js';

export const cloudlets = defineModule({
  name: 'cloudlets',
  deps: ['store', 'events'],
  start(ctx) {
    const service = new CloudletService(ctx, ctx.config.dataDir);
    return {
      service,
      routes: async (app, o) => {
        await app.register(catalogRoutes, o);
        await app.register(agentCatalogRoutes, o);
      },
    };
  },
});

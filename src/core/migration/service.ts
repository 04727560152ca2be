// Registers the policy engine as a background service of the core.
import type { CoreService } from '../services/index.js';
import { engineOf } from './engine.js';

export const policyEngineService: CoreService = (ctx) => {
  const engine = engineOf(ctx);
  return async () => (await engine).stop();
};

// Every route module of the core. Another context adds its API with one line here
// (e.g. policies, planner, the dashboard's static files at "/").
import type { CoreRoutes } from './plugin.js';
import system from './system.js';
import agent from './agent.js';
import nodes from './nodes.js';
import mels from './mels.js';
import instances from './instances.js';
import events from './events.js';
import metrics from './metrics.js';
import dashboard from './dashboard.js';
import planner from './planner.js';
import policies from '../policies/routes.js';
import migration from '../migration/routes.js';

export const routes: CoreRoutes[] = [system, agent, nodes, mels, instances, events, metrics, planner, policies, migration, dashboard];

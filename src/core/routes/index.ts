// Every route module of the core. Another context adds its API with one line here
// (e.g. policies, planner, the dashboard's static files at "/").
import type { AuthClass } from '../http/auth.js';
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
import monitoring from '../monitoring/routes.js';
import sla from '../sla/routes.js';

/**
 * A route module and the auth class its routes get unless a route declares its own
 * (src/core/http/auth.ts). Nothing here is decided from URLs.
 */
export interface RouteModule {
  plugin: CoreRoutes;
  auth: AuthClass;
}

export const routes: RouteModule[] = [
  { plugin: system, auth: 'client' }, // /healthz declares itself public
  { plugin: agent, auth: 'agent' },
  { plugin: nodes, auth: 'client' },
  { plugin: mels, auth: 'client' },
  { plugin: instances, auth: 'client' },
  { plugin: events, auth: 'client' },
  { plugin: metrics, auth: 'client' },
  { plugin: planner, auth: 'client' },
  { plugin: policies, auth: 'client' },
  { plugin: migration, auth: 'client' },
  { plugin: monitoring, auth: 'client' }, // OCCI: /occi/… and /.well-known/org/ogf/occi/-/
  { plugin: sla, auth: 'client' }, // /sla-service/…, the Atos SLA core's API
  { plugin: dashboard, auth: 'public' }, // the page shell and its bundles; the data needs the token
];

// The answer types of the core's API, inferred from the routes' zod schemas. Types only and
// free of the transport (node:http), so the dashboard can read them too.
import type { z } from 'zod';
import type { AppView, InstanceView, MelBody, MelName, MelSpec, MelView, NodeView, ServiceView } from '../model/index.js';
import type { GlobalPolicyView, NodePolicyView } from '../core/policies/schema.js';
import type { LoadsView, MigrationDone } from '../core/migration/schema.js';
import type { OsmoEvent } from '../bus/events.js';

export type Node = z.output<typeof NodeView>;
export type Instance = z.output<typeof InstanceView>;
export type Mel = z.output<typeof MelView>;
/** what a client sends to create a MEL (defaults filled in by the core) */
export type MelSpecInput = z.input<typeof MelSpec>;
/** PUT /api/v1/mels/{name}: the spec, the name optional (it is the path's) */
export type MelPutInput = z.input<typeof MelBody> & { name?: z.input<typeof MelName> };
export type MigrationResult = z.output<typeof MigrationDone>;
export type Loads = z.output<typeof LoadsView>;
export type GlobalPolicy = z.output<typeof GlobalPolicyView>;
export type NodePolicy = z.output<typeof NodePolicyView>;
/** one stored event, as GET /api/v1/events sends it (history or stream) */
export type CoreEvent = OsmoEvent;
/** a cloudlet service in the core's catalog, and an app of the repository */
export type Service = z.output<typeof ServiceView>;
export type App = z.output<typeof AppView>;

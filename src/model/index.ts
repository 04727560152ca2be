// The domain's types and zod schemas: the bottom layer, importing nothing of ours.
export * from './api.js';
export * from './instance.js';
export * from './mel.js';
export * from './metric.js';
export * from './node.js';
export * from './resources.js';
export * from './snapshot.js';
export * from './slo.js';
export * from './cloudlet.js';
export * from './idempotency.js';

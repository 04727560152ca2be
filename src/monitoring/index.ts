// The monitoring context's pure core: the OCCI model and renderings, the wiring checker and
// the pipe runtime. No I/O here; the core's routes and services do that (see README.md).
export * from './category.js';
export * from './standard.js';
export * from './providers.js';
export * from './registry.js';
export * from './entity.js';
export * from './render-json.js';
export * from './render-text.js';
export * from './wiring.js';
export * from './operators.js';
export * from './pipe.js';
export * from './filter.js';

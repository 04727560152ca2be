// The SLA manager's pure core (no I/O): the WS-Agreement model, its JSON and XML renderings,
// the constraint language, enforcement rules and the E.6 mediator. See README.md.
export * from './model.js';
export * from './constraint.js';
export * from './duration.js';
export * from './service-level.js';
export * from './binding.js';
export * from './json.js';
export * from './xml.js';
export * from './keys.js';
export * from './enforce.js';
export * from './views.js';
export * from './mediator.js';

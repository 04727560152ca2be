// The policy engine's public surface (pure; no I/O anywhere under src/policy).
export * from './document.js';
export * from './load.js';
export * from './hysteresis.js';
export * from './acceptance.js';
export * from './osmotic.js';
export * from './fit.js';
export * from './rebalance.js';

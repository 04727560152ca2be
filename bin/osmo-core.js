#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// `osmo core …` with the V8 flags that keep a core's memory near its live data (measured in
// docs/benchmarks.md, "core", and docs/decisions.md): 4 MB semispaces instead of growing to
// 16 MB each under a thousand heartbeats a second, and an old generation allowed to grow to
// 1.5 × what survived the last full collection instead of V8's default of up to 4 ×. With
// 1,000 nodes the core's live heap is ≈ 50 MB; without these flags V8 let it reach
// 150–300 MB. `osmo core` (bin/osmo.js) works the same without them, only larger; systemd
// units should start this one. bench/core-scale.ts reads its flags from the first line.
process.argv.splice(2, 0, 'core');
await import('./osmo.js');

#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --no-opt --no-sparkplug
// `osmo agent …` with the V8 flags that keep an agent small on an edge box (measured in
// docs/benchmarks.md, "Footprint"): a 1 MB young generation instead of growing to 8 MB
// semispaces (the agent allocates little per second, so scavenges stay rare and short), and
// one V8 platform worker thread instead of one per core, and no optimizing compiler (TurboFan:
// its code and its pages of the binary cost 5-8 MB, and at an agent's rates its compile jobs
// cost more CPU than its code saves; docs/decisions.md, 2026-12-01), nor the baseline compiler
// (Sparkplug: its code ≈ 1 MB more, no CPU saved at these rates; 2026-12-02). `osmo agent` (bin/osmo.js) works
// the same without them; systemd units and containers for agents should start this one.
// bench/agent-footprint.ts reads its flags from the first line.
process.argv.splice(2, 0, 'agent');
await import('./osmo.js');

// `osmo sensor-edge`: the process an agent starts for each edge sensor (hidden from --help:
// people do not run it; the agent feeds it on stdin, see src/sensors/edge-run.ts).
import type { Command } from 'commander';
import { runEdgeSensor } from '../../sensors/edge-run.js';

export function register(program: Command): void {
  program
    .command('sensor-edge', { hidden: true })
    .description('run one edge sensor pipe fed on stdin by the agent (started by the agent)')
    .action(async () => {
      // the agent ending our stdin (or dying) ends us
      process.exitCode = await runEdgeSensor(process.stdin, process.stdout);
    });
}

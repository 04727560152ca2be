// The `osmo` command. Each subcommand lives in its own file under commands/ and
// registers itself on the program; this file only wires them together.
import { Command } from 'commander';
import { VERSION } from '../shared/version.js';
import * as agent from './commands/agent.js';
import * as core from './commands/core.js';
import * as up from './commands/up.js';
import * as cluster from './commands/cluster.js';
import * as policy from './commands/policy.js';
import * as planner from './commands/planner.js';

const program = new Command('osmo')
  .description('osmotic computing platform: agents, core, policies, SLA, planner, cloudlets')
  .version(VERSION)
  .showHelpAfterError();

for (const m of [agent, core, up, cluster, policy, planner]) m.register(program);

await program.parseAsync(process.argv);

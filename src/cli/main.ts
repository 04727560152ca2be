// The `osmo` command. Each subcommand lives in its own file under commands/ and
// registers itself on the program; this file only wires them together.
// First: defers heavy modules some libraries load for features osmo does not use.
import '../shared/defer-heavy-deps.js';
import { Command } from 'commander';
import { VERSION } from '../shared/version.js';

const program = new Command('osmo')
  .description('osmotic computing platform: agents, core, policies, SLA, planner, cloudlets')
  .version(VERSION)
  .showHelpAfterError();

// Command groups load lazily: when argv names a group only that file is imported, so a node
// running `osmo agent` does not carry the core, the store and the planner in its memory
// (~20 MB RSS). Anything else (help, an unknown word, a command registered under another
// name) loads them all, exactly as before.
const groups = {
  agent: () => import('./commands/agent.js'),
  core: () => import('./commands/core.js'),
  up: () => import('./commands/up.js'),
  cluster: () => import('./commands/cluster.js'),
  policy: () => import('./commands/policy.js'),
  planner: () => import('./commands/planner.js'),
} as const;
type Group = keyof typeof groups;
const first = process.argv[2];
const wanted: Group[] = first && Object.hasOwn(groups, first) ? [first as Group] : (Object.keys(groups) as Group[]);
for (const g of wanted) (await groups[g]()).register(program);

await program.parseAsync(process.argv);

// The `osmo` command. Each subcommand lives in its own file under commands/ and
// registers itself on the program; this file only wires them together.
// First: defers heavy modules some libraries load for features osmo does not use.
import '../shared/defer-heavy-deps.js';
import { Command } from 'commander';
import { VERSION } from '../shared/version.js';
import { fail, oneLineUsageErrors } from './common.js';

const program = new Command('osmo')
  .description('osmotic computing platform: agents, core, policies, monitoring, SLA, planner')
  .version(VERSION);
// before the groups register: subcommands inherit the output settings
oneLineUsageErrors(program);

// Command groups load lazily: when argv names a command only its group's file is imported,
// so a node running `osmo agent` does not carry the core, the store and the planner in its
// memory (~20 MB RSS), and `osmo nodes` does not load the core. Anything else (help, an
// unknown word) loads them all.
const groups = {
  agent: () => import('./commands/agent.js'),
  core: () => import('./commands/core.js'),
  up: () => import('./commands/up.js'),
  cluster: () => import('./commands/cluster.js'),
  policy: () => import('./commands/policy.js'),
  planner: () => import('./commands/planner.js'),
  sla: () => import('./commands/sla.js'),
  sensor: () => import('./commands/sensor.js'),
  'sensor-edge': () => import('./commands/sensor-edge.js'),
  security: () => import('./commands/security.js'),
  store: () => import('./commands/store.js'),
  cloudlets: () => import('./commands/cloudlets.js'),
  discovery: () => import('./commands/discovery.js'),
} as const;
type Group = keyof typeof groups;
const groupOf: Record<string, Group> = {
  agent: 'agent',
  core: 'core',
  up: 'up',
  ...Object.fromEntries(
    ['nodes', 'deploy', 'ps', 'scale', 'rm', 'logs', 'events', 'drain', 'undrain', 'cordon', 'uncordon'].map((c) => [
      c,
      'cluster' as const,
    ]),
  ),
  policy: 'policy',
  migrate: 'policy',
  solve: 'planner',
  plan: 'planner',
  sla: 'sla',
  sensor: 'sensor',
  'sensor-edge': 'sensor-edge',
  token: 'security',
  store: 'store',
  service: 'cloudlets',
  app: 'cloudlets',
  discover: 'discovery',
  cloudlet: 'discovery',
};
const first = process.argv[2];
const wanted: Group[] = first && Object.hasOwn(groupOf, first) ? [groupOf[first]!] : (Object.keys(groups) as Group[]);
for (const g of wanted) (await groups[g]()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}

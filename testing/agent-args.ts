// One builder for the argv of the `osmo agent` children that tests and benches start:
// standalone, joined to a core over HTTP, or on the bus only (argv, never a shell string).

/** Quick stops and quiet logs. */
export const QUIET_AGENT_FLAGS: readonly string[] = ['--stop-grace', '1', '--log-level', 'warn'];
/** room for 4 CPUs and 4 GB whatever this machine has (the placements the tests count on), quiet */
const TEST_AGENT_FLAGS: readonly string[] = ['--capacity-cpus', '4', '--capacity-memory', '4g', ...QUIET_AGENT_FLAGS];

export interface AgentArgs {
  id: string;
  dataDir: string;
  /** its REST API on 127.0.0.1:port; none: --no-listen */
  port?: number;
  layer?: string;
  domain?: string;
  /** `--core`: the core's URL (several, comma-separated) */
  core?: string;
  /** `--bus`: a NATS URL; without `core`, the agent reaches the core over the bus only */
  bus?: string;
  /** the join token */
  token?: string;
  /** after the token, instead of 4 CPUs, 4 GB, quick stops and quiet logs */
  flags?: readonly string[];
  /** after the flags */
  extra?: readonly string[];
}

/** `osmo agent` arguments for a test or bench agent. */
export function agentArgs(o: AgentArgs): string[] {
  return [
    'agent',
    ...(o.port === undefined ? ['--no-listen'] : ['--listen', `127.0.0.1:${o.port}`]),
    '--node-id',
    o.id,
    ...(o.layer === undefined ? [] : ['--layer', o.layer]),
    ...(o.domain === undefined ? [] : ['--domain', o.domain]),
    '--data-dir',
    o.dataDir,
    ...(o.core === undefined ? [] : ['--core', o.core]),
    ...(o.bus === undefined ? [] : ['--bus', o.bus]),
    ...(o.token === undefined ? [] : ['--token', o.token]),
    ...(o.flags ?? TEST_AGENT_FLAGS),
    ...(o.extra ?? []),
  ];
}

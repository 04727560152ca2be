// The subjects and the stream of osmo on NATS. Every subject an agent uses ends in its node
// id, so NATS permissions can pin each node's user to its own (docs/security.md "Bus"):
//   osmo.events.<node>  agent -> JetStream (stream OSMO_EVENTS): its events, message id <node>:<seq>
//   osmo.agent.<node>   agent -> any core (request/reply, queue group osmo-core): register, heartbeat
//   osmo.cmd.<node>     core -> that agent (request/reply): the agent API's commands
// A node id may hold dots (more subject tokens): a node is read back as the whole tail.

export const EVENTS_STREAM = 'OSMO_EVENTS';
/** the core's durable consumer of OSMO_EVENTS */
export const EVENTS_CONSUMER = 'osmo-core';
export const CORE_QUEUE = 'osmo-core';

const EVENTS = 'osmo.events.';
const AGENT = 'osmo.agent.';
const CMD = 'osmo.cmd.';

export const subjects = {
  events: (node: string) => EVENTS + node,
  agent: (node: string) => AGENT + node,
  command: (node: string) => CMD + node,
  allEvents: `${EVENTS}>`,
  allAgents: `${AGENT}>`,
};

/** The node a subject of `kind` belongs to (undefined: not one of ours). */
export function nodeOf(kind: 'events' | 'agent', subject: string): string | undefined {
  const prefix = kind === 'events' ? EVENTS : AGENT;
  return subject.startsWith(prefix) && subject.length > prefix.length ? subject.slice(prefix.length) : undefined;
}

/** A node id usable as the tail of a subject: no wildcards, no spaces, no empty tokens. */
export function subjectSafe(node: string): boolean {
  return /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/.test(node) && node.length <= 128;
}

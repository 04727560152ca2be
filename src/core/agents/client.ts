// Commands to agents over their REST API (DESIGN.md "Agent API"), each with the token the
// core derives for that node (src/core/security: not the join token, so a rotated join
// token leaves joined agents reachable, and no node holds a token another node accepts),
// through the typed AgentApi (src/client): answers are read with the response schemas the
// agent's routes declare. This file maps the outcomes onto the core's error kinds.
// Every call has a deadline: a hung agent must not hold a reconcile pass.
import { OsmoError } from '../../shared/errors.js';
import type { PublishedPort } from '../../model/index.js';
import type { DeploySpec, HealthCheckSpec, HealthResult } from '../../runtime/types.js';
import { AgentApi, isApiError, type AgentInstance } from '../../client/index.js';
import { causeOf } from '../../client/errors.js';
import type { Exchange } from '../../bus/nats/rpc.js';

export type { AgentInstance };

/** the agent a command goes to: a node's id (whose token signs it) and address */
export interface AgentTarget {
  id: string;
  address: string;
}

export interface DeployOutcome {
  /** false when the agent said the name is taken (the container already exists) */
  created: boolean;
  ports: PublishedPort[];
}

/** no answer at all, or an answer outside the contract: the agent is not usable right now */
function unusable(address: string, e: unknown): OsmoError {
  if (!isApiError(e)) return new OsmoError('unavailable', `agent ${address} unreachable: ${(e as Error).message}`);
  if (e.kind === 'bad-response') return new OsmoError('unavailable', `agent ${address}: ${e.message}`);
  return new OsmoError('unavailable', `agent ${address} unreachable: ${e.kind === 'timeout' ? 'no answer in time' : causeOf(e.cause)}`);
}

/** an agent on the bus registers nats://<node id>: its commands go over NATS request/reply */
const asOsmo = (e: unknown): OsmoError => (e instanceof OsmoError ? e : new OsmoError('internal', String(e)));

export const onBus = (to: AgentTarget): boolean => to.address.startsWith('nats:');

export class AgentClient {
  constructor(
    /** the token the node's agent accepts from the core */
    readonly tokenFor: (node: string) => string,
    /** the transport to an agent on the bus (src/core/bus) */
    private readonly busExchange?: (node: string) => Exchange,
    private readonly timeoutMs = 120_000,
  ) {}

  /**
   * The agent's API, over its REST port or over the bus (as its registered address says),
   * signed with the node's command token. Every command to an agent is made through this.
   */
  readonly apiFor = (to: AgentTarget, timeoutMs = this.timeoutMs): AgentApi => {
    const token = this.tokenFor(to.id);
    if (!onBus(to)) return new AgentApi({ base: to.address, token, timeoutMs });
    if (!this.busExchange) throw new OsmoError('unavailable', `node ${to.id} is on the bus and this core has no --bus`);
    return new AgentApi({ base: to.address, token, timeoutMs, exchange: this.busExchange(to.id) });
  };

  private api(to: AgentTarget): AgentApi {
    return this.apiFor(to);
  }

  async deploy(to: AgentTarget, spec: DeploySpec): Promise<DeployOutcome> {
    try {
      const r = await this.api(to).deploy(spec);
      return { created: true, ports: r.instance.ports };
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') throw unusable(to.address, e);
      if (e.status === 409) return { created: false, ports: [] };
      // the agent answered and refused (bad image, engine error): the instance failed and is
      // replaced with backoff; only no answer at all (unusable above) keeps retrying the same placement
      throw new OsmoError('invalid', `agent refused deploy of ${spec.name} (${e.status}): ${e.info.error}`);
    }
  }

  /**
   * Deploys several instances on one agent in one request (POST /api/v1/deploy/batch), each
   * outcome as `deploy` would give it. An agent that does not know the batch route (404), or
   * refuses the batch whole (400: one spec it cannot take), gets the same specs one by one, so
   * one bad spec fails alone.
   */
  async deployMany(to: AgentTarget, specs: DeploySpec[]): Promise<Array<DeployOutcome | OsmoError>> {
    let results;
    try {
      results = await this.api(to).deployBatch({ deployments: specs });
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') {
        const err = unusable(to.address, e);
        return specs.map(() => err);
      }
      if (e.status === 400 || e.status === 404) return Promise.all(specs.map((s) => this.deploy(to, s).catch((x: unknown) => asOsmo(x))));
      const err = new OsmoError('invalid', `agent refused a batch of ${specs.length} deploys (${e.status}): ${e.info.error}`);
      return specs.map(() => err);
    }
    return specs.map((s, k) => {
      const r = results[k];
      if (!r || r.name !== s.name) return new OsmoError('unavailable', `agent ${to.address}: no result for ${s.name} in its batch answer`);
      if (r.status === 200 && r.instance) return { created: true, ports: r.instance.ports };
      if (r.status === 409) return { created: false, ports: [] };
      return new OsmoError('invalid', `agent refused deploy of ${s.name} (${r.status}): ${r.error ?? 'no reason given'}`);
    });
  }

  /** Stops and removes; an absent container counts as removed. The image is kept (other instances may come back). */
  async remove(to: AgentTarget, name: string): Promise<void> {
    try {
      await this.api(to).undeploy({ name, keepImage: true }, 60_000);
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') throw unusable(to.address, e);
      if (e.status === 404) return;
      throw new OsmoError('unavailable', `agent refused removal of ${name}: ${e.info.error}`);
    }
  }

  /** The newest `bytes` of an instance's output, from the agent that runs it. */
  async logs(to: AgentTarget, name: string, bytes: number): Promise<string> {
    try {
      return await this.api(to).logs(name, bytes, 30_000);
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') throw unusable(to.address, e);
      if (e.status === 404)
        throw new OsmoError('not_found', `node has no container "${name}" (it may not have started yet): ${e.info.error}`);
      throw new OsmoError('unavailable', `agent could not read the logs of ${name}: ${e.info.error}`);
    }
  }

  /** Runs one health check of an instance on the agent that runs it. */
  async check(to: AgentTarget, name: string, check: HealthCheckSpec): Promise<HealthResult> {
    // a command check may use its whole timeout; the agent answers soon after
    const timeout = (check.kind === 'command' ? (check.timeoutMs ?? 5000) : 2000) + 10_000;
    try {
      const r = await this.api(to).check(name, check, timeout);
      return { healthy: r.healthy, detail: r.detail };
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') throw unusable(to.address, e);
      if (e.status === 404) throw new OsmoError('not_found', `node has no container "${name}": ${e.info.error}`);
      throw new OsmoError(
        (e.status ?? 500) < 500 ? 'invalid' : 'unavailable',
        `agent could not check ${name} (${e.status}): ${e.info.error}`,
      );
    }
  }

  async list(to: AgentTarget): Promise<AgentInstance[]> {
    try {
      return await this.api(to).list(10_000);
    } catch (e) {
      if (!isApiError(e) || e.kind !== 'status') throw unusable(to.address, e);
      throw new OsmoError('unavailable', `agent ${to.address} could not list instances: ${e.info.error}`);
    }
  }
}

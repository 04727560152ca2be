// Commands to agents over their REST API (DESIGN.md "Agent API"), with the join token.
// Every call has a timeout: a hung agent must not hold a reconcile pass.
import { OsmoError } from '../../shared/errors.js';
import type { PublishedPort } from '../../model/index.js';
import type { DeploySpec, HealthCheckSpec, HealthResult } from '../../runtime/types.js';

export interface AgentInstance {
  name: string;
  state: string;
  labels: Record<string, string>;
  ports: PublishedPort[];
  image?: string;
}

export interface DeployOutcome {
  /** false when the agent said the name is taken (the container already exists) */
  created: boolean;
  ports: PublishedPort[];
}

export class AgentClient {
  constructor(
    private readonly token: string,
    private readonly timeoutMs = 120_000,
  ) {}

  private async call(address: string, method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<{ status: number; json: Record<string, unknown> }> {
    // a timer we clear, not AbortSignal.timeout(): that one keeps the whole request alive until it fires
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(new URL(path, address), {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ac.signal,
      });
      text = await res.text();
    } catch (e) {
      throw new OsmoError('unavailable', `agent ${address} unreachable: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { error: text.slice(0, 200) };
    }
    return { status: res.status, json };
  }

  async deploy(address: string, spec: DeploySpec): Promise<DeployOutcome> {
    const { status, json } = await this.call(address, 'PUT', '/api/v1/deploy', spec);
    if (status === 409) return { created: false, ports: [] };
    if (status >= 200 && status < 300) return { created: true, ports: portsOf(json) };
    // the agent answered and refused (bad image, engine error): the instance failed and is
    // replaced with backoff; only no answer at all ('unavailable' above) keeps retrying the same placement
    throw new OsmoError('invalid', `agent refused deploy of ${spec.name} (${status}): ${String(json.error ?? status)}`);
  }

  /** Stops and removes; an absent container counts as removed. The image is kept (other instances may come back). */
  async remove(address: string, name: string): Promise<void> {
    const { status, json } = await this.call(address, 'DELETE', '/api/v1/deploy', { name, keepImage: true }, 60_000);
    if (status === 404 || (status >= 200 && status < 300)) return;
    throw new OsmoError('unavailable', `agent refused removal of ${name}: ${String(json.error ?? status)}`);
  }

  /** The newest `bytes` of an instance's output, from the agent that runs it. */
  async logs(address: string, name: string, bytes: number): Promise<string> {
    const { status, json } = await this.call(address, 'GET', `/api/v1/deploy/${encodeURIComponent(name)}/logs?bytes=${bytes}`, undefined, 30_000);
    if (status === 404) throw new OsmoError('not_found', `node has no container "${name}" (it may not have started yet): ${String(json.error ?? '')}`);
    if (status !== 200) throw new OsmoError('unavailable', `agent could not read the logs of ${name}: ${String(json.error ?? status)}`);
    return String(json.logs ?? '');
  }

  /** Runs one health check of an instance on the agent that runs it. */
  async check(address: string, name: string, check: HealthCheckSpec): Promise<HealthResult> {
    // a command check may use its whole timeout; the agent answers soon after
    const timeout = (check.kind === 'command' ? (check.timeoutMs ?? 5000) : 2000) + 10_000;
    const { status, json } = await this.call(address, 'POST', `/api/v1/deploy/${encodeURIComponent(name)}/check`, check, timeout);
    if (status === 404) throw new OsmoError('not_found', `node has no container "${name}": ${String(json.error ?? '')}`);
    if (status !== 200) throw new OsmoError(status >= 400 && status < 500 ? 'invalid' : 'unavailable', `agent could not check ${name} (${status}): ${String(json.error ?? status)}`);
    return { healthy: json.healthy === true, detail: String(json.detail ?? '') };
  }

  async list(address: string): Promise<AgentInstance[]> {
    const { status, json } = await this.call(address, 'GET', '/api/v1/deploy', undefined, 10_000);
    if (status !== 200) throw new OsmoError('unavailable', `agent ${address} could not list instances: ${String(json.error ?? status)}`);
    const raw = (json.instances ?? json.deployments ?? json.containers ?? []) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.map((r) => {
      const o = r as Record<string, unknown>;
      return {
        name: String(o.name ?? ''),
        state: String(o.state ?? 'unknown'),
        labels: (o.labels ?? {}) as Record<string, string>,
        ports: Array.isArray(o.ports) ? (o.ports as PublishedPort[]) : [],
        image: typeof o.image === 'string' ? o.image : undefined,
      };
    });
  }
}

function portsOf(json: Record<string, unknown>): PublishedPort[] {
  const inst = (json.instance ?? json.info ?? json) as Record<string, unknown>;
  return Array.isArray(inst.ports) ? (inst.ports as PublishedPort[]) : [];
}

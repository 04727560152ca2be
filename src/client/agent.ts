// Typed calls to an agent's REST API (the seed's, DESIGN.md "Agent API", and its
// extensions). Answers are read with the response schemas the agent's routes declare
// (src/agent/http/schemas.ts), so client and server cannot drift apart.
import type { z } from 'zod';
import {
  CheckResponse,
  DeployBatchResponse,
  HealthResponse,
  InstanceResponse,
  InstancesResponse,
  LogsResponse,
  MonitorStartResponse,
  MonitorsResponse,
  OkResponse,
  ProbesResponse,
  SensorPutResponse,
  SensorsResponse,
  UndeployResponse,
  WhoAmIResponse,
  type CheckBody,
  type DeployBatchBody,
  type DeployBody,
  type InstanceInfoSchema,
  type MonitorStartBody,
  type ProbeBody,
  type UndeployBody,
} from '../agent/http/schemas.js';
import type { EdgeSensorSpec } from '../sensors/edge-protocol.js';
import { HttpClient, type HttpOptions } from './http.js';

export type AgentInstance = z.output<typeof InstanceInfoSchema>;
export type DeployRequest = z.input<typeof DeployBody>;
export type DeployBatchRequest = z.input<typeof DeployBatchBody>;
export type DeployBatchResult = z.output<typeof DeployBatchResponse>['results'][number];
export type UndeployRequest = z.input<typeof UndeployBody>;
export type MonitorRequest = z.input<typeof MonitorStartBody>;
export type ProbeRequest = z.input<typeof ProbeBody>;
/** a path option of PUT/DELETE /api/v1/monitor/{option} (the seed also takes memory, network) */
export type MonitorOption = 'cpu' | 'mem' | 'memory' | 'net' | 'network' | 'disk';

const enc = encodeURIComponent;

/** One agent's API. One instance per agent address; cheap to make. */
export class AgentApi {
  readonly http: HttpClient;

  constructor(o: HttpOptions) {
    this.http = new HttpClient('agent', o);
  }

  get base(): string {
    return this.http.base;
  }

  whoami() {
    return this.http.call('GET', '/api/v1', { response: WhoAmIResponse });
  }

  health() {
    return this.http.call('GET', '/healthz', { response: HealthResponse });
  }

  /** pulls the image if absent and starts it; 409 when the name is taken */
  deploy(body: DeployRequest, timeoutMs?: number) {
    return this.http.call('PUT', '/api/v1/deploy', { body, response: InstanceResponse, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /**
   * Several deployments in one request (at most DEPLOY_BATCH_MAX): one result per deployment,
   * in order, each with the status the single PUT would have answered.
   */
  async deployBatch(body: DeployBatchRequest, timeoutMs?: number): Promise<DeployBatchResult[]> {
    const r = await this.http.call('POST', '/api/v1/deploy/batch', {
      body,
      response: DeployBatchResponse,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    return r.results;
  }

  /** stops and removes; 404 when there is no such instance */
  undeploy(body: UndeployRequest, timeoutMs?: number) {
    return this.http.call('DELETE', '/api/v1/deploy', { body, response: UndeployResponse, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /** runs one health check of an instance where it runs (tcp dial or argv inside it) */
  check(name: string, body: CheckBody, timeoutMs?: number) {
    return this.http.call('POST', `/api/v1/deploy/${enc(name)}/check`, {
      body,
      response: CheckResponse,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  async list(timeoutMs?: number): Promise<AgentInstance[]> {
    return (await this.http.call('GET', '/api/v1/deploy', { response: InstancesResponse, ...(timeoutMs ? { timeoutMs } : {}) })).instances;
  }

  async get(name: string): Promise<AgentInstance> {
    return (await this.http.call('GET', `/api/v1/deploy/${enc(name)}`, { response: InstanceResponse })).instance;
  }

  async logs(name: string, bytes?: number, timeoutMs?: number): Promise<string> {
    return (
      await this.http.call('GET', `/api/v1/deploy/${enc(name)}/logs`, {
        query: { bytes },
        response: LogsResponse,
        ...(timeoutMs ? { timeoutMs } : {}),
      })
    ).logs;
  }

  /** starts (or re-times) the monitor for (option, source) */
  monitor(option: MonitorOption, body: MonitorRequest, timeoutMs?: number) {
    return this.http.call('PUT', `/api/v1/monitor/${option}`, {
      body,
      response: MonitorStartResponse,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  /** stops the monitor; with `holder`, only that holder lets go (the sampler runs on while others hold it) */
  stopMonitor(option: MonitorOption, source: 'host' | 'guest', holder?: string) {
    return this.http.call('DELETE', `/api/v1/monitor/${option}`, { body: { source, ...(holder ? { holder } : {}) }, response: OkResponse });
  }

  /** starts or replaces probe `id` (an HTTP GET or a TCP dial the agent runs on a period) */
  probe(id: string, body: ProbeRequest, timeoutMs?: number) {
    return this.http.call('PUT', `/api/v1/probe/${enc(id)}`, { body, response: OkResponse, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  stopProbe(id: string) {
    return this.http.call('DELETE', `/api/v1/probe/${enc(id)}`, { response: OkResponse });
  }

  async probes() {
    return (await this.http.call('GET', '/api/v1/probe', { response: ProbesResponse })).probes;
  }

  async monitors() {
    return (await this.http.call('GET', '/api/v1/monitor', { response: MonitorsResponse })).monitors;
  }

  /** runs (or replaces) an edge sensor's pipe as a process on this agent */
  async putSensor(id: string, spec: EdgeSensorSpec, timeoutMs?: number) {
    return (
      await this.http.call('PUT', `/api/v1/sensor/${enc(id)}`, {
        body: spec,
        response: SensorPutResponse,
        ...(timeoutMs ? { timeoutMs } : {}),
      })
    ).sensor;
  }

  stopSensor(id: string) {
    return this.http.call('DELETE', `/api/v1/sensor/${enc(id)}`, { response: OkResponse });
  }

  async sensors(timeoutMs?: number) {
    return (await this.http.call('GET', '/api/v1/sensor', { response: SensorsResponse, ...(timeoutMs ? { timeoutMs } : {}) })).sensors;
  }
}

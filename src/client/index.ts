// The one typed HTTP client of osmo: the core's API (CoreClient) and an agent's API
// (AgentApi), built on the zod schemas the servers declare. Used by the CLI, the core
// (to command agents), tests and benches; the dashboard imports its types.
export { CoreClient } from './core.js';
export type * from './views.js';
export type { NodeAction, EventQuery } from './core.js';
export { SlaClient } from './sla.js';
export type { SlaAgreement, SlaTemplate, SlaViolation, SlaPenalty, SlaStatus, RecordFilter } from './sla.js';
export { CloudletClient } from './cloudlets.js';
export type { ServiceInput, AppInput } from './cloudlets.js';
export { AgentApi } from './agent.js';
export type { AgentInstance, DeployRequest, UndeployRequest, MonitorRequest, MonitorOption, ProbeRequest } from './agent.js';
export { ApiError, isApiError, type ApiErrorKind, type ApiErrorInfo } from './errors.js';
export type { HttpOptions } from './http.js';

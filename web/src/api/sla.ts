// The dashboard's side of the SLA manager (/sla-service/, the Atos SLA core's API in JSON):
// agreements, osmo's per-agreement status (terms with their last values and the actions
// taken), violations, penalties, and the enforcement switch.
import type { AgreementDetail } from '../../../src/sla/model.js';
import { api } from './http.js';

export type { AgreementDetail };

export interface AgreementSummary {
  agreementId?: string;
  name?: string;
  context?: { agreementInitiator?: string; agreementResponder?: string; service?: string; expirationTime?: string; templateId?: string };
}

export interface ViolationView {
  uuid: string;
  datetime: string;
  metric_name: string;
  actual_value: number | string;
  expected_value?: number | string;
  breaches?: number;
}

export interface PenaltyView {
  uuid: string;
  datetime: string;
  definition: { type?: string; expression?: string; unit?: string; validity?: string };
}

const enc = encodeURIComponent;
const S = '/sla-service';

export const listAgreements = (): Promise<AgreementSummary[]> => api<AgreementSummary[]>('GET', `${S}/agreements`);
export const agreementDetail = (id: string): Promise<AgreementDetail> => api<AgreementDetail>('GET', `${S}/agreements/${enc(id)}/status`);
export const listViolations = (id: string): Promise<ViolationView[]> =>
  api<ViolationView[]>('GET', `${S}/violations?agreementId=${enc(id)}`);
export const listPenalties = (id: string): Promise<PenaltyView[]> => api<PenaltyView[]>('GET', `${S}/penalties?agreementId=${enc(id)}`);
export const setEnforcement = (id: string, on: boolean): Promise<unknown> =>
  api('PUT', `${S}/enforcements/${enc(id)}/${on ? 'start' : 'stop'}`);

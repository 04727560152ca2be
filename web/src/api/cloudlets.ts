// The cloudlet catalog, app repository and device-started instances (/api/v1/services,
// /api/v1/apps, /api/v1/cloudlets). Types come from the client's schemas.
import type { App, Service } from '../../../src/client/views.js';
import { authHeaders } from './token.js';
import { ApiError, api } from './http.js';
import { toApiError } from './errors.js';

export type { App, Service };

export interface CloudletNode {
  node: string;
  status: string;
  address: string;
  port: number;
  layer: string;
  domain: string;
}

export interface CloudletInstance {
  id: string;
  serviceId: string;
  node: string;
  users: string[];
  instance: string | null;
  container: string | null;
  state: string;
  address: string | null;
  hostPort: number | null;
}

export const listCloudlets = (): Promise<{ cloudlets: CloudletNode[]; instances: CloudletInstance[] }> => api('GET', '/api/v1/cloudlets');
export const listServices = async (): Promise<Service[]> => (await api<{ services: Service[] }>('GET', '/api/v1/services')).services;
export const listApps = async (): Promise<App[]> => (await api<{ apps: App[] }>('GET', '/api/v1/apps')).apps;

/** Uploads a file as the raw body, its metadata as query parameters. */
export async function uploadApp(file: File, meta: { name: string; tags: string; serviceId: string }): Promise<App> {
  const q = new URLSearchParams({ name: meta.name, fileName: file.name });
  if (meta.tags) q.set('tags', meta.tags);
  if (meta.serviceId) q.set('serviceId', meta.serviceId);
  let res: Response;
  try {
    res = await fetch(`/api/v1/apps?${q.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', ...authHeaders() },
      body: file,
    });
  } catch (e) {
    throw new ApiError(0, `the core is unreachable (${e instanceof Error ? e.message : String(e)})`, undefined, null);
  }
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) throw toApiError(res.status, data);
  return data as App;
}

// Typed calls to the core's cloudlet catalog (/api/v1/services) and app repository
// (/api/v1/apps). App files travel as raw bytes (application/octet-stream upload, the
// file itself on download); the metadata as query parameters on upload.
import { z } from 'zod';
import { AppView, OkBody, ServiceView, type AppFields, type ServiceBody, type ServiceSpec } from '../model/index.js';
import type { HttpClient } from './http.js';
import type { Service, App } from './views.js';

const enc = encodeURIComponent;

export type ServiceInput = z.input<typeof ServiceSpec>;
export type AppInput = z.input<typeof AppFields>;

export class CloudletClient {
  constructor(private readonly http: HttpClient) {}

  async services(): Promise<Service[]> {
    return (await this.http.call('GET', '/api/v1/services', { response: z.object({ services: z.array(ServiceView) }) })).services;
  }

  service(id: string): Promise<Service> {
    return this.http.call('GET', `/api/v1/services/${enc(id)}`, { response: ServiceView });
  }

  addService(spec: ServiceInput): Promise<Service> {
    return this.http.call('POST', '/api/v1/services', { body: spec, response: ServiceView });
  }

  putService(id: string, body: z.input<typeof ServiceBody>): Promise<Service> {
    return this.http.call('PUT', `/api/v1/services/${enc(id)}`, { body, response: ServiceView });
  }

  async removeService(id: string): Promise<void> {
    await this.http.call('DELETE', `/api/v1/services/${enc(id)}`, { response: OkBody });
  }

  /** apps carrying every tag given */
  async apps(tags: string[] = []): Promise<App[]> {
    const query = tags.length ? { tags: tags.join(',') } : {};
    return (await this.http.call('GET', '/api/v1/apps', { query, response: z.object({ apps: z.array(AppView) }) })).apps;
  }

  app(id: string): Promise<App> {
    return this.http.call('GET', `/api/v1/apps/${enc(id)}`, { response: AppView });
  }

  /** Uploads a file with its metadata (raw body; the core computes the MD5). */
  async pushApp(meta: AppInput, file: Uint8Array): Promise<App> {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(meta)) {
      if (v === undefined) continue;
      query[k] = Array.isArray(v) ? v.join(',') : String(v);
    }
    const r = await this.http.bytes('POST', '/api/v1/apps', {
      body: file,
      contentType: 'application/octet-stream',
      query,
      timeoutMs: 600_000,
    });
    return AppView.parse(JSON.parse(new TextDecoder().decode(r.data)));
  }

  /** The app's file and the MD5 the core sent with it. */
  async downloadApp(id: string): Promise<{ data: Uint8Array; md5: string | null; fileName: string | null }> {
    const r = await this.http.bytes('GET', `/api/v1/apps/${enc(id)}/file`, { timeoutMs: 600_000 });
    const cd = r.headers.get('content-disposition') ?? '';
    return { data: r.data, md5: r.headers.get('x-md5'), fileName: /filename="([^"]*)"/.exec(cd)?.[1] ?? null };
  }

  async removeApp(id: string): Promise<void> {
    await this.http.call('DELETE', `/api/v1/apps/${enc(id)}`, { response: OkBody });
  }
}

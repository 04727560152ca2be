// The dashboard's side of the OCCI monitoring API (/occi/, GFD.223 over the JSON rendering
// GFD.226): sensors (resources) with their collectors (links), the query interface, the
// start/stop actions, and a sensor's live values (GET /api/v1/sensors/{id}/stream, SSE).
import { readSse } from '../../../src/client/sse.js';
import { api } from './http.js';
import type { OcciCategory, OcciResource } from './occiTypes.js';
import { authHeaders } from './token.js';

export type { OcciCategory, OcciResource } from './occiTypes.js';

const OCCI_JSON = 'application/occi+json';

const occi = <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => api<T>(method, path, body, OCCI_JSON);

const enc = encodeURIComponent;

export const listSensors = async (): Promise<OcciResource[]> =>
  (await occi<{ resources?: OcciResource[] }>('GET', '/occi/sensor/')).resources ?? [];
export const listComputes = async (): Promise<OcciResource[]> =>
  (await occi<{ resources?: OcciResource[] }>('GET', '/occi/compute/')).resources ?? [];
/** every category the server knows (kinds, mixins, actions), for the attribute descriptions */
export const queryInterface = (): Promise<{ kinds: OcciCategory[]; mixins: OcciCategory[]; actions: OcciCategory[] }> =>
  occi('GET', '/occi/-/');
export const createSensor = (sensor: OcciResource): Promise<unknown> => occi('POST', '/occi/sensor/', sensor);
export const deleteSensor = (id: string): Promise<unknown> => occi('DELETE', `/occi/sensor/${enc(id)}`);
export const sensorAction = (id: string, action: 'start' | 'stop'): Promise<unknown> =>
  occi('POST', `/occi/sensor/${enc(id)}?action=${action}`, { action: `http://schemas.ogf.org/occi/monitoring/sensor/action#${action}` });

export interface SensorValue {
  sensor: string;
  channel: string;
  publisher: string;
  value: number | boolean | string;
  ts: number;
}

/** Follows a sensor's published values until the returned function is called. */
export function followSensor(id: string, onValue: (v: SensorValue) => void, onError?: (why: string) => void): () => void {
  const ctrl = new AbortController();
  void (async () => {
    try {
      const res = await fetch(`/api/v1/sensors/${enc(id)}/stream`, {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        signal: ctrl.signal,
      });
      if (!res.ok || !res.body) {
        onError?.(`stream answered ${res.status}`);
        return;
      }
      await readSse(res.body, (m) => {
        try {
          onValue(JSON.parse(m.data) as SensorValue);
        } catch {
          // a frame that is not a value (comments are already skipped): ignore it
        }
      });
    } catch (e) {
      if (!ctrl.signal.aborted) onError?.(e instanceof Error ? e.message : String(e));
    }
  })();
  return () => ctrl.abort();
}

// Reading a cloudlet's `GET /api/system?services=true` for the choice. pycloud answers
// `memory_info` and `cpu_info` (and `services` when asked); osmo adds node id, layer,
// domain and its load factor. The reader is strict about what the choice uses and lets the
// rest through, so a plain pycloud cloudlet is read too; a body that is not a cloudlet's
// answer is a reason to skip that cloudlet, never a crash.
import { z } from 'zod';
import { ApiError } from '../client/errors.js';
import { HttpClient } from '../client/http.js';
import type { Candidate, Rejected } from './pick.js';
import { baseUrl, type Found } from './types.js';

const count = z.number().finite().min(0);

const ServiceEntry = z
  .object({
    service_id: z.string(),
    // osmo's sign that an instance runs there (any one of them)
    running: z.boolean().optional(),
    num_instances: count.optional(),
    instances: z.union([count, z.array(z.unknown())]).optional(),
    num_current_users: count.optional(),
  })
  .loose();

export const SystemAnswer = z
  .object({
    memory_info: z.object({ max_memory: count, free_memory: count }).loose(),
    cpu_info: z.object({ max_cores: count, usage: count }).loose(),
    node: z.string().optional(),
    node_id: z.string().optional(),
    layer: z.string().optional(),
    domain: z.string().optional(),
    load_factor: count.optional(),
    services: z.array(ServiceEntry).optional(),
    // osmo: the service instances running on this cloudlet
    running: z.array(z.object({ service_id: z.string() }).loose()).optional(),
  })
  .loose();
export type SystemAnswer = z.infer<typeof SystemAnswer>;

function isRunning(e: z.infer<typeof ServiceEntry>): boolean {
  const n = Array.isArray(e.instances) ? e.instances.length : e.instances;
  return e.running === true || (e.num_instances ?? 0) > 0 || (n ?? 0) > 0 || (e.num_current_users ?? 0) > 0;
}

/** The choice's view of one answer. */
export function toCandidate(name: string, url: string, serviceId: string, s: SystemAnswer): Candidate {
  const entry = s.services?.find((e) => e.service_id === serviceId);
  return {
    name,
    url,
    nodeId: s.node ?? s.node_id,
    offers: entry !== undefined,
    running: (entry ? isRunning(entry) : false) || (s.running ?? []).some((r) => r.service_id === serviceId),
    // pycloud has no load factor: its CPU usage (percent) is the nearest thing
    load: s.load_factor ?? Math.min(1, s.cpu_info.usage / 100),
    freeMemory: s.memory_info.free_memory,
  };
}

/** Asks one found cloudlet; a cloudlet that cannot be asked, or answers garbage, is rejected with why. */
export async function askCloudlet(f: Found, serviceId: string, timeoutMs: number): Promise<Candidate | Rejected> {
  const url = baseUrl(f);
  if (!url) return { name: f.name, reason: 'announced no address' };
  const http = new HttpClient('cloudlet', { base: url, timeoutMs });
  try {
    const s = await http.call('GET', '/api/system', { query: { services: 'true' }, response: SystemAnswer });
    return toCandidate(f.name, url, serviceId, s);
  } catch (e) {
    return { name: f.name, url, reason: e instanceof ApiError ? e.message : String(e) };
  }
}

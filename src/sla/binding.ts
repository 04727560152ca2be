// osmo's extension to a guarantee term: where its KPI comes from and what osmo does when the
// term is violated. Carried inside the term's CustomServiceLevel JSON, so Atos documents (XML
// or JSON) keep their shape and Atos clients ignore it:
//   {"constraint": "availability GE 0.999", "source": "availability",
//    "actions": [{"type": "scale-out", "step": 1, "max": 3}, {"type": "migrate"}], "cooldown": 60}
// Sources: `availability` (running / desired replicas of the MEL), a metric of the MEL's
// instances in osmo's metrics store (`cpu`, `mem`, `net`, `disk`, with a field and an
// aggregate), and `http` (the core probes the MEL's published port: response time in seconds).
import { z } from 'zod';
import { invalid } from '../shared/errors.js';

export type Source =
  | { type: 'availability' }
  | { type: 'metric'; metric: 'cpu' | 'mem' | 'net' | 'disk'; field: string; aggregate: 'avg' | 'max' | 'min' | 'sum' }
  | { type: 'http'; path: string; timeoutMs: number; port?: number };

export type Action = { type: 'scale-out'; step: number; max: number } | { type: 'migrate' } | { type: 'replan' };

/** The field a metric source reads when none is named (what `osmo` samples per guest). */
export const DEFAULT_FIELD: Record<'cpu' | 'mem' | 'net' | 'disk', string> = {
  cpu: 'total',
  mem: 'used_percent',
  net: 'rx_bytes_per_s',
  disk: 'read_bytes_per_s',
};
/** A probe that gets no answer counts as this many seconds unless the source says otherwise. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

const Metric = z.enum(['cpu', 'mem', 'net', 'disk']);
export const SourceWire = z.union([
  z.enum(['availability', 'http', 'responseTime', 'ResponseTime', 'cpu', 'mem', 'net', 'disk']),
  z.object({ type: z.literal('availability') }),
  z.object({
    type: z.literal('metric'),
    metric: Metric,
    field: z.string().min(1).optional(),
    aggregate: z.enum(['avg', 'max', 'min', 'sum']).optional(),
  }),
  z.object({
    type: z.literal('http'),
    path: z.string().startsWith('/').optional(),
    /** seconds */
    timeout: z.number().positive().max(60).optional(),
    /** the container port to probe (default: the first published one) */
    port: z.number().int().min(1).max(65535).optional(),
  }),
]);

export const ActionWire = z.discriminatedUnion('type', [
  z.object({ type: z.literal('scale-out'), step: z.number().int().min(1).default(1), max: z.number().int().min(1) }),
  z.object({ type: z.literal('migrate') }),
  z.object({ type: z.literal('replan') }),
]);

/** The canonical source of a term from its wire form (already checked by SourceWire). */
export function readSource(w: z.infer<typeof SourceWire>): Source {
  if (typeof w === 'string') {
    if (w === 'availability') return { type: 'availability' };
    if (w === 'http' || w === 'responseTime' || w === 'ResponseTime')
      return { type: 'http', path: '/', timeoutMs: DEFAULT_PROBE_TIMEOUT_MS };
    return { type: 'metric', metric: w, field: DEFAULT_FIELD[w], aggregate: 'avg' };
  }
  if (w.type === 'availability') return w;
  if (w.type === 'metric')
    return { type: 'metric', metric: w.metric, field: w.field ?? DEFAULT_FIELD[w.metric], aggregate: w.aggregate ?? 'avg' };
  return {
    type: 'http',
    path: w.path ?? '/',
    timeoutMs: w.timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : Math.round(w.timeout * 1000),
    ...(w.port !== undefined && { port: w.port }),
  };
}

/** Checks a term's `actions` list; errors name the entry. */
export function readActions(ws: readonly unknown[]): Action[] {
  const seen = new Set<string>();
  return ws.map((raw, i) => {
    const r = ActionWire.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw invalid(
        `actions.${i}${issue?.path.length ? '.' + issue.path.join('.') : ''}: ${issue?.message ?? 'invalid'} (scale-out {step, max}, migrate or replan)`,
      );
    }
    const a = r.data;
    if (seen.has(a.type)) throw invalid(`actions: "${a.type}" is listed twice`);
    seen.add(a.type);
    return a;
  });
}

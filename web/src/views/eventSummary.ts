// One readable line per event of the log, by event type (node, placement, migration,
// policy...), falling back to key=value for types this page does not know yet.
import { isKnown, type StreamEvent } from '../api/types.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);
const join = (...parts: (string | undefined | false)[]): string => parts.filter(Boolean).join(' ');

/** One readable line per event: the subject, what happened, and why when the core says. */
export function summary(e: StreamEvent): string {
  const why = str(e.reason) ? ` — ${str(e.reason)}` : '';
  const who = str(e.name) ?? str(e.instance)?.slice(0, 8) ?? str(e.mel);
  if (!isKnown(e)) return generic(e);
  switch (e.type) {
    case 'node':
      return (
        join(
          `node ${str(e.node) ?? ''}`,
          str(e.action),
          str(e.previous) && str(e.status) ? `${str(e.previous)} → ${str(e.status)}` : str(e.status),
        ) + why
      );
    case 'placement':
      return (
        join(`placed ${who ?? ''} of ${str(e.mel) ?? '?'} on ${str(e.node) ?? '?'}`, e.score !== undefined && `(score ${str(e.score)})`) +
        why
      );
    case 'instance-state':
    case 'instance':
      return join(who, str(e.state)) + why;
    case 'reconcile':
      return join(str(e.action), who, str(e.mel) && who !== str(e.mel) && `of ${str(e.mel)}`) + why;
    case 'mel':
      return join(
        str(e.action),
        `MEL ${str(e.mel) ?? ''}`,
        e.replicas !== undefined && `replicas ${e.previous !== undefined ? `${str(e.previous)} → ` : ''}${str(e.replicas)}`,
        str(e.image),
      );
    case 'migration':
      return (
        join(`migration ${str(e.phase) ?? ''}:`, who, str(e.from) && `from ${str(e.from)}`, str(e.to) && `to ${str(e.to)}`, str(e.error)) +
        why
      );
    case 'policy': {
      const changes = (e.changes ?? []).map((c) => `${c.name} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
      return join(`policy (${str(e.scope) ?? 'global'})`, changes.join(', ') || (e.cleared ? 'override cleared' : ''));
    }
    case 'monitor':
      return join(
        `monitor ${str(e.metric) ?? '?'}/${str(e.source) ?? '?'}`,
        str(e.action),
        e.period !== undefined && `every ${str(e.period)} s`,
      );
    case 'pull':
      return join(`pull ${str(e.image) ?? ''}`, str(e.status));
    case 'core':
      return join(
        `core ${str(e.action) ?? ''}`,
        str(e.url),
        e.nodes !== undefined && `(${str(e.nodes)} nodes, ${str(e.mels)} MELs, ${str(e.instances)} instances)`,
      );
    case 'sla':
      return (
        join(
          `SLA ${str(e.agreement) ?? ''}/${str(e.term) ?? ''}: ${str(e.action) ?? ''} of ${str(e.mel) ?? '?'}`,
          str(e.outcome),
          e.replicas !== undefined && `replicas ${e.previous !== undefined ? `${str(e.previous)} → ` : ''}${str(e.replicas)}`,
        ) + why
      );
    case 'audit':
      return join(str(e.subject) ?? '?', str(e.method), str(e.path) ?? str(e.route), e.status !== undefined && `→ ${str(e.status)}`);
    case 'load':
      return join(`node ${str(e.node) ?? ''}`, e.overloaded === true ? 'overloaded' : e.overloaded === false ? 'back to normal' : '') + why;
    default:
      return generic(e);
  }
}

function generic(e: StreamEvent): string {
  const skip = new Set(['type', 'ts', 'node', 'seq', 'id', 'reason', 'message', 'fields', 'labels', 'origin']);
  const parts: string[] = [];
  if (typeof e.message === 'string') parts.push(e.message);
  for (const [k, v] of Object.entries(e)) {
    if (skip.has(k) || v === undefined || v === null) continue;
    if (typeof v === 'object') parts.push(`${k}=${JSON.stringify(v)}`);
    // instance ids are UUIDs: the first block is enough to tell them apart on screen
    else if (k === 'instance' && typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(v)) parts.push(`instance=${v.slice(0, 8)}`);
    else parts.push(`${k}=${String(v)}`);
  }
  if (typeof e.reason === 'string' && e.reason) parts.push(`because ${e.reason}`);
  return parts.join(' · ');
}

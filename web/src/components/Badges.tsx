import type { OsmoNode } from '../api/types.js';
import { live } from '../state/live.js';
import { loadBand, loadFactor } from './load.js';

export function LoadBadge({ node }: { node: OsmoNode }) {
  const l = loadFactor(node, live.loadPolicy);
  const band = loadBand(l, live.loadPolicy);
  const parts = typeof node.load === 'object' && node.load ? node.load : {};
  const detail = [
    typeof parts.cpu === 'number' ? `cpu ${parts.cpu.toFixed(0)} %` : '',
    typeof parts.mem === 'number' ? `mem ${parts.mem.toFixed(0)} %` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const { low, high } = live.loadPolicy;
  const title = `thresholds low ${low}, high ${high}; load factor L = w_cpu·cpu + w_mem·mem + w_io·io${l?.estimated ? ' (estimated from cpu and mem with the policy weights)' : ''}${detail ? `; ${detail}` : ''}`;
  return (
    <span class={`load load-${band}`} title={title} data-testid="load" data-load={l?.value}>
      <span class="load-bar" aria-hidden="true">
        <span style={{ width: `${Math.round(Math.min(1, Math.max(0, l?.value ?? 0)) * 100)}%` }} />
      </span>
      <span class="load-num">{l === null ? 'L –' : `L${l.estimated ? '≈' : ' '}${l.value.toFixed(2)}`}</span>
      {parts.overloaded && <span class="pill pill-down">overloaded</span>}
      {detail && <span class="muted small load-detail">{detail}</span>}
    </span>
  );
}

export function StatusPill({ status }: { status: string }) {
  return <span class={`pill pill-${status.replace(/[^a-z-]/g, '')}`}>{status}</span>;
}

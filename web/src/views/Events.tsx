// A live, filterable log of what happened and why.
import { useMemo, useState } from 'preact/hooks';
import type { StreamEvent } from '../api/types.js';
import { useTopic } from '../state/hooks.js';
import { summary } from './eventSummary.js';

const SHOWN = 300;

export function EventsView() {
  const s = useTopic('events', 'cluster');
  const [type, setType] = useState('');
  const [node, setNode] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState<StreamEvent[] | null>(null);
  const all = paused ?? s.events;
  const types = useMemo(() => [...new Set(s.events.map((e) => e.type))].sort(), [s.events.length]);
  const q = text.trim().toLowerCase();
  const rows = all
    .filter((e) => (!type || e.type === type) && (!node || e.node === node) && (!q || JSON.stringify(e).toLowerCase().includes(q)))
    .slice(-SHOWN)
    .reverse();

  return (
    <div class="events">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <label for="ev-type">Type</label>
        <select id="ev-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="">all</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label for="ev-node">Node</label>
        <select id="ev-node" value={node} onChange={(e) => setNode(e.currentTarget.value)}>
          <option value="">all</option>
          {s.cluster.nodes.map((n) => (
            <option key={n.id} value={n.id}>
              {n.id}
            </option>
          ))}
        </select>
        <label for="ev-text">Contains</label>
        <input id="ev-text" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="button" aria-pressed={paused !== null} onClick={() => setPaused(paused ? null : [...s.events])}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      <p class="muted small" role="status">
        {rows.length} of {all.length} events{paused ? ' (paused)' : ''}; samples are on the Metrics view.
      </p>
      <div class="table-wrap">
        <table class="log" data-testid="event-log">
          <thead>
            <tr>
              <th scope="col">time</th>
              <th scope="col">type</th>
              <th scope="col">node</th>
              <th scope="col">what</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e, i) => (
              <tr key={`${e.node ?? ''}-${e.seq ?? e.id ?? i}-${e.ts ?? ''}`} class={`ev-${e.type}`}>
                <td class="nowrap">{e.ts ? new Date(e.ts).toLocaleTimeString() : ''}</td>
                <td>{e.type}</td>
                <td>{e.node ?? ''}</td>
                <td>{summary(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

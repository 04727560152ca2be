// The policy engine's run-time parameters (like the seed's JMX MBean attributes): each
// editable within its range and saved on its own; the server validates (ranges, and rules
// across fields such as low < high) and its message is shown next to the field.
import { useEffect, useState } from 'preact/hooks';
import { getPolicies, putPolicy } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import type { PolicyParam } from '../api/types.js';
import { live } from '../state/live.js';

const GROUPS: Record<string, string> = {
  thresholds: 'Thresholds (hysteresis on the load factor L)',
  weights: 'Weights of the load factor L = w_cpu·cpu + w_mem·mem + w_io·io',
  '': 'Policies',
  management: 'Management parameters',
};

export function PoliciesView() {
  const [params, setParams] = useState<PolicyParam[] | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const load = () =>
    getPolicies()
      .then((p) => {
        setParams(p);
        setMissing(null);
      })
      .catch((e: unknown) =>
        setMissing(
          e instanceof ApiError && e.status === 404
            ? 'This core has no policy API (/api/v1/policies).'
            : String(e instanceof Error ? e.message : e),
        ),
      );
  useEffect(() => void load(), []);

  if (missing) return <p class="muted">{missing}</p>;
  if (!params) return <p class="muted">Loading…</p>;
  if (params.length === 0) return <p class="muted">No parameters.</p>;
  const groups = new Map<string, PolicyParam[]>();
  for (const p of params) {
    const g = p.name.includes('.') ? p.name.slice(0, p.name.indexOf('.')) : '';
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  const order = [...Object.keys(GROUPS), ...[...groups.keys()].filter((g) => !(g in GROUPS))];
  return (
    <div class="policies">
      <p class="muted">Changes apply at once to every node without its own override; each change is an event.</p>
      {order
        .filter((g) => groups.has(g))
        .map((g) => (
          <fieldset class="panel" key={g}>
            <legend>{GROUPS[g] ?? g}</legend>
            {(groups.get(g) ?? []).map((p) => (
              <ParamRow
                key={p.name}
                param={p}
                onSaved={() => {
                  void load();
                  void live.refreshPolicy();
                }}
              />
            ))}
          </fieldset>
        ))}
    </div>
  );
}

function ParamRow({ param, onSaved }: { param: PolicyParam; onSaved: () => void }) {
  const [value, setValue] = useState(String(param.value));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const id = `pol-${param.name.replace(/[^\w-]/g, '_')}`;
  const changed = value !== String(param.value);
  useEffect(() => setValue(String(param.value)), [param.value]);

  async function save(e: Event): Promise<void> {
    e.preventDefault();
    setError(null);
    setSaved(false);
    let v: unknown = value;
    if (typeof param.value === 'number') v = value.trim() === '' ? null : Number(value);
    if (typeof param.value === 'boolean') v = value === 'true';
    try {
      await putPolicy(param.name, v);
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  const label = param.name.includes('.') ? param.name.slice(param.name.indexOf('.') + 1) : param.name;
  const range = param.min !== undefined || param.max !== undefined ? `${param.min ?? '−∞'} … ${param.max ?? '∞'}` : undefined;
  // preact types <input> per literal `type`; a union of two literals matches none of them
  const inputType = (typeof param.value === 'number' ? 'number' : 'text') as 'text';
  const help = [param.description, range && `range ${range}${param.unit ? ` ${param.unit}` : ''}`].filter(Boolean).join(' · ');
  return (
    <form class={`param${error ? ' invalid' : ''}`} data-testid={id} onSubmit={(e) => void save(e)}>
      <label for={id}>{label}</label>
      {param.options ? (
        <select id={id} value={value} onChange={(e) => setValue(e.currentTarget.value)} aria-describedby={`${id}-help`}>
          {param.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type={inputType}
          value={value}
          step={param.step ?? 'any'}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-help`}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      )}
      <button type="submit" data-mutates disabled={!changed}>
        Save
      </button>
      <span id={`${id}-help`} class={error ? 'error small' : 'muted small'} role={error ? 'alert' : undefined}>
        {error ?? help}
        {saved && !error && !changed ? ' · saved' : ''}
      </span>
    </form>
  );
}

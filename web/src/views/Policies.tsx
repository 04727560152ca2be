// The policy engine's run-time parameters (like JMX MBean attributes): each editable
// within its range, saved one at a time, the server's validation error shown at the field.
import { useEffect, useState } from 'preact/hooks';
import { getPolicies, putPolicy } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import type { PolicyParam } from '../api/types.js';

export function PoliciesView() {
  const [params, setParams] = useState<PolicyParam[] | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const load = () =>
    getPolicies()
      .then((p) => {
        setParams(p);
        setMissing(null);
      })
      .catch((e: unknown) => setMissing(e instanceof ApiError && e.status === 404 ? 'This core has no policy API yet (/api/v1/policies).' : String(e instanceof Error ? e.message : e)));
  useEffect(() => void load(), []);

  if (missing) return <p class="muted">{missing}</p>;
  if (!params) return <p class="muted">Loading…</p>;
  if (params.length === 0) return <p class="muted">No parameters.</p>;
  return (
    <form class="panel policies" onSubmit={(e) => e.preventDefault()}>
      {params.map((p) => (
        <ParamRow key={p.name} param={p} onSaved={load} />
      ))}
    </form>
  );
}

function ParamRow({ param, onSaved }: { param: PolicyParam; onSaved: () => void }) {
  const [value, setValue] = useState(String(param.value));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const id = `pol-${param.name.replace(/[^\w-]/g, '_')}`;
  const changed = value !== String(param.value);

  async function save(): Promise<void> {
    setError(null);
    setSaved(false);
    let v: unknown = value;
    if (typeof param.value === 'number') v = value.trim() === '' ? NaN : Number(value);
    if (typeof param.value === 'boolean') v = value === 'true';
    try {
      await putPolicy(param.name, v);
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  const range = param.min !== undefined || param.max !== undefined ? `${param.min ?? '−∞'} … ${param.max ?? '∞'}` : undefined;
  return (
    <div class={`field param${error ? ' invalid' : ''}`} data-testid={id}>
      <label for={id}>
        {param.name}
        {param.unit ? ` (${param.unit})` : ''}
      </label>
      {param.options ? (
        <select id={id} value={value} onChange={(e) => setValue(e.currentTarget.value)}>
          {param.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : typeof param.value === 'boolean' ? (
        <select id={id} value={value} onChange={(e) => setValue(e.currentTarget.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : (
        <input
          id={id}
          type={(typeof param.value === 'number' ? 'number' : 'text') as 'text'}
          value={value}
          step={param.step ?? 'any'}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-help`}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      )}
      <button type="button" disabled={!changed} onClick={() => void save()}>
        Save
      </button>
      <span id={`${id}-help`} class={error ? 'error small' : 'muted small'} role={error ? 'alert' : undefined}>
        {error ?? [param.description, range && `range ${range}`].filter(Boolean).join(' · ')}
        {saved && !error ? ' saved' : ''}
      </span>
    </div>
  );
}

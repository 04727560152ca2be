// Paste or upload a planner model, run it on the core, and chart the answer per hour:
// VM count per tier, predicted response time against its constraint, and the cost
// against the plan that keeps peak capacity all day.
import { useState } from 'preact/hooks';
import { runPlan } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import { Chart } from '../components/Chart.js';
import { readPlan, type PlanView } from './planShape.js';

export function PlannerView() {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [plan, setPlan] = useState<PlanView | null>(null);

  async function run(e: Event): Promise<void> {
    e.preventDefault();
    setError(null);
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch {
      // the planner also reads YAML: send the text and let the server parse it
      model = { yaml: text };
    }
    setBusy(true);
    try {
      setPlan(readPlan(await runPlan(model)));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? 'This core has no planner API yet (POST /api/v1/plans).' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="planner">
      <form class="panel" onSubmit={(e) => void run(e)}>
        <div class="field">
          <label for="plan-model">Planner input (JSON or YAML)</label>
          <textarea id="plan-model" rows={12} value={text} onInput={(e) => setText(e.currentTarget.value)} spellcheck={false} />
        </div>
        <div class="field">
          <label for="plan-file">or upload a file</label>
          <input
            id="plan-file"
            type="file"
            accept=".json,.yaml,.yml,application/json"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void file.text().then(setText);
            }}
          />
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !text.trim()}>
          {busy ? 'Planning…' : 'Run planner'}
        </button>
      </form>
      {plan && <PlanCharts plan={plan} />}
    </div>
  );
}

function PlanCharts({ plan }: { plan: PlanView }) {
  // hours as seconds from midnight UTC of day 0, so uPlot labels them as times
  const x = plan.hours.map((h) => h * 3600);
  return (
    <section class="panel" aria-label="plan">
      <p>
        Daily cost <strong>{plan.cost.toFixed(2)}</strong>
        {plan.peakCost !== undefined && (
          <>
            {' '}
            vs peak-capacity plan <strong>{plan.peakCost.toFixed(2)}</strong> ({plan.peakCost > 0 ? `${Math.round((1 - plan.cost / plan.peakCost) * 100)} % saved` : ''})
          </>
        )}
      </p>
      <div class="charts">
        <Chart title="VMs per tier" unit="VMs" x={x} series={plan.tiers.map((t) => ({ label: t.name, values: t.vms }))} />
        <Chart title="predicted response time" unit="s" x={x} series={[{ label: 'response time', values: plan.responseTime }]} limit={plan.responseLimit} />
        <Chart
          title="cost per hour"
          unit="cost"
          x={x}
          series={[{ label: 'plan', values: plan.hourlyCost }, ...(plan.peakHourlyCost ? [{ label: 'peak plan', values: plan.peakHourlyCost }] : [])]}
        />
      </div>
    </section>
  );
}

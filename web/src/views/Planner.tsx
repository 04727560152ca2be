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
      try {
        // YAML only when it is not JSON: the parser is a separate chunk, loaded on demand
        const { parse } = await import('yaml');
        model = parse(text);
      } catch (err) {
        setError(`the model is neither JSON nor YAML: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    setBusy(true);
    try {
      setPlan(readPlan(await runPlan(model), model));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 404
          ? 'This core has no planner API yet (POST /api/v1/plans).'
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="planner">
      <form class="panel" data-mutates onSubmit={(e) => void run(e)}>
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
  const x = plan.hours;
  const money = (v: number) => `${v.toFixed(2)}${plan.currency ? ` ${plan.currency}` : ''}`;
  return (
    <section class="panel" aria-label="plan" data-testid="plan">
      <p>
        Daily cost <strong data-testid="plan-cost">{money(plan.cost)}</strong>
        {plan.peakCost !== undefined && (
          <>
            {' '}
            against <strong>{money(plan.peakCost)}</strong> for peak capacity all day
            {plan.peakCost > 0 && ` (${Math.round((1 - plan.cost / plan.peakCost) * 100)} % less)`}
          </>
        )}
        {!plan.feasible && <span class="error"> — no feasible plan for some hours</span>}
      </p>
      <div class="charts">
        <Chart
          xKind="hour"
          title="VMs per tier"
          unit="VMs"
          x={x}
          series={plan.tiers.map((t) => ({ label: t.name, values: t.vms }))}
          testId="plan-vms"
        />
        {plan.responseTime.map((r) => (
          <Chart
            key={r.name}
            xKind="hour"
            title={`response time, ${r.name}`}
            unit="s"
            x={x}
            series={[{ label: r.name, values: r.values }]}
            limit={r.limit}
            testId={`plan-rt-${r.name}`}
          />
        ))}
        <Chart
          xKind="hour"
          title="cost per hour"
          unit={plan.currency || 'cost'}
          x={x}
          series={[
            { label: 'plan', values: plan.hourlyCost },
            ...(plan.peakHourlyCost !== undefined
              ? [{ label: 'peak capacity', values: plan.hourlyCost.map(() => plan.peakHourlyCost ?? null) }]
              : []),
          ]}
          testId="plan-cost-chart"
        />
      </div>
    </section>
  );
}

// Service-level agreements (WS-Agreement, the Atos SLA core's API): each agreement's terms
// with their status colour, the KPI charted with its constraint drawn on it, violations on a
// timeline, penalties, and the compensating actions they caused. Values come from osmo's own
// status of the agreement, polled; the chart keeps what this page has seen.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import {
  agreementDetail,
  listAgreements,
  listPenalties,
  listViolations,
  setEnforcement,
  type AgreementDetail,
  type AgreementSummary,
  type PenaltyView,
  type ViolationView,
} from '../api/sla.js';
import { Chart } from '../components/Chart.js';
import { addPoint, constraintLimits, statusClass, type Point } from './slaShape.js';

export function AgreementsView() {
  const [list, setList] = useState<AgreementSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      listAgreements()
        .then((l) => {
          setList(l);
          setError(null);
        })
        .catch((e: unknown) =>
          setError(
            e instanceof ApiError && e.status === 404
              ? 'This core has no SLA API (/sla-service/).'
              : e instanceof Error
                ? e.message
                : String(e),
          ),
        );
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, []);
  if (error && !list) return <p class="muted">{error}</p>;
  if (!list) return <p class="muted">Loading…</p>;
  const ids = list.map((a) => a.agreementId).filter((x): x is string => x !== undefined);
  if (ids.length === 0)
    return (
      <p class="muted">
        No agreement yet: POST one to /sla-service/agreements, or generate one from a MEL's objectives with `osmo sla generate`.
      </p>
    );
  return (
    <div class="agreements">{list.map((a) => a.agreementId && <AgreementCard key={a.agreementId} summary={a} id={a.agreementId} />)}</div>
  );
}

function AgreementCard({ summary, id }: { summary: AgreementSummary; id: string }) {
  const [detail, setDetail] = useState<AgreementDetail | null>(null);
  const [violations, setViolations] = useState<ViolationView[]>([]);
  const [penalties, setPenalties] = useState<PenaltyView[]>([]);
  const [history, setHistory] = useState<Record<string, Point[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const [d, v, p] = await Promise.all([agreementDetail(id), listViolations(id), listPenalties(id)]);
      setDetail(d);
      setViolations(v);
      setPenalties(p);
      setHistory((h) => Object.fromEntries(d.terms.map((t) => [t.name, addPoint(h[t.name] ?? [], t.observedAt, t.lastValue)])));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, [id]);

  async function toggle() {
    if (!detail) return;
    setBusy(true);
    try {
      await setEnforcement(id, !detail.enabled);
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const tid = `agreement-${id}`;
  return (
    <article class="panel agreement" aria-labelledby={`${tid}-h`} data-testid={tid} data-status={detail?.status ?? ''}>
      <header class="mel-head">
        <h2 id={`${tid}-h`}>{summary.name ?? id}</h2>
        {detail && (
          <span class={`pill pill-${statusClass(detail.status)}`} data-testid={`${tid}-status`}>
            {detail.status}
          </span>
        )}
        <span class="muted small">
          {summary.context?.service && <>service {summary.context.service} · </>}
          {summary.context?.agreementInitiator && <>consumer {summary.context.agreementInitiator} · </>}
          {summary.context?.agreementResponder && <>provider {summary.context.agreementResponder}</>}
        </span>
        {detail && (
          <button type="button" data-mutates disabled={busy} onClick={() => void toggle()}>
            {detail.enabled ? 'Stop enforcement' : 'Start enforcement'}
          </button>
        )}
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {detail && (
        <>
          <div class="table-wrap">
            <table>
              <caption class="sr-only">guarantee terms</caption>
              <thead>
                <tr>
                  <th scope="col">term</th>
                  <th scope="col">status</th>
                  <th scope="col">constraint</th>
                  <th scope="col">last value</th>
                  <th scope="col">MEL · source</th>
                  <th scope="col">actions</th>
                </tr>
              </thead>
              <tbody>
                {detail.terms.map((t) => (
                  <tr key={t.name} data-testid={`${tid}-term-${t.name}`} data-status={t.status}>
                    <td>{t.name}</td>
                    <td>
                      <span class={`pill pill-${statusClass(t.status)}`}>{t.status}</span>
                    </td>
                    <td class="chan">{t.constraint}</td>
                    <td>{t.lastValue === null ? '—' : t.lastValue.toPrecision(4)}</td>
                    <td class="small">
                      {t.mel} · {t.source ?? 'pushed'}
                    </td>
                    <td class="small">{t.actions.join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="charts">
            {detail.terms.map((t) => {
              const pts = history[t.name] ?? [];
              const limits = constraintLimits(t.constraint);
              return (
                pts.length > 0 && (
                  <Chart
                    key={t.name}
                    title={`${t.name}: ${t.constraint}`}
                    x={pts.map((p) => p.t)}
                    series={[{ label: t.name, values: pts.map((p) => p.v) }]}
                    {...(limits[0] !== undefined && { limit: limits[0] })}
                    minSpan={60}
                    height={140}
                    testId={`${tid}-chart-${t.name}`}
                  />
                )
              );
            })}
          </div>
          <Timeline tid={tid} violations={violations} penalties={penalties} actions={detail.actions} />
        </>
      )}
    </article>
  );
}

function Timeline(props: { tid: string; violations: ViolationView[]; penalties: PenaltyView[]; actions: Record<string, unknown>[] }) {
  const rows = [
    ...props.violations.map((v) => ({
      at: v.datetime,
      kind: 'violation',
      text: `${v.metric_name} = ${String(v.actual_value)}${v.expected_value !== undefined ? ` (expected ${String(v.expected_value)})` : ''}`,
    })),
    ...props.penalties.map((p) => ({
      at: p.datetime,
      kind: 'penalty',
      text: [p.definition.type, p.definition.expression, p.definition.unit, p.definition.validity && `valid ${p.definition.validity}`]
        .filter(Boolean)
        .join(' '),
    })),
    ...props.actions.map((a) => ({
      at: String(a.at ?? ''),
      kind: 'action',
      text: `${String(a.action ?? '')} for ${String(a.term ?? '')}${a.detail ? `: ${String(a.detail)}` : ''}`,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  if (rows.length === 0) return <p class="muted small">No violation, penalty or action yet.</p>;
  return (
    <ol class="timeline" data-testid={`${props.tid}-timeline`} aria-label="violations, penalties and actions, newest first">
      {rows.slice(0, 50).map((r, i) => (
        <li key={i} class={`tl-${r.kind}`} data-kind={r.kind}>
          <time class="muted small">{r.at.replace('T', ' ').replace('Z', ' UTC')}</time> <strong>{r.kind}</strong> {r.text}
        </li>
      ))}
    </ol>
  );
}

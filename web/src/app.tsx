// The shell: header with the stream status, the navigation, and the current view.
import { useEffect, useRef } from 'preact/hooks';
import { useScope } from './api/scope.js';
import { Link } from './components/Link.js';
import { TokenPrompt } from './components/TokenPrompt.js';
import { href, useRoute, type View } from './router.js';
import { useTopic } from './state/hooks.js';
import { AgreementsView } from './views/Agreements.js';
import { CloudletsView } from './views/Cloudlets.js';
import { EventsView } from './views/Events.js';
import { MetricsView } from './views/Metrics.js';
import { MonitoringView } from './views/Monitoring.js';
import { PlannerView } from './views/Planner.js';
import { PoliciesView } from './views/Policies.js';
import { ServicesView } from './views/Services.js';
import { TopologyView } from './views/Topology.js';

const TITLES: Record<View, string> = {
  topology: 'Topology',
  services: 'Services',
  metrics: 'Metrics',
  events: 'Events',
  policies: 'Policies',
  planner: 'Planner',
  monitoring: 'Monitoring',
  agreements: 'Agreements',
  cloudlets: 'Cloudlets',
};

const STATUS_TEXT = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting…',
  unauthorized: 'token needed',
} as const;

export function App() {
  const route = useRoute();
  const s = useTopic('status', 'cluster');
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const needToken = s.status === 'unauthorized' || s.cluster.error?.status === 401;
  const readOnly = useScope() === 'read-only';

  useEffect(() => {
    document.title = `${TITLES[route.view]} · osmo`;
    // after an in-app navigation, move focus to the new view for keyboard and screen-reader
    // users; on first load the page starts at the top like any other page
    if (first.current) first.current = false;
    else main.current?.focus({ preventScroll: true });
  }, [route.view]);

  return (
    // a read-only token: every control that changes something is marked data-mutates and hidden by CSS
    <div class={`shell${readOnly ? ' read-only' : ''}`}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">osmo</span>
        <nav aria-label="views">
          <ul>
            {(Object.keys(TITLES) as View[]).map((v) => (
              <li key={v}>
                <Link href={href(v)} current={route.view === v}>
                  {TITLES[v]}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`conn conn-${s.status}`} role="status" data-testid="stream-status">
          <span class="dot" aria-hidden="true" /> {STATUS_TEXT[s.status]}
        </span>
      </header>
      {needToken && <TokenPrompt />}
      {readOnly && (
        <p class="banner" role="status" data-testid="read-only">
          Read-only token: you can look at everything; the controls that change the cluster are hidden.
        </p>
      )}
      {s.cluster.error && s.cluster.error.status !== 401 && (
        <p class="banner error" role="alert">
          {s.cluster.error.message}
        </p>
      )}
      <main id="main" ref={main} tabIndex={-1}>
        <h1>{TITLES[route.view]}</h1>
        {needToken && <p class="muted">Give the access token above to see the cluster.</p>}
        {!needToken && route.view === 'topology' && <TopologyView params={route.params} />}
        {!needToken && route.view === 'services' && <ServicesView />}
        {!needToken && route.view === 'metrics' && <MetricsView params={route.params} />}
        {!needToken && route.view === 'events' && <EventsView />}
        {!needToken && route.view === 'policies' && <PoliciesView />}
        {!needToken && route.view === 'planner' && <PlannerView />}
        {!needToken && route.view === 'monitoring' && <MonitoringView />}
        {!needToken && route.view === 'agreements' && <AgreementsView />}
        {!needToken && route.view === 'cloudlets' && <CloudletsView />}
      </main>
    </div>
  );
}

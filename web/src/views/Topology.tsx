// Layers (cloud / edge / iot) as bands, domains as boxes inside them, each node a
// button showing status, load factor and its instances. Selecting a node opens its
// live host metrics and instance list below the picture.
import { LoadBadge, StatusPill } from '../components/Badges.js';
import { Link } from '../components/Link.js';
import { HostCharts } from '../components/LiveCharts.js';
import { href, navigate } from '../router.js';
import { useTopic } from '../state/hooks.js';
import type { Instance, NodeLayer, OsmoNode } from '../api/types.js';

const LAYERS: NodeLayer[] = ['cloud', 'edge', 'iot'];

export function TopologyView({ params }: { params: URLSearchParams }) {
  const s = useTopic('cluster');
  const { nodes, instances, loaded } = s.cluster;
  const selected = params.get('node') ?? undefined;
  const byNode = groupBy(instances, (i) => i.node ?? '');

  if (!loaded) return <p class="muted">Loading the cluster…</p>;
  if (nodes.length === 0)
    return (
      <p class="muted">
        No node has joined yet. Start one with <code>osmo agent --core URL --token T</code>.
      </p>
    );

  const sel = nodes.find((n) => n.id === selected);
  return (
    <div class="topology">
      <div class="layers">
        {LAYERS.map((layer) => {
          const inLayer = nodes.filter((n) => n.layer === layer);
          const domains = groupBy(inLayer, (n) => n.domain);
          return (
            <section class={`layer layer-${layer}`} aria-label={`${layer} layer`} key={layer}>
              <h2 class="layer-name">{layer}</h2>
              {inLayer.length === 0 ? (
                <p class="muted small">no nodes</p>
              ) : (
                <div class="domains">
                  {[...domains.entries()].map(([domain, dn]) => (
                    <div class="domain" key={domain}>
                      <h3 class="domain-name">domain {domain}</h3>
                      <ul class="nodes">
                        {dn.map((n) => (
                          <li key={n.id}>
                            <NodeCard node={n} instances={byNode.get(n.id) ?? []} selected={n.id === selected} />
                          </li>
                        ))}
                      </ul>
                    </div>
                  ))}
                </div>
              )}
            </section>
          );
        })}
      </div>
      {sel && <NodeDetail node={sel} instances={byNode.get(sel.id) ?? []} />}
    </div>
  );
}

function NodeCard({ node, instances, selected }: { node: OsmoNode; instances: Instance[]; selected: boolean }) {
  return (
    <button
      type="button"
      class={`node node-${node.status}${selected ? ' selected' : ''}`}
      aria-pressed={selected}
      data-testid={`node-${node.id}`}
      data-status={node.status}
      onClick={() => navigate(href('topology', selected ? {} : { node: node.id }), true)}
    >
      <span class="node-head">
        <span class="node-id">{node.id}</span>
        <StatusPill status={node.status} />
      </span>
      {!node.schedulable && node.status !== 'draining' && <span class="pill">cordoned</span>}
      <LoadBadge node={node} />
      <span class="node-instances">
        {instances.length === 0 ? (
          <span class="muted small">no instances</span>
        ) : (
          instances.map((i) => (
            <span key={i.id} class={`chip chip-${i.state}`} title={`${i.mel}: ${i.state}`}>
              {i.name ?? i.mel}
            </span>
          ))
        )}
      </span>
    </button>
  );
}

function NodeDetail({ node, instances }: { node: OsmoNode; instances: Instance[] }) {
  return (
    <section class="panel node-detail" aria-label={`node ${node.id}`} data-testid="node-detail">
      <h2>
        Node {node.id} <StatusPill status={node.status} />
      </h2>
      <dl class="facts">
        <dt>layer</dt>
        <dd>{node.layer}</dd>
        <dt>domain</dt>
        <dd>{node.domain}</dd>
        {node.capacity && (
          <>
            <dt>capacity</dt>
            <dd>
              {node.capacity.cpus} CPUs, {formatBytes(node.capacity.memoryBytes)}
            </dd>
          </>
        )}
        {node.labels && Object.keys(node.labels).length > 0 && (
          <>
            <dt>labels</dt>
            <dd>
              {Object.entries(node.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}
            </dd>
          </>
        )}
        <dt>load</dt>
        <dd>
          <LoadBadge node={node} />
        </dd>
      </dl>
      <h3>Instances</h3>
      {instances.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="plain">
          {instances.map((i) => (
            <li key={i.id}>
              <Link href={href('metrics', { node: node.id, target: i.name ?? i.id })}>{i.name ?? i.id}</Link> ({i.mel}){' '}
              <StatusPill status={i.state} />
            </li>
          ))}
        </ul>
      )}
      <h3>Host metrics (live)</h3>
      <HostCharts node={node.id} target="host" />
      <p>
        <Link href={href('metrics', { node: node.id, target: 'host' })}>History and all metrics of {node.id}</Link>
      </p>
    </section>
  );
}

export function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export function formatBytes(b: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)} ${u[i]}`;
}

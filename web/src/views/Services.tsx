// MELs with desired vs running replicas, their instances and nodes; deploy, scale,
// remove, migrate. Every action goes through the REST API and the view then follows
// the stream, so what it shows is what the core did, not what was asked.
import { useState } from 'preact/hooks';
import { createMel, deleteMel, migrateInstance, scaleMel } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import type { Instance, Mel, OsmoNode } from '../api/types.js';
import { StatusPill } from '../components/Badges.js';
import { Link } from '../components/Link.js';
import { href } from '../router.js';
import { useTopic } from '../state/hooks.js';
import { live } from '../state/live.js';
import { emptyDeploy, fieldOf, toSpec, type DeployInput, type FieldErrors } from './deployForm.js';
import { groupBy } from './Topology.js';

export function ServicesView() {
  const s = useTopic('cluster');
  const { mels, instances, nodes, loaded } = s.cluster;
  const byMel = groupBy(instances, (i) => i.mel);
  return (
    <div class="services">
      <section class="panel" aria-labelledby="mels-h">
        <h2 id="mels-h">Services (MELs)</h2>
        {!loaded ? (
          <p class="muted">Loading…</p>
        ) : mels.length === 0 ? (
          <p class="muted">No MEL yet.</p>
        ) : (
          <div class="mel-list">
            {mels.map((m) => (
              <MelCard key={m.name} mel={m} instances={byMel.get(m.name) ?? []} nodes={nodes} />
            ))}
          </div>
        )}
      </section>
      <DeployForm nodes={nodes} />
    </div>
  );
}

function MelCard({ mel, instances, nodes }: { mel: Mel; instances: Instance[]; nodes: OsmoNode[] }) {
  const [replicas, setReplicas] = useState(String(mel.replicas));
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const run = mel.status.running;
  const id = `mel-${mel.name}`;

  /** Runs one action at a time for this MEL; `what` labels the busy button. */
  async function act(what: string, f: () => Promise<string | void>): Promise<void> {
    setBusy(what);
    setError(null);
    setNote(null);
    try {
      const done = await f();
      if (done) setNote(done);
      await live.refresh();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  async function migrate(inst: Instance, node?: string): Promise<string> {
    const r = await migrateInstance(inst.id, node);
    return `${inst.name} moved from ${r.from} to ${r.to} in ${(r.ms / 1000).toFixed(1)} s (${r.reason})`;
  }

  return (
    <article class="mel" aria-labelledby={`${id}-h`} data-testid={id} data-running={run} data-desired={mel.replicas}>
      <header class="mel-head">
        <h3 id={`${id}-h`}>{mel.name}</h3>
        <span class="muted">{mel.image}</span>
        {placementText(mel) && <span class="muted small">placement: {placementText(mel)}</span>}
        <span class={`replicas${run === mel.replicas ? ' ok' : ''}`} data-testid={`${id}-replicas`}>
          {run}/{mel.replicas} running
        </span>
      </header>
      <form
        class="inline"
        data-mutates
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(replicas);
          if (!Number.isInteger(n) || n < 0) {
            setError('replicas: a whole number, 0 or more');
            return;
          }
          void act('scale', async () => void (await scaleMel(mel.name, n)));
        }}
      >
        <label for={`${id}-scale`}>Replicas</label>
        <input id={`${id}-scale`} type="number" min={0} step={1} value={replicas} onInput={(e) => setReplicas(e.currentTarget.value)} />
        <button type="submit" disabled={busy !== null}>
          {busy === 'scale' ? 'Scaling…' : 'Scale'}
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy !== null}
          onClick={() => {
            if (confirm(`Remove ${mel.name} and stop its ${instances.length} instance(s)?`))
              void act('remove', async () => void (await deleteMel(mel.name)));
          }}
        >
          Remove {mel.name}
        </button>
      </form>
      {mel.status.reason && <p class="muted small">pending: {mel.status.reason}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {note && (
        <p class="ok" role="status">
          {note}
        </p>
      )}
      {instances.length > 0 && (
        <table class="instances">
          <caption class="sr-only">instances of {mel.name}</caption>
          <thead>
            <tr>
              <th scope="col">instance</th>
              <th scope="col">node</th>
              <th scope="col">state</th>
              <th scope="col">migrate</th>
            </tr>
          </thead>
          <tbody>
            {instances.map((i) => (
              <InstanceRow
                key={i.id}
                inst={i}
                nodes={nodes}
                onMigrate={(node) => act(`migrate-${i.id}`, () => migrate(i, node))}
                busy={busy}
              />
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

/** The MEL's placement constraints in a few words ("layer edge, prefer domain lab, spread"). */
function placementText(mel: Mel): string {
  const p = mel.placement ?? {};
  return [
    p.layer && `layer ${p.layer}`,
    p.preferLayer && `prefer layer ${p.preferLayer}`,
    p.domain && `domain ${p.domain}`,
    p.preferDomain && `prefer domain ${p.preferDomain}`,
    p.labels &&
      Object.keys(p.labels).length > 0 &&
      `labels ${Object.entries(p.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    p.spread && 'spread',
  ]
    .filter(Boolean)
    .join(', ');
}

function InstanceRow({
  inst,
  nodes,
  onMigrate,
  busy,
}: {
  inst: Instance;
  nodes: OsmoNode[];
  onMigrate: (node?: string) => Promise<void>;
  busy: string | null;
}) {
  const [dest, setDest] = useState('');
  const sel = `mig-${inst.id}`;
  return (
    <tr data-testid={`instance-${inst.id}`} data-state={inst.state}>
      <td>
        {inst.node ? (
          <Link href={href('metrics', { node: inst.node, target: inst.name ?? inst.id })}>{inst.name ?? inst.id}</Link>
        ) : (
          (inst.name ?? inst.id)
        )}
        {inst.reason && <div class="muted small">{inst.reason}</div>}
      </td>
      <td>{inst.node ? <Link href={href('topology', { node: inst.node })}>{inst.node}</Link> : <span class="muted">unplaced</span>}</td>
      <td>
        <StatusPill status={inst.state} />
      </td>
      <td>
        <form
          class="inline"
          data-mutates
          onSubmit={(e) => {
            e.preventDefault();
            void onMigrate(dest || undefined);
          }}
        >
          <label class="sr-only" for={sel}>
            destination for {inst.name ?? inst.id}
          </label>
          <select id={sel} value={dest} onChange={(e) => setDest(e.currentTarget.value)}>
            <option value="">let the policy choose</option>
            {nodes
              .filter((n) => n.id !== inst.node)
              .map((n) => (
                <option key={n.id} value={n.id} disabled={n.status !== 'ready'}>
                  {n.id} ({n.layer}/{n.domain})
                </option>
              ))}
          </select>
          <button type="submit" disabled={busy !== null || inst.state !== 'running'}>
            {busy === `migrate-${inst.id}` ? 'Migrating…' : 'Migrate'}
          </button>
        </form>
      </td>
    </tr>
  );
}

function DeployForm({ nodes }: { nodes: OsmoNode[] }) {
  const [f, setF] = useState<DeployInput>(emptyDeploy);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const domains = [...new Set(nodes.map((n) => n.domain))];

  const set = <K extends keyof DeployInput>(k: K, v: DeployInput[K]) => setF((o) => ({ ...o, [k]: v }));

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setDone(null);
    const { spec, errors } = toSpec(f);
    setErrors(errors);
    if (!spec) return;
    setBusy(true);
    try {
      await createMel(spec);
      setDone(`${spec.name} submitted`);
      setF(emptyDeploy);
      await live.refresh();
    } catch (err) {
      if (err instanceof ApiError) setErrors({ [fieldOf(err.field)]: err.message });
      else setErrors({ form: String(err) });
    } finally {
      setBusy(false);
    }
  }

  const text = (
    k: 'name' | 'image' | 'command' | 'ports' | 'env' | 'replicas' | 'domain' | 'preferDomain' | 'labels',
    label: string,
    hint?: string,
    type: 'text' | 'number' = 'text',
  ) => (
    <div class={`field${errors[k] ? ' invalid' : ''}`}>
      <label for={`dep-${k}`}>{label}</label>
      <input
        id={`dep-${k}`}
        name={k}
        type={type}
        value={f[k]}
        list={k === 'domain' || k === 'preferDomain' ? 'dep-domains' : undefined}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `dep-${k}-err` : hint ? `dep-${k}-hint` : undefined}
        onInput={(e) => set(k, e.currentTarget.value)}
        {...(type === 'number' ? { min: 0, step: 1 } : {})}
      />
      {errors[k] ? (
        <span id={`dep-${k}-err`} class="error small">
          {errors[k]}
        </span>
      ) : (
        hint && (
          <span id={`dep-${k}-hint`} class="muted small">
            {hint}
          </span>
        )
      )}
    </div>
  );

  const layerSelect = (k: 'layer' | 'preferLayer', label: string) => (
    <div class={`field${errors[k] ? ' invalid' : ''}`}>
      <label for={`dep-${k}`}>{label}</label>
      <select id={`dep-${k}`} value={f[k]} onChange={(e) => set(k, e.currentTarget.value as DeployInput[typeof k])}>
        <option value="">any</option>
        <option value="cloud">cloud</option>
        <option value="edge">edge</option>
        <option value="iot">iot</option>
      </select>
      {errors[k] && <span class="error small">{errors[k]}</span>}
    </div>
  );

  return (
    <section class="panel" data-mutates aria-labelledby="deploy-h">
      <h2 id="deploy-h">Deploy a MEL</h2>
      <form class="deploy" onSubmit={(e) => void submit(e)} noValidate>
        {text('name', 'Name', 'e.g. web')}
        {text('image', 'Image', 'e.g. osmo-test/httpd:1')}
        {text('command', 'Command', 'optional; split into argv, no shell')}
        {text('ports', 'Ports', 'container[/proto][=host], comma-separated; e.g. 80/tcp or 80=8080')}
        {text('replicas', 'Replicas', undefined, 'number')}
        {text('env', 'Environment', 'KEY=VALUE, comma-separated')}
        <fieldset>
          <legend>Placement</legend>
          {layerSelect('layer', 'Only layer')}
          {layerSelect('preferLayer', 'Prefer layer')}
          {text('domain', 'Only domain', 'only nodes of this domain')}
          {text('preferDomain', 'Prefer domain', 'near these users when possible')}
          <datalist id="dep-domains">
            {domains.map((d) => (
              <option key={d} value={d} />
            ))}
          </datalist>
          {text('labels', 'Node labels', 'KEY=VALUE the node must carry')}
          <div class="field check">
            <input id="dep-spread" type="checkbox" checked={f.spread} onChange={(e) => set('spread', e.currentTarget.checked)} />
            <label for="dep-spread">Spread replicas over nodes</label>
          </div>
        </fieldset>
        {errors.form && (
          <p class="error" role="alert">
            {errors.form}
          </p>
        )}
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Deploying…' : 'Deploy'}
        </button>
      </form>
    </section>
  );
}

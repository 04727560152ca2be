// Cloudlets (pycloud-compatible edge nodes): each cloudlet with its address, the service
// catalog, the instances devices started with their users, and the app repository with an
// upload form. Read from the REST API on a short timer: device starts happen on the
// cloudlets, not through this page.
import { useEffect, useState } from 'preact/hooks';
import {
  listApps,
  listCloudlets,
  listServices,
  uploadApp,
  type App,
  type CloudletInstance,
  type CloudletNode,
  type Service,
} from '../api/cloudlets.js';
import { ApiError } from '../api/http.js';

interface Data {
  cloudlets: CloudletNode[];
  instances: CloudletInstance[];
  services: Service[];
  apps: App[];
}

export function CloudletsView() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    Promise.all([listCloudlets(), listServices(), listApps()])
      .then(([c, services, apps]) => {
        setData({ ...c, services, apps });
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, []);

  if (error && !data) return <p class="muted">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <div class="cloudlets">
      <section class="panel" aria-labelledby="cl-nodes-h">
        <h2 id="cl-nodes-h">Cloudlets</h2>
        {data.cloudlets.length === 0 ? (
          <p class="muted">No cloudlet: start an agent with --cloudlet (or osmo up --cloudlet).</p>
        ) : (
          <table data-testid="cloudlet-nodes">
            <thead>
              <tr>
                <th>node</th>
                <th>status</th>
                <th>cloudlet API</th>
                <th>layer / domain</th>
              </tr>
            </thead>
            <tbody>
              {data.cloudlets.map((c) => (
                <tr key={c.node}>
                  <td>{c.node}</td>
                  <td>{c.status}</td>
                  <td>
                    http://{c.address}:{c.port}/api
                  </td>
                  <td>
                    {c.layer} / {c.domain}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="cl-inst-h">
        <h2 id="cl-inst-h">Running service instances</h2>
        {data.instances.length === 0 ? (
          <p class="muted">No device has started a service.</p>
        ) : (
          <table data-testid="cloudlet-instances">
            <thead>
              <tr>
                <th>instance</th>
                <th>service</th>
                <th>cloudlet</th>
                <th>state</th>
                <th>address</th>
                <th>users</th>
              </tr>
            </thead>
            <tbody>
              {data.instances.map((i) => (
                <tr key={i.id} data-instance={i.id}>
                  <td>{i.id}</td>
                  <td>{i.serviceId}</td>
                  <td>{i.node}</td>
                  <td>{i.state}</td>
                  <td>{i.address && i.hostPort ? `${i.address}:${i.hostPort}` : '-'}</td>
                  <td data-testid="users" title={i.users.join(', ')}>
                    {i.users.length}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="cl-cat-h">
        <h2 id="cl-cat-h">Catalog</h2>
        {data.services.length === 0 ? (
          <p class="muted">Empty: osmo service add ID --image IMAGE --port PORT.</p>
        ) : (
          <table data-testid="cloudlet-catalog">
            <thead>
              <tr>
                <th>service</th>
                <th>image</th>
                <th>port</th>
                <th>version</th>
                <th>tags</th>
              </tr>
            </thead>
            <tbody>
              {data.services.map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>{s.image}</td>
                  <td>{s.port}</td>
                  <td>{s.version}</td>
                  <td>{s.tags.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <AppRepository apps={data.apps} onUploaded={() => void load()} />
    </div>
  );
}

function AppRepository({ apps, onUploaded }: { apps: App[]; onUploaded: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [serviceId, setServiceId] = useState('');
  const [msg, setMsg] = useState<{ error: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return setMsg({ error: true, text: 'choose a file' });
    setBusy(true);
    try {
      const a = await uploadApp(file, { name, tags, serviceId });
      setMsg({ error: false, text: `uploaded ${a.name} (md5 ${a.md5})` });
      onUploaded();
    } catch (err) {
      setMsg({ error: true, text: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="cl-apps-h">
      <h2 id="cl-apps-h">App repository</h2>
      {apps.length === 0 ? (
        <p class="muted">No app yet.</p>
      ) : (
        <table data-testid="cloudlet-apps">
          <thead>
            <tr>
              <th>name</th>
              <th>service</th>
              <th>tags</th>
              <th>size</th>
              <th>md5</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((a) => (
              <tr key={a.id}>
                <td>
                  <a href={`/api/v1/apps/${encodeURIComponent(a.id)}/file`}>{a.name}</a>
                </td>
                <td>{a.serviceId ?? '-'}</td>
                <td>{a.tags.join(', ')}</td>
                <td>{a.size}</td>
                <td>
                  <code>{a.md5}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => void submit(e)} aria-label="upload an app">
        <label>
          file <input type="file" name="file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </label>
        <label>
          name <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          tags <input name="tags" placeholder="a,b" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
        <label>
          service <input name="serviceId" value={serviceId} onInput={(e) => setServiceId(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Upload
        </button>
        {msg && (
          <p class={msg.error ? 'error' : 'muted'} role={msg.error ? 'alert' : 'status'}>
            {msg.text}
          </p>
        )}
      </form>
    </section>
  );
}

// The seed's API on a real agent process and the real Docker engine: the README's sample
// calls verbatim (image swapped for a private tag of a local test image), the error codes,
// port publishing, volumes, the policy, image removal, the GET extensions, SSE and token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, tempDir } from '../../../testing/proc.js';
import {
  api,
  cleanup,
  docker,
  imageExists,
  privateImage,
  startAgentProc,
  containersOf,
  type AgentProc,
} from '../../../testing/agent-proc.js';

describe('seed API on the docker driver', () => {
  let a: AgentProc;
  const images: string[] = [];
  let httpd = '';
  let hostDir = '';

  before(async () => {
    a = await startAgentProc({ args: ['--allow-host-volumes'] });
    httpd = await privateImage('httpd');
    images.push(httpd);
  });
  after(async () => {
    await a?.stop();
    await cleanup([a.nodeId], images);
    if (hostDir)
      await docker
        .getVolume(`ag-vol-${a.nodeId}`)
        .remove()
        .catch(() => {});
  });

  test('GET /api/v1 says who the agent is', async () => {
    const r = await api(a.url, 'GET', '/api/v1');
    assert.equal(r.status, 200);
    assert.equal(r.body.response, true);
    assert.equal(r.body.status, 200);
    assert.equal(r.body.node, a.nodeId);
    assert.equal(typeof r.body.version, 'string');
  });

  test("the seed's deploy sample call, verbatim, then its delete call", async () => {
    // $ curl -i -X PUT -H "Content-Type: application/json" -d '{ "image":"redis:4.0.8-alpine", "ports":"", "name":"redis",
    //   "host":"", "volumes":"", "privileged":"", "command":"" }' http://localhost:5000/api/v1/deploy
    const name = `${a.nodeId}-redis`;
    const body = `{ "image":"${httpd}", "ports":"", "name":"${name}", "host":"", "volumes":"", "privileged":"", "command":"" }`;
    const put = await api(a.url, 'PUT', '/api/v1/deploy', body, { 'Content-Type': 'application/json' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.response, true);
    assert.equal(put.body.status, 200);
    const c = await docker.getContainer(name).inspect();
    assert.equal(c.State.Running, true);
    assert.equal(c.Config.Labels['io.osmo.node'], a.nodeId);
    assert.equal(c.Config.Labels['io.osmo.name'], name);
    assert.deepEqual(c.Config.Cmd, ['/bin/httpd', '-f', '-p', '80', '-h', '/www']); // "command": "" = the image's CMD
    assert.equal(c.HostConfig.Privileged, false);

    // the same name again: 409
    const again = await api(a.url, 'PUT', '/api/v1/deploy', body);
    assert.equal(again.status, 409);
    assert.equal(again.body.response, false);
    assert.match(String(again.body.error), /name/);

    // $ curl -i -X DELETE -H "Content-Type: application/json" -d '{ "name":"redis", "image":"redis:4.0.8-alpine" }' .../api/v1/deploy
    const del = await api(a.url, 'DELETE', '/api/v1/deploy', `{ "name":"${name}", "image":"${httpd}" }`);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual({ response: del.body.response, status: del.body.status }, { response: true, status: 200 });
    assert.equal((await containersOf(a.nodeId)).filter((x) => x.Names.includes(`/${name}`)).length, 0);
    assert.equal(await imageExists(httpd), false, 'the image goes with the last container');
    // gone: 404
    const del2 = await api(a.url, 'DELETE', '/api/v1/deploy', { name, image: httpd });
    assert.equal(del2.status, 404);
    // put the private image back for the other tests
    await docker.getImage('osmo-test/httpd:1').tag({ repo: httpd.split(':')[0]!, tag: httpd.split(':')[1]! });
  });

  test("the seed's monitor sample calls, verbatim", async () => {
    // $ curl -i -X PUT -H "Content-Type: application/json" -d '{ "time":2, "source":"guest" }' http://localhost:5000/api/v1/monitor/mem
    const put = await api(a.url, 'PUT', '/api/v1/monitor/mem', '{ "time":2, "source":"guest" }');
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.response, true);
    const list = await api(a.url, 'GET', '/api/v1/monitor');
    assert.deepEqual(
      (list.body.monitors as Array<{ metric: string; source: string; period: number }>).map((m) => [m.metric, m.source, m.period]),
      [['mem', 'guest', 2]],
    );
    // re-time, and an independent host monitor under the alias "memory"
    assert.deepEqual((await api(a.url, 'PUT', '/api/v1/monitor/mem', { time: 1, source: 'guest' })).body.monitor, {
      metric: 'mem',
      source: 'guest',
      period: 1,
      action: 'retimed',
    });
    assert.equal((await api(a.url, 'PUT', '/api/v1/monitor/memory', { time: 1, source: 'host' })).status, 200);
    const list2 = await api(a.url, 'GET', '/api/v1/monitor');
    assert.equal((list2.body.monitors as unknown[]).length, 2);
    // $ curl -i -X DELETE -H "Content-Type: application/json" -d '{ "source":"guest" }' http://localhost:5000/api/v1/monitor/mem
    const del = await api(a.url, 'DELETE', '/api/v1/monitor/mem', '{ "source":"guest" }');
    assert.equal(del.status, 200, del.text);
    assert.equal((await api(a.url, 'DELETE', '/api/v1/monitor/mem', '{ "source":"guest" }')).status, 404, 'not running any more');
    assert.equal((await api(a.url, 'DELETE', '/api/v1/monitor/network', { source: 'host' })).status, 404);
    assert.equal((await api(a.url, 'DELETE', '/api/v1/monitor/memory', { source: 'host' })).status, 200);
  });

  test('monitor errors: unknown option 404, bad body 400 naming the field', async () => {
    const u = await api(a.url, 'PUT', '/api/v1/monitor/gpu', { time: 1, source: 'host' });
    assert.equal(u.status, 404);
    assert.match(String(u.body.error), /gpu/);
    const b1 = await api(a.url, 'PUT', '/api/v1/monitor/cpu', { time: -1, source: 'host' });
    assert.equal(b1.status, 400);
    assert.match(String(b1.body.error), /time/);
    const b2 = await api(a.url, 'PUT', '/api/v1/monitor/cpu', { time: 1, source: 'moon' });
    assert.equal(b2.status, 400);
    assert.match(String(b2.body.error), /source/);
    const b3 = await api(a.url, 'PUT', '/api/v1/monitor/cpu', '{"time": 1,');
    assert.equal(b3.status, 400);
    assert.match(String(b3.body.error), /JSON/);
  });

  test('deploy errors: 400 naming the field, 403 for privileged without the flag', async () => {
    const r1 = await api(a.url, 'PUT', '/api/v1/deploy', { name: 'x' });
    assert.equal(r1.status, 400);
    assert.match(String(r1.body.error), /image/);
    const r2 = await api(a.url, 'PUT', '/api/v1/deploy', { image: httpd, name: `${a.nodeId}-p`, ports: { '80/tcp': 'eighty' } });
    assert.equal(r2.status, 400);
    assert.match(String(r2.body.error), /ports/);
    const r3 = await api(a.url, 'PUT', '/api/v1/deploy', { image: httpd, name: `${a.nodeId}-priv`, privileged: true });
    assert.equal(r3.status, 403);
    assert.match(String(r3.body.error), /--allow-privileged/);
    const r4 = await api(a.url, 'PUT', '/api/v1/deploy', 'image=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r4.status, 400);
    assert.equal(r4.body.response, false);
    const r5 = await api(a.url, 'DELETE', '/api/v1/deploy', { name: `${a.nodeId}-never` });
    assert.equal(r5.status, 404);
    const r6 = await api(a.url, 'GET', `/api/v1/deploy/${a.nodeId}-never`);
    assert.equal(r6.status, 404);
    assert.equal((await containersOf(a.nodeId)).length, 0, 'refused deploys leave nothing behind');
  });

  test('ports are published on 127.0.0.1; command as a string and as a list', async () => {
    const port = await freePort();
    const name = `${a.nodeId}-web`;
    const r = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: httpd,
      name,
      ports: { '80/tcp': port },
      command: '/bin/httpd -f -p 80 -h /www',
    });
    assert.equal(r.status, 200, r.text);
    const page = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/index.html`);
        return res.ok ? res.text() : undefined;
      },
      15_000,
      'the published port to answer',
    );
    assert.equal(page.trim(), 'osmo test page');
    const inst = (r.body.instance as { ports: Array<{ hostPort: number; containerPort: number }> }).ports;
    assert.deepEqual(
      inst.map((p) => [p.containerPort, p.hostPort]),
      [[80, port]],
    );
    // "any" host port
    const name2 = `${a.nodeId}-web2`;
    const r2 = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: httpd,
      name: name2,
      ports: { '80': null },
      command: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'],
    });
    assert.equal(r2.status, 200, r2.text);
    const got = await api(a.url, 'GET', `/api/v1/deploy/${name2}`);
    const hp = (got.body.instance as { ports: Array<{ hostPort: number }> }).ports[0]!.hostPort;
    assert.ok(hp > 0);
    const res = await eventually(async () => (await fetch(`http://127.0.0.1:${hp}/`)).ok, 15_000, 'any-port publish');
    assert.equal(res, true);
    const all = await api(a.url, 'GET', '/api/v1/deploy');
    assert.deepEqual((all.body.instances as Array<{ name: string }>).map((i) => i.name).sort(), [name, name2].sort());
    for (const n of [name, name2]) assert.equal((await api(a.url, 'DELETE', '/api/v1/deploy', { name: n })).status, 200);
    assert.equal(await imageExists(httpd), true, 'DELETE without "image" keeps the image');
    // the core's form: image named but keepImage set
    assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: httpd, name })).status, 200);
    const k = await api(a.url, 'DELETE', '/api/v1/deploy', { name, image: httpd, keepImage: true });
    assert.equal(k.status, 200);
    assert.equal(k.body.imageRemoved, false);
    assert.equal(await imageExists(httpd), true, 'keepImage keeps the image');
  });

  test('volumes: a host path (with --allow-host-volumes) and a named volume', async () => {
    hostDir = tempDir('osmo-agent-vol-');
    mkdirSync(join(hostDir, 'www'));
    writeFileSync(join(hostDir, 'www', 'index.html'), 'from the host\n');
    const port = await freePort();
    const name = `${a.nodeId}-vol`;
    const r = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: httpd,
      name,
      ports: { '80/tcp': port },
      volumes: { [join(hostDir, 'www')]: { bind: '/www', mode: 'ro' }, [`ag-vol-${a.nodeId}`]: { bind: '/data', mode: 'rw' } },
    });
    assert.equal(r.status, 200, r.text);
    const page = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/index.html`);
        return res.ok ? res.text() : undefined;
      },
      15_000,
      'page from the host volume',
    );
    assert.equal(page, 'from the host\n');
    const c = await docker.getContainer(name).inspect();
    const mounts = c.Mounts.map((m) => [m.Destination, m.RW] as const);
    assert.deepEqual(
      mounts.sort((a, b) => a[0].localeCompare(b[0])),
      [
        ['/data', true],
        ['/www', false],
      ],
    );
    assert.equal((await api(a.url, 'DELETE', '/api/v1/deploy', { name })).status, 200);
  });

  test('an image still used by another container is kept', async () => {
    const img = await privateImage('sleeper');
    images.push(img);
    const n1 = `${a.nodeId}-s1`;
    const n2 = `${a.nodeId}-s2`;
    for (const n of [n1, n2]) assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: img, name: n })).status, 200);
    const d1 = await api(a.url, 'DELETE', '/api/v1/deploy', { name: n1, image: img });
    assert.equal(d1.status, 200);
    assert.equal(d1.body.imageRemoved, false);
    assert.equal(await imageExists(img), true);
    const d2 = await api(a.url, 'DELETE', '/api/v1/deploy', { name: n2, image: img });
    assert.equal(d2.body.imageRemoved, true);
    assert.equal(await imageExists(img), false);
  });

  test('GET /metrics passes promtool check metrics', async () => {
    const r = await fetch(`${a.url}/metrics`);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.match(text, /osmo_host_cpu_seconds_total\{/);
    assert.match(text, /osmo_host_memory_bytes\{kind="total"/);
    assert.match(text, /osmo_agent_process_resident_memory_bytes/);
    const out = execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(out.trim(), '');
  });

  test('GET /api/v1/events streams events as server-sent events, filtered by type', async () => {
    const ac = new AbortController();
    const res = await fetch(`${a.url}/api/v1/events?type=monitor`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    let buf = '';
    await api(a.url, 'PUT', '/api/v1/monitor/cpu', { time: 1, source: 'host' });
    const deadline = Date.now() + 10_000;
    while (!buf.includes('event: monitor') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
    }
    ac.abort();
    await api(a.url, 'DELETE', '/api/v1/monitor/cpu', { source: 'host' });
    assert.match(buf, /event: monitor\ndata: \{.*"action":"started"/);
    assert.doesNotMatch(buf, /event: sample/);
    const data = JSON.parse(/data: (.*)\n/.exec(buf)![1]!) as { seq: number; node: string };
    assert.equal(data.node, a.nodeId);
    assert.match(buf, new RegExp(`id: ${data.seq}\\n`));
  });
});

describe('API token', () => {
  test('with an explicit token on loopback, calls without it get 401', async () => {
    const a = await startAgentProc({ args: ['--token', 'secret-ag'] });
    try {
      const no = await api(a.url, 'GET', '/api/v1');
      assert.equal(no.status, 401);
      assert.equal(no.body.response, false);
      assert.equal((await api(a.url, 'GET', '/api/v1', undefined, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: 'x', name: 'y' })).status, 401);
      const yes = await api(a.url, 'GET', '/api/v1', undefined, { authorization: 'Bearer secret-ag' });
      assert.equal(yes.status, 200);
      assert.equal((await api(a.url, 'GET', '/healthz')).status, 200, 'liveness stays open');
    } finally {
      await a.stop();
    }
  });
  test('OSMO_TOKEN from the environment works the same', async () => {
    const a = await startAgentProc({ env: { OSMO_TOKEN: 'env-secret' } });
    try {
      assert.equal((await api(a.url, 'GET', '/api/v1/deploy')).status, 401);
      assert.equal((await api(a.url, 'GET', '/api/v1/deploy', undefined, { authorization: 'Bearer env-secret' })).status, 200);
    } finally {
      await a.stop();
    }
  });
});

// A remove that arrives while a deploy of the same name is still under way (the core gave up
// waiting for the deploy and now stops the instance) must not leave the container behind:
// the agent's deploy service lets the deploy finish, then removes what it made. Real engine;
// node ids and container names start with "part-rm-".
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { PubSub } from '../../../src/bus/pubsub.js';
import type { AgentEventBody } from '../../../src/bus/events.js';
import { DeployService } from '../../../src/agent/deploy/service.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { removeContainers } from '../../../testing/containers.js';

const uid = randomBytes(3).toString('hex');
const NODE = `part-rm-${uid}`;

describe('agent: remove during a deploy of the same name', () => {
  const docker = new Docker();
  const rt = new DockerRuntime({ nodeId: NODE, stopGraceSeconds: 1 });
  const bus = new PubSub<AgentEventBody>();
  const published: AgentEventBody[] = [];
  bus.subscribe('*', (e) => published.push(e));
  const deploy = new DeployService(rt, bus, { allowPrivileged: false, allowHostVolumes: false });
  after(async () => {
    deploy.close();
    await rt.close();
    await removeContainers(docker, { label: [`io.osmo.node=${NODE}`] });
  });

  test('the remove waits for the deploy, then removes the container it made', async () => {
    const name = `part-rm-${uid}-a`;
    const deploying = deploy.deploy({ name, image: 'osmo-test/sleeper:1' });
    // sent while the deploy has not created anything yet
    const removing = deploy.remove(name);
    const info = await deploying;
    assert.equal(info.state, 'running');
    assert.deepEqual(await removing, { imageRemoved: false });
    assert.equal(await rt.get(name), undefined, 'no container left behind');
    const left = await docker.listContainers({ all: true, filters: { name: [name] } });
    assert.deepEqual(
      left.map((c) => c.Names),
      [],
    );
    const states = published.filter((e) => e.type === 'instance' && e.name === name).map((e) => (e.type === 'instance' ? e.state : ''));
    assert.deepEqual(states, ['running', 'removed']);
  });

  test('a remove during a deploy that fails finds nothing to remove (not found)', async () => {
    const name = `part-rm-${uid}-b`;
    const deploying = deploy.deploy({ name, image: `part-rm-none/${uid}:1` });
    const removing = deploy.remove(name);
    await assert.rejects(deploying);
    await assert.rejects(removing, (e: Error & { kind?: string }) => e.kind === 'not_found');
  });
});

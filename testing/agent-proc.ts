// Shared pieces of the agent tests: start a real `osmo agent` child process, call its API,
// make private re-tagged copies of the shared test images, and clean up only what the
// agent tests created (containers labelled with an "ag-" node id of this run).
import Docker from 'dockerode';
import { agentArgs, QUIET_AGENT_FLAGS } from './agent-args.js';
import { freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from './proc.js';

export const docker = new Docker();
export const RUN = Math.random().toString(36).slice(2, 8);

export interface AgentProc {
  url: string;
  port: number;
  nodeId: string;
  dataDir: string;
  proc: OsmoProcess;
  stop: () => Promise<number | null>;
}

export async function startAgentProc(
  opts: { nodeId?: string; dataDir?: string; port?: number; args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<AgentProc> {
  const port = opts.port ?? (await freePort());
  const nodeId = opts.nodeId ?? `ag-${RUN}-${Math.random().toString(36).slice(2, 6)}`;
  const dataDir = opts.dataDir ?? tempDir('osmo-agent-');
  const proc = spawnOsmo(agentArgs({ port, id: nodeId, dataDir, flags: QUIET_AGENT_FLAGS, extra: opts.args ?? [] }), opts.env ?? {});
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 30_000);
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(`agent did not start: ${(e as Error).message}\n${proc.output()}`, { cause: e });
  }
  return { url, port, nodeId, dataDir, proc, stop: () => proc.stop('SIGTERM') };
}

export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const h = init.headers as Record<string, string>;
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON (metrics) */
  }
  return { status: res.status, body: parsed, text };
}

/** A private tag of a shared test image: tests may delete it without hurting anyone else. */
export async function privateImage(
  base: 'httpd' | 'sleeper' | 'busybox' | 'burn',
  tag = `${RUN}${Math.random().toString(36).slice(2, 5)}`,
): Promise<string> {
  const repo = `ag-test/${base}`;
  await docker.getImage(`osmo-test/${base}:1`).tag({ repo, tag });
  return `${repo}:${tag}`;
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Removes the containers (and private images) this test run created. */
export async function cleanup(nodeIds: string[], images: string[] = []): Promise<void> {
  for (const node of nodeIds) {
    const list = await docker.listContainers({ all: true, filters: { label: [`io.osmo.node=${node}`] } });
    for (const c of list)
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
  }
  for (const i of images)
    await docker
      .getImage(i)
      .remove()
      .catch(() => {});
}

export async function containersOf(nodeId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.osmo.node=${nodeId}`] } });
}

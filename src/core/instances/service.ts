// Read side of instances: the records the reconciler keeps, as API views, and their
// output read from the agent that runs them.
import { conflict, notFound } from '../../shared/errors.js';
import type { InstanceRecord } from '../../store/index.js';
import type { AgentClient } from '../agents/client.js';
import type { InstanceView } from '../../model/index.js';
import type { ClusterState } from '../state.js';

export function instanceView(i: InstanceRecord): InstanceView {
  return { ...i, createdAt: new Date(i.createdAt).toISOString(), updatedAt: new Date(i.updatedAt).toISOString() };
}

export class InstanceService {
  constructor(
    private readonly state: ClusterState,
    private readonly agents: AgentClient,
  ) {}

  list(q: { mel?: string; node?: string; state?: InstanceView['state'] }): InstanceView[] {
    const list = [...this.state.instances.values()].filter(
      (i) => (!q.mel || i.mel === q.mel) && (!q.node || i.node === q.node) && (!q.state || i.state === q.state),
    );
    list.sort((a, b) => a.mel.localeCompare(b.mel) || a.createdAt - b.createdAt);
    return list.map(instanceView);
  }

  /** By id or by container name. */
  find(idOrName: string): InstanceRecord {
    const i = this.state.instances.get(idOrName) ?? this.state.instanceByName(idOrName);
    if (!i) throw notFound(`instance ${idOrName} not found`);
    return i;
  }

  async logs(idOrName: string, bytes: number): Promise<{ id: string; node: string; name: string; logs: string }> {
    const i = this.find(idOrName);
    const node = i.node ? this.state.nodes.get(i.node) : undefined;
    if (!node) throw conflict(`instance ${i.id} is not placed on a node yet (state ${i.state}): no logs`);
    return { id: i.id, node: node.id, name: i.name, logs: await this.agents.logs(node, i.name, bytes) };
  }
}

// The shapes the dashboard reads from the core's REST API (/openapi.json is the
// reference). The agent-side event types come straight from the shared zod contract
// (type-only imports: nothing of zod reaches the bundle). Fields the core may add
// later are optional here so an older or newer core still renders.
import type { AgentEvent, SampleEvent, InstanceEvent, MetricName } from '../../../src/bus/events.js';
import type { NodeLayer, NodeCapacity } from '../../../src/bus/protocol.js';

export type { AgentEvent, SampleEvent, InstanceEvent, MetricName, NodeLayer, NodeCapacity };

import type { z } from 'zod';
import type { InstanceView, NodeView } from '../../../src/core/model.js';
import type { MelSpec as MelSpecSchema, MelView } from '../../../src/core/mels/schema.js';

export type NodeStatus = NodeView['status'];

/** The core reports the node's host CPU and memory percentages; the policy engine may add
 * the load factor L itself (then the dashboard shows it instead of its own estimate). */
export type NodeLoad = NodeView['load'] & { factor?: number; overloaded?: boolean };

export type OsmoNode = Omit<NodeView, 'load'> & { load: NodeLoad | number | null };

export type Mel = MelView;
export type Instance = InstanceView;
export type InstanceState = InstanceView['state'];
export type Placement = NonNullable<z.input<typeof MelSpecSchema>['placement']>;

/** What the deploy form sends: POST /api/v1/mels (defaults filled in by the core). */
export type MelSpec = z.input<typeof MelSpecSchema>;

/** One event of the core's stream: an agent event or a core-side event (node status,
 * placement, migration, policy change). Only `type` is common to all. */
export interface StreamEvent {
  type: string;
  ts?: number;
  node?: string;
  seq?: number;
  id?: string | number;
  reason?: string;
  message?: string;
  [k: string]: unknown;
}

export interface MetricPoint {
  ts: number;
  value: number;
}

export interface MetricSeries {
  node?: string;
  target?: string;
  metric?: string;
  field: string;
  unit?: string;
  points: MetricPoint[];
}

/** A run-time policy parameter (M.A.E.A.I. management attribute). */
export interface PolicyParam {
  name: string;
  value: number | string | boolean;
  description?: string;
  min?: number;
  max?: number;
  step?: number;
  options?: string[];
  unit?: string;
  group?: string;
}

/** Fixtures for the autoscaler's decide() tests: a demand, a policy, an input around them, and outcome guards. */
import type { Decision, DecisionInput } from '../../functions/shard-autoscaler/decide';
import type { Demand } from '../../functions/shard-autoscaler/demand';
import { resolvePolicy, type ScalingPolicy } from '../../functions/shard-autoscaler/policy';

export const NOW = Date.UTC(2026, 0, 22, 12);
export const demand = (shards: number, extra: Partial<Demand> = {}): Demand => ({
  shards,
  binding: 'bytes',
  throttled: false,
  lagging: false,
  periods: 3,
  ...extra,
});
export const policy = (fields: Partial<ScalingPolicy> = {}) =>
  resolvePolicy({ streamName: 'orders', ...fields });
export const input = (fields: Partial<DecisionInput>): DecisionInput => ({
  direction: 'up',
  now: NOW,
  currentShards: 4,
  history: [],
  demand: demand(4),
  policy: policy(),
  ...fields,
});
export const scaled = (decision: Decision) => {
  if (decision.action !== 'scale')
    throw new Error(`expected scale, got ${decision.action}: ${decision.reason}`);
  return decision;
};
export const held = (decision: Decision) => {
  if (decision.action !== 'hold') throw new Error(`expected hold, got scale to ${decision.to}`);
  return decision;
};

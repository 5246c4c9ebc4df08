/**
 * The two controllers the simulator compares, named as the shard-autoscaler README's table names them.
 *   ours    "this policy": functions/shard-autoscaler's alarms (from the policy), measureDemand() and decide(),
 *           with the handler's checks (UPDATING re-arms, stale deliveries ignored, holds that can change re-arm).
 *   anchor  "AWS sample": aws-samples/kinesis-auto-scaling: 300 s periods, scale up at >= 0.75 on 5 of 5, down at < 0.25 on
 *           57 of 60; double or halve (integer halving: 5 -> 2); on any refused call it sets the alarm to OK
 *           so it fires again; the scale-down threshold is -1 at one shard; no maximum.
 */
import type { Direction } from '../../functions/shard-autoscaler/alarms';
import { decide } from '../../functions/shard-autoscaler/decide';
import { measureDemand } from '../../functions/shard-autoscaler/demand';
import type { ScalingPolicy } from '../../functions/shard-autoscaler/policy';
import type { AlarmSpec, Controller, World } from './model';

export function ours(policy: ScalingPolicy): Controller & { policy: ScalingPolicy } {
  const history: number[] = [];
  const alarms = (shards: number): Record<Direction, AlarmSpec> => ({
    up: {
      offered: true,
      periodMinutes: policy.scaleUpPeriodSeconds / 60,
      evaluationPeriods: policy.scaleUpEvaluationPeriods,
      datapoints: policy.scaleUpDatapoints,
      threshold: policy.scaleUpThreshold,
      shards,
    },
    down: {
      offered: true,
      periodMinutes: policy.scaleDownPeriodSeconds / 60,
      evaluationPeriods: policy.scaleDownEvaluationPeriods,
      datapoints: policy.scaleDownDatapoints,
      threshold: policy.scaleDownThreshold,
      shards,
    },
  });
  return {
    name: 'this policy',
    policy,
    initialAlarms: alarms,
    onAlarm(world: World, direction: Direction, changedAtMs: number) {
      const stream = world.describeStream();
      if (stream.status === 'UPDATING') return world.setAlarmState(direction, 'INSUFFICIENT_DATA');
      const last = history.at(-1);
      if (last !== undefined && changedAtMs <= last) return; // stale or duplicate
      if (world.alarms[direction].state !== 'ALARM') return; // duplicate of an alarm already handled
      const now = world.nowMs;
      const demand = measureDemand(world.samples(policy, direction), policy, direction, now);
      const decision = decide({ direction, now, currentShards: stream.shards, history, demand, policy });
      if (decision.action === 'hold') {
        if (decision.retry) world.setAlarmState(direction, 'INSUFFICIENT_DATA');
        return;
      }
      history.push(now);
      const result = world.updateShardCount(decision.to);
      if (result !== 'ok') {
        history.pop();
        if (result === 'ResourceInUseException') world.setAlarmState(direction, 'INSUFFICIENT_DATA');
        return;
      }
      world.putAlarms(alarms(decision.to));
      world.setAlarmState('up', 'INSUFFICIENT_DATA');
      world.setAlarmState('down', 'INSUFFICIENT_DATA');
    },
  };
}

export function anchor(): Controller {
  let lastScaled: number | undefined;
  const alarms = (shards: number): Record<Direction, AlarmSpec> => ({
    up: { offered: false, periodMinutes: 5, evaluationPeriods: 5, datapoints: 5, threshold: 0.75, shards },
    down: {
      offered: false,
      periodMinutes: 5,
      evaluationPeriods: 60,
      datapoints: 57,
      threshold: shards <= 1 ? -1 : 0.25,
      shards,
    },
  });
  return {
    name: 'AWS sample',
    initialAlarms: alarms,
    onAlarm(world: World, direction: Direction, changedAtMs: number) {
      if (lastScaled !== undefined && changedAtMs <= lastScaled) {
        return world.setAlarmState(direction, 'INSUFFICIENT_DATA');
      }
      const current = world.describeStream().shards;
      const target = direction === 'up' ? current * 2 : Math.max(1, Math.floor(current / 2));
      if (world.updateShardCount(target) !== 'ok') return world.setAlarmState(direction, 'OK');
      lastScaled = world.nowMs;
      world.putAlarms(alarms(target));
      world.setAlarmState('up', 'INSUFFICIENT_DATA');
      world.setAlarmState('down', 'INSUFFICIENT_DATA');
    },
  };
}

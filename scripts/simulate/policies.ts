/**
 * The two controllers the simulator compares, named as the shard-autoscaler README's table names them.
 *   ours    "this policy": functions/shard-autoscaler's alarms (from the policy), measureDemand() and decide(),
 *           with the handler's checks (UPDATING re-arms, stale deliveries ignored, holds that can change re-arm).
 *   anchor  "AWS sample": aws-samples/kinesis-auto-scaling: 300 s periods, scale up at >= 0.75 on 5 of 5, down at < 0.25 on
 *           57 of 60, not while the iterator age is 30 minutes or more; double or halve (integer halving: 5 -> 2); on
 *           any refused call it sets the alarm to OK so it fires again; the scale-down threshold is -1 at one shard;
 *           no maximum.
 */
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { buildAlarms, type Direction, shardCountInAlarm } from '../../functions/shard-autoscaler/alarms';
import { type Decision, decide } from '../../functions/shard-autoscaler/decide';
import { measureDemand } from '../../functions/shard-autoscaler/demand';
import { decodeHistory, encodeHistory, HISTORY_TAG } from '../../functions/shard-autoscaler/history';
import { decodePending, encodePending, PENDING_TAG } from '../../functions/shard-autoscaler/pending';
import type { ScalingPolicy } from '../../functions/shard-autoscaler/policy';
import { budgetRearmAt } from '../../functions/shard-autoscaler/rearm';
import type { AlarmSpec, Controller, World } from './model';

/** The simulator's view of an alarm the function would write: PutMetricAlarm input -> the model's spec. */
export function alarmSpec(alarm: PutMetricAlarmInput): AlarmSpec {
  const period = alarm.Metrics?.find((query) => query.MetricStat)?.MetricStat?.Period ?? 60;
  const lag = alarm.Metrics?.find((query) => query.Id === 'lag')?.Expression;
  const lagLimit = lag === undefined ? undefined : Number(/\/(\d+)$/.exec(lag)?.[1]);
  return {
    offered: true,
    periodMinutes: period / 60,
    evaluationPeriods: alarm.EvaluationPeriods!,
    datapoints: alarm.DatapointsToAlarm!,
    threshold: alarm.Threshold!,
    shards: shardCountInAlarm(alarm.Metrics)!,
    ...(lagLimit !== undefined ? { lagLimitMs: lagLimit } : {}),
  };
}

/**
 * The function's path for one delivery (act.ts), against the simulated stream: DescribeStreamSummary (UPDATING
 * re-arms), ListTagsForStream + DescribeAlarms (stale and duplicate deliveries ignored; alarms that assume another
 * count resynced), GetMetricData, decide(), then AddTagsToStream (history and pending target, before the call;
 * restored when refused), UpdateShardCount, and both alarms rewritten (buildAlarms, with the pending target) and
 * reset. Holds that can change re-arm the alarm.
 */
export function ours(
  policy: ScalingPolicy,
  /** `finishClamped: false` ignores the pending target (the function before it had one), for comparisons. */
  options: {
    finishClamped?: boolean;
    name?: string;
    /** Sees every decision the controller makes (tests, diagnostics). */
    onDecision?: (decision: Decision, world: World) => void;
    /** `false`: a budget hold re-arms the alarm at once, every minute (the function before the schedule). */
    scheduleBudgetRearm?: boolean;
  } = {},
): Controller & { policy: ScalingPolicy } {
  const alarms = (shards: number, pending?: number): Record<Direction, AlarmSpec> => {
    const built = buildAlarms({ policy, shards, prefix: 'simulated-', alarmActions: [], pending });
    return { up: alarmSpec(built.up), down: alarmSpec(built.down) };
  };
  return {
    name: options.name ?? 'this policy',
    policy,
    initialAlarms: (shards) => alarms(shards),
    onAlarm(world: World, direction: Direction, changedAtMs: number) {
      const stream = world.describeStream();
      if (stream.status === 'UPDATING') return world.setAlarmState(direction, 'INSUFFICIENT_DATA');
      const tags = world.listTags();
      const history = decodeHistory(tags.get(HISTORY_TAG));
      const last = history.at(-1);
      if (last !== undefined && changedAtMs <= last) return; // stale or duplicate
      if (world.alarms[direction].state !== 'ALARM') return; // duplicate of an alarm already handled
      if (world.alarms.up.shards !== stream.shards || world.alarms.down.shards !== stream.shards) {
        world.putAlarms(alarms(stream.shards, decodePending(tags.get(PENDING_TAG))));
        world.setAlarmState('up', 'INSUFFICIENT_DATA');
        world.setAlarmState('down', 'INSUFFICIENT_DATA');
        return;
      }
      const now = world.nowMs;
      const demand = measureDemand(world.samples(policy, direction), policy, direction, now);
      const decision = decide({ direction, now, currentShards: stream.shards, history, demand, policy });
      options.onDecision?.(decision, world);
      if (decision.action === 'hold') {
        // As act.ts: a hold on the 24 h budget re-arms the alarm once, at the time the budget frees (a one-time
        // schedule), not every minute until then.
        const rearmAt = options.scheduleBudgetRearm === false ? undefined : budgetRearmAt(decision);
        if (rearmAt !== undefined) {
          world.scheduleRearm(direction, rearmAt);
          return;
        }
        if (decision.retry) world.setAlarmState(direction, 'INSUFFICIENT_DATA');
        return;
      }
      const pending = options.finishClamped === false ? undefined : decision.pending;
      // As act.ts: the pending tag is written (or cleared) with the history, before the call.
      const writePending = pending !== undefined || decodePending(tags.get(PENDING_TAG)) !== undefined;
      world.addTags({
        [HISTORY_TAG]: encodeHistory([...history, now]),
        ...(writePending ? { [PENDING_TAG]: encodePending(pending) } : {}),
      });
      const result = world.updateShardCount(decision.to);
      if (result !== 'ok') {
        world.addTags({
          [HISTORY_TAG]: tags.get(HISTORY_TAG) ?? '',
          ...(writePending ? { [PENDING_TAG]: tags.get(PENDING_TAG) ?? '' } : {}),
        });
        if (result === 'ResourceInUseException') world.setAlarmState(direction, 'INSUFFICIENT_DATA');
        return;
      }
      world.putAlarms(alarms(decision.to, pending));
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
      lagLimitMs: 30 * 60_000,
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

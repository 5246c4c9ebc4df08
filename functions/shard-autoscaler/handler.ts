/**
 * shard-autoscaler: scales provisioned Kinesis streams up and down when their CloudWatch alarms fire, through
 * SNS (alarm actions) or EventBridge ("CloudWatch Alarm State Change"). The target shard count comes from the
 * measured demand and a target utilisation, within UpdateShardCount's rules, min/max shards, a 24 h budget
 * and cooldowns (decide.ts). See README.md.
 *
 * Deliveries are handled one after the other (the function runs with reserved concurrency 1, so two alarms of
 * the same stream never race); each ends in an outcome, and none throws: a failure is logged, counted (EMF),
 * notified, and left to the alarm's next transition rather than to Lambda's blind retries.
 */
import type { Context } from 'aws-lambda';
import { kitHandler, MetricUnit, metrics } from '../../shared/middleware';
import { handleDelivery, type Outcome } from './act';
import { config } from './config';
import { parseTrigger } from './trigger';

export interface ShardAutoscalerResult {
  dryRun: boolean;
  outcomes: Outcome[];
}

/** AWS calls still running this long before the Lambda timeout are aborted (and reported as failed). */
const SAFETY_MARGIN_MS = 3000;

async function shardAutoscaler(event: unknown, context: Context): Promise<ShardAutoscalerResult> {
  const settings = config();
  const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
  const abortSignal = AbortSignal.timeout(Math.max(1000, remaining - SAFETY_MARGIN_MS));
  const outcomes: Outcome[] = [];
  const deliveries = parseTrigger(event, settings.alarmNamePrefix);
  metrics.addMetric('AlarmDeliveries', MetricUnit.Count, deliveries.length);
  for (const delivery of deliveries) {
    outcomes.push(await handleDelivery(delivery, settings, { abortSignal }));
  }
  return { dryRun: settings.dryRun, outcomes };
}

export const handler = kitHandler(shardAutoscaler, { config });

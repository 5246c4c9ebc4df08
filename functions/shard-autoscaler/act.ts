/**
 * One alarm delivery, end to end: the checks that make stale and duplicate deliveries harmless, the
 * measurement, the (pure) decision, and the actions. All AWS I/O of the function is here.
 *
 * Per delivery, in order:
 *   DescribeStreamSummary        on-demand streams are skipped (and said so); UPDATING re-arms the alarm
 *   ListTagsForStream            the scaling history (tags), for the budget, the cooldown and staleness; every
 *                                page (Limit 50, a stream's maximum: one call)
 *   DescribeAlarms               the alarm must still be in ALARM; both alarms must assume the real shard count
 *   GetMetricData                the measured demand
 *   DescribeLimits (scale-up)    the account's shard headroom, with CHECK_ACCOUNT_SHARD_LIMIT (tolerated when it fails)
 *   -> decide()
 *   AddTagsToStream              the operation is recorded BEFORE UpdateShardCount (rolled back if it fails), so
 *                                the 24 h budget is never under-counted; with it the pending target (pending.ts)
 *                                when the half rule cut a scale-down short, or its removal
 *   UpdateShardCount             UNIFORM_SCALING, never retried by the SDK (LimitExceededException is a quota)
 *   PutMetricAlarm x2, SetAlarmState x2   both alarms rewritten with the new count (and, with a pending target,
 *                                the scale-down threshold set to fire again while the load fits it) and reset
 *   PutFunctionConcurrency x N   each consumer function (policy.consumerFunctions): new count x
 *                                consumerConcurrencyPerShard; a failure is a warning, the scaling stands
 *   Publish                      the notification
 * Holds worth retrying re-arm the alarm (SetAlarmState INSUFFICIENT_DATA): CloudWatch re-evaluates it on the
 * next period and, if the condition still holds, fires again. Alarm actions only fire on a state change, so
 * an alarm left in ALARM would never ask again. A hold on the 24 h budget re-arms it once, when the budget frees,
 * with REARM_SCHEDULE_ROLE_ARN set (CreateSchedule: a one-time EventBridge Scheduler schedule, rearm.ts).
 */
import {
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  AddTagsToStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListTagsForStreamCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { PublishCommand } from '@aws-sdk/client-sns';
import {
  cloudWatchClient,
  endpointFor,
  kinesisClient,
  lambdaClient,
  schedulerClient,
  snsClient,
} from '../../shared/aws/clients';
import { logger, MetricUnit, metrics } from '../../shared/middleware';
import { alarmName, buildAlarms, type Direction, shardCountInAlarm } from './alarms';
import type { ShardAutoscalerConfig } from './config';
import { type Decision, decide, type HoldReason } from './decide';
import { measureDemand } from './demand';
import { decodeHistory, describeScaling, encodeHistory, HISTORY_TAG, LAST_SCALING_TAG } from './history';
import { fetchSamples } from './measure';
import { decodePending, encodePending, PENDING_TAG } from './pending';
import {
  type ConsumerConcurrency,
  type Notification,
  problemNotification,
  scaledNotification,
} from './notify';
import type { ScalingPolicy } from './policy';
import { atExpression, budgetRearmAt, rearmScheduleName } from './rearm';
import type { AlarmSignal, Delivery } from './trigger';

export type OutcomeKind =
  /** UpdateShardCount accepted. */
  | 'scaled'
  /** DRY_RUN: the decision was made and logged, nothing was changed. */
  | 'dry-run'
  /** The decision was not to scale (see `hold`). */
  | 'held'
  /** The alarm predates the last scaling, or is no longer in ALARM: a stale or duplicate delivery. */
  | 'stale'
  /** The alarms assumed a different shard count than the stream has: rewritten, no scaling on their word. */
  | 'resynced'
  /** Nothing to do for this stream (on-demand, not ACTIVE, not configured, not an ALARM). */
  | 'skipped'
  | 'failed';

export interface Outcome {
  deliveryId: string;
  outcome: OutcomeKind;
  detail: string;
  alarmName?: string;
  streamName?: string;
  direction?: Direction;
  from?: number;
  to?: number;
  hold?: HoldReason | 'stream-updating';
  /** The alarm was reset to INSUFFICIENT_DATA so it fires again if the condition persists. */
  rearmed?: boolean;
  /** A hold on the 24 h budget: when a one-time schedule re-arms the alarm (ISO time; rearm.ts). */
  rearmAt?: string;
  budgetLeft?: number;
  /**
   * The count a scale-down cut short by the half rule wanted: recorded on the stream (`autoscaler.pending`), the
   * scale-down alarm fires again while the load fits it (pending.ts).
   */
  pending?: number;
  /** Reserved concurrency written to the stream's consumer functions after a scaling (with any error). */
  consumers?: ConsumerConcurrency[];
  error?: string;
  /** AWS API calls made for this delivery, by operation. */
  apiCalls: Record<string, number>;
}

export interface ActOptions {
  now?: () => number;
  /** Aborts the AWS calls still running (the handler sets it a few seconds before the Lambda timeout). */
  abortSignal?: AbortSignal;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

type SendOptions = { abortSignal?: AbortSignal };

class Calls {
  readonly counts: Record<string, number> = {};
  constructor(readonly options: SendOptions) {}
  count(operation: string): void {
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
  }
  /**
   * Sends a command, counting it under its operation name (class names do not survive minification), with the
   * invocation's abort signal: a hung endpoint ends in a clear AbortError before Lambda's timeout does.
   */
  send<T>(operation: string, request: (options: SendOptions) => Promise<T>): Promise<T> {
    this.count(operation);
    return request(this.options);
  }
}

function emit(outcome: Outcome): void {
  const single = metrics.singleMetric();
  single.addDimension('StreamName', outcome.streamName ?? 'unknown');
  single.addDimension('Outcome', outcome.outcome);
  single.addMetric(
    outcome.outcome === 'failed' ? 'ScalingFailures' : 'ScalingDecisions',
    MetricUnit.Count,
    1,
  );
  if (outcome.outcome === 'scaled' && outcome.from !== undefined && outcome.to !== undefined) {
    const change = metrics.singleMetric();
    change.addDimension('StreamName', outcome.streamName ?? 'unknown');
    change.addMetric('ShardCountChange', MetricUnit.Count, outcome.to - outcome.from);
  }
  // The stream's shard count after the decision (a scaling's target: it is UPDATING toward it), for the dashboard's
  // shard-count line. A dry run reports the count the stream has, not the one it would scale to.
  const shards = outcome.outcome === 'scaled' ? outcome.to : outcome.from;
  if (shards !== undefined && shards > 0 && outcome.streamName !== undefined) {
    const count = metrics.singleMetric();
    count.addDimension('StreamName', outcome.streamName);
    count.addMetric('ShardCount', MetricUnit.Count, shards);
  }
  const { apiCalls, ...fields } = outcome;
  const log = outcome.outcome === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
  log('Shard autoscaler outcome', { ...fields, apiCalls });
}

/** Handles one parsed delivery and always returns an outcome (errors are caught, logged and counted). */
export async function handleDelivery(
  delivery: Delivery,
  settings: ShardAutoscalerConfig,
  options: ActOptions = {},
): Promise<Outcome> {
  const calls = new Calls(options.abortSignal ? { abortSignal: options.abortSignal } : {});
  let outcome: Outcome;
  if (delivery.kind === 'ignored') {
    outcome = {
      deliveryId: delivery.deliveryId,
      outcome: 'skipped',
      detail: delivery.reason,
      ...(delivery.alarmName ? { alarmName: delivery.alarmName } : {}),
      apiCalls: calls.counts,
    };
  } else {
    const base = {
      deliveryId: delivery.deliveryId,
      alarmName: delivery.alarmName,
      streamName: delivery.streamName,
      direction: delivery.direction,
    };
    try {
      outcome = {
        ...base,
        ...(await handleAlarm(delivery, settings, calls, options.now ?? Date.now)),
        apiCalls: calls.counts,
      };
    } catch (error) {
      outcome = {
        ...base,
        outcome: 'failed',
        error: errorName(error),
        detail: errorMessage(error),
        apiCalls: calls.counts,
      };
      const policy = settings.streams.get(delivery.streamName);
      if (policy && !settings.dryRun) {
        await publish(
          settings,
          calls,
          problemNotification(delivery.streamName, `autoscaling failed (${errorName(error)})`, [
            `Alarm ${delivery.alarmName}: ${errorMessage(error)}`,
            'The alarm fires again on its next transition to ALARM.',
          ]),
        );
      }
    }
  }
  emit(outcome);
  return outcome;
}

type Result = Omit<Outcome, 'deliveryId' | 'apiCalls' | 'alarmName' | 'streamName' | 'direction'>;

async function handleAlarm(
  signal: AlarmSignal,
  settings: ShardAutoscalerConfig,
  calls: Calls,
  now: () => number,
): Promise<Result> {
  const policy = settings.streams.get(signal.streamName);
  if (!policy)
    return { outcome: 'skipped', detail: `stream ${signal.streamName} is not in AUTOSCALED_STREAMS` };
  if (signal.state !== 'ALARM')
    return { outcome: 'skipped', detail: `alarm state is ${signal.state}, not ALARM` };

  const kinesis = kinesisClient();
  const cloudwatch = cloudWatchClient();
  const stream = signal.streamName;
  const summary = (
    await calls.send('DescribeStreamSummary', (options) =>
      kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }), options),
    )
  ).StreamDescriptionSummary;
  const mode = summary?.StreamModeDetails?.StreamMode ?? 'PROVISIONED';
  if (mode === 'ON_DEMAND') {
    const detail = `stream ${stream} is in ON_DEMAND capacity mode: AWS scales it, UpdateShardCount does not apply; remove it from AUTOSCALED_STREAMS`;
    logger.warn('Skipping an on-demand stream', { streamName: stream });
    if (!settings.dryRun)
      await publish(settings, calls, problemNotification(stream, 'on-demand stream skipped', [detail]));
    return { outcome: 'skipped', detail };
  }
  const status = summary?.StreamStatus;
  const open = summary?.OpenShardCount ?? 0;
  if (status === 'UPDATING') {
    const rearmed = await rearm(
      settings,
      calls,
      signal.alarmName,
      'stream is UPDATING (a scaling is in progress)',
    );
    return {
      outcome: 'held',
      hold: 'stream-updating',
      rearmed,
      from: open,
      detail: 'stream is UPDATING: alarm re-armed',
    };
  }
  if (status !== 'ACTIVE') return { outcome: 'skipped', detail: `stream status is ${status}` };

  const otherName = alarmName(settings.alarmNamePrefix, stream, signal.direction === 'up' ? 'down' : 'up');
  const [tags, described] = await Promise.all([
    listTags(calls, stream),
    calls.send('DescribeAlarms', (options) =>
      cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [signal.alarmName, otherName] }), options),
    ),
  ]);
  const tag = (key: string) => tags.get(key);
  const history = decodeHistory(tag(HISTORY_TAG));
  const lastScaled = history.at(-1);
  const alarm = described.MetricAlarms?.find((entry) => entry.AlarmName === signal.alarmName);
  const other = described.MetricAlarms?.find((entry) => entry.AlarmName === otherName);

  // Stale or duplicate: SNS delivers at least once, and the SNS and EventBridge paths may both be enabled.
  if (lastScaled !== undefined && signal.stateChangeTime <= lastScaled) {
    return {
      outcome: 'stale',
      from: open,
      detail: `alarm changed state at ${new Date(signal.stateChangeTime).toISOString()}, before the last scaling at ${new Date(lastScaled).toISOString()}`,
    };
  }
  if (!alarm) throw new AlarmMissingError(signal.alarmName);
  if (alarm.StateValue !== 'ALARM') {
    return { outcome: 'stale', from: open, detail: `alarm is ${alarm.StateValue} now, no longer ALARM` };
  }
  const assumed = [alarm, other].map((entry) => shardCountInAlarm(entry?.Metrics));
  if (assumed.some((count) => count !== open)) {
    // Someone changed the shard count outside the autoscaler, or a deploy rewrote the alarms with
    // initialShardCount: the alarm's utilisation was computed for the wrong count, so do not act on it.
    const detail = `alarms assumed ${assumed.join('/')} shards, the stream has ${open}: alarms rewritten for ${open}`;
    if (settings.dryRun) return { outcome: 'dry-run', from: open, detail: `would resync: ${detail}` };
    // A pending scale-down target still applies to the count the stream has (a rewrite that failed after the
    // scaling is resynced here): keep its threshold.
    await writeAlarms(
      settings,
      calls,
      policy,
      open,
      `resynced to ${open} shards`,
      decodePending(tag(PENDING_TAG)),
    );
    return { outcome: 'resynced', from: open, detail };
  }

  const at = now();
  const samples = await fetchSamples(
    cloudwatch,
    policy,
    signal.direction,
    at,
    () => calls.count('GetMetricData'),
    calls.options,
  );
  const demand = measureDemand(samples, policy, signal.direction, at);
  const headroom =
    signal.direction === 'up' && settings.checkAccountShardLimit ? await accountHeadroom(calls) : undefined;
  const decision = decide({
    direction: signal.direction,
    now: at,
    currentShards: open,
    history,
    demand,
    policy,
    ...(headroom !== undefined ? { accountShardHeadroom: headroom } : {}),
  });
  logger.info('Scaling decision', { streamName: stream, dryRun: settings.dryRun, decision, demand });

  if (decision.action === 'hold') {
    // The budget's next change is known: re-arm once, then (rearm.ts); otherwise at once.
    const at = budgetRearmAt(decision);
    const rearmAt =
      at !== undefined && settings.rearmScheduleRoleArn !== undefined && !settings.dryRun
        ? await scheduleRearm(settings, calls, signal.alarmName, at)
        : undefined;
    const rearmed =
      rearmAt === undefined && decision.retry
        ? await rearm(settings, calls, signal.alarmName, decision.reason)
        : false;
    if (decision.hold === 'at-max' && !settings.dryRun) {
      await publish(
        settings,
        calls,
        problemNotification(stream, `saturated at maxShards ${policy.maxShards}`, [
          `Why: ${decision.reason}.`,
          'Raise maxShards in the autoscaler policy if the stream should grow further.',
        ]),
      );
    }
    return {
      outcome: settings.dryRun ? 'dry-run' : 'held',
      hold: decision.hold,
      rearmed,
      ...(rearmAt !== undefined ? { rearmAt } : {}),
      from: open,
      budgetLeft: decision.budget.left,
      detail: `${decision.hold}: ${decision.reason}${rearmAt !== undefined ? `; the alarm is re-armed at ${rearmAt}` : ''}`,
    };
  }
  if (settings.dryRun) {
    const consumers =
      policy.consumerFunctions.length > 0
        ? `; would set the reserved concurrency of ${policy.consumerFunctions.join(', ')} to ${decision.to * policy.consumerConcurrencyPerShard}`
        : '';
    return {
      outcome: 'dry-run',
      from: open,
      to: decision.to,
      budgetLeft: decision.budget.left,
      ...(decision.pending !== undefined ? { pending: decision.pending } : {}),
      detail: `would scale ${decision.direction} ${open} -> ${decision.to}: ${decision.reason}${consumers}`,
    };
  }
  return scale(signal, settings, calls, policy, decision, {
    history,
    at,
    previousTags: { history: tag(HISTORY_TAG), last: tag(LAST_SCALING_TAG), pending: tag(PENDING_TAG) },
  });
}

/** AWS's bounds for ListTagsForStream's Limit: 1 to 50 (a stream has at most 50 tags); 10 when not given. */
const TAGS_PER_PAGE = 50;

/**
 * Every tag of the stream. ListTagsForStream returns the tags in key order, a page at a time (10 when no Limit is
 * given), with HasMoreTags: a stream with ten tags whose keys sort before `autoscaler.` would hide the history on
 * the first page, and a duplicate alarm would scale twice. Asks for the maximum page (one call for any stream:
 * the operation is limited to 5 calls per second per account) and follows HasMoreTags from the last key anyway.
 */
async function listTags(calls: Calls, stream: string): Promise<Map<string, string | undefined>> {
  const kinesis = kinesisClient();
  const tags = new Map<string, string | undefined>();
  let after: string | undefined;
  for (;;) {
    const page = await calls.send('ListTagsForStream', (options) =>
      kinesis.send(
        new ListTagsForStreamCommand({
          StreamName: stream,
          Limit: TAGS_PER_PAGE,
          ...(after !== undefined ? { ExclusiveStartTagKey: after } : {}),
        }),
        options,
      ),
    );
    for (const entry of page.Tags ?? []) if (entry.Key !== undefined) tags.set(entry.Key, entry.Value);
    const last = page.Tags?.at(-1)?.Key;
    // A page that ends where the previous one did would loop forever: stop rather than trust it.
    if (!page.HasMoreTags || last === undefined || last === after) return tags;
    after = last;
  }
}

export class AlarmMissingError extends Error {
  override readonly name = 'AlarmMissingError';
  constructor(alarm: string) {
    super(
      `Alarm ${alarm} does not exist (or is not readable by this function): deploy the autoscaler's alarms`,
    );
  }
}

/**
 * The Kinesis client for UpdateShardCount: the kit's client (same endpoint, same connections) with the SDK's
 * retries off. The SDK classes LimitExceededException as throttling and retries it (3 attempts by default), but
 * UpdateShardCount's is a quota (10 operations per rolling 24 h, the half/double rule, the account's shard limit)
 * that no retry within seconds clears: each retry would be one more refused call. Rebuilt when the kit's client is
 * (resetClients).
 */
let scaling: { base: KinesisClient; client: KinesisClient } | undefined;
function scalingClient(): KinesisClient {
  const base = kinesisClient();
  if (scaling?.base !== base) {
    scaling = {
      base,
      client: new KinesisClient({
        maxAttempts: 1,
        endpoint: endpointFor('KINESIS'),
        requestHandler: base.config.requestHandler,
      }),
    };
  }
  return scaling.client;
}

async function scale(
  signal: AlarmSignal,
  settings: ShardAutoscalerConfig,
  calls: Calls,
  policy: ScalingPolicy,
  decision: Decision & { action: 'scale' },
  state: {
    history: number[];
    at: number;
    previousTags: {
      history?: string | undefined;
      last?: string | undefined;
      pending?: string | undefined;
    };
  },
): Promise<Result> {
  const kinesis = kinesisClient();
  const stream = signal.streamName;
  const { from, to } = decision;
  const { pending } = decision;
  // The pending target is written with the history (one call, before UpdateShardCount), and cleared ('') by a
  // scaling that got where it wanted; a stream that never had one is left without the tag.
  const pendingTag: Record<string, string> =
    pending !== undefined || decodePending(state.previousTags.pending) !== undefined
      ? { [PENDING_TAG]: encodePending(pending) }
      : {};
  await calls.send('AddTagsToStream', (options) =>
    kinesis.send(
      new AddTagsToStreamCommand({
        StreamName: stream,
        Tags: {
          [HISTORY_TAG]: encodeHistory([...state.history, state.at]),
          [LAST_SCALING_TAG]: describeScaling(state.at, decision.direction, from, to),
          ...pendingTag,
        },
      }),
      options,
    ),
  );
  try {
    await calls.send('UpdateShardCount', (options) =>
      scalingClient().send(
        new UpdateShardCountCommand({
          StreamName: stream,
          TargetShardCount: to,
          ScalingType: 'UNIFORM_SCALING',
        }),
        options,
      ),
    );
  } catch (error) {
    // Not refused by Kinesis (network error, abort): it may have happened, so it stays counted.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined)
      throw error;
    // Refused: the operation did not happen; take it out of the history again (empty values when there was none).
    await calls
      .send('AddTagsToStream', (options) =>
        kinesis.send(
          new AddTagsToStreamCommand({
            StreamName: stream,
            Tags: {
              [HISTORY_TAG]: state.previousTags.history ?? '',
              [LAST_SCALING_TAG]: state.previousTags.last ?? '',
              ...(PENDING_TAG in pendingTag ? { [PENDING_TAG]: state.previousTags.pending ?? '' } : {}),
            },
          }),
          options,
        ),
      )
      .catch((rollback: unknown) =>
        logger.warn('Could not roll back the history tag', { error: errorName(rollback) }),
      );
    if (errorName(error) === 'ResourceInUseException') {
      const rearmed = await rearm(
        settings,
        calls,
        signal.alarmName,
        'ResourceInUseException: the stream is being updated',
      );
      return {
        outcome: 'held',
        hold: 'stream-updating',
        rearmed,
        from,
        detail: 'ResourceInUseException: stream busy, alarm re-armed',
      };
    }
    if (errorName(error) === 'LimitExceededException') {
      // Reported here, with what was wanted, and returned rather than thrown: the caller's generic failure
      // notification would be a second one for the same refusal.
      await publish(
        settings,
        calls,
        problemNotification(stream, `UpdateShardCount refused (LimitExceededException)`, [
          errorMessage(error),
          `Wanted ${from} -> ${to}. Scaling operations made outside the autoscaler count against the same 10 per 24 h,`,
          'as do account shard limits. The alarm fires again on its next transition.',
        ]),
      );
      return { outcome: 'failed', from, error: errorName(error), detail: errorMessage(error) };
    }
    throw error;
  }

  const warnings: string[] = [];
  let alarmsRewritten = true;
  try {
    await writeAlarms(settings, calls, policy, to, `scaled ${decision.direction} ${from} -> ${to}`, pending);
  } catch (error) {
    // The stream is scaling; the next alarm resyncs the alarms (they are checked against the shard count).
    alarmsRewritten = false;
    warnings.push(`alarms not rewritten (${errorName(error)}): the next delivery resyncs them`);
  }
  const consumers = await setConsumerConcurrency(calls, policy, stream, to);
  for (const consumer of consumers) {
    if (consumer.error !== undefined) {
      warnings.push(
        `reserved concurrency of ${consumer.functionName} not set to ${consumer.reservedConcurrency} (${consumer.error})`,
      );
    }
  }
  await publish(
    settings,
    calls,
    scaledNotification(stream, decision, signal.alarmName, {
      alarmsRewritten,
      consumers,
      concurrencyPerShard: policy.consumerConcurrencyPerShard,
      warnings,
    }),
  );
  return {
    outcome: 'scaled',
    from,
    to,
    budgetLeft: decision.budget.left,
    ...(pending !== undefined ? { pending } : {}),
    ...(consumers.length > 0 ? { consumers } : {}),
    detail: `${decision.reason}${warnings.length > 0 ? `; ${warnings.join('; ')}` : ''}`,
  };
}

/**
 * Reserved concurrency of the stream's consumer functions = shards x consumerConcurrencyPerShard (the AWS
 * sample's behaviour). Called once UpdateShardCount is accepted: on a scale-up the consumers may run wider before
 * the new shards exist (harmless); on a scale-down the limit drops now while the merge takes minutes, so
 * consumers of the shards being merged may be throttled for that window (Lambda's event source mapping retries
 * throttled batches: nothing is lost, the iterator age rises briefly). A failure never undoes the scaling: it is
 * logged and reported as a warning.
 */
async function setConsumerConcurrency(
  calls: Calls,
  policy: ScalingPolicy,
  stream: string,
  shards: number,
): Promise<ConsumerConcurrency[]> {
  const reservedConcurrency = shards * policy.consumerConcurrencyPerShard;
  const results: ConsumerConcurrency[] = [];
  for (const functionName of policy.consumerFunctions) {
    try {
      await calls.send('PutFunctionConcurrency', (options) =>
        lambdaClient().send(
          new PutFunctionConcurrencyCommand({
            FunctionName: functionName,
            ReservedConcurrentExecutions: reservedConcurrency,
          }),
          options,
        ),
      );
      results.push({ functionName, reservedConcurrency });
    } catch (error) {
      logger.warn('Could not set the reserved concurrency of a consumer', {
        streamName: stream,
        functionName,
        reservedConcurrency,
        errorName: errorName(error),
        errorMessage: errorMessage(error),
      });
      results.push({ functionName, reservedConcurrency, error: errorName(error) });
    }
  }
  return results;
}

/**
 * Both alarms rewritten for `shards` (with the pending target's threshold, if any) and reset, so each fires again
 * only on a fresh evaluation: CloudWatch evaluates the data it already has at its next period, so an alarm whose
 * condition holds (a pending target the load still calls for) fires again within minutes.
 */
async function writeAlarms(
  settings: ShardAutoscalerConfig,
  calls: Calls,
  policy: ScalingPolicy,
  shards: number,
  reason: string,
  pending?: number,
): Promise<void> {
  const cloudwatch = cloudWatchClient();
  const { up, down } = buildAlarms({
    policy,
    shards,
    prefix: settings.alarmNamePrefix,
    alarmActions: settings.alarmActions,
    pending,
  });
  for (const alarm of [up, down]) {
    await calls.send('PutMetricAlarm', (options) =>
      cloudwatch.send(new PutMetricAlarmCommand(alarm), options),
    );
    await calls.send('SetAlarmState', (options) =>
      cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: alarm.AlarmName,
          StateValue: 'INSUFFICIENT_DATA',
          StateReason: reason,
        }),
        options,
      ),
    );
  }
}

/** Resets the alarm so CloudWatch re-evaluates it and fires again if the condition holds; false on failure. */
async function rearm(
  settings: ShardAutoscalerConfig,
  calls: Calls,
  name: string,
  reason: string,
): Promise<boolean> {
  if (settings.dryRun) return false;
  try {
    await calls.send('SetAlarmState', (options) =>
      cloudWatchClient().send(
        new SetAlarmStateCommand({
          AlarmName: name,
          StateValue: 'INSUFFICIENT_DATA',
          StateReason: `Re-armed by the autoscaler: ${reason}`.slice(0, 1023),
        }),
        options,
      ),
    );
    return true;
  } catch (error) {
    logger.warn('Could not re-arm the alarm', { alarmName: name, error: errorName(error) });
    return false;
  }
}

/**
 * A one-time schedule that resets the alarm at `at` (EventBridge Scheduler's universal target for CloudWatch
 * SetAlarmState, run with REARM_SCHEDULE_ROLE_ARN, deleted once it ran). Its name is the alarm's and the minute's
 * (rearm.ts): a ConflictException means a delivery before this one already scheduled it. Returns the time, or
 * undefined when the schedule could not be created (the caller re-arms at once instead: the old behaviour).
 */
async function scheduleRearm(
  settings: ShardAutoscalerConfig,
  calls: Calls,
  alarm: string,
  at: number,
): Promise<string | undefined> {
  const roleArn = settings.rearmScheduleRoleArn!;
  const partition = roleArn.split(':')[1];
  try {
    await calls.send('CreateSchedule', (options) =>
      schedulerClient().send(
        new CreateScheduleCommand({
          Name: rearmScheduleName(alarm, at),
          GroupName: settings.rearmScheduleGroup,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: `Shard autoscaler: re-arms ${alarm} when the 24 h scaling budget frees`.slice(0, 512),
          Target: {
            Arn: `arn:${partition}:scheduler:::aws-sdk:cloudwatch:setAlarmState`,
            RoleArn: roleArn,
            Input: JSON.stringify({
              AlarmName: alarm,
              StateValue: 'INSUFFICIENT_DATA',
              StateReason: 'Re-armed by the autoscaler: the 24 h scaling budget frees',
            }),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          },
        }),
        options,
      ),
    );
  } catch (error) {
    if (errorName(error) !== 'ConflictException') {
      logger.warn('Could not schedule the re-arm; re-arming now', {
        alarmName: alarm,
        error: errorName(error),
      });
      return undefined;
    }
  }
  return new Date(at).toISOString();
}

/** Account shard limit minus open shards; undefined when DescribeLimits fails (1 call/s per account). */
async function accountHeadroom(calls: Calls): Promise<number | undefined> {
  try {
    const limits = await calls.send('DescribeLimits', (options) =>
      kinesisClient().send(new DescribeLimitsCommand({}), options),
    );
    if (limits.ShardLimit === undefined || limits.OpenShardCount === undefined) return undefined;
    return limits.ShardLimit - limits.OpenShardCount;
  } catch (error) {
    logger.debug('DescribeLimits unavailable; relying on UpdateShardCount to enforce the account limit', {
      error: errorName(error),
    });
    return undefined;
  }
}

async function publish(
  settings: ShardAutoscalerConfig,
  calls: Calls,
  notification: Notification,
): Promise<void> {
  if (!settings.notificationTopicArn) return;
  try {
    await calls.send('Publish', (options) =>
      snsClient().send(
        new PublishCommand({
          TopicArn: settings.notificationTopicArn,
          Subject: notification.subject,
          Message: notification.message,
        }),
        options,
      ),
    );
  } catch (error) {
    logger.warn('Could not publish the notification', { error: errorName(error) });
  }
}

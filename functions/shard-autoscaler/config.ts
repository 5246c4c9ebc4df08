/** shard-autoscaler configuration: environment variables, validated at cold start (see README.md). */
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import { parseStreamList, type ScalingPolicy } from './policy';

// CloudWatch alarm names: up to 255 characters; the prefix must leave room for "<stream>-scale-down".
const ALARM_PREFIX = /^[^\s*?]{1,100}$/;
// The role EventBridge Scheduler assumes to call SetAlarmState, and the schedule group (rearm.ts).
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SCHEDULE_GROUP = /^[0-9a-zA-Z._-]{1,64}$/;

function json<T>(
  variable: string,
  text: string | undefined,
  expected: string,
  parse: (text: string) => T,
): T {
  try {
    return parse(text ?? '');
  } catch (error) {
    throw new ConfigError(variable, `${expected}: ${(error as Error).message}`, text);
  }
}

export const config = defineConfig((env) => {
  const defaultsText = env.optionalString('SCALING_DEFAULTS');
  const defaults = json('SCALING_DEFAULTS', defaultsText, 'a JSON object of policy fields', (text) => {
    if (text === '') return {};
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Partial<ScalingPolicy>;
  });
  const streams = json(
    'AUTOSCALED_STREAMS',
    env.optionalString('AUTOSCALED_STREAMS'),
    'stream names (comma-separated) or a JSON array of policies',
    (text) => parseStreamList(text, defaults),
  );
  return {
    /** Policies by stream name; an alarm for a stream not listed here is ignored. */
    streams: new Map(streams.map((policy) => [policy.streamName, policy])),
    alarmNamePrefix: env.string('ALARM_NAME_PREFIX', {
      default: 'kinesis-autoscaler-',
      pattern: ALARM_PREFIX,
      describe: 'an alarm name prefix (1-100 characters, no spaces or wildcards)',
    }),
    /** ALARM actions written into the alarms (the SNS trigger topic); empty when EventBridge is the trigger. */
    alarmActions: env.list('ALARM_ACTIONS', []),
    notificationTopicArn: env.optionalString('NOTIFICATION_TOPIC_ARN'),
    /**
     * Clamp scale-ups to the account's shard headroom (DescribeLimits: needs kinesis:DescribeLimits on "*", and
     * is limited to 1 call/s per account). Off: UpdateShardCount's LimitExceededException reports it instead.
     */
    checkAccountShardLimit: env.bool('CHECK_ACCOUNT_SHARD_LIMIT', false),
    /**
     * With a role: a hold on the 24 h budget re-arms its alarm once, when the budget frees (a one-time EventBridge
     * Scheduler schedule, rearm.ts). Without: it re-arms at once, and the alarm asks again every minute.
     */
    rearmScheduleRoleArn: (() => {
      const value = env.optionalString('REARM_SCHEDULE_ROLE_ARN');
      if (value !== undefined && value !== '' && !ROLE_ARN.test(value)) {
        throw new ConfigError(
          'REARM_SCHEDULE_ROLE_ARN',
          'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
          value,
        );
      }
      return value || undefined;
    })(),
    rearmScheduleGroup: env.string('REARM_SCHEDULE_GROUP', {
      default: 'default',
      pattern: SCHEDULE_GROUP,
      describe: 'an EventBridge Scheduler schedule group name (1-64 characters [0-9a-zA-Z._-])',
    }),
    dryRun: env.bool('DRY_RUN', false),
  };
});

export type ShardAutoscalerConfig = ReturnType<typeof config>;

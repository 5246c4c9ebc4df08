/**
 * The two ways an alarm reaches the function, resolved to the same thing: which stream, which direction, which
 * alarm, and when it changed state.
 *   - SNS: the alarm's action publishes to a topic; the Lambda event is `{Records: [{Sns: {Message}}]}` where
 *     Message is the alarm notification JSON (`AlarmName`, `NewStateValue`, `StateChangeTime`, `AlarmArn`...).
 *   - EventBridge: `{source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change',
 *     detail: {alarmName, state: {value, timestamp}}, resources: [alarmArn]}`.
 * CloudWatch writes times as `2026-01-22T13:40:00.123+0000`.
 */
import { type Direction, parseAlarmName } from './alarms';

export type TriggerSource = 'sns' | 'eventbridge';

export interface AlarmSignal {
  kind: 'alarm';
  source: TriggerSource;
  /** SNS MessageId or EventBridge event id (a duplicate delivery repeats it). */
  deliveryId: string;
  alarmName: string;
  alarmArn?: string;
  /** ALARM, OK or INSUFFICIENT_DATA. */
  state: string;
  /** When the alarm entered `state`, epoch milliseconds. */
  stateChangeTime: number;
  streamName: string;
  direction: Direction;
}

export interface IgnoredDelivery {
  kind: 'ignored';
  source: TriggerSource | 'unknown';
  deliveryId: string;
  alarmName?: string;
  reason: string;
}

export type Delivery = AlarmSignal | IgnoredDelivery;

/** CloudWatch's `+0000` offsets -> ISO `+00:00`, then epoch ms (NaN when unreadable). */
export function parseCloudWatchTime(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  return Date.parse(text.replace(/([+-])(\d{2})(\d{2})$/, '$1$2:$3'));
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

function resolve(
  source: TriggerSource,
  deliveryId: string,
  fields: { alarmName: unknown; alarmArn: unknown; state: unknown; time: unknown },
  prefix: string,
): Delivery {
  if (typeof fields.alarmName !== 'string') {
    return {
      kind: 'ignored',
      source,
      deliveryId,
      reason: 'not a CloudWatch alarm notification (no alarm name)',
    };
  }
  const alarmName = fields.alarmName;
  const target = parseAlarmName(prefix, alarmName);
  if (!target) {
    return {
      kind: 'ignored',
      source,
      deliveryId,
      alarmName,
      reason: `alarm name does not match "${prefix}<stream>-scale-up|-scale-down"`,
    };
  }
  const stateChangeTime = parseCloudWatchTime(fields.time);
  if (Number.isNaN(stateChangeTime) || typeof fields.state !== 'string') {
    return {
      kind: 'ignored',
      source,
      deliveryId,
      alarmName,
      reason: 'alarm state or state change time missing',
    };
  }
  return {
    kind: 'alarm',
    source,
    deliveryId,
    alarmName,
    ...(typeof fields.alarmArn === 'string' ? { alarmArn: fields.alarmArn } : {}),
    state: fields.state,
    stateChangeTime,
    ...target,
  };
}

/** Every alarm delivery in a Lambda event (SNS may batch several records; EventBridge sends one). */
export function parseTrigger(event: unknown, prefix: string): Delivery[] {
  if (isObject(event) && Array.isArray(event.Records)) {
    return event.Records.map((record: unknown, index): Delivery => {
      const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
      const deliveryId = typeof sns?.MessageId === 'string' ? sns.MessageId : `record-${index}`;
      if (!sns || typeof sns.Message !== 'string') {
        return { kind: 'ignored', source: 'sns', deliveryId, reason: 'not an SNS record' };
      }
      let message: unknown;
      try {
        message = JSON.parse(sns.Message);
      } catch {
        return { kind: 'ignored', source: 'sns', deliveryId, reason: 'SNS message is not JSON' };
      }
      const alarm = isObject(message) ? message : {};
      return resolve(
        'sns',
        deliveryId,
        {
          alarmName: alarm.AlarmName,
          alarmArn: alarm.AlarmArn,
          state: alarm.NewStateValue,
          time: alarm.StateChangeTime,
        },
        prefix,
      );
    });
  }
  if (isObject(event) && event['detail-type'] === 'CloudWatch Alarm State Change' && isObject(event.detail)) {
    const detail = event.detail;
    const state = isObject(detail.state) ? detail.state : {};
    const resources = Array.isArray(event.resources) ? event.resources : [];
    return [
      resolve(
        'eventbridge',
        typeof event.id === 'string' ? event.id : 'event',
        {
          alarmName: detail.alarmName,
          alarmArn: resources[0],
          state: state.value,
          time: state.timestamp ?? event.time,
        },
        prefix,
      ),
    ];
  }
  return [
    {
      kind: 'ignored',
      source: 'unknown',
      deliveryId: 'event',
      reason: 'neither an SNS event nor an EventBridge "CloudWatch Alarm State Change" event',
    },
  ];
}

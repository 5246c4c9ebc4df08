/**
 * A wire-level CloudWatch fake (there is no CloudWatch emulator): an HTTP server speaking the protocol
 * @aws-sdk/client-cloudwatch v3 uses, AWS JSON 1.0 with `X-Amz-Target: GraniteServiceVersion20100801.<Op>`
 * in awsQuery-compatible mode (errors carry `x-amzn-query-error: <Code>;Sender`). Timestamps are epoch seconds.
 *
 * Implements the alarm and metric calls the shard autoscaler makes, with the rules that can make them fail:
 *   PutMetricAlarm   metric math validated (ids, exactly one ReturnData, periods, Period x EvaluationPeriods
 *                    <= 1 day, DatapointsToAlarm <= EvaluationPeriods, at most 10 metrics); an update keeps the
 *                    alarm's state, as CloudWatch does
 *   DescribeAlarms   by AlarmNames (<= 100) or AlarmNamePrefix
 *   SetAlarmState    ResourceNotFound for an unknown alarm; InvalidFormat for an unknown state
 *   GetMetricData    MetricStat queries aggregated (Sum/Maximum/Minimum/Average/SampleCount) from datapoints
 *                    stored with putDatapoints(), in Period buckets from StartTime; expressions are refused
 * Any call can be made to fail with failNext(). Every request is recorded in `calls`.
 *
 * @example
 * ```ts
 * const cloudwatch = await startCloudWatchFake();
 * process.env.AWS_ENDPOINT_URL_CLOUDWATCH = cloudwatch.endpoint;
 * cloudwatch.putDatapoints('orders', 'IncomingBytes', [{ timestamp: Date.now() - 120_000, value: 5e6 }]);
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAlarm {
  AlarmName: string;
  AlarmArn: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
  StateUpdatedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
  [field: string]: unknown;
}

export interface FakeError {
  /** Error shape name (the SDK's exception class): ResourceNotFound, LimitExceededFault, ... */
  shape: string;
  /** awsQuery error code (x-amzn-query-error). */
  code: string;
  status: number;
  message?: string;
}

export const CLOUDWATCH_ERRORS = {
  resourceNotFound: { shape: 'ResourceNotFound', code: 'ResourceNotFound', status: 404 },
  invalidFormat: { shape: 'InvalidFormatFault', code: 'InvalidFormat', status: 400 },
  invalidParameterValue: {
    shape: 'InvalidParameterValueException',
    code: 'InvalidParameterValue',
    status: 400,
  },
  limitExceeded: { shape: 'LimitExceededFault', code: 'LimitExceeded', status: 400 },
  internal: { shape: 'InternalServiceFault', code: 'InternalServiceError', status: 500 },
} satisfies Record<string, FakeError>;

export interface CloudWatchFake {
  endpoint: string;
  region: string;
  account: string;
  alarms: Map<string, FakeAlarm>;
  calls: Array<{ operation: string; input: Record<string, unknown> }>;
  /** Stores raw datapoints of an AWS/Kinesis stream metric (StreamName dimension). */
  putDatapoints(
    streamName: string,
    metricName: string,
    points: Array<{ timestamp: number; value: number }>,
  ): void;
  /** The next call of `operation` fails with `error` (queued: call several times for several failures). */
  failNext(operation: string, error: FakeError): void;
  /** Test helper: puts an alarm into a state as CloudWatch's evaluation would. */
  setState(alarmName: string, state: FakeAlarm['StateValue'], at?: number): void;
  count(operation: string): number;
  reset(): void;
  stop(): Promise<void>;
}

class CloudWatchError extends Error {
  constructor(readonly error: FakeError) {
    super(error.message ?? error.code);
  }
}

const fail = (error: FakeError, message: string): never => {
  throw new CloudWatchError({ ...error, message });
};

const ID = /^[a-z][a-zA-Z0-9_]*$/;
const STATES = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const OPERATORS = new Set([
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
]);

type Query = {
  Id?: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric?: {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: Array<{ Name?: string; Value?: string }>;
    };
    Period?: number;
    Stat?: string;
  };
};

function validateMetrics(metrics: unknown, evaluationPeriods: number): void {
  const bad = (message: string) => fail(CLOUDWATCH_ERRORS.invalidParameterValue, message);
  if (!Array.isArray(metrics) || metrics.length === 0) bad('Metrics must be a non-empty list');
  const queries = metrics as Query[];
  const ids = new Set<string>();
  for (const query of queries) {
    if (!query.Id || !ID.test(query.Id)) bad(`Invalid metric id ${JSON.stringify(query.Id)}`);
    if (ids.has(query.Id!)) bad(`Duplicate metric id ${query.Id}`);
    ids.add(query.Id!);
    if ((query.Expression === undefined) === (query.MetricStat === undefined)) {
      bad(`Metric ${query.Id} must have exactly one of Expression and MetricStat`);
    }
    const period = query.MetricStat?.Period;
    if (query.MetricStat) {
      if (!query.MetricStat.Metric?.MetricName || !query.MetricStat.Stat)
        bad(`Metric ${query.Id} is incomplete`);
      if (period === undefined || !([10, 20, 30].includes(period) || period % 60 === 0)) {
        bad(`Period of ${query.Id} must be 10, 20, 30 or a multiple of 60`);
      }
      if (period! * evaluationPeriods > (period! >= 3600 ? 604_800 : 86_400)) {
        bad('Period x EvaluationPeriods exceeds the maximum evaluation range');
      }
    }
  }
  for (const query of queries) {
    if (query.Expression === undefined) continue;
    const tokens = query.Expression.match(/\b[a-z][a-zA-Z0-9_]*\b/g) ?? [];
    for (const token of tokens) {
      if (!ids.has(token)) bad(`Expression of ${query.Id} references unknown id ${token}`);
    }
    // "Any expression used in a PutMetricAlarm operation must return a single time series": a constant
    // (an expression that names no metric) returns a scalar and is rejected.
    if (tokens.length === 0) bad(`Expression of ${query.Id} must return a single time series`);
  }
  if (queries.filter((query) => query.Expression !== undefined).length > 10) {
    bad('An alarm can use at most 10 expressions');
  }
  if (queries.filter((query) => query.ReturnData !== false).length !== 1) {
    bad('Exactly one metric must have ReturnData true');
  }
  if (queries.filter((query) => query.MetricStat).length > 10) bad('An alarm can use at most 10 metrics');
}

function aggregate(stat: string, values: number[]): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'SampleCount':
      return values.length;
    default:
      return fail(CLOUDWATCH_ERRORS.invalidParameterValue, `Unsupported statistic ${stat}`);
  }
}

export async function startCloudWatchFake(
  options: { region?: string; account?: string; now?: () => number } = {},
): Promise<CloudWatchFake> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const now = options.now ?? Date.now;
  const alarms = new Map<string, FakeAlarm>();
  const datapoints = new Map<string, Array<{ timestamp: number; value: number }>>();
  const failures = new Map<string, FakeError[]>();
  const calls: CloudWatchFake['calls'] = [];
  const seconds = (ms: number) => ms / 1000;

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    PutMetricAlarm(input) {
      const name = input.AlarmName;
      if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'AlarmName must be 1-255 characters');
      }
      const periods = Number(input.EvaluationPeriods);
      if (!Number.isInteger(periods) || periods < 1)
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'EvaluationPeriods');
      const datapointsToAlarm = Number(input.DatapointsToAlarm ?? periods);
      if (datapointsToAlarm < 1 || datapointsToAlarm > periods) {
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'DatapointsToAlarm must be 1..EvaluationPeriods');
      }
      if (!OPERATORS.has(String(input.ComparisonOperator))) {
        fail(
          CLOUDWATCH_ERRORS.invalidParameterValue,
          `Invalid ComparisonOperator ${input.ComparisonOperator}`,
        );
      }
      if (typeof input.Threshold !== 'number')
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'Threshold is required');
      validateMetrics(input.Metrics, periods);
      const existing = alarms.get(name as string);
      const at = seconds(now());
      alarms.set(name as string, {
        ...input,
        AlarmName: name as string,
        AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
        StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
        StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? at,
        AlarmConfigurationUpdatedTimestamp: at,
      });
      return {};
    },
    DescribeAlarms(input) {
      const names = input.AlarmNames as string[] | undefined;
      if (names && names.length > 100)
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'At most 100 AlarmNames');
      const prefix = input.AlarmNamePrefix as string | undefined;
      const found = [...alarms.values()].filter(
        (alarm) =>
          (!names || names.includes(alarm.AlarmName)) && (!prefix || alarm.AlarmName.startsWith(prefix)),
      );
      return { MetricAlarms: found, CompositeAlarms: [] };
    },
    SetAlarmState(input) {
      const alarm = alarms.get(String(input.AlarmName));
      if (!alarm) return fail(CLOUDWATCH_ERRORS.resourceNotFound, `Alarm ${input.AlarmName} does not exist`);
      if (!STATES.has(String(input.StateValue))) {
        fail(CLOUDWATCH_ERRORS.invalidFormat, `Invalid StateValue ${input.StateValue}`);
      }
      if (typeof input.StateReason !== 'string' || input.StateReason.length > 1023) {
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'StateReason is required (<= 1023 characters)');
      }
      if (alarm.StateValue !== input.StateValue) {
        Object.assign(alarm, { StateValue: input.StateValue, StateUpdatedTimestamp: seconds(now()) });
      }
      alarm.StateReason = input.StateReason as string;
      return {};
    },
    GetMetricData(input) {
      const start = Number(input.StartTime) * 1000;
      const end = Number(input.EndTime) * 1000;
      if (!(start < end)) fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'StartTime must be before EndTime');
      const queries = input.MetricDataQueries as Query[];
      if (!Array.isArray(queries) || queries.length === 0 || queries.length > 500) {
        fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'MetricDataQueries must hold 1-500 queries');
      }
      const results = queries.map((query) => {
        if (!query.MetricStat)
          return fail(CLOUDWATCH_ERRORS.invalidParameterValue, 'expressions: not in this fake');
        const metric = query.MetricStat.Metric ?? {};
        const stream = metric.Dimensions?.find((dimension) => dimension.Name === 'StreamName')?.Value ?? '';
        const periodMs = (query.MetricStat.Period ?? 60) * 1000;
        const points = datapoints.get(`${metric.Namespace}|${metric.MetricName}|${stream}`) ?? [];
        const timestamps: number[] = [];
        const values: number[] = [];
        for (let bucket = start; bucket < end; bucket += periodMs) {
          const inBucket = points.filter((p) => p.timestamp >= bucket && p.timestamp < bucket + periodMs);
          if (inBucket.length === 0) continue;
          timestamps.push(seconds(bucket));
          values.push(
            aggregate(
              query.MetricStat.Stat ?? 'Sum',
              inBucket.map((p) => p.value),
            ),
          );
        }
        if (input.ScanBy !== 'TimestampAscending') {
          timestamps.reverse();
          values.reverse();
        }
        return {
          Id: query.Id,
          Label: metric.MetricName,
          Timestamps: timestamps,
          Values: values,
          StatusCode: 'Complete',
        };
      });
      return { MetricDataResults: results, Messages: [] };
    },
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.split('.').pop() ?? '';
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `fake-${calls.length}`,
          ...headers,
        });
        response.end(JSON.stringify(body));
      };
      let input: Record<string, unknown>;
      try {
        input = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        calls.push({ operation, input });
        const handler = operations[operation];
        if (!handler)
          fail({ shape: 'UnknownOperationException', code: 'InvalidAction', status: 400 }, operation);
        const queued = failures.get(operation)?.shift();
        if (queued) throw new CloudWatchError(queued);
        send(200, handler!(input));
      } catch (error) {
        const fault =
          error instanceof CloudWatchError
            ? error.error
            : { ...CLOUDWATCH_ERRORS.internal, message: (error as Error).message };
        send(
          fault.status,
          { __type: `com.amazonaws.cloudwatch#${fault.shape}`, message: fault.message ?? fault.code },
          { 'x-amzn-query-error': `${fault.code};${fault.status >= 500 ? 'Receiver' : 'Sender'}` },
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    account,
    alarms,
    calls,
    putDatapoints(streamName, metricName, points) {
      const key = `AWS/Kinesis|${metricName}|${streamName}`;
      datapoints.set(key, [...(datapoints.get(key) ?? []), ...points]);
    },
    failNext(operation, error) {
      failures.set(operation, [...(failures.get(operation) ?? []), error]);
    },
    setState(alarmName, state, at = now()) {
      const alarm = alarms.get(alarmName);
      if (!alarm) throw new Error(`No alarm ${alarmName}`);
      Object.assign(alarm, {
        StateValue: state,
        StateUpdatedTimestamp: seconds(at),
        StateReason: 'set by test',
      });
    },
    count: (operation) => calls.filter((call) => call.operation === operation).length,
    reset() {
      alarms.clear();
      datapoints.clear();
      failures.clear();
      calls.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * GetMetricData for a decision: the stream's write (and optionally read) traffic over the periods the alarm
 * evaluates, at the alarm's own period, turned into {@link PeriodSample}s.
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Direction } from './alarms';
import { emptySample, type PeriodSample, requestedPeriods } from './demand';
import type { ScalingPolicy } from './policy';

type SampleField = Exclude<keyof PeriodSample, 'start'>;

const QUERIES: Array<{ id: string; metric: string; stat: string; field: SampleField }> = [
  { id: 'bytes', metric: 'IncomingBytes', stat: 'Sum', field: 'incomingBytes' },
  { id: 'records', metric: 'IncomingRecords', stat: 'Sum', field: 'incomingRecords' },
  { id: 'throttled', metric: 'WriteProvisionedThroughputExceeded', stat: 'Sum', field: 'throttledRecords' },
  { id: 'reads', metric: 'GetRecords.Bytes', stat: 'Sum', field: 'readBytes' },
  {
    id: 'iteratorAge',
    metric: 'GetRecords.IteratorAgeMilliseconds',
    stat: 'Maximum',
    field: 'iteratorAgeMs',
  },
];

export interface SampleWindow {
  queries: MetricDataQuery[];
  startTime: Date;
  endTime: Date;
  periodSeconds: number;
}

/**
 * The queries and the period-aligned window (complete periods only) a decision reads: the periods its alarm
 * evaluates, and for a scale-up one more (the last may not be published yet: demand.ts's requestedPeriods).
 */
export function sampleWindow(policy: ScalingPolicy, direction: Direction, now: number): SampleWindow {
  const periodSeconds = direction === 'up' ? policy.scaleUpPeriodSeconds : policy.scaleDownPeriodSeconds;
  const periodMs = periodSeconds * 1000;
  const end = Math.floor(now / periodMs) * periodMs;
  const start = end - requestedPeriods(policy, direction) * periodMs;
  const wanted = QUERIES.filter(
    (query) =>
      (query.id !== 'reads' || policy.includeReads) &&
      (query.id !== 'iteratorAge' || (direction === 'down' && policy.scaleDownMaxIteratorAgeSeconds > 0)),
  );
  return {
    periodSeconds,
    startTime: new Date(start),
    endTime: new Date(end),
    queries: wanted.map((query) => ({
      Id: query.id,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Kinesis',
          MetricName: query.metric,
          Dimensions: [{ Name: 'StreamName', Value: policy.streamName }],
        },
        Period: periodSeconds,
        Stat: query.stat,
      },
    })),
  };
}

/** GetMetricData results (any order, gaps allowed) -> one sample per period of the window, gaps as 0. */
export function toSamples(
  window: SampleWindow,
  results: Array<{ Id?: string; Timestamps?: Date[]; Values?: number[] }>,
): PeriodSample[] {
  const periodMs = window.periodSeconds * 1000;
  const samples: PeriodSample[] = [];
  for (let start = window.startTime.getTime(); start < window.endTime.getTime(); start += periodMs) {
    samples.push(emptySample(start));
  }
  const first = window.startTime.getTime();
  for (const result of results) {
    const field = QUERIES.find((query) => query.id === result.Id)?.field;
    if (!field) continue;
    result.Timestamps?.forEach((timestamp, index) => {
      const sample = samples[Math.floor((timestamp.getTime() - first) / periodMs)];
      const value = result.Values?.[index];
      if (sample && typeof value === 'number' && Number.isFinite(value)) sample[field] = value;
    });
  }
  return samples;
}

/** Reads the window with GetMetricData (following NextToken); `calls` counts the requests. */
export async function fetchSamples(
  client: CloudWatchClient,
  policy: ScalingPolicy,
  direction: Direction,
  now: number,
  onCall: () => void = () => {},
  options: { abortSignal?: AbortSignal } = {},
): Promise<PeriodSample[]> {
  const window = sampleWindow(policy, direction, now);
  const results = new Map<string, { Id: string; Timestamps: Date[]; Values: number[] }>();
  let nextToken: string | undefined;
  do {
    onCall();
    const page = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: window.queries,
        StartTime: window.startTime,
        EndTime: window.endTime,
        ScanBy: 'TimestampAscending',
        NextToken: nextToken,
      }),
      options,
    );
    for (const result of page.MetricDataResults ?? []) {
      if (!result.Id) continue;
      const merged = results.get(result.Id) ?? { Id: result.Id, Timestamps: [], Values: [] };
      merged.Timestamps.push(...(result.Timestamps ?? []));
      merged.Values.push(...(result.Values ?? []));
      results.set(result.Id, merged);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return toSamples(window, [...results.values()]);
}

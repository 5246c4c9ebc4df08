/**
 * From measured CloudWatch datapoints to "how many shards of capacity does the traffic need". Pure; the
 * function feeds it GetMetricData results, the simulator feeds it simulated ones.
 *
 * Demand is measured in absolute units (bytes/s, records/s), not as utilisation of the current stream, so it
 * does not matter how many shards the stream had when a datapoint was taken.
 */
import type { Direction } from './alarms';
import type { ScalingPolicy } from './policy';

const MIB = 1024 * 1024;
/** Per-shard limits (Kinesis Data Streams quotas): writes 1 MiB/s and 1,000 records/s, reads 2 MiB/s. */
export const SHARD_CAPACITY = {
  writeBytesPerSecond: MIB,
  recordsPerSecond: 1000,
  readBytesPerSecond: 2 * MIB,
};

/** The sums (Maximum for iterator age) of one metric period. Missing metrics are 0, like FILL(m, 0). */
export interface PeriodSample {
  /** Period start, epoch milliseconds. */
  start: number;
  incomingBytes: number;
  incomingRecords: number;
  /** WriteProvisionedThroughputExceeded: records rejected by throttling (IncomingRecords excludes them). */
  throttledRecords: number;
  /** GetRecords.Bytes (only used with includeReads). */
  readBytes: number;
  /** GetRecords.IteratorAgeMilliseconds, Maximum. */
  iteratorAgeMs: number;
}

/** A period with no data points: every metric 0, as FILL(m, 0) reads it. */
export function emptySample(start: number, fields: Partial<Omit<PeriodSample, 'start'>> = {}): PeriodSample {
  return {
    start,
    incomingBytes: 0,
    incomingRecords: 0,
    throttledRecords: 0,
    readBytes: 0,
    iteratorAgeMs: 0,
    ...fields,
  };
}

export type BindingLimit = 'bytes' | 'records' | 'reads';

export interface Demand {
  /** Capacity the decision provisions for, in shards at 100 % utilisation: the highest need among the
   * periods the alarm evaluates. */
  shards: number;
  /** The per-shard limit that binds at the peak. */
  binding: BindingLimit;
  /** Writes were throttled in the window: the measured demand is a lower bound, corrected with the rejects. */
  throttled: boolean;
  /** Consumers' iterator age is at or above the scale-down block (scale-down only). */
  lagging: boolean;
  /** Complete periods the measurement used. */
  periods: number;
}

/** The shards one period's traffic needs at 100 % utilisation, and which limit binds. */
export function periodNeed(
  sample: PeriodSample,
  periodSeconds: number,
  includeReads: boolean,
): { shards: number; binding: BindingLimit } {
  // Throttled writes never reach IncomingBytes/IncomingRecords, so those understate demand exactly when it
  // matters. Add the rejected records, and scale bytes by the same factor (rejected records are assumed to
  // be of average size; producers' retries make this an overestimate, which is the safe side for a scale-up).
  const offeredRecords = sample.incomingRecords + sample.throttledRecords;
  const offeredBytes =
    sample.incomingRecords > 0
      ? (sample.incomingBytes * offeredRecords) / sample.incomingRecords
      : sample.incomingBytes;
  const candidates: Array<[BindingLimit, number]> = [
    ['bytes', offeredBytes / periodSeconds / SHARD_CAPACITY.writeBytesPerSecond],
    ['records', offeredRecords / periodSeconds / SHARD_CAPACITY.recordsPerSecond],
  ];
  if (includeReads)
    candidates.push(['reads', sample.readBytes / periodSeconds / SHARD_CAPACITY.readBytesPerSecond]);
  let best = candidates[0]!;
  for (const candidate of candidates) if (candidate[1] > best[1]) best = candidate;
  return { shards: best[1], binding: best[0] };
}

/** How many periods of data a decision in this direction uses: the ones its alarm evaluates. */
export function lookbackPeriods(policy: ScalingPolicy, direction: Direction): number {
  return direction === 'up' ? policy.scaleUpEvaluationPeriods : policy.scaleDownEvaluationPeriods;
}

/**
 * How many periods a decision asks GetMetricData for: a scale-up reads one more than it uses. Kinesis publishes a
 * minute's metrics about a minute late, so the last complete period of the window is often not published yet when
 * the alarm's delivery arrives; CloudWatch evaluated the alarm on the most recent periods that had data. Read as a
 * zero, that period would make a one-period scale-up alarm's decision see no traffic at all (and a two-period one
 * see only one period).
 */
export function requestedPeriods(policy: ScalingPolicy, direction: Direction): number {
  return lookbackPeriods(policy, direction) + (direction === 'up' ? 1 : 0);
}

const hasData = (sample: PeriodSample) =>
  sample.incomingBytes > 0 || sample.incomingRecords > 0 || sample.throttledRecords > 0;

/**
 * Measures demand from the complete periods in `samples` (chronological; periods that had not ended by `now`
 * are dropped, their partial sums would read as a traffic drop).
 */
export function measureDemand(
  samples: PeriodSample[],
  policy: ScalingPolicy,
  direction: Direction,
  now: number,
): Demand {
  const up = direction === 'up';
  const periodSeconds = up ? policy.scaleUpPeriodSeconds : policy.scaleDownPeriodSeconds;
  const ended = samples
    .filter((sample) => sample.start + periodSeconds * 1000 <= now)
    .sort((a, b) => a.start - b.start);
  // Scale-up: trailing periods without any write data are not published yet (see requestedPeriods), not a traffic
  // drop; no traffic never calls for more shards, so nothing is lost by using the periods before them.
  if (up) while (ended.length > 0 && !hasData(ended.at(-1)!)) ended.pop();
  const complete = ended.slice(-lookbackPeriods(policy, direction));
  const needs = complete.map((sample) => ({
    sample,
    ...periodNeed(sample, periodSeconds, policy.includeReads),
  }));
  let peak = { shards: 0, binding: 'bytes' as BindingLimit };
  for (const need of needs) if (need.shards > peak.shards) peak = need;
  const blockMs = policy.scaleDownMaxIteratorAgeSeconds * 1000;
  return {
    shards: peak.shards,
    binding: peak.binding,
    throttled: needs.some((need) => need.sample.throttledRecords > 0),
    lagging: !up && blockMs > 0 && needs.some((need) => need.sample.iteratorAgeMs >= blockMs),
    periods: complete.length,
  };
}

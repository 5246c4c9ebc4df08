import { describe, expect, it } from 'vitest';
import {
  emptySample,
  measureDemand,
  type PeriodSample,
  periodNeed,
} from '../../../functions/shard-autoscaler/demand';
import { sampleWindow, toSamples } from '../../../functions/shard-autoscaler/measure';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';

const MIB = 1024 * 1024;
const policy = resolvePolicy({ streamName: 'orders' });
const sample = (start: number, fields: Partial<PeriodSample>): PeriodSample => emptySample(start, fields);

describe('periodNeed', () => {
  it('takes the binding per-shard limit', () => {
    // 3 MiB/s of 3 KiB records = 1,024 records/s: bytes bind (3 shards).
    expect(
      periodNeed(sample(0, { incomingBytes: 3 * MIB * 60, incomingRecords: 1024 * 60 }), 60, false),
    ).toEqual({
      shards: 3,
      binding: 'bytes',
    });
    // 0.5 MiB/s of 100 B records = 5,243 records/s: records bind.
    const small = periodNeed(
      sample(0, { incomingBytes: 0.5 * MIB * 60, incomingRecords: 5243 * 60 }),
      60,
      false,
    );
    expect(small.binding).toBe('records');
    expect(small.shards).toBeCloseTo(5.243, 3);
    // Reads count only when asked: 6 MiB/s read by consumers = 3 shards at 2 MiB/s.
    const reads = sample(0, { incomingBytes: MIB * 60, incomingRecords: 60, readBytes: 6 * MIB * 60 });
    expect(periodNeed(reads, 60, false).shards).toBe(1);
    expect(periodNeed(reads, 60, true)).toEqual({ shards: 3, binding: 'reads' });
  });

  it('adds throttled records back, scaling bytes by the same factor', () => {
    // 1 shard accepted 1 MiB/s in 1,000 records/s, 3,000 records/s more were rejected: offered 4 MiB/s.
    const throttled = sample(0, {
      incomingBytes: MIB * 60,
      incomingRecords: 1000 * 60,
      throttledRecords: 3000 * 60,
    });
    expect(periodNeed(throttled, 60, false).shards).toBe(4);
  });
});

describe('measureDemand', () => {
  const minute = 60_000;
  const now = 100 * minute;

  it('uses the peak of the complete periods the alarm evaluates', () => {
    const samples = [96, 97, 98, 99].map((m, i) =>
      sample(m * minute, { incomingBytes: [1, 3, 2, 9][i]! * MIB * 60 }),
    );
    // The period starting at minute 99 ends at 100 = now: complete. Add one that has not ended.
    samples.push(sample(100 * minute, { incomingBytes: 50 * MIB * 60 }));
    const demand = measureDemand(samples, policy, 'up', now);
    expect(demand).toMatchObject({
      shards: 9,
      binding: 'bytes',
      periods: 2,
      throttled: false,
      lagging: false,
    });
  });

  it('flags lagging consumers for scale-downs only', () => {
    const samples = Array.from({ length: 12 }, (_, i) =>
      sample((i * 5 + 40) * minute, { incomingBytes: MIB, iteratorAgeMs: i === 11 ? 600_000 : 0 }),
    );
    expect(measureDemand(samples, policy, 'down', now).lagging).toBe(true);
    expect(
      measureDemand(
        samples,
        resolvePolicy({ streamName: 'o', scaleDownMaxIteratorAgeSeconds: 0 }),
        'down',
        now,
      ).lagging,
    ).toBe(false);
  });
});

describe('sampleWindow and toSamples', () => {
  it('asks for complete, period-aligned windows and fills gaps with zeros', () => {
    const now = Date.UTC(2026, 0, 22, 13, 40, 30);
    const window = sampleWindow(policy, 'down', now);
    expect(window.endTime.toISOString()).toBe('2026-01-22T13:40:00.000Z');
    expect(window.startTime.toISOString()).toBe('2026-01-22T12:40:00.000Z');
    expect(window.queries.map((q) => q.Id)).toEqual(['bytes', 'records', 'throttled', 'iteratorAge']);
    expect(sampleWindow(policy, 'up', now).queries.map((q) => q.MetricStat?.Period)).toEqual([60, 60, 60]);
    const samples = toSamples(window, [
      { Id: 'bytes', Timestamps: [new Date(Date.UTC(2026, 0, 22, 13, 35))], Values: [42] },
      { Id: 'unknown', Timestamps: [new Date(Date.UTC(2026, 0, 22, 13, 35))], Values: [1] },
    ]);
    expect(samples).toHaveLength(12);
    expect(samples.at(-1)).toMatchObject({ incomingBytes: 42, incomingRecords: 0 });
    expect(samples[0]).toMatchObject({ start: Date.UTC(2026, 0, 22, 12, 40), incomingBytes: 0 });
  });
});

describe('demand: ties, empty windows and order', () => {
  const minute = 60_000;

  it('reads bytes alone when no record was counted, and an idle period as no demand', () => {
    expect(periodNeed(sample(0, { incomingBytes: 2 * MIB * 60 }), 60, false)).toEqual({
      shards: 2,
      binding: 'bytes',
    });
    expect(periodNeed(emptySample(0), 300, true)).toEqual({ shards: 0, binding: 'bytes' });
    expect(emptySample(7)).toEqual({
      start: 7,
      incomingBytes: 0,
      incomingRecords: 0,
      throttledRecords: 0,
      readBytes: 0,
      iteratorAgeMs: 0,
    });
  });

  it('names the first binding limit of a tie: bytes, then records, then reads', () => {
    // 1 MiB/s in 1,000 records/s: both limits at exactly one shard.
    const even = sample(0, { incomingBytes: MIB * 60, incomingRecords: 1000 * 60, readBytes: 2 * MIB * 60 });
    expect(periodNeed(even, 60, true)).toEqual({ shards: 1, binding: 'bytes' });
    const recordsAndReads = sample(0, {
      incomingBytes: MIB,
      incomingRecords: 2000 * 60,
      readBytes: 4 * MIB * 60,
    });
    expect(periodNeed(recordsAndReads, 60, true)).toEqual({ shards: 2, binding: 'records' });
  });

  it('takes the last periods in time order whatever order they come in, the earliest peak on a tie', () => {
    const now = 100 * minute;
    // Per minute: 96 -> 8 shards (bytes), 97 -> 1, 98 -> 3 (records), 99 -> 3 (bytes). Up reads the last two.
    const samples = [
      sample(99 * minute, { incomingBytes: 3 * MIB * 60 }),
      sample(98 * minute, { incomingRecords: 3000 * 60, incomingBytes: 60 }),
      sample(97 * minute, { incomingBytes: MIB * 60 }),
      sample(96 * minute, { incomingBytes: 8 * MIB * 60 }),
    ];
    expect(measureDemand(samples, policy, 'up', now)).toEqual({
      shards: 3,
      binding: 'records',
      throttled: false,
      lagging: false,
      periods: 2,
    });
    // A longer window reaches the older peak.
    const wide = resolvePolicy({ streamName: 'orders', scaleUpEvaluationPeriods: 4, scaleUpDatapoints: 4 });
    expect(measureDemand(samples, wide, 'up', now)).toMatchObject({
      shards: 8,
      binding: 'bytes',
      periods: 4,
    });
  });

  it('reports no demand and no periods when nothing has completed', () => {
    const now = 100 * minute;
    expect(measureDemand([], policy, 'down', now)).toEqual({
      shards: 0,
      binding: 'bytes',
      throttled: false,
      lagging: false,
      periods: 0,
    });
    expect(
      measureDemand([sample(now - 4 * minute, { incomingBytes: MIB })], policy, 'down', now).periods,
    ).toBe(0);
  });

  it('flags throttling in any period of the window, and never lag for a scale-up', () => {
    const now = 100 * minute;
    const samples = [
      sample(98 * minute, { incomingRecords: 10, throttledRecords: 1, iteratorAgeMs: 3_600_000 }),
      sample(99 * minute, { incomingRecords: 10 }),
    ];
    expect(measureDemand(samples, policy, 'up', now)).toMatchObject({ throttled: true, lagging: false });
    const lagJustUnder = Array.from({ length: 12 }, (_, i) =>
      sample((i * 5 + 40) * minute, { incomingBytes: MIB, iteratorAgeMs: 599_999 }),
    );
    expect(measureDemand(lagJustUnder, policy, 'down', now)).toMatchObject({
      throttled: false,
      lagging: false,
    });
  });
});

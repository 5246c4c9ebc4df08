/**
 * Kinesis publishes a minute's metrics about a minute late: when a scale-up alarm's delivery arrives, the last
 * complete period of the decision's window often has no data yet. CloudWatch evaluated the alarm on the periods
 * that had data; the decision must too, or a one-period scale-up alarm (`scaleUpEvaluationPeriods: 1`) decides on
 * a period that reads as no traffic ("no-change", re-armed every minute, never scaling).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../functions/shard-autoscaler/decide';
import { emptySample, measureDemand, requestedPeriods } from '../../../functions/shard-autoscaler/demand';
import { sampleWindow } from '../../../functions/shard-autoscaler/measure';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
import { simulate, summarise } from '../../../scripts/simulate/model';
import { ours } from '../../../scripts/simulate/policies';
import type { Trace } from '../../../scripts/simulate/traces';

const MIB = 1024 * 1024;
const onePeriod = resolvePolicy({
  streamName: 'orders',
  scaleUpEvaluationPeriods: 1,
  scaleUpDatapoints: 1,
});
const now = Date.UTC(2026, 0, 22, 13, 40, 20);
const minute = (m: number) => Date.UTC(2026, 0, 22, 13, m);
/** 3 shards of load (3 MiB/s of 2 KiB records) over one minute. */
const busy = (start: number) =>
  emptySample(start, { incomingBytes: 3 * MIB * 60, incomingRecords: 1536 * 60 });

describe('a scale-up decision and the period not published yet', () => {
  it('reads one period more than the scale-up alarm evaluates, and exactly the scale-down periods', () => {
    expect(requestedPeriods(onePeriod, 'up')).toBe(2);
    const up = sampleWindow(onePeriod, 'up', now);
    expect(up.startTime.toISOString()).toBe('2026-01-22T13:38:00.000Z');
    expect(up.endTime.toISOString()).toBe('2026-01-22T13:40:00.000Z');
    const down = sampleWindow(onePeriod, 'down', now);
    expect((down.endTime.getTime() - down.startTime.getTime()) / 300_000).toBe(12);
  });

  it('measures the last period with data when the newest one is still empty', () => {
    // 13:39 has no datapoints yet (published about 13:40:40); 13:38 has.
    const samples = [busy(minute(38)), emptySample(minute(39))];
    const demand = measureDemand(samples, onePeriod, 'up', now);
    expect(demand.shards).toBeCloseTo(3, 5);
    expect(demand.periods).toBe(1);
    const decision = decide({
      direction: 'up',
      now,
      currentShards: 2,
      history: [],
      demand,
      policy: onePeriod,
    });
    expect(decision).toMatchObject({ action: 'scale', to: 4 });
  });

  it('uses the newest period once it is published, and never more periods than the alarm evaluates', () => {
    const light = emptySample(minute(39), { incomingBytes: MIB * 60, incomingRecords: 512 * 60 });
    const demand = measureDemand([busy(minute(38)), light], onePeriod, 'up', now);
    expect(demand.shards).toBeCloseTo(1, 5);
    expect(demand.periods).toBe(1);
  });

  it('throttled-only periods count as published (every write rejected is still data)', () => {
    const rejected = emptySample(minute(39), { throttledRecords: 4000 * 60 });
    const demand = measureDemand([busy(minute(38)), rejected], onePeriod, 'up', now);
    expect(demand.shards).toBeCloseTo(4, 5);
    expect(demand.throttled).toBe(true);
  });

  it('counts a period with records only (no bytes datapoint) as published', () => {
    const recordsOnly = emptySample(minute(39), { incomingRecords: 3000 * 60 });
    const demand = measureDemand([busy(minute(38)), recordsOnly], onePeriod, 'up', now);
    expect(demand).toMatchObject({ binding: 'records', periods: 1 });
    expect(demand.shards).toBeCloseTo(3, 5);
  });

  it('a window with no data at all measures no demand (and does not fail)', () => {
    const demand = measureDemand([emptySample(minute(38)), emptySample(minute(39))], onePeriod, 'up', now);
    expect(demand).toMatchObject({ shards: 0, periods: 0, throttled: false });
    expect(measureDemand([], onePeriod, 'up', now)).toMatchObject({ shards: 0, periods: 0 });
  });

  it('keeps empty periods for a scale-down (no traffic is a reason to remove shards)', () => {
    const policy = resolvePolicy({ streamName: 'orders' });
    const samples = Array.from({ length: 12 }, (_, k) => emptySample(now - (13 - k) * 300_000));
    samples[0] = emptySample(samples[0]!.start, { incomingRecords: 600 * 300, incomingBytes: 600 * 300 });
    const demand = measureDemand(samples, policy, 'down', Math.floor(now / 300_000) * 300_000);
    expect(demand.periods).toBe(12);
    expect(demand.shards).toBeCloseTo(0.6, 5);
  });

  it('in the simulator, a one-period scale-up alarm scales on a surge (it used to hold "no-change")', () => {
    const trace: Trace = {
      name: 'surge',
      points: Array.from({ length: 180 }, (_, m) => {
        const mib = m >= 60 ? 7 : 1;
        return { minute: m, bytesPerSec: mib * MIB, recordsPerSec: (mib * MIB) / 2048 };
      }),
    };
    const holds: string[] = [];
    const run = simulate(
      trace,
      ours(onePeriod, {
        onDecision: (decision) => {
          if (decision.direction === 'up' && decision.action === 'hold') holds.push(decision.hold);
        },
      }),
      2,
    );
    expect(holds).not.toContain('no-change');
    expect(run.operations[0]).toMatchObject({ from: 2, to: 4 });
    expect(run.operations.map((op) => op.to)).toEqual([4, 8, 14]);
    // 2 minutes to see the surge (one period + one of metric delay), then the doublings run.
    expect(run.operations[0]!.minute).toBe(62);
    expect(summarise(run)['refused calls']).toBe(0);
  });
});

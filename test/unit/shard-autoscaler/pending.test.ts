/**
 * The pending scale-down target (pending.ts, decide.ts): what a clamped scale-down leaves, the alarm threshold it
 * sets, and that following it never breaks a rule: min/max, the budget and its reserve, the half/double rule, and a
 * duplicate alarm never scales twice (the simulated function path, scripts/simulate/policies.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAlarms } from '../../../functions/shard-autoscaler/alarms';
import { DAY_MS, decide, worthScalingDown } from '../../../functions/shard-autoscaler/decide';
import type { Demand } from '../../../functions/shard-autoscaler/demand';
import {
  alarmThresholds,
  decodePending,
  encodePending,
  largestWorthwhileScaleDown,
  pendingApplies,
} from '../../../functions/shard-autoscaler/pending';
import { resolvePolicy, type ScalingPolicy } from '../../../functions/shard-autoscaler/policy';
import { simulate, summarise, World } from '../../../scripts/simulate/model';
import { ours } from '../../../scripts/simulate/policies';
import type { Trace } from '../../../scripts/simulate/traces';

const NOW = Date.UTC(2026, 0, 22, 12);
const MIB = 1024 * 1024;
const demand = (shards: number): Demand => ({
  shards,
  binding: 'bytes',
  throttled: false,
  lagging: false,
  periods: 12,
});
const policy = (fields: Partial<ScalingPolicy> = {}) => resolvePolicy({ streamName: 'orders', ...fields });

describe('decide: the pending target of a clamped scale-down', () => {
  it('46 -> 23 wanting 7 leaves 7 pending; 23 -> 12 too; 12 -> 7 lands and leaves none', () => {
    const p = policy({ maxShards: 64 });
    const step = (from: number) =>
      decide({
        direction: 'down',
        now: NOW,
        currentShards: from,
        history: [],
        demand: demand(3.1),
        policy: p,
      });
    expect(step(46)).toMatchObject({ action: 'scale', to: 23, pending: 7 });
    expect(step(23)).toMatchObject({ action: 'scale', to: 12, pending: 7 });
    expect(step(23).reason).toMatch(/at least half of current \(12\); 7 pending/);
    const last = step(12);
    expect(last).toMatchObject({ action: 'scale', to: 7 });
    expect(last).not.toHaveProperty('pending');
  });

  it('leaves none when the rest is not worth an operation, nor for a scale-up cut short by the double rule', () => {
    const p = policy({ maxShards: 64 });
    // 20 -> 10 wanting 10 would be 10 (no clamp); 19 -> 10 wanting 9: 10 -> 9 removes 10 %, worth it; 21 -> 11
    // wanting 10: 11 -> 10 removes 9 %, not worth it.
    const down = (from: number, load: number) =>
      decide({
        direction: 'down',
        now: NOW,
        currentShards: from,
        history: [],
        demand: demand(load),
        policy: p,
      });
    expect(down(19, 4.5)).toMatchObject({ to: 10, pending: 9 });
    expect(down(21, 5)).toMatchObject({ to: 11 });
    expect(down(21, 5)).not.toHaveProperty('pending');
    const up = decide({
      direction: 'up',
      now: NOW,
      currentShards: 3,
      history: [],
      demand: demand(4),
      policy: p,
    });
    expect(up).toMatchObject({ action: 'scale', to: 6, desired: 8 });
    expect(up).not.toHaveProperty('pending');
  });

  it('records the pending target as a readable tag value', () => {
    expect(encodePending(7)).toBe('down to 7');
    expect(decodePending('down to 7')).toBe(7);
    expect(encodePending(undefined)).toBe('');
    for (const bad of ['', 'down to 0', 'up to 7', 'down 7', 'down to x', undefined])
      expect(decodePending(bad)).toBeUndefined();
  });
});

describe('alarmThresholds', () => {
  it('raises the scale-down threshold to the pending target on the shards the stream has', () => {
    const p = policy();
    expect(alarmThresholds(p, 12)).toEqual({ up: 0.75, down: 0.25 });
    // 7 of 12 at the target 0.5: 0.2916.., rounded down.
    expect(alarmThresholds(p, 12, 7)).toEqual({ up: 0.75, down: 0.2916 });
    // Lower than the normal threshold: the normal one stands.
    expect(alarmThresholds(p, 23, 7)).toEqual({ up: 0.75, down: 0.25 });
    // A pending target that does not apply (not fewer, or not worth it) changes nothing.
    expect(alarmThresholds(p, 12, 12).down).toBe(0.25);
    expect(alarmThresholds(p, 10, 10).down).toBe(0.25);
    expect(pendingApplies(11, 12)).toBe(false); // 1 of 12: under 10 %
    expect(pendingApplies(9, 10)).toBe(true);
  });

  it('caps the scale-down threshold where a scale-down is still worth it, so an alarm always means one', () => {
    const p = policy({ scaleDownThreshold: 0.45 });
    expect([1, 2, 3, 4, 5, 10, 20].map((n) => alarmThresholds(p, n).down)).toEqual([
      0, 0.25, 0.3333, 0.375, 0.4, 0.45, 0.45,
    ]);
    expect(largestWorthwhileScaleDown(10)).toBe(9);
    expect(largestWorthwhileScaleDown(11)).toBe(9);
    expect(largestWorthwhileScaleDown(1)).toBe(0);
  });

  it('is what the scale-down alarm is written with, its lag term included', () => {
    const { down } = buildAlarms({
      policy: policy(),
      shards: 12,
      prefix: 'p-',
      alarmActions: [],
      pending: 7,
    });
    expect(down.Threshold).toBe(0.2916);
    expect(down.AlarmDescription).toMatch(/continuing toward the pending 7 shards/);
    expect(down.Metrics?.find((m) => m.Id === 'lag')?.Expression).toBe('FILL(iteratorAge,0)*0.2916/600000');
  });

  const cases = fc.record({
    target: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    downFraction: fc.double({ min: 0.1, max: 0.99, noNaN: true }),
    shards: fc.integer({ min: 1, max: 2000 }),
    pending: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
    load: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  it('property: a load under the scale-down threshold always makes decide() scale down, never past the pending target', () => {
    fc.assert(
      fc.property(cases, ({ target, downFraction, shards, pending, load }) => {
        const p = policy({
          targetUtilisation: target,
          scaleUpThreshold: Math.min(1, target + 0.2),
          scaleDownThreshold: target * downFraction,
          maxShards: 10_000,
        });
        const threshold = alarmThresholds(p, shards, pending).down;
        expect(threshold).toBeLessThan(target);
        // A utilisation the alarm counts as breaching: strictly under the threshold.
        const utilisation = threshold * load * 0.999_999;
        if (!(utilisation < threshold)) return;
        const decision = decide({
          direction: 'down',
          now: NOW,
          currentShards: shards,
          history: [],
          demand: demand(utilisation * shards),
          policy: p,
        });
        if (shards === 1) return expect(decision).toMatchObject({ action: 'hold', hold: 'at-min' });
        expect(decision.action).toBe('scale');
        if (decision.action !== 'scale') return;
        expect(decision.to).toBeLessThan(shards);
        expect(worthScalingDown(shards, decision.desired)).toBe(true);
        // Raised by a pending target: the load fits it.
        if (pendingApplies(pending, shards) && threshold > alarmThresholds(p, shards).down)
          expect(decision.desired).toBeLessThanOrEqual(pending);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('following a pending target (the simulated function path)', () => {
  const trace = (name: string, minutes: number, mib: (minute: number) => number): Trace => ({
    name,
    points: Array.from({ length: minutes }, (_, minute) => ({
      minute,
      bytesPerSec: mib(minute) * MIB,
      recordsPerSec: (mib(minute) * MIB) / 2048,
    })),
  });

  it('reaches the count the load needs after a surge, where the half rule alone stopped 4 shards short', () => {
    // 22 MiB/s for two hours, then 3.2 MiB/s (7 shards at 0.5) for a day.
    const surge = trace('surge', 26 * 60, (m) => (m >= 60 && m < 180 ? 22 : 3.2));
    const p = policy({ maxShards: 64 });
    const finished = simulate(surge, ours(p), 7);
    const before = simulate(surge, ours(p, { finishClamped: false }), 7);
    expect(finished.operations.filter((op) => op.to < op.from).map((op) => op.to)).toEqual([22, 11, 7]);
    expect(before.minutes.at(-1)!.shards).toBe(11);
    expect(finished.minutes.at(-1)!.shards).toBe(7);
    expect(summarise(finished)['shard-hours']).toBeLessThan(summarise(before)['shard-hours'] - 80);
    // The last step came from the raised threshold, after the cooldown (900 s) since the one before.
    const [, second, third] = finished.operations.filter((op) => op.to < op.from);
    expect(third!.minute - second!.minute).toBeGreaterThanOrEqual(15);
  });

  const traces = fc
    .array(fc.tuple(fc.integer({ min: 20, max: 240 }), fc.double({ min: 0.02, max: 40, noNaN: true })), {
      minLength: 2,
      maxLength: 8,
    })
    .map((segments) => {
      const levels: number[] = [];
      for (const [minutes, mib] of segments) for (let i = 0; i < minutes; i++) levels.push(mib);
      return trace('random', levels.length, (m) => levels[m]!);
    });

  it('property: never outside min/max, over the budget and its reserve, against the half/double rule, or refused', () => {
    fc.assert(
      fc.property(
        traces,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 8, max: 64 }),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 0, max: 3 }),
        (load, minShards, maxShards, budget, reserve) => {
          const p = policy({
            minShards,
            maxShards,
            maxOperationsPer24h: budget,
            reserveForScaleUp: reserve % budget,
          });
          const downsWithin: number[] = [];
          const run = simulate(
            load,
            ours(p, {
              onDecision: (decision, world) => {
                if (decision.action !== 'scale') return;
                // The budget as decide() counts it, and the reserve: a scale-down never takes the last `reserve`.
                const used = world.accepted.filter((at) => at > world.minute - DAY_MS / 60_000).length;
                expect(used).toBeLessThan(budget);
                if (decision.direction === 'down') downsWithin.push(budget - used);
              },
            }),
            Math.min(maxShards, Math.max(minShards, 4)),
          );
          for (const left of downsWithin) expect(left).toBeGreaterThan(p.reserveForScaleUp);
          const summary = summarise(run, { min: minShards, max: maxShards });
          expect(summary['refused calls']).toBe(0);
          expect(summary['outside min/max']).toBe(0);
          expect(summary['max ops / 24h']).toBeLessThanOrEqual(budget);
          for (const op of run.operations) {
            expect(op.to).toBeLessThanOrEqual(2 * op.from);
            expect(op.to).toBeGreaterThanOrEqual(Math.ceil(op.from / 2));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a duplicate delivery of an alarm never scales twice, pending target or not', () => {
    const p = policy({ maxShards: 64 });
    const controller = ours(p);
    const world = new World(46, controller.initialAlarms(46), Date.UTC(2026, 0, 5));
    // Two hours at 3.1 MiB/s: 7 shards at the target.
    for (let minute = 0; minute < 120; minute++) {
      world.minute = minute;
      world.metrics[minute] = { bytes: 3.1 * MIB * 60, records: 0, throttled: 0, iteratorAgeMs: 0 };
    }
    world.minute = 120;
    world.alarms.down.state = 'ALARM';
    world.alarms.down.changedAt = 119;
    const changed = world.nowMs - 60_000;
    controller.onAlarm(world, 'down', changed);
    controller.onAlarm(world, 'down', changed);
    expect(world.operations).toEqual([{ minute: 120, from: 46, to: 23 }]);
    expect(world.tags.get('autoscaler.pending')).toBe('down to 7');
    // After the update, the reset alarm fires again (a new transition): within the cooldown it only re-arms.
    world.minute = 130;
    world.shards = 23;
    world.updating = undefined;
    world.alarms.down.state = 'ALARM';
    controller.onAlarm(world, 'down', world.nowMs);
    expect(world.operations).toHaveLength(1);
    expect(world.alarms.down.state).toBe('INSUFFICIENT_DATA');
    // After it, the next step; its duplicate is stale.
    world.minute = 140;
    world.alarms.down.state = 'ALARM';
    const later = world.nowMs;
    controller.onAlarm(world, 'down', later);
    controller.onAlarm(world, 'down', later);
    expect(world.operations.map((op) => `${op.from}->${op.to}`)).toEqual(['46->23', '23->12']);
    expect(world.alarms.down.threshold).toBe(0.2916);
  });
});

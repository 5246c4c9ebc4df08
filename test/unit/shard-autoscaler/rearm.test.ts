/**
 * A hold on the 24 h budget re-arms its alarm once, when the budget frees (rearm.ts), instead of every minute until
 * then: which decisions, when, under what name, and what it changes in `npm run simulate`.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/shard-autoscaler/config';
import { DAY_MS, decide } from '../../../functions/shard-autoscaler/decide';
import type { Demand } from '../../../functions/shard-autoscaler/demand';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
import { atExpression, budgetRearmAt, rearmScheduleName } from '../../../functions/shard-autoscaler/rearm';
import { ConfigError } from '../../../shared/middleware/config';
import { simulate, summarise } from '../../../scripts/simulate/model';
import { ours } from '../../../scripts/simulate/policies';
import { loadTraces, type Trace } from '../../../scripts/simulate/traces';

const policy = resolvePolicy({ streamName: 'orders' });
const now = Date.UTC(2026, 0, 22, 13, 40, 20);
const demand = (shards: number): Demand => ({
  shards,
  binding: 'bytes',
  throttled: false,
  lagging: false,
  periods: 12,
});
const hourly = (count: number) => Array.from({ length: count }, (_, i) => now - (i + 1) * 3_600_000 - 7_000);

describe('budgetRearmAt', () => {
  it('is the minute after the oldest operation leaves the 24 h window, for budget holds only', () => {
    const exhausted = decide({
      direction: 'up',
      now,
      currentShards: 4,
      history: hourly(10),
      demand: demand(4),
      policy,
    });
    expect(exhausted).toMatchObject({ action: 'hold', hold: 'budget-exhausted' });
    const oldest = Math.min(...hourly(10));
    const at = budgetRearmAt(exhausted)!;
    expect(at).toBe(Math.floor((oldest + DAY_MS) / 60_000) * 60_000 + 60_000);
    // Then the same decision spends an operation: the budget has one free.
    expect(
      decide({ direction: 'up', now: at, currentShards: 4, history: hourly(10), demand: demand(4), policy }),
    ).toMatchObject({ action: 'scale' });

    const reserved = decide({
      direction: 'down',
      now,
      currentShards: 8,
      history: hourly(8),
      demand: demand(1),
      policy,
    });
    expect(reserved).toMatchObject({ action: 'hold', hold: 'budget-reserved' });
    expect(budgetRearmAt(reserved)).toBe(
      Math.floor((Math.min(...hourly(8)) + DAY_MS) / 60_000) * 60_000 + 60_000,
    );
  });

  it('is undefined for a scaling and for every other hold (cooldown, lag, no change, min/max)', () => {
    const cases = [
      decide({ direction: 'up', now, currentShards: 2, history: [], demand: demand(3), policy }),
      decide({ direction: 'up', now, currentShards: 2, history: [now - 30_000], demand: demand(3), policy }),
      decide({
        direction: 'down',
        now,
        currentShards: 8,
        history: [now - 60_000],
        demand: demand(1),
        policy,
      }),
      decide({
        direction: 'down',
        now,
        currentShards: 8,
        history: [],
        demand: { ...demand(1), lagging: true },
        policy,
      }),
      decide({ direction: 'down', now, currentShards: 1, history: [], demand: demand(0), policy }),
      decide({ direction: 'up', now, currentShards: 4, history: [], demand: demand(1), policy }),
    ];
    expect(cases.map((decision) => (decision.action === 'hold' ? decision.hold : 'scale'))).toEqual([
      'scale',
      'cooldown',
      'cooldown',
      'consumers-lagging',
      'at-min',
      'no-change',
    ]);
    for (const decision of cases) expect(budgetRearmAt(decision)).toBeUndefined();
  });
});

describe('budgetRearmAt without a time', () => {
  it('is undefined for a budget hold that knows no time (an empty window: decide() never makes one)', () => {
    const decision = decide({
      direction: 'up',
      now,
      currentShards: 4,
      history: hourly(10),
      demand: demand(4),
      policy,
    });
    const { retryAfter: _dropped, ...withoutTime } = decision as Extract<typeof decision, { action: 'hold' }>;
    expect(withoutTime.hold).toBe('budget-exhausted');
    expect(budgetRearmAt(withoutTime)).toBeUndefined();
  });
});

describe('the schedule', () => {
  it('has a name of at most 64 allowed characters, one per alarm and minute', () => {
    const alarm = `kinesis-autoscaler-${'s'.repeat(128)}-scale-down`;
    const name = rearmScheduleName(alarm, now);
    expect(name).toMatch(/^[0-9a-zA-Z._-]{1,64}$/);
    expect(rearmScheduleName(alarm, now + 10_000)).toBe(name);
    expect(rearmScheduleName(alarm, now + 60_000)).not.toBe(name);
    expect(rearmScheduleName(`${alarm}x`, now)).not.toBe(name);
  });

  it('runs at() in UTC, to the second', () => {
    expect(atExpression(Date.UTC(2026, 0, 22, 13, 41))).toBe('at(2026-01-22T13:41:00)');
  });

  it('needs REARM_SCHEDULE_ROLE_ARN to be a role ARN, and a valid group', () => {
    try {
      process.env.REARM_SCHEDULE_ROLE_ARN = 'arn:aws:iam::123456789012:role/kit-dev-autoscaler-rearm';
      expect(config()).toMatchObject({
        rearmScheduleRoleArn: 'arn:aws:iam::123456789012:role/kit-dev-autoscaler-rearm',
        rearmScheduleGroup: 'default',
      });
      config.reset();
      process.env.REARM_SCHEDULE_ROLE_ARN = 'kit-dev-autoscaler-rearm';
      expect(() => config()).toThrow(ConfigError);
      expect(() => config()).toThrow(/REARM_SCHEDULE_ROLE_ARN/);
      config.reset();
      delete process.env.REARM_SCHEDULE_ROLE_ARN;
      process.env.REARM_SCHEDULE_GROUP = 'no spaces';
      expect(() => config()).toThrow(/REARM_SCHEDULE_GROUP/);
      config.reset();
      delete process.env.REARM_SCHEDULE_GROUP;
      expect(config().rearmScheduleRoleArn).toBeUndefined();
    } finally {
      delete process.env.REARM_SCHEDULE_ROLE_ARN;
      delete process.env.REARM_SCHEDULE_GROUP;
      config.reset();
    }
  });
});

afterEach(() => config.reset());

describe('in the simulator', () => {
  it('budget holds cost one delivery per budget window instead of one a minute; scalings are unchanged', () => {
    for (const trace of loadTraces().filter((t) => ['diurnal', 'lagging-consumers'].includes(t.name))) {
      const streamPolicy = resolvePolicy({ streamName: trace.name, minShards: 1, maxShards: 64 });
      const before = simulate(trace, ours(streamPolicy, { scheduleBudgetRearm: false }), 4);
      const after = simulate(trace, ours(streamPolicy), 4);
      // The same scalings; one held by the budget runs a minute or two later (the schedule's minute after).
      expect(after.operations.map(({ from, to }) => [from, to])).toEqual(
        before.operations.map(({ from, to }) => [from, to]),
      );
      after.operations.forEach((op, i) => {
        expect(op.minute - before.operations[i]!.minute).toBeGreaterThanOrEqual(0);
        expect(op.minute - before.operations[i]!.minute).toBeLessThanOrEqual(2);
      });
      expect(summarise(after)['throttled min'], trace.name).toBe(summarise(before)['throttled min']);
      expect(after.invocations * 5, trace.name).toBeLessThan(before.invocations);
      expect(after.rejected, trace.name).toEqual([]);
    }
  });
});

describe('property: budget holds with one-time re-arms (the simulated function path)', () => {
  const MIB = 1024 * 1024;
  const traces = fc
    .array(fc.tuple(fc.integer({ min: 20, max: 300 }), fc.double({ min: 0.02, max: 30, noNaN: true })), {
      minLength: 3,
      maxLength: 10,
    })
    .map((segments): Trace => {
      const levels: number[] = [];
      for (const [minutes, mib] of segments) for (let i = 0; i < minutes; i++) levels.push(mib);
      return {
        name: 'random',
        points: levels.map((mib, minute) => ({
          minute,
          bytesPerSec: mib * MIB,
          recordsPerSec: (mib * MIB) / 2048,
        })),
      };
    });

  it('never outside min/max, over the budget or its reserve, against the half/double rule, refused, or scaling twice in a minute', () => {
    fc.assert(
      fc.property(
        traces,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 8, max: 64 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        (load, minShards, maxShards, budget, reserve, onePeriod) => {
          const p = resolvePolicy({
            streamName: 'random',
            minShards,
            maxShards,
            maxOperationsPer24h: budget,
            reserveForScaleUp: reserve % budget,
            ...(onePeriod ? { scaleUpEvaluationPeriods: 1, scaleUpDatapoints: 1 } : {}),
          });
          const run = simulate(
            load,
            ours(p, {
              onDecision: (decision, world) => {
                if (decision.action !== 'scale') return;
                const used = world.accepted.filter((t) => t > world.minute - DAY_MS / 60_000).length;
                expect(used).toBeLessThan(budget);
                if (decision.direction === 'down') expect(budget - used).toBeGreaterThan(p.reserveForScaleUp);
              },
            }),
            Math.min(maxShards, Math.max(minShards, 4)),
          );
          const summary = summarise(run, { min: minShards, max: maxShards });
          expect(summary['refused calls']).toBe(0);
          expect(summary['outside min/max']).toBe(0);
          expect(summary['max ops / 24h']).toBeLessThanOrEqual(budget);
          for (const op of run.operations) {
            expect(op.to).toBeLessThanOrEqual(2 * op.from);
            expect(op.to).toBeGreaterThanOrEqual(Math.ceil(op.from / 2));
          }
          // No two operations in one minute: a duplicate delivery never scales twice.
          const minutes = run.operations.map((op) => op.minute);
          expect(new Set(minutes).size).toBe(minutes.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});

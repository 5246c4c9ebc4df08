/**
 * A hold on the 24 h budget re-arms its alarm once, when the budget frees (rearm.ts), instead of every minute until
 * then: which decisions, when, under what name, and what it changes in `npm run simulate`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/shard-autoscaler/config';
import { DAY_MS, decide } from '../../../functions/shard-autoscaler/decide';
import type { Demand } from '../../../functions/shard-autoscaler/demand';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
import { atExpression, budgetRearmAt, rearmScheduleName } from '../../../functions/shard-autoscaler/rearm';
import { ConfigError } from '../../../shared/middleware/config';
import { simulate, summarise } from '../../../scripts/simulate/model';
import { ours } from '../../../scripts/simulate/policies';
import { loadTraces } from '../../../scripts/simulate/traces';

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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, decide } from '../../../functions/shard-autoscaler/decide';
import { demand, held, input, NOW, policy, scaled } from '../../support/decide-fixtures';

describe('decide: the target comes from measured demand and the target utilisation', () => {
  it('aims at targetUtilisation instead of doubling', () => {
    // 4 shards at 80 % = 3.2 shards of demand; at 0.5 that needs 7 (the AWS sample would go to 8).
    expect(scaled(decide(input({ demand: demand(3.2) }))).to).toBe(7);
    // 12 shards at 10 % = 1.2 shards of demand -> 3 at 0.5, but never below half of 12.
    const down = scaled(decide(input({ direction: 'down', currentShards: 12, demand: demand(1.2) })));
    expect(down.to).toBe(6);
    expect(down.clamps.join()).toMatch(/half/);
  });

  it('handles odd counts: half of 5 is 2.5, so 3 is the floor', () => {
    const down = scaled(decide(input({ direction: 'down', currentShards: 5, demand: demand(0.1) })));
    expect(down.to).toBe(3);
    expect(scaled(decide(input({ direction: 'up', currentShards: 5, demand: demand(40) }))).to).toBe(10);
  });

  it('respects min and max shards, and says which limit it is at', () => {
    expect(scaled(decide(input({ demand: demand(100), policy: policy({ maxShards: 6 }) }))).to).toBe(6);
    expect(
      held(decide(input({ currentShards: 6, demand: demand(100), policy: policy({ maxShards: 6 }) }))).hold,
    ).toBe('at-max');
    const atMin = held(
      decide(
        input({ direction: 'down', currentShards: 2, demand: demand(0), policy: policy({ minShards: 2 }) }),
      ),
    );
    expect(atMin).toMatchObject({ hold: 'at-min', retry: false });
  });

  it('does nothing when the measurement no longer supports the alarm', () => {
    expect(held(decide(input({ demand: demand(1) }))).hold).toBe('no-change');
    expect(held(decide(input({ direction: 'down', demand: demand(1.8) }))).hold).toBe('no-change');
  });

  it('skips scale-downs that would remove less than 10 % of the shards', () => {
    expect(held(decide(input({ direction: 'down', currentShards: 40, demand: demand(19) }))).hold).toBe(
      'no-change',
    );
    expect(scaled(decide(input({ direction: 'down', currentShards: 40, demand: demand(17) }))).to).toBe(34);
  });

  it('keeps the last operations of the 24 h budget for scale-ups, and goes big with them', () => {
    const eight = Array.from({ length: 8 }, (_, i) => NOW - (i + 1) * 3_600_000);
    const down = held(
      decide(input({ direction: 'down', currentShards: 8, demand: demand(0.5), history: eight })),
    );
    expect(down).toMatchObject({ hold: 'budget-reserved', retry: true });
    expect(down.retryAfter).toBe(Math.min(...eight) + DAY_MS);
    const up = scaled(decide(input({ currentShards: 4, demand: demand(3.1), history: eight })));
    expect(up.to).toBe(8); // 7 would do, but one of the last 2 operations goes as far as allowed
    expect(up.budget.left).toBe(1);
    const ten = [...eight, NOW - 600_000, NOW - 500_000];
    expect(held(decide(input({ demand: demand(3.1), history: ten }))).hold).toBe('budget-exhausted');
    // Operations older than 24 h do not count.
    expect(scaled(decide(input({ demand: demand(3.1), history: ten.map((t) => t - DAY_MS) }))).to).toBe(7);
  });

  it('waits for the cooldown, per direction', () => {
    const history = [NOW - 30_000];
    expect(held(decide(input({ demand: demand(3.2), history }))).hold).toBe('cooldown');
    expect(scaled(decide(input({ demand: demand(3.2), history: [NOW - 61_000] }))).to).toBe(7);
    const down = held(
      decide(input({ direction: 'down', currentShards: 8, demand: demand(0.5), history: [NOW - 600_000] })),
    );
    expect(down).toMatchObject({ hold: 'cooldown', retryAfter: NOW - 600_000 + 900_000 });
  });

  it('holds scale-downs while consumers lag', () => {
    const lagging = held(
      decide(input({ direction: 'down', currentShards: 8, demand: demand(0.5, { lagging: true }) })),
    );
    expect(lagging).toMatchObject({ hold: 'consumers-lagging', retry: true });
  });

  it('stays within the account shard headroom', () => {
    expect(scaled(decide(input({ demand: demand(3.2), accountShardHeadroom: 2 }))).to).toBe(6);
    expect(held(decide(input({ demand: demand(3.2), accountShardHeadroom: 0 }))).hold).toBe('no-headroom');
  });

  it('scales a stream above 10,000 shards only to below 10,000', () => {
    const big = policy({ maxShards: 10_000 });
    expect(
      scaled(decide(input({ direction: 'down', currentShards: 12_000, demand: demand(5500), policy: big })))
        .to,
    ).toBe(9999);
    expect(
      held(decide(input({ direction: 'down', currentShards: 20_000, demand: demand(10), policy: big }))).hold,
    ).toBe('outside-aws-limits');
  });
});

describe('decide: properties', () => {
  const policies = fc
    .record({
      minShards: fc.integer({ min: 1, max: 50 }),
      span: fc.integer({ min: 0, max: 500 }),
      targetUtilisation: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
      maxOperationsPer24h: fc.integer({ min: 1, max: 10 }),
      reserve: fc.nat(),
      scaleUpCooldownSeconds: fc.integer({ min: 0, max: 3600 }),
      scaleDownCooldownSeconds: fc.integer({ min: 0, max: 7200 }),
    })
    .map((p) =>
      policy({
        minShards: p.minShards,
        maxShards: Math.min(10_000, p.minShards + p.span),
        targetUtilisation: p.targetUtilisation,
        scaleUpThreshold: Math.min(1, p.targetUtilisation + 0.2),
        scaleDownThreshold: p.targetUtilisation / 2,
        maxOperationsPer24h: p.maxOperationsPer24h,
        reserveForScaleUp: p.reserve % p.maxOperationsPer24h,
        scaleUpCooldownSeconds: p.scaleUpCooldownSeconds,
        scaleDownCooldownSeconds: p.scaleDownCooldownSeconds,
      }),
    );
  const inputs = fc.record({
    policy: policies,
    direction: fc.constantFrom('up' as const, 'down' as const),
    currentShards: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 20_000 })),
    demandShards: fc.oneof(
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 20_000, noNaN: true }),
    ),
    lagging: fc.boolean(),
    history: fc
      .array(fc.integer({ min: -3 * DAY_MS, max: 0 }), { maxLength: 14 })
      .map((offsets) => offsets.map((o) => NOW + o)),
    headroom: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
  });

  it('never breaks UpdateShardCount rules, min/max, the budget or the cooldown', () => {
    let scalings = 0;
    fc.assert(
      fc.property(inputs, (generated) => {
        const { policy: p, currentShards: current } = generated;
        const decision = decide({
          direction: generated.direction,
          now: NOW,
          currentShards: current,
          history: generated.history,
          demand: demand(generated.demandShards, { lagging: generated.lagging }),
          policy: p,
          ...(generated.headroom !== undefined ? { accountShardHeadroom: generated.headroom } : {}),
        });
        if (decision.action === 'hold') return;
        scalings += 1;
        const to = decision.to;
        // UpdateShardCount: <= 2x, >= half (rounded up), <= 10,000, above 10,000 only down to below 10,000.
        expect(to).toBeLessThanOrEqual(2 * current);
        expect(to * 2).toBeGreaterThanOrEqual(current);
        expect(to).toBeLessThanOrEqual(10_000);
        if (current > 10_000) expect(to).toBeLessThan(10_000);
        expect(to).not.toBe(current);
        // Direction as the alarm asked.
        if (generated.direction === 'up') expect(to).toBeGreaterThan(current);
        else expect(to).toBeLessThan(current);
        // Within [min, max], or moving towards it from outside.
        if (current >= p.minShards && current <= p.maxShards) {
          expect(to).toBeGreaterThanOrEqual(p.minShards);
          expect(to).toBeLessThanOrEqual(p.maxShards);
        }
        if (current > p.maxShards) expect(to).toBeLessThan(current);
        if (current < p.minShards) expect(to).toBeGreaterThan(current);
        // Budget: this operation fits in the rolling 24 h; scale-downs leave the reserve.
        const recent = generated.history.filter((at) => at > NOW - DAY_MS).length;
        expect(recent + 1).toBeLessThanOrEqual(p.maxOperationsPer24h);
        if (generated.direction === 'down') {
          expect(p.maxOperationsPer24h - recent).toBeGreaterThan(p.reserveForScaleUp);
          expect(generated.lagging).toBe(false);
        }
        // Cooldown.
        const last = Math.max(
          ...generated.history.filter((at) => at > NOW - DAY_MS),
          Number.NEGATIVE_INFINITY,
        );
        const cooldown = generated.direction === 'up' ? p.scaleUpCooldownSeconds : p.scaleDownCooldownSeconds;
        expect(NOW - last).toBeGreaterThanOrEqual(cooldown * 1000);
        // Account headroom.
        if (generated.headroom !== undefined && to > current)
          expect(to - current).toBeLessThanOrEqual(generated.headroom);
      }),
      { numRuns: 3000 },
    );
    // The generators must reach the interesting branch often enough for the property to mean something.
    expect(scalings).toBeGreaterThan(300);
  });

  it('never exceeds the budget over a sequence of decisions (operations fed back as history)', () => {
    fc.assert(
      fc.property(
        policies,
        fc.array(
          fc.record({
            gapMinutes: fc.integer({ min: 1, max: 240 }),
            direction: fc.constantFrom('up' as const, 'down' as const),
            demandShards: fc.double({ min: 0, max: 300, noNaN: true }),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 200 }),
        (p, alarms, initial) => {
          let now = NOW;
          let shards = initial;
          const history: number[] = [];
          for (const alarm of alarms) {
            now += alarm.gapMinutes * 60_000;
            const decision = decide({
              direction: alarm.direction,
              now,
              currentShards: shards,
              history,
              demand: demand(alarm.demandShards),
              policy: p,
            });
            if (decision.action === 'scale') {
              history.push(now);
              shards = decision.to;
            }
            const inWindow = history.filter((at) => at > now - DAY_MS).length;
            expect(inWindow).toBeLessThanOrEqual(p.maxOperationsPer24h);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
